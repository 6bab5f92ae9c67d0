"""A YAML loader that is safe and literal about dates and clock times.

PyYAML's ``SafeLoader`` follows YAML 1.1: it turns ``2024-02-30`` into an exception
rather than a value it can report, and reads an unquoted ``10:00`` as the base-60
integer 600. This loader keeps both as strings so that validation can name the bad
field, and it stays a ``SafeLoader`` (no object construction from tags).

It also bounds what a small file can cost. Aliases (``*name``) share one parsed node, but
anything that walks the data (and ``SafeLoader`` itself, when it copies merge keys
``<<``) pays for every repetition, so a "billion laughs" file of a few hundred bytes can
take minutes and gigabytes. A document is refused, before anything is built from it, if
it nests deeper than :data:`MAX_DEPTH` levels, if an alias refers to its own anchor, or
if expanding its aliases gives more than :data:`MAX_VALUES` values.

Speed: PyYAML's pure-Python reader takes about 5 s for an events file of 20,000 events.
Where PyYAML has libyaml (``yaml.__with_libyaml__``), :func:`load_yaml` reads with
:func:`load_libyaml` instead: libyaml's parser (that of ``CSafeLoader``) gives the
document's events, and the values are built from them in one pass, by the same rules
(the resolvers of :class:`LiteralSafeLoader`, ``SafeConstructor``'s scalar constructors,
merge keys) and under the same limits, checked as the events come: about 0.3 s. (Not
libyaml's own composer: it recurses in C once per level, and a file nested some 10^5
levels deep crashes the process before any limit could be checked.) A document with
what that pass does not build (an explicit tag other than the core scalar, sequence
and mapping tags, a ``=`` key, a key that is a sequence or mapping, a duplicate anchor)
or with any error is read by :class:`LiteralSafeLoader`, which says what is wrong
exactly as without libyaml.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import ComposerError

MAX_DEPTH = 100
MAX_VALUES = 1_000_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Raise ``ComposerError`` if ``root`` contains itself or expands beyond MAX_VALUES.

    A post-order walk over the node graph, each shared (aliased) node sized once, so it
    costs time linear in the file however far the aliases would expand.
    """
    size: dict[int, int] = {}
    ancestors: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            ancestors.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            if size[key] > MAX_VALUES:
                raise _expanded(node.start_mark)
            continue
        if key in size:
            continue
        if key in ancestors:
            raise ComposerError(
                None,
                None,
                "refused: an alias (*name) refers to its own anchor, so the value would "
                "contain itself",
                node.start_mark,
            )
        ancestors.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


class LiteralSafeLoader(yaml.SafeLoader):
    """``SafeLoader`` without timestamp or base-60 resolution, with bounded expansion."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self._depth >= MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"refused: values nested more than {MAX_DEPTH} levels deep",
                self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node


LiteralSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first, _resolvers in LiteralSafeLoader.yaml_implicit_resolvers.items():
    LiteralSafeLoader.yaml_implicit_resolvers[_first] = [
        (tag, rx) for tag, rx in _resolvers if tag != "tag:yaml.org,2002:int"
    ]
LiteralSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def load_python(text: str) -> Any:
    """Parse YAML text with :class:`LiteralSafeLoader` (pure Python)."""
    return yaml.load(text, Loader=LiteralSafeLoader)


def load_yaml(text: str) -> Any:
    """Parse YAML text: :func:`load_libyaml` where libyaml is available, else (and for
    a document it leaves, or any error) :func:`load_python`."""
    if yaml.__with_libyaml__:
        try:
            return load_libyaml(text)
        except (yaml.YAMLError, _Unsupported):
            pass  # the pure-Python loader reads it, or says what is wrong as it always has
    return load_python(text)


_TAG = "tag:yaml.org,2002:"
_SCALARS = frozenset(f"{_TAG}{name}" for name in ("null", "bool", "int", "float"))
_STR, _MERGE = f"{_TAG}str", f"{_TAG}merge"
_COLLECTIONS = {yaml.SequenceStartEvent: f"{_TAG}seq", yaml.MappingStartEvent: f"{_TAG}map"}
_NODES = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_MERGE_KEY, _MISSING = object(), object()


class _Unsupported(Exception):
    """A document :func:`load_libyaml` leaves to :func:`load_python`."""


class _Open:
    """A sequence or mapping being read: its items (keys and values alternate)."""

    __slots__ = ("anchor", "is_map", "items", "merges", "start")

    def __init__(self, is_map: bool, anchor: str | None, start: int) -> None:
        self.is_map, self.anchor, self.start = is_map, anchor, start
        self.items: list[Any] = []
        self.merges = False

    def value(self) -> Any:
        """The list or dict, merge keys (``<<``) merged as ``SafeConstructor`` does."""
        if not self.is_map:
            return self.items
        pairs = list(zip(self.items[::2], self.items[1::2], strict=True))
        if not self.merges:
            return dict(pairs)
        merged: list[tuple[Any, Any]] = []
        for key, value in pairs:
            if key is not _MERGE_KEY:
                continue
            maps = [value] if isinstance(value, dict) else value
            if not isinstance(maps, list) or not all(isinstance(m, dict) for m in maps):
                raise _Unsupported  # not a mapping or list of mappings: Python's error
            for m in reversed(maps):  # earlier mappings win over later ones
                merged.extend(m.items())
        return dict(merged + [(k, v) for k, v in pairs if k is not _MERGE_KEY])


def _expanded(mark: Any) -> ComposerError:
    return ComposerError(
        None,
        None,
        f"refused: its aliases (*name) expand the document to more than "
        f"{MAX_VALUES:,} values (a 'YAML bomb'?); write the values out instead",
        mark,
    )


if yaml.__with_libyaml__:

    class CLiteralSafeLoader(yaml.CSafeLoader):
        """libyaml's parser with the resolvers of :class:`LiteralSafeLoader`."""

        yaml_implicit_resolvers = LiteralSafeLoader.yaml_implicit_resolvers


