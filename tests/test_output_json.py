"""``json_text``: ``json.dumps(indent=2)`` text, long lists one compact item per line."""

from __future__ import annotations

import json

import hypothesis.strategies as st
from hypothesis import given, settings

from eventstudy.core.atomic import LONG_LIST, json_text

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_same_text_as_json_dumps_without_long_lists(document):
    assert json_text(document) == json.dumps(document, indent=2, ensure_ascii=False)


def test_long_lists_hold_one_item_per_line_and_round_trip():
    rows = [{"event_id": f"e{i}", "day0": "2025-01-27", "shifted": i % 2 == 0} for i in range(500)]
    document = {"counts": {"pairs": 500}, "alignment": rows, "short": [1, 2]}
    text = json_text(document)
    assert json.loads(text) == document
    lines = text.splitlines()
    assert len(rows) > LONG_LIST
    assert '    {"event_id": "e7", "day0": "2025-01-27", "shifted": false},' in lines
    assert lines[:3] == ["{", '  "counts": {', '    "pairs": 500']


def test_a_long_list_written_as_it_comes_is_the_whole_documents_text(tmp_path):
    from unittest import mock

    from eventstudy.core import atomic

    rows = [{"id": f"e{i}", "title": 'é, "q"', "n": i} for i in range(LONG_LIST + 25)]
    document = {"config": {"study": {"name": "x"}, "events": rows}, "after": [1, 2]}
    held = {"config": {"study": {"name": "x"}, "events": ["<rows>"]}, "after": [1, 2]}
    with mock.patch.object(atomic, "_JSON_CHUNK_ITEMS", 7):
        atomic.write_json_list(tmp_path / "a.json", held, "<rows>", iter(rows))
    assert (tmp_path / "a.json").read_text() == json_text(document) + "\n"
