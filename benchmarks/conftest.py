"""Shared pieces of the benchmark suites: seeded data, peer bookkeeping, a ratio summary.

Every case records the bytes it reads, so the summary can print GB/s beside the time,
and each implementation's time relative to mastra's in the same group.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Record:
    group: str
    name: str
    seconds: float
    nbytes: int
    extra: dict[str, Any]
    unit: str = "s"  # what `seconds` holds: a time ("s", printed in ms) or a size ("MB")


RECORDS: list[Record] = []


def record(benchmark: Any, *, group: str, name: str, nbytes: int = 0, **extra: Any) -> None:
    """Remembers one finished benchmark for the summary (median time)."""
    stats = benchmark.stats.stats if benchmark.stats is not None else None
    if stats is None:  # --benchmark-disable: nothing was timed
        return
    benchmark.extra_info.update(extra)
    if nbytes:
        benchmark.extra_info["GB/s"] = round(nbytes / stats.median / 1e9, 2)
    RECORDS.append(Record(group, name, stats.median, nbytes, extra))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RECORDS:
        return
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in RECORDS:
        groups[rec.group].append(rec)
    write = terminalreporter.write_line
    terminalreporter.section("mastra vs peers (median; ratio = peer time / mastra time)")
    for group, recs in groups.items():
        ours = [r for r in recs if r.name.startswith("mastra")]
        base = min((r.seconds for r in ours), default=None)
        write(f"{group}")
        for r in sorted(recs, key=lambda r: r.seconds):
            rate = f"{r.nbytes / r.seconds / 1e9:7.2f} GB/s" if r.nbytes else " " * 12
            ratio = f"{r.seconds / base:6.2f}x" if base else ""
            extra = " ".join(f"{k}={v}" for k, v in r.extra.items())
            value = f"{r.seconds:10.1f} {r.unit}"
            if r.unit == "s":
                value = f"{r.seconds * 1e3:10.3f} ms"
            write(f"  {r.name:<34} {value} {rate} {ratio}  {extra}")
