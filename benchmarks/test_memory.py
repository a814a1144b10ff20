"""Memory overhead per agent turn with 10,000 stored messages.

Run: ``pytest benchmarks/test_memory.py --benchmark-only -q``.

One resource holds 10 threads of 1,000 messages (10,000 messages, each embedded by the
offline :class:`~mastra.rag.HashingEmbedder`, 384 dimensions). A turn is what an agent
with memory adds to a model call: ``recall`` (the thread's last 10 messages, semantic
recall of the 2 closest messages with 2 neighbours each side, the working memory) and
``remember`` (saving the user message and the answer in one transaction, then
embedding and indexing them). No model is called. Measured on one event loop, a turn
at a time, in a different thread each turn; recorded per case: p50 and p99 latency
(the figure to hold: p99 <= 5 ms on SQLite), the p99 of recall and of remember apart,
and how many messages recall returned (10 recent + up to 10 recalled + the working
memory). Cases: SQLite files (the embedded default) with recall scoped to the thread
and to the resource, and without semantic recall (no vector store: what the message
store and working memory cost alone); the in-memory stores as the reference.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.conftest import record
from mastra.memory import Memory, SemanticRecall, WorkingMemory
from mastra.providers import Message
from mastra.rag import HashingEmbedder
from mastra.storage import InMemoryStorage, SQLiteStorage
from mastra.vector import InMemoryVectorStore, SQLiteVectorStore

THREADS = 10
PER_THREAD = 1_000
BATCH = 500
ROUNDS = 1000
TOPICS = [
    "train tickets to Vienna",
    "the garden's tomato plants",
    "a birthday present for Sam",
    "the quarterly tax return",
    "fixing the bicycle brakes",
    "a recipe for onion soup",
    "the flat's heating bill",
    "learning the cello",
]


def line(n: int) -> str:
    """Seeded text: a topic and a number, so that recall has something to find."""
    return f"Note {n} about {TOPICS[n % len(TOPICS)]}, item {n * 7919 % 10_007}"


class Harness:
    def __init__(self, kind: str, scope: str, folder: Path) -> None:
        self.kind = kind
        self.scope = scope
        self.loop = asyncio.new_event_loop()
        sqlite = kind == "sqlite"
        vectors = SQLiteVectorStore(folder / "vectors.db") if sqlite else InMemoryVectorStore()
        recall = scope != "none"
        self.memory = Memory(
            SQLiteStorage(folder / "memory.db") if sqlite else InMemoryStorage(),
            vector_store=vectors if recall else None,
            embedder=HashingEmbedder() if recall else None,
            last_messages=10,
            semantic_recall=SemanticRecall(scope=scope) if recall else None,  # type: ignore[arg-type]
            working_memory=WorkingMemory(),
        )
        self.counter = itertools.count(THREADS * PER_THREAD)
        self.parts: dict[str, list[float]] = {"recall": [], "remember": []}
        self.run(self.fill())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def fill(self) -> None:
        n = itertools.count()
        for t in range(THREADS):
            for _ in range(PER_THREAD // BATCH):
                batch = [
                    Message.user(line(i)) if i % 2 == 0 else Message.assistant(line(i))
                    for i in itertools.islice(n, BATCH)
                ]
                await self.memory.save_messages(f"t{t}", batch, resource_id="u1")
        await self.memory.update_working_memory("# User\n- Name: Sam\n", resource_id="u1")

    async def turn(self, thread: str) -> int:
        n = next(self.counter)
        question = Message.user(f"What did I say about {TOPICS[n % len(TOPICS)]}? ({n})")
        start = time.perf_counter()
        shown = await self.memory.recall(thread, resource_id="u1", query=[question])
        middle = time.perf_counter()
        answer = Message.assistant(f"You mentioned {TOPICS[n % len(TOPICS)]} before.")
        await self.memory.remember(thread, [question, answer], resource_id="u1")
        self.parts["recall"].append(middle - start)
        self.parts["remember"].append(time.perf_counter() - middle)
        return len(shown)

    def close(self) -> None:
        self.run(self.memory.close())
        self.loop.close()


@pytest.fixture(
    scope="module",
    params=[("sqlite", "thread"), ("sqlite", "resource"), ("sqlite", "none"), ("memory", "thread")],
    ids=["sqlite-thread", "sqlite-resource", "sqlite-no-recall", "memory-thread"],
)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    kind, scope = request.param
    with tempfile.TemporaryDirectory() as folder:
        h = Harness(kind, scope, Path(folder))
        try:
            yield h
        finally:
            h.close()


def test_turn_overhead(benchmark: Any, harness: Harness) -> None:
    threads = itertools.cycle(range(THREADS))
    shown: list[int] = []

    def turn() -> None:
        shown.append(harness.run(harness.turn(f"t{next(threads)}")))

    benchmark.pedantic(turn, rounds=ROUNDS, iterations=1, warmup_rounds=20)
    data = benchmark.stats.stats.data if benchmark.stats is not None else []
    parts = {k: v[-ROUNDS:] for k, v in harness.parts.items()}  # without the warm-up
    # recall shows: working memory + 10 recent + the recalled ones (+ a summary of
    # other threads' messages with resource scope)
    assert min(shown) >= 11
    assert max(shown) <= (11 if harness.scope == "none" else 1 + 1 + 10 + 10)
    stores = "SQLite" if harness.kind == "sqlite" else "in-memory"
    recall = "no semantic recall" if harness.scope == "none" else f"{harness.scope} scope"
    record(
        benchmark,
        group="memory turn overhead (recall + remember), 10k messages",
        name=f"mastra Memory {stores}, {recall}",
        p50_ms=round(float(np.percentile(data, 50)) * 1e3, 3) if data else None,
        p99_ms=round(float(np.percentile(data, 99)) * 1e3, 3) if data else None,
        recall_p99_ms=p99_ms(parts["recall"]),
        remember_p99_ms=p99_ms(parts["remember"]),
        shown=round(sum(shown) / len(shown), 1),
    )


def p99_ms(seconds: list[float]) -> float | None:
    return round(float(np.percentile(seconds, 99)) * 1e3, 3) if seconds else None
