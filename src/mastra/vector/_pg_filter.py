"""Mastra metadata filters as PostgreSQL conditions over a ``jsonb`` column.

The translation follows :mod:`mastra.vector.filters` clause by clause, so a filter
selects the same rows in PostgreSQL as in the embedded stores: deep JSON equality
with booleans apart from numbers (``jsonb =``), orderings only between two numbers or
two strings (strings by code point, ``COLLATE "C"``), a missing field failing every
operator but ``$ne``, ``$nin``, ``$not`` and ``$exists: false``.

Every condition is made two-valued (``coalesce(..., false)`` or ``CASE``), so that
``NOT`` in ``$not``/``$nor``/``$nin`` negates exactly as the Python predicate does
instead of turning SQL's NULL into "no match" on both sides. Values travel as query
parameters, never inside the SQL text.

``$regex`` runs PostgreSQL's regular expressions with ``$options`` mapped to its
embedded flags (``i`` case-insensitive; without ``s`` a ``.`` does not match a newline;
``m`` makes ``^``/``$`` match at line breaks); the common syntax behaves as Python's
``re``, exotic constructs may differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from mastra.vector.filters import Filter, compile_filter

__all__ = ["filter_to_sql"]

_Sql = tuple[str, list[Any]]


class _Builder:
    def __init__(self) -> None:
        self.aliases = 0

    def alias(self) -> str:
        self.aliases += 1
        return f"_e{self.aliases}"

    # ---- objects and logical operators ------------------------------------------------

    def obj(self, spec: Mapping[str, Any], root: str) -> _Sql:
        parts = [
            self.logical(key, value, root) if key.startswith("$") else self.field(key, value, root)
            for key, value in spec.items()
        ]
        return _join(" AND ", parts)

    def logical(self, op: str, operand: Any, root: str) -> _Sql:
        if op == "$not":
            text, params = self.obj(operand, root)
            return f"NOT ({text})", params
        text, params = _join(
            " OR " if op != "$and" else " AND ", [self.obj(f, root) for f in operand]
        )
        return (f"NOT ({text})" if op == "$nor" else f"({text})"), params

    # ---- fields ------------------------------------------------------------------------

    def field(self, path: str, spec: Any, root: str) -> _Sql:
        value = root
        for part in path.split("."):
            # ``->`` with a text key is NULL on arrays and scalars: a missing field.
            value = f"({value} -> {_literal(part)})"
        if isinstance(spec, Mapping) and any(str(k).startswith("$") for k in spec):
            return self.operators(spec, value)
        return _eq(spec, value)

    def operators(self, spec: Mapping[str, Any], v: str) -> _Sql:
        parts: list[_Sql] = []
        for op, operand in spec.items():
            if op == "$options":
                continue
            if op == "$regex":
                parts.append(_regex(operand, spec.get("$options", ""), v))
            elif op == "$not":
                text, params = self.operators(operand, v)
                parts.append((f"NOT ({text})", params))
            elif op == "$elemMatch":
                parts.append(self.elem_match(operand, v))
            else:
                parts.append(_SIMPLE[op](op, operand, v))
        return _join(" AND ", parts)

    def elem_match(self, operand: Mapping[str, Any], v: str) -> _Sql:
        e = self.alias()
        if all(str(k).startswith("$") for k in operand):
            text, params = self.operators(operand, e)
        else:
            text, params = self.obj(operand, e)
            text = f"jsonb_typeof({e}) = 'object' AND {text}"
        return (
            f"(CASE WHEN jsonb_typeof({v}) = 'array' THEN EXISTS (SELECT 1 FROM "
            f"jsonb_array_elements({v}) AS {e}_t({e}) WHERE {text}) ELSE false END)",
            params,
        )


def _literal(text: str) -> str:
    """``text`` as a quoted SQL literal, with ``%`` doubled for psycopg's placeholders."""
    return sql.Literal(text).as_string(None).replace("%", "%%")


def _join(sep: str, parts: list[_Sql]) -> _Sql:
    params: list[Any] = []
    for _, p in parts:
        params.extend(p)
    text = sep.join(f"({t})" for t, _ in parts) if len(parts) > 1 else parts[0][0]
    return text, params


# ---- field operators: each (op, operand, value expression) -> two-valued SQL ------------


def _eq(operand: Any, v: str) -> _Sql:
    return f"coalesce({v} = %s::jsonb, false)", [Jsonb(_plain(operand))]


