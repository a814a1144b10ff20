"""Retrieval ingest throughput: chunk, embed and store 10 MB of text.

Run: ``pytest benchmarks/test_rag.py --benchmark-only -q`` (set ``MASTRA_BENCH_RAG_MB``
for another corpus size; 10 by default).

Data: a seeded corpus of markdown documents (about 50 kB each: headers, paragraphs of
words drawn from a 5,000-word vocabulary). Each round ingests the whole corpus with
:func:`mastra.rag.ingest` (markdown chunking, 512 characters, overlap 50) and
:class:`~mastra.rag.HashingEmbedder` into a fresh :class:`~mastra.vector.SQLiteVectorStore`
file, closing it (graphs saved) inside the timing. Recorded beside the speed: MB/min,
the chunk count, that the index holds every chunk, and that a chunk's own text finds it
first. The target is at least 20 MB/min on 2 cores.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import record
from mastra.rag import Document, HashingEmbedder, IngestResult, ingest, retrieve
from mastra.vector import SQLiteVectorStore

MEGABYTES = float(os.environ.get("MASTRA_BENCH_RAG_MB", "10"))
DOC_BYTES = 50_000


def corpus(megabytes: float, seed: int = 7) -> list[Document]:
    """Seeded markdown documents totalling ``megabytes`` MB of ASCII text."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(5000)]
    docs: list[Document] = []
    total = int(megabytes * 1e6)
    while total > 0:
        parts: list[str] = []
        size = 0
        while size < min(DOC_BYTES, total):
            if rng.random() < 0.1:
                part = f"{'#' * rng.randint(1, 3)} {' '.join(rng.choices(vocabulary, k=4))}\n\n"
            else:
                words = rng.choices(vocabulary, k=rng.randint(20, 120))
                part = ". ".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12))
                part += ".\n\n"
            parts.append(part)
            size += len(part)
        text = "".join(parts)
        docs.append(Document.from_markdown(text, {"source": f"doc-{len(docs)}.md"}))
        total -= len(text)
    return docs


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return corpus(MEGABYTES)


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mastra-bench-rag-") as name:
        yield Path(name)


async def _ingest(path: Path, documents: list[Document]) -> IngestResult:
    async with SQLiteVectorStore(path) as store:
        return await ingest(store, "docs", documents, HashingEmbedder(), size=512, overlap=50)


async def _check(path: Path, documents: list[Document]) -> dict[str, Any]:
    embedder = HashingEmbedder()
    async with SQLiteVectorStore(path) as store:
        count = (await store.describe_index("docs")).count
        probe = documents[len(documents) // 2].chunk(size=512, overlap=50)[3]
        hits = await retrieve(store, "docs", probe.text, embedder, top_k=1)
    return {"count": count, "self_found": bool(hits) and hits[0].text == probe.text}


def test_ingest_throughput(benchmark: Any, documents: list[Document], folder: Path) -> None:
    nbytes = sum(len(d.text) for d in documents)
    paths = (folder / f"round-{n}.db" for n in range(1_000))
    results: list[IngestResult] = []

    def run() -> None:
        results.append(asyncio.run(_ingest(next(paths), documents)))

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    last = results[-1]
    checked = asyncio.run(_check(folder / f"round-{len(results) - 1}.db", documents))
    assert checked["count"] == last.chunks
    assert checked["self_found"]
    median = benchmark.stats.stats.median if benchmark.stats is not None else last.seconds
    record(
        benchmark,
        group=f"rag ingest {nbytes / 1e6:.1f} MB",
        name="mastra (HashingEmbedder + SQLiteVectorStore)",
        nbytes=nbytes,
        MB_per_min=round(nbytes / 1e6 / median * 60, 1),
        chunks=last.chunks,
        documents=last.documents,
        index_complete=checked["count"] == last.chunks,
        self_found=checked["self_found"],
    )