def _scalar(loader: Any, event: yaml.ScalarEvent) -> Any:
    """The value of a scalar, resolved and constructed as ``SafeLoader`` would."""
    tag = event.tag
    if tag is None or tag == "!":
        implicit = event.implicit
        tag = loader.resolve(yaml.ScalarNode, event.value, implicit) if implicit[0] else _STR
    if tag == _STR:
        return event.value
    if tag == _MERGE:
        return _MERGE_KEY
    if tag not in _SCALARS:
        raise _Unsupported
    return loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, event.value))


def load_libyaml(text: str) -> Any:
    """Parse YAML text with libyaml's parser, by the rules and limits of :func:`load_python`.

    Raises ``yaml.YAMLError`` (libyaml's parse errors and the limits' refusals) or
    ``_Unsupported`` (what this reader does not build; see the module text).
    """
    loader = CLiteralSafeLoader(text)
    try:
        return _build(loader)
    finally:
        loader.dispose()


def _check_new(anchor: str, anchors: dict[str, Any], stack: list[_Open]) -> None:
    """Raise ``_Unsupported`` for an anchor defined before (Python's error)."""
    if anchor in anchors or any(frame.anchor == anchor for frame in stack):
        raise _Unsupported


def _build(loader: Any) -> Any:
    """The value of the single document of ``loader``'s events (None for none)."""
    get = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent  # (local names: fast)
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    get()  # the stream's start
    if isinstance(get(), yaml.StreamEndEvent):
        return None
    stack: list[_Open] = []
    anchors: dict[str, tuple[Any, int]] = {}  # anchor -> value, values it expands to
    plain: dict[str, Any] = {}  # each plain scalar's value, resolved once
    count = 0  # values the document expands to so far (aliases expanded)
    root: Any = None
    while True:
        event = get()
        kind = event.__class__
        if kind is scalar_event:
            if len(stack) >= MAX_DEPTH:
                _too_deep(event)
            if event.tag is None and event.implicit[0]:
                text = event.value
                value = plain.get(text, _MISSING)
                if value is _MISSING:
                    value = plain[text] = _scalar(loader, event)
            else:
                value = _scalar(loader, event)
            size = 1
            if event.anchor is not None:
                _check_new(event.anchor, anchors, stack)
                anchors[event.anchor] = (value, 1)
        elif kind in ends:
            frame = stack.pop()
            value, size = frame.value(), 0  # counted at its start and by its items
            if frame.anchor is not None:
                anchors[frame.anchor] = (value, count - frame.start)
        elif kind in _COLLECTIONS:
            if len(stack) >= MAX_DEPTH:
                _too_deep(event)
            if event.tag not in (None, "!", _COLLECTIONS[kind]):
                raise _Unsupported
            if event.anchor is not None:
                _check_new(event.anchor, anchors, stack)
            count += 1
            stack.append(_Open(kind is yaml.MappingStartEvent, event.anchor, count - 1))
            continue
        elif kind is alias_event:
            if len(stack) >= MAX_DEPTH:
                _too_deep(event)
            if event.anchor not in anchors:  # undefined, or open: inside its own anchor
                if any(frame.anchor == event.anchor for frame in stack):
                    raise ComposerError(
                        None, None, "refused: an alias (*name) refers to its own anchor, so "
                        "the value would contain itself", event.start_mark,
                    )  # fmt: skip
                raise _Unsupported
            value, size = anchors[event.anchor]
        else:  # the document's end
            if not isinstance(get(), yaml.StreamEndEvent):
                raise _Unsupported  # more than one document: Python's error
            return root
        count += size
        if count > MAX_VALUES:
            raise _expanded(event.start_mark)
        if not stack:
            root = value
            continue
        top = stack[-1]
        if (value is _MERGE_KEY or kind is not scalar_event) and _keyed(top, value):
            top.merges = True
        top.items.append(value)


def _too_deep(event: yaml.Event) -> None:
    """Refuse a node nested :data:`MAX_DEPTH` levels deep, as :class:`LiteralSafeLoader` does."""
    raise ComposerError(
        None, None, f"refused: values nested more than {MAX_DEPTH} levels deep",
        event.start_mark,
    )  # fmt: skip


def _keyed(top: _Open, value: Any) -> bool:
    """Whether ``value`` is a merge key (``<<``) of ``top``; ``_Unsupported`` for a merge key
    out of a key's place and for a sequence or mapping as a key (Python's errors)."""
    key = top.is_map and not len(top.items) % 2
    if value is _MERGE_KEY:
        if not key:
            raise _Unsupported
        return True
    if key and isinstance(value, (list, dict)):
        raise _Unsupported  # unhashable
    return False
