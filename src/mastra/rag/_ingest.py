"""Ingest documents into a vector store, and retrieve the chunks closest to a query."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from mastra.errors import ConfigError, VectorError
from mastra.rag._chunking import Chunk, Strategy
from mastra.rag._documents import Document
from mastra.rag._embedders import Embedder, embedder_dimension
from mastra.vector import Filter, StoreMetric, VectorStore

__all__ = ["IngestResult", "RetrievedChunk", "ingest", "retrieve"]

# Documents longer than this are chunked on a worker thread, off the event loop.
_INLINE_CHUNKING = 1 << 16
# Vectors upserted at a time: larger transactions and graph batches cost less per vector.
_UPSERT_ROWS = 4096


class _Progress(Protocol):
    def update(self, n: int) -> object: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What :func:`ingest` did.

    Attributes:
        index: The index written to.
        documents: How many documents were read.
        chunks: How many chunks were embedded and upserted.
        characters: The documents' total length.
        seconds: The wall-clock time taken.
    """

    index: str
    documents: int
    chunks: int
    characters: int
    seconds: float


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    """One chunk found by :func:`retrieve`, best first.

    Attributes:
        id: The chunk's id in the index (``"<document id>#<n>"`` after :func:`ingest`).
        text: The chunk's text.
        score: Higher is closer (cosine similarity for cosine indexes).
        metadata: The chunk's metadata without its text.
    """

    id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Batch:
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    characters: int = 0  # of source text covered, for the progress bar


