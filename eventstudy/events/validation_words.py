"""pydantic's validation errors in the toolkit's words.

No pydantic wording ("Input should be a valid ...") reaches a user: :func:`message_of`
says what the value is not, repeating the value; :func:`merged` folds the one error
pydantic gives per member of a union (``str | int | float | bool``) into one.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from eventstudy.core.words import did_you_mean

KINDS = {
    "int": "a whole number",
    "float": "a number",
    "decimal": "a number",
    "finite": "a finite number",
    "bool": "true or false",
    "string": "text",
    "list": "a list",
    "set": "a list",
    "dict": "a mapping (key: value)",
    "model": "a mapping (key: value)",
    "tuple": "a window [start, end]",
    "date": "a date YYYY-MM-DD",
    "datetime": "a date YYYY-MM-DD",
    "time": "a clock time HH:MM (24-hour)",
}
"""What a value of each pydantic type is, by the first word of the error type."""
UNION_MEMBERS = {"str", "int", "float", "bool"}
BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}
WINDOW = "a window is two whole numbers [start, end]"


def shown(value: Any) -> str:
    """A value as a message quotes it (at most 40 characters)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def message_of(err: dict[str, Any]) -> str:
    """The message of one pydantic error (an item of ``ValidationError.errors()``)."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    loc = err["loc"]
    if kind == "extra_forbidden":
        hint = did_you_mean(str(loc[-1]), keys_at(loc[:-1]))
        return f"unknown key ({hint or 'check its spelling'})"
    if kind == "missing":
        return WINDOW if loc and isinstance(loc[-1], int) else "required field is missing"
    if kind in ("too_short", "too_long", "string_too_short"):
        if isinstance(value, tuple | list) and ctx.get("field_type") == "Tuple":
            return f"{WINDOW}, not {len(value)}"
        if not ctx.get("actual_length") and kind != "too_long":
            return "must not be empty"
        bound = ctx.get("min_length") if kind != "too_long" else ctx.get("max_length")
        most = "at least" if kind != "too_long" else "at most"
        return f"must have {most} {bound} items, not {ctx.get('actual_length')}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = [c.strip(" '") for c in expected.replace(" or ", ", ").split(",")]
        hint = did_you_mean(str(value), choices)
        return f"{shown(value)} is not one of {expected}" + (f" ({hint})" if hint else "")
    if kind in BOUNDS:
        word, key = BOUNDS[kind]
        return f"must be {word} {ctx.get(key)}, not {shown(value)}"
    if kind in ("value_error", "assertion_error"):
        return str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    what = KINDS.get(kind.split("_")[0])
    if what is None:
        return f"{shown(value)} is not a valid value here"
    return f"{shown(value)} is not {what}"


def merged(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``errors`` with the errors of one value against each union member as one.

    pydantic tries ``str | int | float | bool`` member by member and reports each
    (``loc`` ends in the member's name); one value gets one message, naming them all.
    """
    out: list[dict[str, Any]] = []
    for err in errors:
        loc = err["loc"]
        if loc and loc[-1] in UNION_MEMBERS:
            parent = loc[:-1]
            if out and out[-1]["loc"] == parent and out[-1].get("union"):
                continue
            value = shown(err.get("input"))
            message = f"{value} is not text, a number or true/false"
            out.append({"type": "value_error", "loc": parent, "msg": message, "union": True})
            continue
        out.append(err)
    return out


def keys_at(path: tuple[Any, ...]) -> list[str]:
    """The keys of the mapping at ``path`` in an events document (``[]`` if unknown)."""
    from eventstudy.core.study import StudySpec

    model: type[BaseModel] | None = StudySpec
    for step in path:
        if isinstance(step, int):
            continue
        field = model.model_fields.get(str(step)) if model is not None else None
        model = _model_in(field.annotation) if field is not None else None
    return [] if model is None else [k for k, f in model.model_fields.items() if not f.exclude]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model in an annotation (``X``, ``list[X]``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        found = (_model_in(a) for a in typing.get_args(annotation))
        return next((m for m in found if m is not None), None)
    return None
