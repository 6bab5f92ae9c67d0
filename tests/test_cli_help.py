"""``--help`` at 80 and 120 columns: switches shown bare, options in panels, nothing cut.

Issue 32: ``run --help`` showed ``--svg <bool>`` (so ``--svg true`` looked right and
failed), squeezed the descriptions into a column of about 20 characters at 80 columns,
and the top-level help cut the commands' descriptions off with ``...``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from eventstudy.cli.app import app

PANELS = ["Input", "Model", "Tests", "Outputs", "Scale"]
SWITCHES = ["--offline", "--plots", "--svg", "--parquet", "--xlsx", "--json", "--quiet", "--help"]
COMMANDS = ["run", "fetch", "cache", "list", "validate"]


def render(*args: str, columns: int) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def flat(text: str) -> str:
    """The help without its box drawing, whitespace collapsed (a wrapped text is whole)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def help_texts(command: str) -> dict[str, str]:
    click_command = get_command(app).commands[command]  # type: ignore[attr-defined]
    return {
        p.opts[0]: " ".join(p.help.replace("\\[", "[").split())
        for p in click_command.params
        if p.help
    }


@pytest.mark.parametrize("columns", [80, 120])
def test_run_help_reads_well(columns: int) -> None:
    text = render("run", "--help", columns=columns)
    lines = text.splitlines()
    assert max(map(len, lines)) <= columns
    assert "<bool>" not in text and "…" not in text and "..." not in text
    titles = [m.group(1) for m in re.finditer(r"╭─ (\w+) ─", text)]
    assert titles == ["Arguments", "Options", *PANELS]
    for switch in SWITCHES:  # the name, then straight to its help: no value
        row = next(line for line in lines if re.match(rf"│ {switch}\b", line))
        assert re.match(rf"│ {switch}(\s+-\w)?(\s+--no-plots)?\s{{2,}}[A-Z]", row), row
    for option, words in help_texts("run").items():  # every help whole, none cut
        assert words in flat(text), option
    # the help column is wide: its wrapped lines start at most 40 characters in
    starts = [len(line) - len(line[1:].lstrip()) for line in lines if re.match(r"│ {10,}\S", line)]
    assert starts and max(starts) <= 40, max(starts)
    assert len(lines) <= (100 if columns == 80 else 80)


@pytest.mark.parametrize("columns", [80, 120])
def test_top_level_help_shows_whole_descriptions(columns: int) -> None:
    text = render("--help", columns=columns)
    body = text.replace("COMMAND [ARGS]...", "")  # the usage line's own ellipsis
    assert "<bool>" not in body and "..." not in body and "…" not in body
    for name in COMMANDS:
        summary = get_command(app).commands[name].help.split("\n\n")[0]  # type: ignore[attr-defined]
        assert re.search(rf"│ {name}\s+{re.escape(summary)}\s+│", text), name


@pytest.mark.parametrize("columns", [80, 120])
def test_plain_top_level_help_is_not_cut(columns: int) -> None:
    """``eventstudy --help`` alone prints click's plain help (fast: no rich import)."""
    proc = subprocess.run(
        [sys.executable, "-m", "eventstudy", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": str(columns)},
    )
    assert proc.returncode == 0, proc.stderr
    commands = proc.stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in commands] == COMMANDS
    assert not any(line.endswith("...") for line in commands), commands
    for name, line in zip(COMMANDS, commands, strict=True):
        summary = get_command(app).commands[name].help.split("\n\n")[0]  # type: ignore[attr-defined]
        assert line.split(None, 1)[1] == summary
