"""Equality indexes over top-level metadata fields, for the filters most queries use.

A filter such as ``{"thread_id": "t1"}`` or ``{"lang": {"$in": ["en", "de"]}, "year":
2024}`` would otherwise be answered by running its predicate on every vector's
metadata the first time it is seen. Here the first such filter on a field indexes that
field once (value -> keys); later filters on it, whatever their values, cost the size of
their answer. The semantics are those of :mod:`mastra.vector.filters`: booleans are not
numbers, ``1`` equals ``1.0``; an equality compares the whole value, while ``$in`` also
matches a list value one of whose elements is listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["FieldIndexes", "equality_terms"]

# (how: "v" the whole value, "e" an element of a list value; type; the scalar)
Tag = tuple[str, str, Any]
Terms = list[tuple[str, list[Tag]]]


def _tag(how: str, value: Any) -> Tag | None:
    """The index entry of a scalar (None for values the index does not serve)."""
    if isinstance(value, bool):
        return (how, "b", value)
    if isinstance(value, (int, float)):
        return (how, "n", value)  # 1 and 1.0 are equal and hash alike
    if isinstance(value, str):
        return (how, "s", value)
    return None


def _tags_of(value: Any) -> set[Tag]:
    """The entries a stored value is found under: itself, or its scalar elements."""
    if isinstance(value, list):
        return {tag for tag in (_tag("e", v) for v in value) if tag is not None}
    tag = _tag("v", value)
    return set() if tag is None else {tag}


def _clause(spec: Any) -> list[Tag] | None:
    """The accepted entries of one field clause, if it is an equality or ``$in``."""
    hows: tuple[str, ...] = ("v",)
    if isinstance(spec, Mapping):
        if len(spec) != 1:
            return None
        ((op, operand),) = spec.items()
        if op == "$eq":
            operands = [operand]
        elif op == "$in" and isinstance(operand, list):
            operands, hows = operand, ("v", "e")
        else:
            return None
    else:
        operands = [spec]
    tags = [_tag(how, v) for v in operands for how in hows]
    return None if any(t is None for t in tags) else [t for t in tags if t is not None]


def equality_terms(filter: Mapping[str, Any]) -> Terms | None:
    """``(field, accepted entries)`` per clause of a filter made only of equalities
    and ``$in`` lists of scalars on top-level fields (all must hold); else None."""
    terms: Terms = []
    for field, spec in filter.items():
        if not isinstance(field, str) or field.startswith("$") or "." in field:
            return None
        tags = _clause(spec)
        if tags is None:
            return None
        terms.append((field, tags))
    return terms or None


class _FieldIndex:
    """Keys by the entries of one field's values."""

    __slots__ = ("field", "keys_by_tag", "tags_by_key")

    def __init__(self, field: str) -> None:
        self.field = field
        self.keys_by_tag: dict[Tag, set[int]] = {}
        self.tags_by_key: dict[int, set[Tag]] = {}

    def put(self, key: int, meta: Mapping[str, Any]) -> None:
        self.drop(key)
        if self.field not in meta:
            return
        tags = _tags_of(meta[self.field])
        if tags:
            self.tags_by_key[key] = tags
            for tag in tags:
                self.keys_by_tag.setdefault(tag, set()).add(key)

    def drop(self, key: int) -> None:
        for tag in self.tags_by_key.pop(key, ()):
            keys = self.keys_by_tag[tag]
            keys.discard(key)
            if not keys:
                del self.keys_by_tag[tag]

    def matching(self, tags: list[Tag]) -> set[int]:
        found: set[int] = set()
        for tag in tags:
            found |= self.keys_by_tag.get(tag, set())
        return found


class FieldIndexes:
    """The equality indexes of one collection, built per field on first use and kept
    current by :meth:`write` and :meth:`remove`."""

    def __init__(self) -> None:
        self._fields: dict[str, _FieldIndex] = {}

    def matching(
        self, terms: Terms, keys: Sequence[int], metas: Sequence[Mapping[str, Any]]
    ) -> set[int]:
        """The keys whose metadata satisfies every term (a new set).

        ``keys`` and ``metas`` are the collection's rows, read to index a field the
        first time a term names it.
        """
        result: set[int] | None = None
        for field, tags in sorted(terms, key=lambda term: len(term[1])):
            index = self._fields.get(field)
            if index is None:
                index = self._fields[field] = _FieldIndex(field)
                for key, meta in zip(keys, metas, strict=True):
                    index.put(key, meta)
            found = index.matching(tags)
            result = found if result is None else result & found
            if not result:
                break
        return result if result is not None else set()

    def write(self, keys: Iterable[int], metas: Iterable[Mapping[str, Any]]) -> None:
        """Brings the built indexes up to date with written rows."""
        if not self._fields:
            return
        for key, meta in zip(keys, metas, strict=True):
            for index in self._fields.values():
                index.put(key, meta)

    def remove(self, keys: Iterable[int]) -> None:
        """Forgets removed rows."""
        for key in keys:
            for index in self._fields.values():
                index.drop(key)

    def clear(self) -> None:
        self._fields.clear()
