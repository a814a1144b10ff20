"""The equality indexes answer exactly as the compiled filters, through writes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mastra.vector.field_index import FieldIndexes, equality_terms
from mastra.vector.filters import compile_filter

from .filter_strategies import KEYS, documents, scalars, values

# Filters the indexes serve (equalities and $in lists of scalars, ANDed), and some they
# must refuse (null, lists, objects as operands).
clauses = st.one_of(
    values,
    st.fixed_dictionaries({"$eq": values}),
    st.fixed_dictionaries({"$in": st.lists(scalars, max_size=3)}),
)
equality_filters = st.dictionaries(st.sampled_from(KEYS), clauses, min_size=1, max_size=2)


def brute_force(flt: dict[str, Any], docs: dict[int, dict[str, Any]]) -> set[int]:
    predicate = compile_filter(flt)
    assert predicate is not None
    return {key for key, doc in docs.items() if predicate(doc)}


@settings(max_examples=300)
@given(
    st.lists(documents, max_size=12),
    st.lists(st.tuples(st.integers(0, 14), documents), max_size=8),
    st.lists(st.integers(0, 14), max_size=4),
    st.lists(equality_filters, min_size=1, max_size=3),
)
def test_indexes_equal_the_compiled_filter(
    initial: list[dict[str, Any]],
    writes: list[tuple[int, dict[str, Any]]],
    removals: list[int],
    flts: list[dict[str, Any]],
) -> None:
    docs = dict(enumerate(initial))
    indexes = FieldIndexes()
    served = [(flt, equality_terms(flt)) for flt in flts]
    for flt, terms in served:  # index the fields, then change the rows under them
        if terms is not None:
            assert indexes.matching(terms, list(docs), list(docs.values())) == brute_force(
                flt, docs
            )
    for key, doc in writes:
        docs[key] = doc
        indexes.write([key], [doc])
    for key in removals:
        docs.pop(key, None)
        indexes.remove([key])
    for flt, terms in served:
        if terms is not None:
            assert indexes.matching(terms, list(docs), list(docs.values())) == brute_force(
                flt, docs
            )


def test_only_plain_equalities_are_served() -> None:
    assert equality_terms({"thread": "t1", "n": {"$in": [1, 2]}}) is not None
    assert equality_terms({"a": None}) is None
    assert equality_terms({"a": ["x"]}) is None
    assert equality_terms({"a.b": 1}) is None
    assert equality_terms({"a": {"$gt": 1}}) is None
    assert equality_terms({"$or": [{"a": 1}]}) is None
