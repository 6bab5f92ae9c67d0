"""The README and docs/ stay true: links resolve, commands run, code blocks run, flags exist.

- Every relative link of README.md, ARCHITECTURE.md and docs/*.md names a file that
  exists and, with ``#anchor``, a heading of that page (GitHub's anchor rules).
- Every command of the README's shell blocks runs through the CLI in-process (``run``
  into a temporary ``--out``), and ``validate`` passes on events.yaml and examples/.
- Every Python block of a page runs: the blocks of one page in order, in one namespace,
  in a temporary folder that holds copies of events.yaml and examples/.
- Every flag that an ``eventstudy`` command in any code block names is in that
  command's ``--help``.

A block that cannot run here (it needs the network, a cluster, or stands for the
caller's own data) is marked on the line before it with
``<!-- skip-snippet: why -->``; it is reported as a skipped test with that reason.
No test touches the network: sockets refuse to connect.
"""

from __future__ import annotations

import functools
import re
import shlex
import shutil
import socket
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from eventstudy.cli.app import app
from eventstudy.outputs.result import StudyResult

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
PAGES += [ROOT / "ARCHITECTURE.md"] if (ROOT / "ARCHITECTURE.md").exists() else []
PENDING = {ROOT / "ARCHITECTURE.md"}  # written on main; a link to it waits for the merge
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in {".yaml", ".csv"})

FENCE = re.compile(r"^```(\S*)\s*$")
SKIP = re.compile(r"^<!--\s*skip-snippet:\s*(.+?)\s*-->$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")

runner = CliRunner()


