"""The literal YAML loader with libyaml and without: the same values, the same limits."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

import eventstudy.events.yamlsafe as yamlsafe
from eventstudy.events.yamlsafe import MAX_DEPTH, load_libyaml, load_python, load_yaml
from eventstudy.study import load_study

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")


def _yaml_files() -> list[Path]:
    """Every YAML file of the tests and examples (and the project's events.yaml)."""
    found = [ROOT / "events.yaml", *(ROOT / "examples").rglob("*.yaml")]
    found += (ROOT / "tests").rglob("*.yaml")
    return sorted(p for p in found if _text(p) is not None)


def _text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:  # not_utf8.yaml: refused before any YAML is read
        return None


def _typed(value: Any) -> Any:
    """``value`` with the type of every part (1 and 1.0 and True differ; NaN equals NaN)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _outcome(load: Any, text: str) -> tuple[str, Any]:
    """``("ok", typed value)``, ``("refused", the problem)`` or ``("left", None)``."""
    try:
        return "ok", _typed(load(text))
    except yaml.YAMLError as exc:
        return "refused", getattr(exc, "problem", None) or str(exc)
    except yamlsafe._Unsupported:
        return "left", None


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_and_python_give_the_same_values_for_every_yaml_file(path: Path) -> None:
    text = _text(path)
    assert text is not None
    c, python = _outcome(load_libyaml, text), _outcome(load_python, text)
    assert _outcome(load_yaml, text) == python  # what the package reads: Python's values
    limit = c[0] == "refused" and c[1].startswith("refused")  # a limit: the same words
    if c[0] == "ok" or python[0] == "ok" or limit:
        assert c == python
    else:  # a YAML error (libyaml words it its own way) or a document left to Python
        assert python[0] == "refused"


def test_the_corpus_has_the_documents_the_comparison_is_for() -> None:
    outcomes = {p.name: _outcome(load_libyaml, _text(p) or "")[0] for p in _yaml_files()}
    assert outcomes["events.yaml"] == outcomes["intraday.yaml"] == "ok"
    assert outcomes["malformed.yaml"] == "refused"
    assert outcomes["python_tag.yaml"] == "left"
    assert sum(o == "ok" for o in outcomes.values()) >= 25


@pytest.mark.parametrize("path", [ROOT / "events.yaml", ROOT / "examples" / "intraday.yaml"])
def test_libyaml_and_python_give_identical_studies(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_c = load_study(path)
    monkeypatch.setattr("eventstudy.events.config.load_yaml", load_python)
    with_python = load_study(path)
    assert len(with_c.events) >= 3
    assert with_c.events == with_python.events and with_c.study == with_python.study


DOCUMENTS = [
    "",
    "# only a comment\n",
    "---\n",
    "a: 1\n...\n",
    "date: 2024-02-30\ntime: 10:00\nwhen: 2024-11-18 10:00:00\nsexagesimal: 1:30\n",
    "ints: [0, -7, +3, 1_000, 0b101, 017, 0x1F, 0o17, 08]\n",
    "floats: [1.5, -.5, 1e3, 1.0e+3, .inf, -.Inf, .nan, 1:30.5, 6.8523015e+5]\n",
    "other: [~, null, Null, '', yes, No, on, OFF, true, 'true', \"10:00\"]\n",
    "a: &x {k: 1, j: [1, 2]}\nb: {<<: *x, k: 2}\nc: {<<: [*x, {z: 1, k: 9}], q: 0}\nd: *x\n",
    "- &s scalar\n- *s\n- &l [1, *s]\n- *l\n",
    "text: |\n  line one\n  line two\nfolded: >-\n  a\n  b\nkept: |+\n  x\n\n",
    "crlf: [a, b]\r\nnext: 'it''s'\r\n",
    'unicode: "caf\\u00e9 \\U0001F600"\nplain: naïve — dash\n',
    "explicit: [!!str 12, !!int '7', !!float '2', !!bool 'yes', !!null '', !!str 10:00]\n",
    "tagged: !!map {a: !!seq [1]}\nbang: ! 12\n",
    "1: one\n2.5: two\ntrue: three\n~: four\n",
    "nested:\n  - - - deep\n    - [x, {y: [z]}]\n",
    "dup: 1\ndup: 2\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_libyaml_and_python_agree_on_each_kind_of_value(text: str) -> None:
    assert _outcome(load_libyaml, text) == _outcome(load_python, text)
    assert _outcome(load_libyaml, text)[0] == "ok"


@pytest.mark.parametrize(
    "text",
    [
        "? [a]\n: 1\n",  # a sequence as a key (unhashable)
        "a: 1\n---\nb: 2\n",  # two documents
        "a: !!binary aGk=\n",  # a tag the fast pass does not build
        "a: &x 1\nb: &x 2\n",  # a duplicate anchor
        "a: *nope\n",  # an undefined alias
        "a: {<<: [1, 2]}\n",  # merging what is not a mapping
        "=: 1\n",
    ],
)
def test_what_libyaml_leaves_is_read_by_python(text: str) -> None:
    assert _outcome(load_libyaml, text) == ("left", None)
    assert _outcome(load_yaml, text) == _outcome(load_python, text)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("yaml_bomb.yaml", "expand the document to more than 1,000,000 values"),
        ("merge_bomb.yaml", "expand the document to more than 1,000,000 values"),
        ("recursive_alias.yaml", "refers to its own anchor"),
        ("deep_nesting.yaml", f"nested more than {MAX_DEPTH} levels deep"),
    ],
)
def test_bombs_and_depth_are_refused_by_both(name: str, words: str) -> None:
    text = (ROOT / "tests" / "bad_inputs" / name).read_text()
    for load in (load_libyaml, load_python):
        with pytest.raises(yaml.YAMLError, match=words) as caught:
            load(text)
        assert caught.value.problem.startswith("refused:")  # type: ignore[attr-defined]


def test_nesting_that_would_crash_libyamls_own_composer_is_refused() -> None:
    # CSafeLoader's composer recurses in C: 200,000 levels end the process
    text = "[" * 200_000 + "]" * 200_000
    for load in (load_libyaml, load_python):
        with pytest.raises(yaml.YAMLError, match="nested more than 100 levels") as caught:
            load(text)
        assert caught.value.problem_mark.column == MAX_DEPTH  # type: ignore[attr-defined]


def test_a_million_values_without_aliases_are_refused_by_libyaml_too() -> None:
    # as LiteralSafeLoader's walk refuses them (which takes it a minute to reach)
    text = "[" + "1, " * 1_000_000 + "]"
    with pytest.raises(yaml.YAMLError, match="more than 1,000,000 values"):
        load_libyaml(text)


def test_impossible_dates_and_clock_times_stay_strings_in_both() -> None:
    text = "date: 2024-02-30\ntime: 10:00\nday: 2024-11-18\nat: 16:30:00\n"
    expected = {"date": "2024-02-30", "time": "10:00", "day": "2024-11-18", "at": "16:30:00"}
    for load in (load_libyaml, load_python):
        value = load(text)
        assert value == expected and all(type(v) is str for v in value.values())


def test_load_yaml_reads_with_libyaml_when_it_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_python(text: str) -> Any:
        raise AssertionError("the pure-Python loader read a document libyaml reads")

    monkeypatch.setattr(yamlsafe, "load_python", not_python)
    assert load_yaml("a: [1, x]\n") == {"a": [1, "x"]}


def test_load_yaml_falls_back_to_safeloader_without_libyaml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_libyaml(text: str) -> Any:
        raise AssertionError("libyaml used where PyYAML has none")

    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    monkeypatch.setattr(yamlsafe, "load_libyaml", no_libyaml)
    assert load_yaml("time: 10:00\n") == {"time": "10:00"}


def test_the_libyaml_loader_is_a_safe_loader() -> None:
    loader = yamlsafe.CLiteralSafeLoader
    assert issubclass(loader, yaml.CSafeLoader)
    assert not issubclass(loader, yaml.CFullLoader | yaml.CUnsafeLoader)
    assert loader.yaml_implicit_resolvers == yamlsafe.LiteralSafeLoader.yaml_implicit_resolvers
