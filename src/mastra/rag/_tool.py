"""A tool through which an agent searches a vector index (Mastra's
``createVectorQueryTool``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mastra.errors import ConfigError
from mastra.rag._embedders import Embedder
from mastra.rag._ingest import retrieve
from mastra.tools import Tool
from mastra.vector import Filter, VectorStore

__all__ = ["vector_query_tool"]

_MAX_TOP_K = 50


class VectorQuery(BaseModel):
    """The arguments of a vector query tool."""

    query: str = Field(description="What to search for, in words close to the wanted text.")
    top_k: int | None = Field(
        default=None, ge=1, le=_MAX_TOP_K, description="How many passages to return."
    )


class FilteredVectorQuery(VectorQuery):
    """The arguments of a vector query tool that takes metadata filters."""

    filter: dict[str, Any] | None = Field(
        default=None,
        description=(
            'A metadata filter, e.g. {"source": "guide.md"} or '
            '{"year": {"$gte": 2020}} (operators $eq $ne $gt $gte $lt $lte $in $nin '
            "$exists $and $or $not)."
        ),
    )


def vector_query_tool(
    store: VectorStore,
    index: str,
    embedder: Embedder,
    *,
    top_k: int = 5,
    filter: Filter | None = None,
    enable_filter: bool = False,
    min_score: float | None = None,
    id: str = "vector_query",
    description: str | None = None,
) -> Tool:
    """A tool that lets an agent search ``index`` for passages relevant to a query.

    The model passes ``query`` (and optionally ``top_k``, and ``filter`` when
    ``enable_filter``); the tool answers ``{"results": [{"id", "score", "text",
    "metadata"}, ...]}``, best first, the text apart from the rest of the metadata.

    Args:
        store: The vector store.
        index: The index to search (written by :func:`mastra.rag.ingest`).
        embedder: The embedder the index was built with.
        top_k: How many passages when the model does not say.
        filter: A metadata filter applied to every search (combined with the model's
            own filter by ``$and``).
        enable_filter: Let the model pass metadata filters.
        min_score: Leave out passages scoring below this.
        id: The tool's name.
        description: What the model is told about it.

    Raises:
        ConfigError: A bad ``top_k`` or name.

    Example:
        >>> from mastra.agent import Agent
        >>> from mastra.rag import HashingEmbedder, vector_query_tool
        >>> from mastra.testing import TestModel
        >>> from mastra.vector import InMemoryVectorStore
        >>> search = vector_query_tool(InMemoryVectorStore(), "docs", HashingEmbedder())
        >>> agent = Agent("helper", "Answer from the docs.", TestModel(), tools=[search])
        >>> search.spec.parameters["required"]
        ['query']
    """
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= _MAX_TOP_K:
        raise ConfigError(f"top_k must be an integer in [1, {_MAX_TOP_K}], got {top_k!r}")
    fixed = dict(filter) if filter is not None else None

    async def search(args: VectorQuery) -> dict[str, Any]:
        wanted = args.filter if isinstance(args, FilteredVectorQuery) else None
        hits = await retrieve(
            store,
            index,
            args.query,
            embedder,
            top_k=args.top_k or top_k,
            filter=_combine(fixed, wanted),
            min_score=min_score,
        )
        return {
            "results": [
                {"id": h.id, "score": round(h.score, 4), "text": h.text, "metadata": h.metadata}
                for h in hits
            ]
        }

    schema = FilteredVectorQuery if enable_filter else VectorQuery
    about = description or (
        f"Searches the {index!r} knowledge base for passages relevant to a query. Use it "
        "to answer questions from the documents; quote what it returns."
    )
    return Tool(id, about, schema, search)


def _combine(fixed: dict[str, Any] | None, wanted: dict[str, Any] | None) -> Filter | None:
    if not fixed:
        return wanted or None
    if not wanted:
        return fixed
    return {"$and": [fixed, wanted]}
