"""Ingest and retrieve on a real SQLite vector store, and the agent's vector query tool."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pytest

from mastra.agent import Agent
from mastra.errors import ConfigError, VectorError
from mastra.providers import Message, ModelResponse, ToolCall
from mastra.rag import Document, HashingEmbedder, ingest, retrieve, vector_query_tool
from mastra.testing import FunctionModel
from mastra.testing._models import CallInfo
from mastra.vector import SQLiteVectorStore

pytestmark = pytest.mark.anyio

GUIDE = """# Agents
An agent runs a model in a loop and calls tools until it answers.

## Memory
Memory keeps the messages of a thread in storage between runs.

# Vectors
The SQLite vector store persists embeddings with HNSW graphs saved beside the file.
"""
RECIPES = "Pancakes need flour, eggs and milk. Whisk, rest, then fry in butter."


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def documents() -> list[Document]:
    return [
        Document.from_markdown(GUIDE, {"source": "guide.md"}),
        Document(RECIPES, {"source": "recipes.txt"}, id="recipes"),
    ]


async def test_ingest_then_retrieve_from_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "vectors.db"
    embedder = HashingEmbedder(dimension=256)
    async with SQLiteVectorStore(path) as store:
        result = await ingest(store, "docs", documents(), embedder, size=120, overlap=0)
        assert (result.index, result.documents, result.chunks) == ("docs", 2, 4)
        assert result.characters == len(GUIDE) + len(RECIPES)
        stats = await store.describe_index("docs")
        assert (stats.dimension, stats.count, stats.metric) == (256, 4, "cosine")
    async with SQLiteVectorStore(path) as store:  # reopened: everything persisted
        hits = await retrieve(store, "docs", "memory keeps thread messages", embedder, top_k=2)
    best = hits[0]
    assert best.text.startswith("## Memory")
    assert best.id.endswith("#1")
    assert best.metadata["source"] == "guide.md"
    assert best.metadata["headers"] == ["Agents", "Memory"]
    assert best.metadata["chunk_index"] == 1
    assert "text" not in best.metadata
    assert GUIDE[best.metadata["start"] : best.metadata["end"]] == best.text
    assert hits[0].score > hits[1].score


async def test_ingesting_again_replaces_the_chunks(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dimension=64)
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        first = await ingest(store, "docs", documents(), embedder, size=120, overlap=0)
        second = await ingest(store, "docs", documents(), embedder, size=120, overlap=0)
        assert first.chunks == second.chunks
        assert (await store.describe_index("docs")).count == first.chunks


async def test_retrieve_applies_metadata_filters(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dimension=128)
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        await ingest(store, "docs", documents(), embedder, size=120, overlap=0, batch_size=1)
        hits = await retrieve(
            store, "docs", "agents", embedder, top_k=10, filter={"source": "recipes.txt"}
        )
        assert [h.id for h in hits] == ["recipes#0"]
        assert hits[0].text == RECIPES
        assert await retrieve(store, "docs", "x", embedder, min_score=1.5) == []


class PlainEmbedder:
    """An embedder that does not declare its dimension."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder(dimension=32)

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return await self.inner.embed(texts)


async def test_the_dimension_comes_from_the_first_batch(tmp_path: Path) -> None:
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        result = await ingest(store, "plain", ["alpha beta", "gamma"], PlainEmbedder())
        assert result.chunks == 2
        assert (await store.describe_index("plain")).dimension == 32


async def test_an_index_of_another_dimension_is_refused(tmp_path: Path) -> None:
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        await store.create_index("docs", 8)
        with pytest.raises(VectorError):
            await ingest(store, "docs", ["some text"], HashingEmbedder(dimension=16))


class BrokenEmbedder:
    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.zeros((len(texts) + 1, 4), dtype=np.float32)


async def test_an_embedder_returning_the_wrong_count_is_an_error(tmp_path: Path) -> None:
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        with pytest.raises(VectorError, match="returned shape"):
            await ingest(store, "docs", ["one", "two"], BrokenEmbedder())
        assert await store.list_indexes() == []


async def test_bad_batch_size_and_query(tmp_path: Path) -> None:
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        with pytest.raises(ConfigError, match="batch_size"):
            await ingest(store, "docs", ["x"], HashingEmbedder(), batch_size=0)
        with pytest.raises(ConfigError, match="query is a str"):
            await retrieve(store, "docs", ["x"], HashingEmbedder())  # type: ignore[arg-type]


async def test_progress_bar_only_when_asked_or_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        await ingest(store, "quiet", documents(), HashingEmbedder(dimension=16))
        assert capsys.readouterr().err == ""  # stderr is not a terminal here
        await ingest(store, "shown", documents(), HashingEmbedder(dimension=16), progress=True)
        assert "ingest shown" in capsys.readouterr().err


def _search_then_answer(messages: list[Message], info: CallInfo) -> ModelResponse | str:
    """Calls the search tool for the user's question, then answers from its result."""
    results = [m for m in messages if m.role == "tool"]
    if not results:
        question = messages[-1].text
        call = ToolCall("call-1", info.tools[0].name, {"query": question, "top_k": 2})
        return ModelResponse(tool_calls=[call], finish_reason="tool_calls")
    found = orjson.loads(results[-1].text)["results"]
    return f"From {found[0]['metadata']['source']}: {found[0]['text']}"


async def test_an_agent_searches_through_the_vector_query_tool(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dimension=256)
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        await ingest(store, "docs", documents(), embedder, size=120, overlap=0)
        search = vector_query_tool(store, "docs", embedder)
        model = FunctionModel(_search_then_answer)
        agent = Agent("docs", "Answer from the docs.", model, tools=[search])
        result = await agent.generate("How do I make pancakes with eggs and milk?")
    assert result.text == f"From recipes.txt: {RECIPES}"
    (call,) = result.steps[0].tool_calls
    assert call.name == "vector_query"
    found = orjson.loads(result.steps[0].tool_results[0].result)["results"]
    assert len(found) == 2
    assert found[0]["id"] == "recipes#0"
    assert set(found[0]) == {"id", "score", "text", "metadata"}


async def test_the_tool_takes_filters_only_when_enabled(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dimension=64)
    async with SQLiteVectorStore(tmp_path / "v.db") as store:
        await ingest(store, "docs", documents(), embedder, size=120, overlap=0)
        plain = vector_query_tool(store, "docs", embedder, top_k=1)
        assert set(plain.spec.parameters["properties"]) == {"query", "top_k"}
        filtered = vector_query_tool(
            store, "docs", embedder, enable_filter=True, filter={"source": "guide.md"}
        )
        assert "filter" in filtered.spec.parameters["properties"]
        answer: dict[str, Any] = orjson.loads(
            await filtered.run({"query": "pancakes", "filter": {"chunk_index": {"$gte": 2}}})
        )
        assert [r["id"].split("#")[1] for r in answer["results"]] == ["2"]
        assert len(orjson.loads(await plain.run({"query": "pancakes"}))["results"]) == 1
        with pytest.raises(ConfigError, match="top_k"):
            vector_query_tool(store, "docs", embedder, top_k=0)
