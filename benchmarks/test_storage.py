"""Storage throughput: SQLiteStorage (the file) beside InMemoryStorage (the reference).

Run: ``pytest benchmarks/test_storage.py --benchmark-only -q``.

A store holds 100 threads of 200 messages each (about 300 bytes of JSON content per
message). Measured through the public async API on one event loop: ``save_messages``
of one message and of a batch of 10 (each call one committed transaction), and
``get_last_messages(thread, 20)`` one call at a time and as 8 concurrent tasks. The
summary prints each time relative to the fastest mastra store; ``ops/s`` (calls per
second) and ``messages/s`` are in each record.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conftest import record
from mastra.storage import InMemoryStorage, Message, SQLiteStorage, Storage

THREADS = 100
PER_THREAD = 200
CONTENT = [{"type": "text", "text": "lorem ipsum dolor sit amet " * 10}]
counter = itertools.count()


def message(thread: int) -> Message:
    n = next(counter)
    return Message(f"m{n}", f"t{thread}", "user" if n % 2 else "assistant", CONTENT, "r")


class Harness:
    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.loop = asyncio.new_event_loop()
        self.store: Storage = (
            SQLiteStorage(folder / "bench.db") if kind == "sqlite" else InMemoryStorage()
        )
        self.run(self.fill())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def fill(self) -> None:
        for t in range(THREADS):
            await self.store.create_thread(resource_id="r", id=f"t{t}")
            await self.store.save_messages([message(t) for _ in range(PER_THREAD)])

    def close(self) -> None:
        self.run(self.store.close())
        self.loop.close()


@pytest.fixture(scope="module", params=["sqlite", "memory"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with tempfile.TemporaryDirectory() as folder:
        h = Harness(request.param, Path(folder))
        try:
            yield h
        finally:
            h.close()


def name(h: Harness) -> str:
    return "mastra SQLiteStorage" if h.kind == "sqlite" else "mastra InMemoryStorage"


@pytest.mark.parametrize("batch", [1, 10])
def test_save_messages(benchmark: Any, harness: Harness, batch: int) -> None:
    threads = itertools.cycle(range(THREADS))

    def save() -> None:
        t = next(threads)
        harness.run(harness.store.save_messages([message(t) for _ in range(batch)]))

    benchmark.pedantic(save, rounds=500, iterations=1, warmup_rounds=10)
    seconds = benchmark.stats.stats.mean
    record(
        benchmark,
        group=f"save_messages, {batch} per call",
        name=name(harness),
        ops_per_s=round(1 / seconds),
        messages_per_s=round(batch / seconds),
    )


def test_get_last_20(benchmark: Any, harness: Harness) -> None:
    threads = itertools.cycle(range(THREADS))

    def get() -> None:
        found = harness.run(harness.store.get_last_messages(f"t{next(threads)}", 20))
        assert len(found) == 20

    benchmark.pedantic(get, rounds=1000, iterations=1, warmup_rounds=10)
    record(
        benchmark,
        group="get_last_messages(thread, 20), one at a time",
        name=name(harness),
        ops_per_s=round(1 / benchmark.stats.stats.mean),
    )


def test_get_last_20_concurrent(benchmark: Any, harness: Harness) -> None:
    tasks, calls = 8, 25

    async def reader(offset: int) -> None:
        for i in range(calls):
            found = await harness.store.get_last_messages(f"t{(offset + i) % THREADS}", 20)
            assert len(found) == 20

    async def burst() -> None:
        await asyncio.gather(*(reader(k * 13) for k in range(tasks)))

    benchmark.pedantic(lambda: harness.run(burst()), rounds=40, iterations=1, warmup_rounds=2)
    record(
        benchmark,
        group=f"get_last_messages(thread, 20), {tasks} concurrent tasks",
        name=name(harness),
        ops_per_s=round(tasks * calls / benchmark.stats.stats.mean),
    )
