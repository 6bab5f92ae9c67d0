"""How the command line's ``--help`` shows options: switches as switches.

typer 0.29's rich help prints a type after every option, ``<bool>`` after the switches
too (``--svg <bool>``, even ``--help <bool>``), which reads as if they took a value.
:class:`Command` and :class:`Group` show switches bare, as click's plain help does.
"""

from __future__ import annotations

from typing import Any

import typer.core


def _bare_switches(command: Any, ctx: Any) -> None:
    """Give every switch of ``command`` (``--help`` included) an empty type label."""
    for param in command.get_params(ctx):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


class Command(typer.core.TyperCommand):
    """A typer command whose help shows switches without a type."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Write the help, switches bare."""
        _bare_switches(self, ctx)
        super().format_help(ctx, formatter)


class Group(typer.core.TyperGroup):
    """A typer group whose help shows switches without a type."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Write the help, switches bare."""
        _bare_switches(self, ctx)
        super().format_help(ctx, formatter)
