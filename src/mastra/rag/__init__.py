"""Retrieval: chunking, embedders, ingesting documents into a vector store, and
searching it (directly, or by an agent through a tool).

:func:`chunk` and :class:`Document` cut texts into chunks; :func:`ingest` embeds and
stores them; :func:`retrieve` finds the chunks closest to a query, and
:func:`vector_query_tool` gives an agent the same search. :class:`HashingEmbedder` works
offline (lexical, not semantic); model embedders such as
``mastra.providers.OpenAIEmbedder`` satisfy the same :class:`Embedder` protocol, and
:class:`CachedEmbedder` puts any of them behind an LRU cache.

Example:
    >>> import asyncio
    >>> from mastra.rag import HashingEmbedder
    >>> asyncio.run(HashingEmbedder().embed(["hello"])).shape
    (1, 384)
"""

from mastra.rag._chunking import Chunk, Strategy, chunk, count_tokens
from mastra.rag._documents import Document, DocumentFormat
from mastra.rag._embedders import CachedEmbedder, Embedder, HashingEmbedder, embedder_dimension
from mastra.rag._ingest import IngestResult, RetrievedChunk, ingest, retrieve
from mastra.rag._tool import FilteredVectorQuery, VectorQuery, vector_query_tool

__all__ = [
    "CachedEmbedder",
    "Chunk",
    "Document",
    "DocumentFormat",
    "Embedder",
    "FilteredVectorQuery",
    "HashingEmbedder",
    "IngestResult",
    "RetrievedChunk",
    "Strategy",
    "VectorQuery",
    "chunk",
    "count_tokens",
    "embedder_dimension",
    "ingest",
    "retrieve",
    "vector_query_tool",
]
