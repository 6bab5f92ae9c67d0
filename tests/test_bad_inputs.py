"""The bad-input corpus (``tests/bad_inputs/``) and the safety rules.

Every case of ``tests/bad_inputs/cases.yaml`` is run through the command line and must
give exit code 2, exactly one ``error:`` line on stderr naming the file (and the event
and field where they apply), no traceback, nothing on stdout, and nothing written: a
fresh ``--out`` folder is not created and the outputs of an earlier run are left byte
for byte as they were. The events-file cases must fail the same way under ``validate``,
``list`` and ``fetch``.

Safety: YAML is read with the safe loader only (a ``!!python`` tag is a ConfigError, a
YAML bomb is refused fast in bounded memory), every file written stays inside the
output or cache folder even for a hostile ticker or id, and the package runs no shell
and evaluates no user string.
"""

from __future__ import annotations

import ast
import re
import shutil
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

import eventstudy
from eventstudy.cli.app import app
from eventstudy.core.errors import ConfigError
from eventstudy.data.cache import PriceCache
from eventstudy.data.demo import demo_prices
from eventstudy.data.yahoo import YahooSource
from eventstudy.study import load_study, parse_study
from tests.yahoo_fakes import FakeYahoo

HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (HERE / "cases.yaml").read_text(encoding="utf-8")
)["cases"]
STUDY_NAME = "bad-inputs"  # the study name of good.yaml and of the corpus files
HUGE_BYTES = 6_000_000

runner = CliRunner()


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def fill(text: str, tmp: Path) -> str:
    return text.replace("{here}", str(HERE)).replace("{tmp}", str(tmp))


