"""Filtered queries through the graph and through exact search equal brute force."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mastra.vector import HNSWSettings, InMemoryVectorStore

from .filter_reference import matches
from .filter_strategies import documents, filters

DIM = 8
GRAPH = HNSWSettings(exact_threshold=0, ef_search=256, graph_buffer=0)
# Writes wait (searched exactly) until three wait, then join the graph.
BUFFERED = HNSWSettings(exact_threshold=0, ef_search=256, graph_buffer=3)
EXACT = HNSWSettings(exact_threshold=1 << 30)


async def run(
    settings: HNSWSettings, docs: list[dict[str, Any]], flt: dict[str, Any], seed: int
) -> tuple[list[str], list[float], list[float]]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(docs), DIM)).astype(np.float32)
    query = rng.standard_normal(DIM).astype(np.float32)
    ids = [f"v{i}" for i in range(len(docs))]
    async with InMemoryVectorStore(settings) as store:
        await store.create_index("x", DIM)
        await store.upsert("x", vectors, docs, ids)
        hits = await store.query("x", query, top_k=5, filter=flt)
    allowed = [i for i, doc in enumerate(docs) if matches(doc, flt)]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit[allowed].astype(np.float64) @ (query / np.linalg.norm(query))
    expected = sorted(scores.tolist(), reverse=True)[:5]
    for hit in hits:
        assert matches(hit.metadata, flt)
    return [h.id for h in hits], [h.score for h in hits], expected


@settings(max_examples=40)
@given(st.lists(documents, min_size=1, max_size=40), filters, st.integers(0, 2**16))
def test_graph_and_exact_paths_equal_brute_force(
    docs: list[dict[str, Any]], flt: dict[str, Any], seed: int
) -> None:
    graph_ids, graph_scores, expected = asyncio.run(run(GRAPH, docs, flt, seed))
    exact_ids, exact_scores, _ = asyncio.run(run(EXACT, docs, flt, seed))
    buffered_ids, buffered_scores, _ = asyncio.run(run(BUFFERED, docs, flt, seed))
    assert len(graph_scores) == len(exact_scores) == len(expected)
    assert np.allclose(graph_scores, expected, atol=1e-5)
    assert np.allclose(buffered_scores, expected, atol=1e-5)
    assert np.allclose(exact_scores, expected, atol=1e-5)
    assert graph_ids == exact_ids == buffered_ids


async def churn(
    settings: HNSWSettings, docs: list[dict[str, Any]], flts: list[dict[str, Any]], seed: int
) -> None:
    """Writes and filtered queries interleaved: every answer equals brute force over the
    data as it is at that moment."""
    rng = np.random.default_rng(seed)
    live: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
    async with InMemoryVectorStore(settings) as store:
        await store.create_index("x", DIM)
        for step, doc in enumerate(docs):
            action = rng.integers(0, 4) if live else 0
            if action <= 1:  # a new vector
                vid, vec = f"v{step}", rng.standard_normal(DIM).astype(np.float32)
                await store.upsert("x", [vec], [doc], [vid])
                live[vid] = (vec, doc)
            elif action == 2:  # new metadata for a live vector
                vid = sorted(live)[rng.integers(0, len(live))]
                await store.update("x", vid, metadata=doc)
                live[vid] = (live[vid][0], doc)
            else:
                vid = sorted(live)[rng.integers(0, len(live))]
                assert await store.delete("x", [vid]) == 1
                del live[vid]
            query = rng.standard_normal(DIM).astype(np.float32)
            for flt in flts:
                hits = await store.query("x", query, top_k=4, filter=flt)
                allowed = [(vid, v) for vid, (v, d) in live.items() if matches(d, flt)]
                scores = sorted(
                    (
                        float(v @ query / np.linalg.norm(v) / np.linalg.norm(query))
                        for _, v in allowed
                    ),
                    reverse=True,
                )[:4]
                assert [h.score for h in hits] == pytest.approx(scores, abs=1e-5)
                assert all(matches(live[h.id][1], flt) for h in hits)


@settings(max_examples=25)
@given(
    st.lists(documents, min_size=1, max_size=30),
    st.lists(filters, min_size=1, max_size=3),
    st.integers(0, 2**16),
)
def test_filters_stay_right_through_writes(
    docs: list[dict[str, Any]], flts: list[dict[str, Any]], seed: int
) -> None:
    asyncio.run(churn(GRAPH, docs, flts, seed))
    asyncio.run(churn(BUFFERED, docs, flts, seed))
    asyncio.run(churn(EXACT, docs, flts, seed))
