"""A plain interpreter of Mastra metadata filters: the model the compiled filters must match."""

from __future__ import annotations

import re
from typing import Any

MISSING: Any = object()
FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def norm(value: Any) -> Any:
    """A hashable canonical form of a JSON value: numbers by value, booleans apart."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", float(value))
    if isinstance(value, str):
        return ("str", value)
    if value is None:
        return ("null",)
    if isinstance(value, list):
        return ("list", tuple(norm(v) for v in value))
    return ("obj", frozenset((k, norm(v)) for k, v in value.items()))


def same(a: Any, b: Any) -> bool:
    return norm(a) == norm(b)


def lookup(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return MISSING
        doc = doc[part]
    return doc


def matches(doc: dict[str, Any], flt: dict[str, Any]) -> bool:
    return all(clause(doc, key, value) for key, value in flt.items())


def clause(doc: dict[str, Any], key: str, value: Any) -> bool:
    if key == "$and":
        return all(matches(doc, f) for f in value)
    if key == "$or":
        return any(matches(doc, f) for f in value)
    if key == "$nor":
        return not any(matches(doc, f) for f in value)
    if key == "$not":
        return not matches(doc, value)
    field = lookup(doc, key)
    if isinstance(value, dict) and value and all(k.startswith("$") for k in value):
        return operators(field, value)
    return field is not MISSING and same(field, value)


def operators(field: Any, ops: dict[str, Any]) -> bool:
    return all(operator(field, op, arg, ops) for op, arg in ops.items() if op != "$options")


def ordered(a: Any, b: Any) -> bool:
    numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
    numbers = numbers and not isinstance(a, bool) and not isinstance(b, bool)
    return numbers or (isinstance(a, str) and isinstance(b, str))


def operator(field: Any, op: str, arg: Any, ops: dict[str, Any]) -> bool:  # noqa: C901
    values = field if isinstance(field, list) else [field]
    if op == "$eq":
        return field is not MISSING and same(field, arg)
    if op == "$ne":
        return not (field is not MISSING and same(field, arg))
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if not ordered(field, arg):
            return False
        return {
            "$gt": field > arg,
            "$gte": field >= arg,
            "$lt": field < arg,
            "$lte": field <= arg,
        }[op]
    if op == "$in":
        return field is not MISSING and any(same(v, a) for v in values for a in arg)
    if op == "$nin":
        return not (field is not MISSING and any(same(v, a) for v in values for a in arg))
    if op == "$all":
        return isinstance(field, list) and all(any(same(v, a) for v in field) for a in arg)
    if op == "$elemMatch":
        if not isinstance(field, list):
            return False
        if all(k.startswith("$") for k in arg):
            return any(operators(v, arg) for v in field)
        return any(isinstance(v, dict) and matches(v, arg) for v in field)
    if op == "$exists":
        return (field is not MISSING) == arg
    if op == "$regex":
        flags = 0
        for letter in ops.get("$options", ""):
            flags |= FLAGS[letter]
        return isinstance(field, str) and re.search(arg, field, flags) is not None
    if op == "$contains":
        if isinstance(field, str):
            return isinstance(arg, str) and arg in field
        return isinstance(field, list) and any(same(v, arg) for v in field)
    if op == "$size":
        return isinstance(field, list) and len(field) == arg
    if op == "$not":
        return not operators(field, arg)
    raise AssertionError(f"the reference does not know {op}")
