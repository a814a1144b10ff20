"""Hypothesis strategies: metadata documents and Mastra filters over a small vocabulary."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

KEYS = ["a", "b", "tags", "n"]
PATHS = ["a", "b", "tags", "n", "n.x", "n.y", "missing"]
STRINGS = ["", "ab", "abc", "Bcd", "x\ny"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 1.5, -2.5]),
    st.sampled_from(STRINGS),
)
small_lists = st.lists(scalars, max_size=3)
values = st.one_of(scalars, small_lists)
nested = st.dictionaries(st.sampled_from(["x", "y"]), st.one_of(scalars, small_lists), max_size=2)
documents = st.dictionaries(
    st.sampled_from(KEYS),
    st.one_of(scalars, small_lists, nested, st.lists(nested, max_size=2)),
    max_size=4,
)
orderable = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.5]), st.sampled_from(STRINGS))
regexes = st.fixed_dictionaries(
    {"$regex": st.sampled_from(["^a", "c$", "b.", "[xy]", "^$", "^y$"])},
    optional={"$options": st.sampled_from(["", "i", "m", "ims"])},
)


def _simple_ops() -> st.SearchStrategy[dict[str, Any]]:
    pairs = st.one_of(
        st.tuples(st.sampled_from(["$eq", "$ne"]), values),
        st.tuples(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), orderable),
        st.tuples(st.sampled_from(["$in", "$nin", "$all"]), st.lists(scalars, max_size=3)),
        st.tuples(st.just("$exists"), st.booleans()),
        st.tuples(st.just("$contains"), scalars),
        st.tuples(st.just("$size"), st.integers(0, 3)),
    )
    return st.lists(pairs, min_size=1, max_size=2).map(dict)


simple_ops = _simple_ops()
field_ops = st.one_of(
    simple_ops,
    regexes,
    simple_ops.map(lambda ops: {"$not": ops}),
    st.one_of(simple_ops, st.fixed_dictionaries({"x": scalars})).map(
        lambda inner: {"$elemMatch": inner}
    ),
)
field_clauses = st.tuples(st.sampled_from(PATHS), st.one_of(values, field_ops))


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    logical = st.one_of(
        st.tuples(
            st.sampled_from(["$and", "$or", "$nor"]), st.lists(children, min_size=1, max_size=3)
        ),
        st.tuples(st.just("$not"), children),
    )
    return st.lists(st.one_of(field_clauses, logical), min_size=1, max_size=3).map(dict)


filters = st.recursive(
    st.lists(field_clauses, min_size=1, max_size=3).map(dict), _extend, max_leaves=6
)
