"""Mastra filters translated to SQL over jsonb select exactly what the compiled Python
predicate selects (differential, against a real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from conformance.services import POSTGRES_URL, needs_postgres
from mastra.errors import VectorError
from mastra.vector import compile_filter
from mastra.vector._pg_filter import filter_to_sql

from .filter_strategies import documents, filters

pytestmark = needs_postgres


@pytest.fixture(scope="module")
def conn() -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(POSTGRES_URL or "", autocommit=True) as connection:
        yield connection


def selected(conn: psycopg.Connection[Any], docs: list[dict[str, Any]], flt: Any) -> list[bool]:
    translated = filter_to_sql(flt, "doc")
    where, params = translated if translated is not None else ("TRUE", [])
    rows = conn.execute(
        f"SELECT ({where}) FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS d(doc, i) "
        "ORDER BY i",
        [*params, Jsonb(docs)],
    ).fetchall()
    return [bool(r[0]) for r in rows]


DOCS: list[dict[str, Any]] = [
    {"genre": "sf", "year": 1965, "tags": ["a", "b"], "author": {"name": "Le Guin"}},
    {"genre": "sf", "year": 1950.5, "tags": [], "author": {"name": "O'Brien %s"}},
    {"genre": "Fantasy", "year": "1950", "tags": ["b", 1, True], "n": None},
    {"year": True, "tags": "a,b", "text": "line one\nLine two", "author": ["x"]},
    {},
]


@pytest.mark.parametrize(
    "flt",
    [
        {"genre": "sf"},
        {"year": {"$gte": 1950, "$lt": 1966}},
        {"year": {"$gt": "1000"}},
        {"year": 1},
        {"year": True},
        {"tags": {"$in": ["b", 2]}},
        {"tags": {"$nin": ["b"]}},
        {"tags": {"$all": ["a", "b"]}},
        {"tags": {"$size": 0}},
        {"tags": {"$contains": "a"}},
        {"author.name": {"$regex": "^o'b", "$options": "i"}},
        {"author.name": "O'Brien %s"},
        {"author.0": "x"},
        {"text": {"$regex": "^line two$", "$options": "im"}},
        {"text": {"$regex": "one.Line"}},
        {"text": {"$regex": "one.Line", "$options": "s"}},
        {"n": {"$exists": True}},
        {"n": None},
        {"genre": {"$ne": "sf"}},
        {"$or": [{"genre": "sf"}, {"year": {"$exists": False}}]},
        {"$nor": [{"genre": "sf"}], "$not": {"tags": {"$size": 3}}},
        {"year": {"$not": {"$gt": 1960}}},
        {"tags": {"$elemMatch": {"$in": [1, "a"]}}},
        {"author": {"$elemMatch": {"$eq": "x"}}},
        {"author": {"name": "Le Guin"}},
        {},
    ],
)
def test_examples_match_the_python_filters(conn: psycopg.Connection[Any], flt: Any) -> None:
    predicate = compile_filter(flt)
    expected = [True] * len(DOCS) if predicate is None else [predicate(d) for d in DOCS]
    assert selected(conn, DOCS, flt) == expected


def test_malformed_filters_raise_the_same_errors() -> None:
    with pytest.raises(VectorError, match="bogus"):
        filter_to_sql({"a": {"$bogus": 1}})
    assert filter_to_sql(None) is None
    assert filter_to_sql({}) is None


@given(st.lists(documents, min_size=1, max_size=8), filters)
def test_translated_filters_match_the_compiled_ones(
    conn: psycopg.Connection[Any], docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    predicate = compile_filter(flt)
    assert predicate is not None
    assert selected(conn, docs, flt) == [predicate(d) for d in docs]
