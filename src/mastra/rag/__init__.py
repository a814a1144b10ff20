"""Retrieval: embedders that turn texts into vectors for a vector store.

:class:`HashingEmbedder` works offline (lexical, not semantic); model embedders such
as ``mastra.providers.OpenAIEmbedder`` satisfy the same :class:`Embedder` protocol,
and :class:`CachedEmbedder` puts any of them behind an LRU cache.

Example:
    >>> import asyncio
    >>> from mastra.rag import HashingEmbedder
    >>> asyncio.run(HashingEmbedder().embed(["hello"])).shape
    (1, 384)
"""

from mastra.rag._embedders import CachedEmbedder, Embedder, HashingEmbedder, embedder_dimension

__all__ = ["CachedEmbedder", "Embedder", "HashingEmbedder", "embedder_dimension"]
