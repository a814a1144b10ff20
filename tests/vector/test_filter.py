"""Compiled metadata filters: each operator, the errors, and a differential test."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastra.errors import VectorError
from mastra.vector import compile_filter

from .filter_reference import matches
from .filter_strategies import documents, filters

DOC: dict[str, Any] = {
    "genre": "sf",
    "year": 1965,
    "rating": 4.5,
    "tags": ["classic", "desert"],
    "author": {"name": "Frank Herbert", "born": 1920},
    "reviews": [{"stars": 5, "by": "ann"}, {"stars": 2, "by": "bob"}],
    "draft": False,
    "note": None,
}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({}, True),
        ({"genre": "sf"}, True),
        ({"genre": "fantasy"}, False),
        ({"author.name": "Frank Herbert"}, True),
        ({"author.name.first": "Frank"}, False),
        ({"author": {"name": "Frank Herbert", "born": 1920}}, True),
        ({"tags": ["classic", "desert"]}, True),
        ({"draft": 0}, False),
        ({"year": {"$eq": 1965.0}}, True),
        ({"year": {"$ne": 1965}}, False),
        ({"missing": {"$ne": 1}}, True),
        ({"year": {"$gt": 1960, "$lte": 1965}}, True),
        ({"year": {"$gt": "1960"}}, False),
        ({"genre": {"$lt": "t"}}, True),
        ({"genre": {"$in": ["sf", "horror"]}}, True),
        ({"tags": {"$in": ["desert"]}}, True),
        ({"tags": {"$nin": ["desert"]}}, False),
        ({"missing": {"$nin": ["x"]}}, True),
        ({"tags": {"$all": ["desert", "classic"]}}, True),
        ({"tags": {"$all": ["desert", "space"]}}, False),
        ({"reviews": {"$elemMatch": {"stars": {"$gte": 5}, "by": "ann"}}}, True),
        ({"reviews": {"$elemMatch": {"stars": {"$gte": 5}, "by": "bob"}}}, False),
        ({"tags": {"$elemMatch": {"$regex": "^des"}}}, True),
        ({"note": {"$exists": True}}, True),
        ({"missing": {"$exists": False}}, True),
        ({"author.name": {"$regex": "herbert", "$options": "i"}}, True),
        ({"author.name": {"$regex": "herbert"}}, False),
        ({"author.name": {"$contains": "Herb"}}, True),
        ({"tags": {"$contains": "classic"}}, True),
        ({"tags": {"$size": 2}}, True),
        ({"year": {"$not": {"$lt": 1900}}}, True),
        ({"missing": {"$not": {"$eq": 1}}}, True),
        ({"$and": [{"genre": "sf"}, {"year": 1965}]}, True),
        ({"$or": [{"genre": "x"}, {"year": {"$gt": 2000}}]}, False),
        ({"$nor": [{"genre": "x"}, {"year": {"$gt": 2000}}]}, True),
        ({"$not": {"genre": "sf"}}, False),
        ({"$or": [{"$and": [{"genre": "sf"}, {"$not": {"draft": True}}]}]}, True),
    ],
)
def test_operators(flt: dict[str, Any], expected: bool) -> None:
    predicate = compile_filter(flt)
    assert (predicate is None and expected) or (
        predicate is not None and predicate(DOC) == expected
    )
    assert matches(DOC, flt) == expected


@pytest.mark.parametrize(
    ("flt", "named"),
    [
        ({"year": {"$foo": 1}}, "'\\$foo'"),
        ({"$foo": [{"a": 1}]}, "'\\$foo'"),
        ({"$eq": 1}, "\\$eq must be applied to a field"),
        ({"year": {"$and": [{"a": 1}]}}, "logical operator \\$and"),
        ({"year": {"$or": [{"a": 1}]}}, "logical operator \\$or"),
        ({"$and": []}, "\\$and needs a non-empty list"),
        ({"$or": {"a": 1}}, "\\$or needs a non-empty list"),
        ({"$and": [1]}, "\\$and needs filter objects"),
        ({"$not": "x"}, "\\$not needs a non-empty filter"),
        ({"year": {"$in": 1}}, "\\$in needs a list"),
        ({"year": {"$gt": None}}, "\\$gt needs a number"),
        ({"year": {"$exists": 1}}, "\\$exists needs true or false"),
        ({"year": {"$size": -1}}, "\\$size needs a non-negative"),
        ({"year": {"$regex": "("}}, "\\$regex"),
        ({"year": {"$regex": "a", "$options": "q"}}, "\\$options"),
        ({"year": {"$options": "i"}}, "\\$options needs a \\$regex"),
        ({"year": {"$not": 3}}, "\\$not on a field"),
        ({"year": {"$elemMatch": []}}, "\\$elemMatch"),
        ({"year": {"$gt": 1, "plain": 2}}, "mixes operators"),
        ({"a..b": 1}, "field path"),
        ([{"a": 1}], "must be an object"),
    ],
)
def test_malformed_filters_name_the_problem(flt: Any, named: str) -> None:
    with pytest.raises(VectorError, match=named):
        compile_filter(flt)


@given(st.lists(documents, min_size=1, max_size=8), filters)
def test_compiled_filters_match_the_reference(
    docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    predicate = compile_filter(flt)
    assert predicate is not None
    assert [predicate(d) for d in docs] == [matches(d, flt) for d in docs]