async def ingest(
    store: VectorStore,
    index: str,
    documents: Iterable[Document | str],
    embedder: Embedder,
    *,
    strategy: Strategy | None = None,
    size: int = 512,
    overlap: int | None = None,
    batch_size: int = 256,
    metric: StoreMetric = "cosine",
    progress: bool | None = None,
) -> IngestResult:
    """Chunks documents, embeds the chunks and upserts them into an index.

    The index is created if missing, with the embedder's dimension. Each chunk is
    stored under the id ``"<document id>#<n>"`` with its metadata plus ``text``,
    ``document_id``, ``chunk_index``, ``start`` and ``end``, so ingesting a document
    again replaces its chunks. Chunks are embedded ``batch_size`` at a time and
    upserted in groups of several thousand, the store writing one group while the
    next batches are embedded.

    Args:
        store: The vector store.
        index: The index to write to.
        documents: :class:`Document` objects, or plain texts.
        embedder: Turns chunk texts into vectors.
        strategy: The chunking strategy (by default each document's own).
        size: The longest chunk (see :func:`mastra.rag.chunk`).
        overlap: The overlap between neighbouring chunks.
        batch_size: How many chunks are embedded at a time (one embedder call).
        metric: The metric of an index created here.
        progress: Show a progress bar on stderr; by default only when stderr is a
            terminal.

    Returns:
        The counts of documents, chunks and characters, and the time taken.

    Raises:
        ConfigError: A bad ``batch_size`` or chunking option.
        VectorError: The index exists with another dimension, or the embedder returned
            the wrong number of vectors.

    Example:
        >>> import asyncio
        >>> from mastra.rag import HashingEmbedder, ingest, retrieve
        >>> from mastra.vector import InMemoryVectorStore
        >>> async def main() -> str:
        ...     store, embedder = InMemoryVectorStore(), HashingEmbedder()
        ...     await ingest(store, "docs", ["Agents call tools.", "Vectors live in stores."],
        ...                  embedder)
        ...     hits = await retrieve(store, "docs", "which tools?", embedder, top_k=1)
        ...     return hits[0].text
        >>> asyncio.run(main())
        'Agents call tools.'
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    started = time.perf_counter()
    docs = [d if isinstance(d, Document) else Document(d) for d in documents]
    characters = sum(len(d.text) for d in docs)
    bar = _progress_bar(progress, characters, f"ingest {index}")
    writer = _Writer(store, index)
    try:
        async for batch in _batches(docs, strategy, size, overlap, batch_size):
            vectors = await _embed(embedder, batch.texts, index)
            if not writer.created:
                await store.create_index(index, _dimension(embedder, vectors), metric)
                writer.created = True
            await writer.add(batch, vectors)
            if bar is not None:
                bar.update(batch.characters)
        await writer.flush()
    finally:
        await writer.cancel()
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    return IngestResult(index, len(docs), writer.chunks, characters, seconds)


class _Writer:
    """Upserts embedded batches in groups of about ``_UPSERT_ROWS`` vectors (a store
    writes fewer, larger transactions faster), one group in flight while the next
    batches are embedded."""

    def __init__(self, store: VectorStore, index: str) -> None:
        self.store = store
        self.index = index
        self.created = False
        self.chunks = 0
        self._ids: list[str] = []
        self._metadata: list[dict[str, Any]] = []
        self._vectors: list[np.ndarray[Any, Any]] = []
        self._pending: asyncio.Task[list[str]] | None = None

    async def add(self, batch: _Batch, vectors: np.ndarray[Any, Any]) -> None:
        self._ids.extend(batch.ids)
        self._metadata.extend(batch.metadata)
        self._vectors.append(vectors)
        self.chunks += len(batch.ids)
        if len(self._ids) >= _UPSERT_ROWS:
            await self._send()

    async def flush(self) -> None:
        if self._ids:
            await self._send()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            await pending

    async def _send(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            await pending
        vectors = np.concatenate(self._vectors)
        write = self.store.upsert(self.index, vectors, self._metadata, self._ids)
        self._pending = asyncio.ensure_future(write)
        self._ids, self._metadata, self._vectors = [], [], []

    async def cancel(self) -> None:
        """Stops a group still in flight (after an error)."""
        if self._pending is not None:
            self._pending.cancel()
            await asyncio.gather(self._pending, return_exceptions=True)


async def _batches(
    docs: Sequence[Document],
    strategy: Strategy | None,
    size: int,
    overlap: int | None,
    batch_size: int,
) -> AsyncIterator[_Batch]:
    batch = _Batch()
    for doc in docs:
        if len(doc.text) > _INLINE_CHUNKING:
            pieces = await asyncio.to_thread(doc.chunk, strategy, size=size, overlap=overlap)
        else:
            pieces = doc.chunk(strategy, size=size, overlap=overlap)
        covered = 0
        for piece in pieces:
            batch.ids.append(f"{doc.id}#{piece.index}")
            batch.texts.append(piece.text)
            batch.metadata.append(_chunk_metadata(doc, piece))
            batch.characters += piece.end - covered
            covered = piece.end
            if len(batch.ids) == batch_size:
                yield batch
                batch = _Batch()
        batch.characters += len(doc.text) - covered
    if batch.ids:
        yield batch


def _chunk_metadata(doc: Document, piece: Chunk) -> dict[str, Any]:
    return {
        **piece.metadata,
        "text": piece.text,
        "document_id": doc.id,
        "chunk_index": piece.index,
        "start": piece.start,
        "end": piece.end,
    }


async def _embed(embedder: Embedder, texts: list[str], index: str) -> np.ndarray[Any, Any]:
    vectors = np.asarray(await embedder.embed(texts), dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise VectorError(
            f"the embedder returned shape {vectors.shape} for {len(texts)} texts",
            index=index,
        )
    return vectors


def _dimension(embedder: Embedder, vectors: np.ndarray[Any, Any]) -> int:
    declared = embedder_dimension(embedder)
    return declared if declared is not None else int(vectors.shape[1])


def _progress_bar(enabled: bool | None, total: int, label: str) -> _Progress | None:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm.auto import tqdm  # type: ignore[import-untyped]

    bar: _Progress = tqdm(
        total=total, desc=label, unit="char", unit_scale=True, leave=False, file=sys.stderr
    )
    return bar


async def retrieve(
    store: VectorStore,
    index: str,
    query: str,
    embedder: Embedder,
    *,
    top_k: int = 5,
    filter: Filter | None = None,
    min_score: float | None = None,
) -> list[RetrievedChunk]:
    """The chunks of ``index`` closest to ``query``, best first.

    Args:
        store: The vector store.
        index: The index written by :func:`ingest`.
        query: The text to search for.
        embedder: The embedder the index was built with.
        top_k: How many chunks at most.
        filter: A metadata filter (Mastra's query language, see
            :mod:`mastra.vector.filters`), e.g. ``{"source": "guide.md"}``.
        min_score: Leave out chunks scoring below this.

    Returns:
        The chunks with their text, score and metadata.

    Raises:
        VectorError: No such index, a bad filter, or a bad ``top_k``.

    Example:
        >>> async def main(store, embedder):
        ...     for hit in await retrieve(store, "docs", "how do tools work?", embedder):
        ...         print(f"{hit.score:.2f} {hit.metadata.get('source')}: {hit.text[:60]}")
    """
    if not isinstance(query, str):
        raise ConfigError(f"the query is a str, got {type(query).__name__}")
    vector = (await _embed(embedder, [query], index))[0]
    hits = await store.query(index, vector, top_k=top_k, filter=filter, min_score=min_score)
    found = []
    for hit in hits:
        metadata = dict(hit.metadata)
        text = metadata.pop("text", "")
        found.append(RetrievedChunk(hit.id, str(text), hit.score, metadata))
    return found