def _ne(op: str, operand: Any, v: str) -> _Sql:
    text, params = _eq(operand, v)
    return f"NOT {text}", params


def _compare(op: str, operand: Any, v: str) -> _Sql:
    sign = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}[op]
    if isinstance(operand, str):
        return (
            f"(CASE WHEN jsonb_typeof({v}) = 'string' "
            f"THEN ({v} #>> '{{}}') COLLATE \"C\" {sign} %s::text ELSE false END)",
            [operand],
        )
    return (
        f"(CASE WHEN jsonb_typeof({v}) = 'number' "
        f"THEN ({v})::numeric {sign} (%s::jsonb)::numeric ELSE false END)",
        [Jsonb(operand)],
    )


def _in(op: str, operand: Any, v: str) -> _Sql:
    found = (
        f"coalesce(CASE WHEN jsonb_typeof({v}) = 'array' THEN EXISTS (SELECT 1 FROM "
        f"jsonb_array_elements({v}) AS _x(x), jsonb_array_elements(%s::jsonb) AS _c(c) "
        f"WHERE x = c) ELSE EXISTS (SELECT 1 FROM jsonb_array_elements(%s::jsonb) AS _c(c) "
        f"WHERE c = {v}) END, false)"
    )
    choices = Jsonb(list(operand))
    params = [choices, choices]
    return (f"NOT {found}" if op == "$nin" else found), params


def _all(op: str, operand: Any, v: str) -> _Sql:
    return (
        f"(CASE WHEN jsonb_typeof({v}) = 'array' THEN NOT EXISTS (SELECT 1 FROM "
        f"jsonb_array_elements(%s::jsonb) AS _w(w) WHERE NOT EXISTS (SELECT 1 FROM "
        f"jsonb_array_elements({v}) AS _x(x) WHERE x = w)) ELSE false END)",
        [Jsonb(list(operand))],
    )


def _exists(op: str, operand: Any, v: str) -> _Sql:
    return (f"({v} IS NOT NULL)" if operand else f"({v} IS NULL)"), []


def _contains(op: str, operand: Any, v: str) -> _Sql:
    if isinstance(operand, str):
        in_string = f"strpos({v} #>> '{{}}', %s::text) > 0"
        string_params: list[Any] = [operand]
    else:
        in_string, string_params = "false", []
    return (
        f"(CASE jsonb_typeof({v}) WHEN 'string' THEN {in_string} WHEN 'array' THEN EXISTS "
        f"(SELECT 1 FROM jsonb_array_elements({v}) AS _x(x) WHERE x = %s::jsonb) "
        "ELSE false END)",
        [*string_params, Jsonb(_plain(operand))],
    )


def _size(op: str, operand: Any, v: str) -> _Sql:
    return (
        f"(CASE WHEN jsonb_typeof({v}) = 'array' "
        f"THEN jsonb_array_length({v}) = %s::int ELSE false END)",
        [operand],
    )


def _regex(pattern: str, options: str, v: str) -> _Sql:
    flags = "i" if "i" in options else ""
    if "x" in options:
        flags += "x"
    multiline, dotall = "m" in options, "s" in options
    if multiline and not dotall:
        flags += "n"  # '.' stops at newlines, ^ and $ match at them
    elif multiline:
        flags += "w"  # only ^ and $ newline-sensitive
    elif not dotall:
        flags += "p"  # only '.' newline-sensitive
    embedded = f"(?{flags})" if flags else ""
    return (
        f"(CASE WHEN jsonb_typeof({v}) = 'string' THEN ({v} #>> '{{}}') ~ %s::text ELSE false END)",
        [embedded + pattern],
    )


_SIMPLE = {
    "$eq": lambda op, operand, v: _eq(operand, v),
    "$ne": _ne,
    "$gt": _compare,
    "$gte": _compare,
    "$lt": _compare,
    "$lte": _compare,
    "$in": _in,
    "$nin": _in,
    "$all": _all,
    "$exists": _exists,
    "$contains": _contains,
    "$size": _size,
}


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def filter_to_sql(filter: Filter | None, column: str = "metadata") -> _Sql | None:
    """The SQL condition and its parameters that select the rows whose ``column``
    matches ``filter``; None for no filter (or ``{}``).

    Raises:
        VectorError: The filter is malformed (checked by
            :func:`~mastra.vector.compile_filter`, with the same messages).
    """
    if compile_filter(filter) is None or filter is None:
        return None
    return _Builder().obj(filter, column)