@dataclass(frozen=True)
class Block:
    """A fenced code block of a page."""

    page: Path
    line: int
    lang: str
    text: str
    skip: str | None

    @property
    def label(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def split_page(page: Path) -> tuple[list[str], list[Block]]:
    """The page's prose lines (code blocks blanked) and its code blocks."""
    prose: list[str] = []
    blocks: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            prose.append(lines[i])
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = SKIP.match(before.strip())
        text = "\n".join(lines[i + 1 : end])
        blocks.append(Block(page, i + 1, opening[1], text, marker[1] if marker else None))
        prose.extend([""] * (end - i + 1))
        i = end + 1
    return prose, blocks


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a page, with GitHub's -1, -2 ... for repeated headings."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in split_page(page)[0]:
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            base = slug(heading[1])
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def commands(text: str) -> list[str]:
    """The commands of a shell block: comments cut, continuation lines joined."""
    joined: list[str] = []
    for raw in text.splitlines():
        line = re.sub(r"\s+#\s.*$", "", raw).rstrip()
        continues = joined and (joined[-1].endswith("\\") or raw[:1].isspace())
        if continues:
            joined[-1] = joined[-1].rstrip("\\").rstrip() + " " + line.strip()
        elif line.strip():
            joined.append(line.strip())
    return joined


def cli_args(command: str) -> list[str] | None:
    """The arguments after ``eventstudy`` (or ``uv run eventstudy``), else None."""
    words = command.split()
    if words[:3] == ["uv", "run", "eventstudy"]:
        return words[3:]
    return words[1:] if words[:1] == ["eventstudy"] else None


def all_blocks() -> list[Block]:
    return [block for page in PAGES for block in split_page(page)[1]]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with events.yaml and examples/, as cwd; no network, its own cache."""
    shutil.copy(ROOT / "events.yaml", tmp_path / "events.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "cache"))

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access in a docs test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken: list[str] = []
    pending: list[str] = []
    for target in LINK.findall("\n".join(split_page(page)[0])):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            (pending if linked in PENDING else broken).append(target)
        elif anchor and (linked.suffix != ".md" or anchor not in anchors(linked)):
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)}: broken links {broken}"
    if pending:
        pytest.skip(f"links to files not written yet: {', '.join(pending)}")


README_COMMANDS = [
    (block, command)
    for block in split_page(README)[1]
    if block.lang == "bash" and block.skip is None
    for command in commands(block.text)
]


@pytest.mark.parametrize(("block", "command"), README_COMMANDS, ids=[c for _, c in README_COMMANDS])
def test_readme_command_runs(block: Block, command: str, workdir: Path) -> None:
    if command == "uv run pytest":
        pytest.skip("the test suite itself")
    args = cli_args(command)
    assert args is not None, f"{block.label}: not an eventstudy command; mark it skip-snippet"
    args = shlex.split(" ".join(args))
    if args[0] == "run":
        args += ["--out", str(workdir / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    if args[0] == "run":
        written = {p.name for p in (workdir / "out").glob("*/*")}
        assert {"car.csv", "tests.csv", "manifest.json", "report.html"} <= written
    if args[0] == "validate":
        assert ": OK: " in result.output


@pytest.mark.parametrize("events", [ROOT / "events.yaml", *EXAMPLES], ids=lambda p: p.name)
def test_shipped_events_files_validate(events: Path, workdir: Path) -> None:
    result = runner.invoke(app, ["validate", str(events)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{events}: OK: ")


SNIPPET_PAGES = [
    p for p in PAGES if p != README and any(b.lang == "python" for b in split_page(p)[1])
]


def run_python_blocks(page: Path) -> dict[str, object]:
    """Run a page's Python blocks in order in one namespace, and return it."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        for block in split_page(page)[1]:
            if block.lang == "python" and block.skip is None:
                exec(compile(block.text, block.label, "exec"), namespace)
    finally:
        plt.close("all")
    return namespace


@pytest.mark.parametrize("page", SNIPPET_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_of_a_page_run(page: Path, workdir: Path) -> None:
    run_python_blocks(page)


def test_readme_python_blocks_run_and_join_cleanly(workdir: Path) -> None:
    """The README's blocks run; ``result.events.merge(result.car_window(0, 1), ...)``
    carries each column once."""
    namespace = run_python_blocks(README)
    table, result = namespace["table"], namespace["result"]
    assert isinstance(table, pd.DataFrame) and isinstance(result, StudyResult)
    assert [c for c in table.columns if c.endswith(("_x", "_y"))] == []
    car = result.car_window(0, 1)
    assert list(table.columns) == [*result.events.columns, *car.columns[1:]]
    assert table[["benchmark", "model"]].drop_duplicates().values.tolist() == [["SPY", "market"]]
    assert (
        table["eps_surprise"].tolist()
        == pd.read_csv(ROOT / "examples" / "earnings.csv")["eps_surprise"].tolist()
    )


SKIPPED = [b for b in all_blocks() if b.skip is not None]


@pytest.mark.parametrize("block", SKIPPED, ids=[b.label for b in SKIPPED])
def test_blocks_marked_skip_are_reported(block: Block) -> None:
    pytest.skip(f"{block.label}: {block.skip}")


DOC_COMMANDS = [
    (block, args)
    for block in all_blocks()
    for command in commands(block.text)
    if (args := cli_args(command))
]


@functools.cache
def help_text(words: tuple[str, ...]) -> str:
    """``eventstudy WORDS --help`` as a user sees it, 250 columns wide."""
    result = runner.invoke(app, [*words, "--help"], terminal_width=250, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def mentions(text: str, word: str) -> bool:
    """True when ``word`` (a command or ``--flag``) stands in ``text`` as a whole word."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_readme_synopsis_names_every_command() -> None:
    synopsis = next(b for b in split_page(README)[1] if b.text.startswith("eventstudy run ["))
    named = {args[0] for args in map(cli_args, commands(synopsis.text)) if args}
    assert named == set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    helps = help_text(())
    assert [c for c in named if not mentions(helps, c)] == []


@pytest.mark.parametrize(
    ("block", "args"),
    DOC_COMMANDS,
    ids=[f"{b.label}:{' '.join(a)[:40]}" for b, a in DOC_COMMANDS],
)
def test_every_flag_a_command_names_is_in_its_help(block: Block, args: list[str]) -> None:
    helps = help_text((args[0],))
    unknown = [f for f in FLAG.findall(" ".join(args)) if not mentions(helps, f)]
    assert unknown == [], f"{block.label}: eventstudy {args[0]} has no {', '.join(unknown)}"


def test_install_commands_never_fetch_the_pypi_namesake() -> None:
    """PyPI's ``eventstudy`` is another project: every ``pip install eventstudy...`` of
    the pages installs from a git URL or a built wheel."""
    installs = [
        (block.label, command)
        for block in all_blocks()
        for command in commands(block.text)
        if re.match(r"^(uv )?pip install\b", command)
    ]
    assert installs, "the README shows how to install"
    from_index = [
        (label, command)
        for label, command in installs
        if re.search(r"eventstudy", command) and not re.search(r"@ git\+|\.whl", command)
    ]
    assert from_index == []
