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
                raise ComposerError(
                    None,
                    None,
                    f"refused: its aliases (*name) expand the document to more than "
                    f"{MAX_VALUES:,} values (a 'YAML bomb'?); write the values out instead",
                    node.start_mark,
                )
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


def load_yaml(text: str) -> Any:
    """Parse YAML text with :class:`LiteralSafeLoader`."""
    return yaml.load(text, Loader=LiteralSafeLoader)
