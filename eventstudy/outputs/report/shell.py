"""The shell of every report page: a no-network CSP, the style, the one script.

:func:`document` wraps a body into a self-contained HTML page. The
Content-Security-Policy loads nothing from outside: images only as ``data:`` URIs,
inline style, and only the script of :mod:`eventstudy.outputs.report.script` (by its
hash); the tables' rows are JSON blocks that do not run.
"""

from __future__ import annotations

from eventstudy.outputs.report import script, svg
from eventstudy.outputs.report.markup import esc

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    f"script-src '{script.SCRIPT_HASH}'"
)
STYLE = (
    """
:root { --ink: #222; --muted: #666; --line: #ddd; --warn: #8a5a00; --bad: #b00020; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1120px; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 .6rem; border-bottom: 2px solid var(--line);
  padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.8rem 0 .4rem; }
p.lead { color: var(--muted); margin-top: 0; }
nav { margin-top: 1.5rem; }
nav .toc { font-weight: 600; }
nav ol.events { columns: 3; padding-left: 1.6rem; font-size: .9rem; margin-top: .3rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
th, td { padding: .22rem .6rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { background: none; color: var(--muted); font-weight: 500; }
.banner { border: 2px solid var(--bad); color: var(--bad); background: #fff4f4;
  padding: .6rem .9rem; font-weight: 600; margin: 1rem 0; }
.warnings li { margin: .25rem 0; }
.warnings .kind { font-weight: 600; color: var(--warn); }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .85rem; }
.event { border-top: 1px solid var(--line); margin-top: 2rem; }
.meta { color: var(--muted); font-size: .92rem; }
.notes { background: #fafafa; border-left: 3px solid var(--line); padding: .4rem .8rem; }
details summary { cursor: pointer; color: var(--muted); margin: .4rem 0; }
.sig { color: var(--bad); font-weight: 600; }
div.scroll { overflow-x: auto; }
span.note { display: inline-block; max-width: 22rem; font-size: .8rem; color: var(--muted); }
footer { margin-top: 3rem; color: var(--muted); font-size: .82rem; }
.answer { display: grid; grid-template-columns: minmax(0, 1.6fr) minmax(0, 1fr); gap: 1.2rem;
  align-items: start; }
@media (max-width: 900px) { .answer { grid-template-columns: 1fr; } }
ul.sentences li { margin: .3rem 0; }
ul.study li { font-weight: 600; }
p.warncount { margin: .6rem 0; }
p.warncount a { color: var(--warn); font-weight: 600; }
#search-all { padding: .3rem .5rem; min-width: 20rem; font-size: 1rem; }
.valid-sig { color: #0a6b2d; font-weight: 600; }
.valid-bad { color: var(--bad); }
ol.notes { font-size: .8rem; color: var(--muted); }
@media (max-width: 600px) { nav ol.events { columns: 1; } body { padding: 1rem .6rem 3rem; }
  #search-all { min-width: 0; width: 100%; }
  table { display: block; max-width: 100%; overflow-x: auto; }
  svg { max-width: 100%; height: auto; }
  .answer > * { min-width: 0; } }
@media print { nav { display: none; } .event { break-before: page; } }
"""
    + script.STYLE
    + svg.STYLE
)


def document(title: str, body: str, version: str | None = None) -> str:
    """A self-contained HTML page: the report's head (no-network CSP, style) and ``body``.

    ``version`` names the generator in a ``<meta>`` tag.
    """
    generator = f'<meta name="generator" content="eventstudy {esc(version)}">\n' if version else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
{generator}<title>{esc(title)}</title>
<style>{STYLE}</style>
</head>
<body>
{body}
<div id=tip hidden></div>
<script>{script.SCRIPT}</script>
</body>
</html>
"""
