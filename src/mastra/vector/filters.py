"""Metadata filters in Mastra's query language, compiled once into a predicate.

A filter is a JSON object. Its keys are field paths (``"genre"``, dot paths such as
``"author.name"`` into nested objects) or the logical operators ``$and``, ``$or``,
``$nor`` (a non-empty list of filters) and ``$not`` (one filter). Logical operators
are allowed only there: at the root, or inside another logical operator. A field's
value is either a plain value (implicit ``$eq``) or an object of field operators,
all of which must hold:

===============  =======================================================================
``$eq``/``$ne``  equal / not equal (deep equality; ``true`` is not ``1``)
``$gt`` ...      ``$gt $gte $lt $lte``: numbers with numbers, strings with strings
``$in``/``$nin``  the value, or any element of an array value, is / is not in the list
``$all``         the array value holds every element of the list
``$elemMatch``   some element of the array value matches a filter (or operator object)
``$exists``      the field is present (even if null) / absent
``$regex``       a string value matches the pattern (``re.search``); ``$options`` takes
                 flags from ``imsx``
``$contains``    a string value contains the substring / an array value has the element
``$size``        the array value has exactly this many elements
``$not``         the operator object inside does not hold
===============  =======================================================================

A missing field fails every operator except ``$ne``, ``$nin``, ``$not`` and
``$exists: false``. An unknown operator or a malformed filter raises
:class:`~mastra.errors.VectorError` naming it.

Example:
    >>> from mastra.vector.filters import compile_filter
    >>> match = compile_filter({"genre": "sf", "year": {"$gte": 1960}, "$not": {"x": 1}})
    >>> match({"genre": "sf", "year": 1965}), match({"genre": "sf", "year": 1950})
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from mastra.errors import VectorError

__all__ = ["Filter", "Predicate", "compile_filter"]

Filter = Mapping[str, Any]
"""A metadata filter (a JSON object)."""
Predicate = Callable[[Mapping[str, Any]], bool]
"""A compiled filter: metadata -> whether it matches."""
_Test = Callable[[Any], bool]

_MISSING: Any = object()
_LOGICAL = frozenset({"$and", "$or", "$nor", "$not"})
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def _bad(message: str, **context: Any) -> VectorError:
    return VectorError(f"invalid metadata filter: {message}", **context)


def _json_equal(a: Any, b: Any) -> bool:
    """Deep equality of JSON values, where booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _comparable(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return True
    numbers = (int, float)
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    )