def generate(kind: str, tmp: Path) -> None:
    """Write a generated input into ``tmp`` (inputs too big to commit)."""
    assert kind == "huge", kind
    good = (HERE / "good.yaml").read_text(encoding="utf-8")
    padding = HUGE_BYTES - len(good.encode("utf-8"))
    line = "# " + "x" * 97 + "\n"  # 100 bytes
    text = good + line * (padding // len(line)) + "#" * (padding % len(line))
    (tmp / "huge.yaml").write_text(text, encoding="utf-8")
    assert (tmp / "huge.yaml").stat().st_size == HUGE_BYTES


def command(case: dict[str, Any], tmp: Path, out: Path) -> list[str]:
    """The full command line of a case, with --out / --cache-dir pointing into ``tmp``."""
    if "generate" in case:
        generate(case["generate"], tmp)
    args = [fill(a, tmp) for a in case["args"]]
    if args[0] == "run":
        args += ["--no-plots", "--out", str(out)]
    elif args[0] == "fetch":
        args += ["--offline", "--cache-dir", str(tmp / "cache")]
    return args


def one_error_line(result: Result, code: int = 2) -> str:
    """Exit ``code``, one ``error:`` line on stderr, nothing on stdout, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``folder``: its bytes, modification time and inode."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def previous_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The --out folder of a successful earlier run of good.yaml (same study name)."""
    out = tmp_path_factory.mktemp("previous") / "out"
    result = invoke("run", HERE / "good.yaml", "--source", "demo", "--no-plots", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / STUDY_NAME / "manifest.json").is_file()
    return out


# ----------------------------------------------------------------------------- the corpus


def test_manifest_and_folder_agree() -> None:
    """Every corpus file is used by a case, and every file a case names exists."""
    used: set[str] = set()
    for name, case in CASES.items():
        assert set(case) <= {"args", "expect", "invalid_file", "generate"}, name
        assert case["expect"], name
        for arg in case["args"]:
            if "{here}/" in arg:
                rel = arg.split("{here}/", 1)[1]
                assert (HERE / rel).exists(), (name, rel)
                used.add(rel.split("/", 1)[0])
    files = {p.name for p in HERE.iterdir()} - {"cases.yaml", "good.yaml"}
    assert files <= used, f"corpus files no case uses: {sorted(files - used)}"
    assert len(CASES) >= 30


def test_base_file_is_valid() -> None:
    study = load_study(HERE / "good.yaml")
    assert study.study.name == STUDY_NAME
    assert [e.id for e in study.events] == ["ft-ai-talent"]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, tmp_path: Path, previous_outputs: Path) -> None:
    case = CASES[name]
    out = tmp_path / "out"
    args = command(case, tmp_path, out)
    line = one_error_line(invoke(*args))
    for fragment in case["expect"]:
        assert fill(fragment, tmp_path) in line, f"{fill(fragment, tmp_path)!r} not in {line!r}"
    assert not out.exists()
    assert not (tmp_path / "cache").exists()

    if args[0] == "run":  # over the outputs of an earlier run: nothing changes
        shutil.copytree(previous_outputs, out, copy_function=shutil.copy2)
        before = snapshot(out)
        again = one_error_line(invoke(*args))
        assert again == line
        assert snapshot(out) == before


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.get("invalid_file")])
def test_invalid_file_fails_the_same_under_every_command(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    args = command(case, tmp_path, tmp_path / "out")
    events_file = next(a for a in args[1:] if a.endswith((".yaml", ".csv", ".parquet")))
    run_line = one_error_line(invoke(*args))

    validate = invoke("validate", events_file)
    assert validate.exit_code == 2 and "Traceback" not in validate.output
    assert validate.stdout == ""
    lines = validate.stderr.splitlines()
    assert lines and all(x.startswith(f"error: {events_file}: ") for x in lines), lines
    assert run_line.startswith(lines[0])  # run shows the first problem, validate all

    assert one_error_line(invoke("list", events_file)) == run_line
    cache = tmp_path / "fetch-cache"
    fetched = invoke("fetch", events_file, "--offline", "--cache-dir", cache)
    assert one_error_line(fetched) == run_line
    assert not cache.exists()


def test_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate("huge", tmp_path)

    def no_reading(self: Path) -> bytes:
        raise AssertionError("a file over the size limit must not be read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(ConfigError, match=r"at most 5,000,000"):
        load_study(tmp_path / "huge.yaml")


@pytest.mark.parametrize("name", ["yaml_bomb.yaml", "merge_bomb.yaml", "recursive_alias.yaml"])
def test_yaml_bomb_is_refused_fast_in_bounded_memory(name: str) -> None:
    """Without the alias limit, merge_bomb.yaml took ~35 s and ~700 MB to load."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ConfigError, match="refused"):
            load_study(HERE / name)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0, elapsed
    assert peak < 20 * 2**20, peak


def test_ordinary_anchors_aliases_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text(
        "study:\n"
        "  name: aliases-ok\n"
        "  securities: &both [BABA, NVDA]\n"
        "events:\n"
        "  - &first {id: a, date: 2024-11-18, title: A, securities: *both}\n"
        "  - <<: *first\n"
        "    id: b\n"
        "    date: 2024-11-25\n",
        encoding="utf-8",
    )
    study = load_study(path)
    assert [(e.id, e.title, e.securities) for e in study.events] == [
        ("a", "A", ["BABA", "NVDA"]),
        ("b", "A", ["BABA", "NVDA"]),
    ]


@pytest.mark.parametrize("source", ["demo", "yahoo"])
def test_unknown_ticker_next_to_known_ones_is_skipped(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticker no source knows is not an error: its pair lands in skipped.csv, exit 0.

    Only when no pair at all can be estimated does the run fail (exit 2, the
    ``unknown-ticker-only`` case of the corpus).
    """
    events = tmp_path / "partial.yaml"
    text = (HERE / "good.yaml").read_text(encoding="utf-8")
    events.write_text(text.replace("securities: [BABA]", "securities: [BABA, ZZZZQ]"))
    extra: list[object] = []
    if source == "yahoo":
        FakeYahoo(demo_prices()[0][["BABA", "SPY"]]).install(monkeypatch)  # ZZZZQ: empty frame
        extra = ["--cache-dir", tmp_path / "cache"]
    out = tmp_path / "out"
    result = invoke("run", events, "--source", source, "--no-plots", "--out", out, *extra)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    skipped = pd.read_csv(out / STUDY_NAME / "skipped.csv")
    assert list(zip(skipped["event_id"], skipped["ticker"], strict=True)) == [
        ("ft-ai-talent", "ZZZZQ")
    ]
    reason = skipped["reason"].iloc[0]
    expected = "no prices for ZZZZQ in the demo source" if source == "demo" else "Yahoo has no data"
    assert expected in reason
    assert list(pd.read_csv(out / STUDY_NAME / "models.csv")["ticker"]) == ["BABA"]
    assert re.search(r"^Pairs skipped +1$", result.stdout, re.MULTILINE)
    assert f"skipped ft-ai-talent/ZZZZQ: {reason}" in result.stdout
    summary = (out / STUDY_NAME / "summary.txt").read_text(encoding="utf-8")
    assert f"skipped ft-ai-talent/ZZZZQ: {reason}" in summary


# ----------------------------------------------------------------------------- safety


def test_python_tags_are_refused_by_the_safe_loader(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(
        "study: !!python/object/apply:os.system\n"
        f"  - touch {marker}\n"
        "events: !!python/object/new:builtins.list [[1]]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="could not determine a constructor"):
        load_study(path)
    assert not marker.exists()
    with pytest.raises(ConfigError, match="python/object"):
        load_study(HERE / "python_tag.yaml")


def test_hostile_ticker_as_cache_file_name_stays_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The config refuses ``../../x``; the cache must be safe even if called directly."""
    prices = demo_prices()[0][["BABA"]].dropna()
    hostile = ["../../x", "..", "/etc/evil", "a/../../b", "..\\..\\y", "~root", "%2e%2e"]
    fake = FakeYahoo(pd.concat({t.upper(): prices["BABA"] for t in hostile}, axis=1))
    fake.install(monkeypatch)
    root = tmp_path / "deep" / "cache"
    root.parent.mkdir()
    source = YahooSource(PriceCache(root), sleep=lambda s: None)
    before = {p for p in tmp_path.rglob("*")}
    source.fetch(hostile, pd.Timestamp("2024-01-02").date(), pd.Timestamp("2024-02-28").date())
    created = {p for p in tmp_path.rglob("*")} - before
    assert created, "the fetch wrote nothing"
    for path in created:
        assert path.resolve().is_relative_to(root.resolve()), path
    cached = sorted(e.ticker for e in source.cache.entries())
    assert cached == sorted(hostile)  # each symbol round-trips through its file name
    assert len({source.cache.path(t) for t in hostile}) == len(hostile)


def test_event_ids_and_study_names_cannot_leave_the_output_folder(tmp_path: Path) -> None:
    base = yaml.safe_load((HERE / "good.yaml").read_text(encoding="utf-8"))
    for bad in ["../x", "a/b", "..", ".", "/abs", "a b", "a\\b", "~", "A", "a\nb", ""]:
        for where in ("id", "name"):
            raw = yaml.safe_load(yaml.safe_dump(base))
            (raw["events"][0] if where == "id" else raw["study"])[where] = bad
            with pytest.raises(ConfigError, match=r"slug|not a valid|should have") as info:
                parse_study(raw, "f.yaml")
            assert f"field '{where}'" in str(info.value)


def test_every_file_a_run_writes_is_inside_its_study_folder(
    tmp_path: Path, previous_outputs: Path
) -> None:
    folder = (previous_outputs / STUDY_NAME).resolve()
    for path in previous_outputs.rglob("*"):
        assert path.resolve().is_relative_to(folder), path
    study = load_study(HERE / "good.yaml")
    result = study.run(source="demo")
    written = result.save(tmp_path / "out", plots=False)
    for path in written.values():
        assert Path(path).resolve().is_relative_to((tmp_path / "out" / STUDY_NAME).resolve())


# Calls the package must never make: a shell, evaluation of strings, unsafe loaders.
FORBIDDEN_CALLS = {
    "eval",
    "exec",
    "compile",
    "__import__",
    "os.system",
    "os.popen",
    "os.execv",
    "os.execl",
    "os.spawnl",
    "os.spawnv",
    "pickle.load",
    "pickle.loads",
    "marshal.loads",
    "yaml.unsafe_load",
    "yaml.full_load",
    "yaml.load_all",
    "pd.read_pickle",
}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def test_no_shell_no_eval_no_unsafe_yaml_in_the_package() -> None:
    package = Path(eventstudy.__file__).parent
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 10
    problems = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for call in (n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call)):
            name = _dotted(call.func)
            where = f"{path.relative_to(package)}:{call.lineno}: {name}"
            if name in FORBIDDEN_CALLS:
                problems.append(where)
            keywords = {k.arg: k.value for k in call.keywords}
            shell = keywords.get("shell")
            if shell is not None and not (isinstance(shell, ast.Constant) and not shell.value):
                problems.append(f"{where} with shell= other than False")
            if name == "yaml.load":
                loader = keywords.get("Loader")
                if loader is None or _dotted(loader) != "LiteralSafeLoader":
                    problems.append(f"{where} without Loader=LiteralSafeLoader")
        # and plain text, for uses ast would not see as calls (e.g. getattr tricks)
        for needle in ("os.system(", "shell=True", "yaml.unsafe_load", "UnsafeLoader"):
            if needle in text:
                problems.append(f"{path.relative_to(package)}: {needle}")
    assert problems == []


def test_the_yaml_loader_is_a_safe_loader() -> None:
    from eventstudy.events.yamlsafe import LiteralSafeLoader

    assert issubclass(LiteralSafeLoader, yaml.SafeLoader)
    assert not issubclass(LiteralSafeLoader, yaml.FullLoader | yaml.UnsafeLoader)
    tags = set(LiteralSafeLoader.yaml_constructors) | set(LiteralSafeLoader.yaml_multi_constructors)
    assert not any("python" in str(tag) for tag in tags), tags
