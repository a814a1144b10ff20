"""Embedders: the hashing embedder, the protocol, and the embedding cache."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastra.cache import LRUCache
from mastra.errors import ConfigError
from mastra.providers import OpenAIEmbedder
from mastra.rag import CachedEmbedder, Embedder, HashingEmbedder, embedder_dimension
from mastra.vector import InMemoryVectorStore

from . import hashing_reference

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_unit_vectors_of_the_declared_shape() -> None:
    embedder = HashingEmbedder(dimension=128)
    texts = ["Hello World", "hello   world", "", "über naïve café", "\x00 odd"]
    vectors = await embedder.embed(texts)
    assert vectors.shape == (5, 128)
    assert vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[[0, 1, 3, 4]] == pytest.approx(1.0, abs=1e-5)
    assert norms[2] == 0.0
    assert np.array_equal(vectors[0], vectors[1])
    assert (await embedder.embed([])).shape == (0, 128)


async def test_same_text_same_vector_across_instances_and_batches() -> None:
    texts = [f"document number {i} about topic {i % 7}" for i in range(3000)]
    big = await HashingEmbedder(seed=3).embed(texts)  # large: on worker threads
    small = HashingEmbedder(seed=3).embed_sync(texts[:10])
    assert np.array_equal(big[:10], small)
    assert not np.array_equal(HashingEmbedder(seed=4).embed_sync(texts[:1]), small[:1])


async def test_lexical_overlap_ranks_first() -> None:
    corpus = [
        "How to bake a chocolate cake",
        "Indexing vectors with HNSW graphs",
        "The history of the Roman empire",
        "Tuning SQLite for concurrent writers",
    ]
    embedder = HashingEmbedder()
    async with InMemoryVectorStore() as store:
        await store.create_index("docs", embedder.dimension)
        await store.upsert(
            "docs", await embedder.embed(corpus), ids=["cake", "hnsw", "rome", "sql"]
        )
        for question, expected in [
            ("hnsw vector index", "hnsw"),
            ("chocolate cakes", "cake"),
            ("sqlite writers", "sql"),
        ]:
            (hit,) = await store.query("docs", (await embedder.embed([question]))[0], top_k=1)
            assert hit.id == expected


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        HashingEmbedder(dimension=0)
    with pytest.raises(ConfigError):
        HashingEmbedder(min_n=4, max_n=2)
    with pytest.raises(TypeError, match="wrap a single text"):
        HashingEmbedder().embed_sync("just a string")
    with pytest.raises(TypeError, match="texts must be str"):
        HashingEmbedder().embed_sync([b"bytes"])  # type: ignore[list-item]


def test_protocol_covers_the_provider_embedder() -> None:
    hashing = HashingEmbedder(dimension=32)
    openai = OpenAIEmbedder("text-embedding-3-small", dimensions=256)
    assert isinstance(hashing, Embedder)
    assert isinstance(openai, Embedder)
    assert embedder_dimension(hashing) == 32
    assert embedder_dimension(openai) == 256


class CountingEmbedder:
    def __init__(self) -> None:
        self.inner = HashingEmbedder(dimension=16)
        self.seen: list[str] = []

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen += texts
        return await self.inner.embed(texts)


async def test_cache_embeds_each_text_once() -> None:
    counting = CountingEmbedder()
    cached = CachedEmbedder(counting, namespace="counting")
    first = await cached.embed(["a", "b", "a"])
    second = await cached.embed(["b", "c"])
    assert counting.seen == ["a", "b", "c"]
    assert np.array_equal(first[1], second[0])
    assert np.array_equal(first, counting.inner.embed_sync(["a", "b", "a"]))
    stats = cached.cache.stats()
    assert (stats.entries, stats.hits) == (3, 1)


async def test_shared_cache_keeps_embedders_apart() -> None:
    shared = LRUCache(100)
    small = CachedEmbedder(HashingEmbedder(dimension=8), shared)
    other = CachedEmbedder(HashingEmbedder(dimension=8, seed=1), shared)
    a, b = await asyncio.gather(small.embed(["text"]), other.embed(["text"]))
    assert not np.array_equal(a, b)
    assert shared.stats().entries == 2
    assert small.dimension == 8


@given(
    st.lists(st.text(max_size=40), min_size=1, max_size=4),
    st.integers(1, 64),
    st.integers(1, 4),
    st.integers(0, 3),
    st.booleans(),
    st.integers(0, 2**64 - 1),
)
def test_core_matches_the_python_model(
    texts: list[str], dimension: int, min_n: int, extra: int, words: bool, seed: int
) -> None:
    embedder = HashingEmbedder(dimension, min_n=min_n, max_n=min_n + extra, words=words, seed=seed)
    got = embedder.embed_sync(texts)
    for row, text in zip(got, texts, strict=True):
        expected = hashing_reference.embed(text, dimension, min_n, min_n + extra, words, seed)
        assert np.allclose(row, expected, rtol=0, atol=1e-6), text