def _is_operator_object(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(str(k).startswith("$") for k in value)


def _list_operand(op: str, operand: Any) -> list[Any]:
    if not isinstance(operand, list):
        raise _bad(f"{op} needs a list, got {operand!r}", operator=op)
    return operand


# ---- field operators ----------------------------------------------------------------


def _compare(op: str, operand: Any) -> _Test:
    if not (isinstance(operand, (int, float, str)) and not isinstance(operand, bool)):
        raise _bad(f"{op} needs a number or a string, got {operand!r}", operator=op)
    if op == "$gt":
        return lambda v: _comparable(v, operand) and v > operand
    if op == "$gte":
        return lambda v: _comparable(v, operand) and v >= operand
    if op == "$lt":
        return lambda v: _comparable(v, operand) and v < operand
    return lambda v: _comparable(v, operand) and v <= operand


def _in(op: str, operand: Any) -> _Test:
    choices = _list_operand(op, operand)

    def test(v: Any) -> bool:
        if v is _MISSING:
            return False
        values = v if isinstance(v, list) else [v]
        return any(_json_equal(x, c) for x in values for c in choices)

    return test


def _all(op: str, operand: Any) -> _Test:
    wanted = _list_operand(op, operand)
    return lambda v: isinstance(v, list) and all(any(_json_equal(x, w) for x in v) for w in wanted)


def _elem_match(op: str, operand: Any) -> _Test:
    if not isinstance(operand, Mapping) or not operand:
        raise _bad(f"{op} needs a non-empty object, got {operand!r}", operator=op)
    if _is_operator_object(operand):
        inner = _field_operators(operand)
        return lambda v: isinstance(v, list) and any(inner(x) for x in v)
    sub = _compile_object(operand)
    return lambda v: isinstance(v, list) and any(isinstance(x, Mapping) and sub(x) for x in v)


def _exists(op: str, operand: Any) -> _Test:
    if not isinstance(operand, bool):
        raise _bad(f"{op} needs true or false, got {operand!r}", operator=op)
    return lambda v: (v is not _MISSING) == operand


def _regex(pattern: Any, options: Any) -> _Test:
    if not isinstance(pattern, str):
        raise _bad(f"$regex needs a string, got {pattern!r}", operator="$regex")
    if not isinstance(options, str) or set(options) - _REGEX_FLAGS.keys():
        raise _bad(f"$options must be letters of 'imsx', got {options!r}", operator="$options")
    flags = 0
    for letter in options:
        flags |= _REGEX_FLAGS[letter]
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise _bad(f"$regex {pattern!r} is not a valid pattern: {exc}", operator="$regex") from None
    return lambda v: isinstance(v, str) and compiled.search(v) is not None


def _contains(op: str, operand: Any) -> _Test:
    def test(v: Any) -> bool:
        if isinstance(v, str):
            return isinstance(operand, str) and operand in v
        return isinstance(v, list) and any(_json_equal(x, operand) for x in v)

    return test


def _size(op: str, operand: Any) -> _Test:
    if not isinstance(operand, int) or isinstance(operand, bool) or operand < 0:
        raise _bad(f"{op} needs a non-negative integer, got {operand!r}", operator=op)
    return lambda v: isinstance(v, list) and len(v) == operand


def _not(op: str, operand: Any) -> _Test:
    if not _is_operator_object(operand):
        raise _bad(f"{op} on a field needs an operator object, got {operand!r}", operator=op)
    inner = _field_operators(operand)
    return lambda v: not inner(v)


def _eq(op: str, operand: Any) -> _Test:
    return lambda v: v is not _MISSING and _json_equal(v, operand)


def _ne(op: str, operand: Any) -> _Test:
    return lambda v: v is _MISSING or not _json_equal(v, operand)


def _negate(make: Callable[[str, Any], _Test]) -> Callable[[str, Any], _Test]:
    def build(op: str, operand: Any) -> _Test:
        test = make(op, operand)
        return lambda v: not test(v)

    return build


_FIELD_OPERATORS: dict[str, Callable[[str, Any], _Test]] = {
    "$eq": _eq,
    "$ne": _ne,
    "$gt": _compare,
    "$gte": _compare,
    "$lt": _compare,
    "$lte": _compare,
    "$in": _in,
    "$nin": _negate(_in),
    "$all": _all,
    "$elemMatch": _elem_match,
    "$exists": _exists,
    "$contains": _contains,
    "$size": _size,
    "$not": _not,
}


def _field_operators(spec: Mapping[str, Any]) -> _Test:
    tests: list[_Test] = []
    for op, operand in spec.items():
        if op in ("$regex", "$options"):
            continue
        if op in _LOGICAL - {"$not"}:
            raise _bad(
                f"logical operator {op} is only allowed at the root or inside logical operators",
                operator=op,
            )
        make = _FIELD_OPERATORS.get(op)
        if make is None:
            raise _bad(f"unknown operator {op!r}", operator=op)
        tests.append(make(op, operand))
    if "$regex" in spec:
        tests.append(_regex(spec["$regex"], spec.get("$options", "")))
    elif "$options" in spec:
        raise _bad("$options needs a $regex beside it", operator="$options")
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(test(v) for test in tests)


# ---- fields and logical operators ---------------------------------------------------


def _field(path: str, spec: Any) -> Predicate:
    if not path or any(not part for part in path.split(".")):
        raise _bad(f"invalid field path {path!r}", field=path)
    parts = tuple(path.split("."))
    if isinstance(spec, Mapping) and any(str(k).startswith("$") for k in spec):
        if not _is_operator_object(spec):
            raise _bad(f"field {path!r} mixes operators and plain keys", field=path)
        test = _field_operators(spec)
    else:
        test = _eq("$eq", dict(spec) if isinstance(spec, Mapping) else spec)

    if len(parts) == 1:
        key = parts[0]
        return lambda doc: test(doc.get(key, _MISSING))

    def lookup(doc: Mapping[str, Any]) -> bool:
        value: Any = doc
        for part in parts:
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                value = _MISSING
                break
        return test(value)

    return lookup


def _logical(op: str, operand: Any) -> Predicate:
    if op == "$not":
        if not isinstance(operand, Mapping) or not operand:
            raise _bad(f"{op} needs a non-empty filter object, got {operand!r}", operator=op)
        inner = _compile_object(operand)
        return lambda doc: not inner(doc)
    if not isinstance(operand, list) or not operand:
        raise _bad(f"{op} needs a non-empty list of filters, got {operand!r}", operator=op)
    subs = []
    for item in operand:
        if not isinstance(item, Mapping):
            raise _bad(f"{op} needs filter objects, got {item!r}", operator=op)
        subs.append(_compile_object(item))
    if op == "$and":
        return lambda doc: all(sub(doc) for sub in subs)
    if op == "$or":
        return lambda doc: any(sub(doc) for sub in subs)
    return lambda doc: not any(sub(doc) for sub in subs)


def _compile_object(spec: Mapping[str, Any]) -> Predicate:
    parts: list[Predicate] = []
    for key, value in spec.items():
        if not isinstance(key, str):
            raise _bad(f"filter keys must be strings, got {key!r}")
        if key in _LOGICAL:
            parts.append(_logical(key, value))
        elif key.startswith("$"):
            if key in _FIELD_OPERATORS or key in ("$regex", "$options"):
                raise _bad(f"operator {key} must be applied to a field", operator=key)
            raise _bad(f"unknown operator {key!r}", operator=key)
        else:
            parts.append(_field(key, value))
    if len(parts) == 1:
        return parts[0]
    return lambda doc: all(part(doc) for part in parts)


def compile_filter(filter: Filter | None) -> Predicate | None:
    """Compiles a metadata filter into a predicate (None for no filter or ``{}``).

    Raises:
        VectorError: The filter is not an object, uses an unknown operator, puts a
            logical operator on a field, or gives an operator a wrong operand.
    """
    if filter is None:
        return None
    if not isinstance(filter, Mapping):
        raise _bad(f"a filter must be an object, got {filter!r}")
    if not filter:
        return None
    return _compile_object(filter)
