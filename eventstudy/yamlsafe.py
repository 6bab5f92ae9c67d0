"""A YAML loader that is safe and literal about dates and clock times.

PyYAML's ``SafeLoader`` follows YAML 1.1: it turns ``2024-02-30`` into an exception
rather than a value it can report, and reads an unquoted ``10:00`` as the base-60
integer 600. This loader keeps both as strings so that validation can name the bad
field, and it stays a ``SafeLoader`` (no object construction from tags).
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class LiteralSafeLoader(yaml.SafeLoader):
    """``SafeLoader`` without timestamp or base-60 resolution."""


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
