"""The report's one script: interactive tables, one search for all of them, hover values.

A small script of our own rather than a table library: it needs no network, adds
about 6 kB to the page (DataTables' bundle is about 90 kB and wants its rows as HTML
or as arrays of objects), and reads the column JSON of
:mod:`eventstudy.outputs.report.grid` directly. What it does:

- every ``div.grid`` reads its ``#<id>-data`` JSON and draws one page of rows; a click
  on a header sorts (again: the other way; empty cells last), the box above searches
  the columns marked for search (every word must occur), the buttons page;
- ``#search-all`` types into every table's box at once;
- an SVG element with a ``<title>`` shows that text in ``#tip`` on hover;
- ``window.reportReady`` is the time (ms since navigation) the first screen was drawn.

The Content-Security-Policy of the page allows this script by its SHA-256 only
(:data:`SCRIPT_HASH`).
"""

from __future__ import annotations

import base64
import hashlib

SCRIPT = r"""
(function () {
"use strict";
var SIG = [[0.01, "***"], [0.05, "**"], [0.10, "*"]];
var pagesEl = document.getElementById("event-pages");
var pages = pagesEl ? JSON.parse(pagesEl.textContent) : {base: "", ids: []};
var linked = new Set(pages.ids);
function esc(s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
  });
}
function decode(v) {
  if (Array.isArray(v)) { return v; }
  var out = new Array(v.i.length);
  for (var k = 0; k < v.i.length; k++) { out[k] = v.u[v.i[k]]; }
  return out;
}
function stars(p) {
  if (p === null || p === undefined) { return ""; }
  for (var k = 0; k < SIG.length; k++) { if (p < SIG[k][0]) { return SIG[k][1]; } }
  return "";
}
function cell(kind, digits, v) {
  if (v === null || v === undefined || v === "") { return kind === "text" ? "" : "&ndash;"; }
  if (kind === "num") { return v.toFixed(digits).replace("-", "&minus;"); }
  if (kind === "int") { return String(v); }
  if (kind === "p") { return v < 0.0001 ? "&lt;0.0001" : v.toFixed(4); }
  if (kind === "yesno") { return v ? "yes" : "no"; }
  if (kind === "event" && linked.has(v)) {
    return "<a href='" + esc(pages.base + encodeURIComponent(v) + "/report.html") + "'>" +
      esc(v) + "</a>";
  }
  return esc(v);
}
function Grid(el) {
  var spec = JSON.parse(document.getElementById(el.id + "-data").textContent);
  var self = this;
  this.el = el;
  this.cols = spec.c;
  this.vals = spec.v.map(function (v, j) {
    return spec.c[j][1] === "stars" ? spec.v[spec.c[j][4]] : decode(v);
  });
  this.n = this.cols.length ? this.vals[0].length : 0;
  this.hay = null;
  this.query = "";
  this.page = 0;
  this.sortCol = el.dataset.sort === undefined ? -1 : Number(el.dataset.sort);
  this.desc = el.dataset.desc === "1";
  this.size = Number(el.dataset.rows || 25);
  var bar = document.createElement("div");
  bar.className = "gridbar";
  bar.innerHTML = "<input type=search placeholder='Search event id, ticker' " +
    "aria-label='Search this table'> <span class=info></span> " +
    "<button type=button data-step=-1>&lsaquo; prev</button> " +
    "<button type=button data-step=1>next &rsaquo;</button>";
  this.box = bar.querySelector("input");
  this.info = bar.querySelector(".info");
  this.box.addEventListener("input", function () { self.search(self.box.value); });
  bar.querySelectorAll("button").forEach(function (b) {
    b.addEventListener("click", function () { self.turn(Number(b.dataset.step)); });
  });
  var wrap = document.createElement("div");
  wrap.className = "scroll";
  this.table = document.createElement("table");
  var head = this.cols.map(function (c, j) {
    var num = c[1] !== "text" && c[1] !== "event";
    return "<th" + (num ? " class=num" : "") + " data-col=" + j + " tabindex=0>" +
      esc(c[0]) + "</th>";
  }).join("");
  this.table.innerHTML = "<thead><tr>" + head + "</tr></thead><tbody></tbody>";
  this.table.querySelectorAll("th").forEach(function (th) {
    th.addEventListener("click", function () { self.sortBy(Number(th.dataset.col)); });
  });
  this.body = this.table.tBodies[0];
  wrap.appendChild(this.table);
  el.appendChild(bar);
  el.appendChild(wrap);
  this.rows = null;
  this.filter();
}
Grid.prototype.haystack = function () {
  if (this.hay) { return this.hay; }
  var keys = [];
  for (var j = 0; j < this.cols.length; j++) {
    if (this.cols[j][3]) { keys.push(this.vals[j]); }
  }
  var hay = new Array(this.n);
  for (var i = 0; i < this.n; i++) {
    var parts = [];
    for (var k = 0; k < keys.length; k++) { parts.push(keys[k][i]); }
    hay[i] = parts.join("\u0001").toLowerCase();
  }
  this.hay = hay;
  return hay;
};
Grid.prototype.filter = function () {
  var words = this.query.toLowerCase().split(/\s+/).filter(Boolean);
  var rows = [];
  if (!words.length) {
    for (var i = 0; i < this.n; i++) { rows.push(i); }
  } else {
    var hay = this.haystack();
    for (var r = 0; r < this.n; r++) {
      var ok = true;
      for (var w = 0; w < words.length && ok; w++) { ok = hay[r].indexOf(words[w]) >= 0; }
      if (ok) { rows.push(r); }
    }
  }
  this.rows = rows;
  this.order();
};
Grid.prototype.order = function () {
  var j = this.sortCol;
  if (j >= 0) {
    var v = this.vals[j], sign = this.desc ? -1 : 1;
    var text = this.cols[j][1] === "text" || this.cols[j][1] === "event";
    this.rows.sort(function (a, b) {
      var x = v[a], y = v[b];
      var xe = x === null || x === "" || x === undefined;
      var ye = y === null || y === "" || y === undefined;
      if (xe || ye) { return xe === ye ? a - b : (xe ? 1 : -1); }
      if (text) { x = String(x); y = String(y); }
      return x === y ? a - b : (x < y ? -sign : sign);
    });
  }
  this.page = 0;
  this.draw();
};
Grid.prototype.sortBy = function (j) {
  var numeric = this.cols[j][1] !== "text" && this.cols[j][1] !== "event";
  var p = this.cols[j][1] === "p" || this.cols[j][1] === "stars";
  this.desc = this.sortCol === j ? !this.desc : numeric && !p;
  this.sortCol = j;
  this.order();
};
Grid.prototype.search = function (q) {
  this.query = q;
  if (this.box.value !== q) { this.box.value = q; }
  this.filter();
};
Grid.prototype.turn = function (step) {
  var last = Math.max(0, Math.ceil(this.rows.length / this.size) - 1);
  this.page = Math.min(last, Math.max(0, this.page + step));
  this.draw();
};
Grid.prototype.draw = function () {
  var start = this.page * this.size, stop = Math.min(this.rows.length, start + this.size);
  var out = [];
  for (var k = start; k < stop; k++) {
    var i = this.rows[k], tds = [];
    for (var j = 0; j < this.cols.length; j++) {
      var c = this.cols[j], v = this.vals[j][i];
      if (c[1] === "stars") {
        tds.push("<td class=sig>" + stars(v) + "</td>");
      } else {
        var num = c[1] !== "text" && c[1] !== "event";
        tds.push("<td" + (num ? " class=num" : "") + ">" + cell(c[1], c[2], v) + "</td>");
      }
    }
    out.push("<tr>" + tds.join("") + "</tr>");
  }
  this.body.innerHTML = out.join("");
  var ths = this.table.tHead.rows[0].cells;
  for (var h = 0; h < ths.length; h++) {
    var dir = this.desc ? "descending" : "ascending";
    ths[h].setAttribute("aria-sort", h === this.sortCol ? dir : "none");
  }
  var total = this.rows.length;
  this.info.textContent = (total ? (start + 1) + "\u2013" + stop : "0") + " of " +
    total.toLocaleString("en") + " rows" +
    (total < this.n ? " (" + this.n.toLocaleString("en") + " in all)" : "");
};
var grids = Array.prototype.map.call(document.querySelectorAll("div.grid"), function (el) {
  var g = new Grid(el);
  el.grid = g;
  return g;
});
var all = document.getElementById("search-all");
if (all) {
  var timer = null;
  all.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      grids.forEach(function (g) { g.search(all.value); });
    }, 120);
  });
}
var tip = document.getElementById("tip");
if (tip) {
  document.addEventListener("mouseover", function (e) {
    var t = e.target.closest ? e.target.closest("svg [data-tip]") : null;
    if (!t) { tip.hidden = true; return; }
    tip.textContent = t.getAttribute("data-tip");
    tip.hidden = false;
    tip.style.left = (e.pageX + 12) + "px";
    tip.style.top = (e.pageY + 12) + "px";
  });
}
window.reportReady = performance.now();
})();
"""
"""The script (plain JavaScript, no library), inlined once per page."""

SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
"""The CSP source that allows exactly :data:`SCRIPT` to run."""

STYLE = """
.grid { margin: .6rem 0 1.2rem; }
.gridbar { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; font-size: .85rem; }
.gridbar input { padding: .2rem .4rem; min-width: 16rem; }
.gridbar .info { color: var(--muted); }
.grid th { cursor: pointer; user-select: none; }
.grid td { white-space: nowrap; }
.grid th[aria-sort=ascending]::after { content: " \\25B2"; }
.grid th[aria-sort=descending]::after { content: " \\25BC"; }
#tip { position: absolute; background: #222; color: #fff; padding: .2rem .45rem;
  font-size: .8rem; border-radius: 3px; pointer-events: none; z-index: 9; white-space: pre; }
svg [data-tip]:hover { stroke: #000; stroke-width: 1.5; }
"""
"""The tables' and tooltip's style (added to the page's)."""
