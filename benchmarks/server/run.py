"""Load test of ``mastra serve``: plain generates against a loopback OpenAI-compatible LLM.

Run (from the repository root, wrk from ``apt-get install wrk``)::

    python -m benchmarks.server.run --duration 15 --connections 64

The server is pinned to core 0 (``taskset -c 0``); the fake LLM and wrk share core 1.
Prints requests/s, p50/p95/p99 latency, the server's RSS and its CPU time per request
(whose inverse is what one idle core sustains, a figure other load on the machine does
not skew) for each scenario: a plain generate, a generate with one tool round trip, and
a stream.

Two workers against one, on one PostgreSQL + Redis (``source ci/services.sh`` starts
them and exports their URLs; each run gets a schema of its own, dropped afterwards)::

    python -m benchmarks.server.run --shared --compare-workers 1,2,1,2,1,2 \
        --scenarios offline,memo --duration 10 --connections 64 --no-access-log

``--shared`` gives the server ``storage.url`` (PostgreSQL), ``cache.l2`` (Redis) and a
rate limit too generous to refuse anything, so every request takes a token from the
bucket in Redis; scenario ``memo`` is a generate whose memory reads a thread's last
messages from PostgreSQL and appends two (threads picked at random among 1,000). One
worker is pinned to core 0 and wrk to core 1; N workers get cores 0..N-1, wrk stays on
core 1. Runs alternate so load that comes and goes on a shared machine falls on both
counts alike; the summary prints each count's median requests/s and p99 over its runs,
and the ratio to one worker. The server's CPU time per request (summed over its
processes) tells what it costs apart from the load generator's share of the cores.

Soak (plain generates for ten minutes, RSS sampled every 10 s)::

    python -m benchmarks.server.run --soak 10 --connections 16

prints one line per sample and a summary: requests, error rate, and the RSS drift from
the first sample after a minute of warm-up to the last (the figure to hold: within 5 %).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "generate": ("/api/agents/bench/generate", '{"messages":"Say hello."}'),
    "tool": ("/api/agents/bench/generate", '{"messages":"What is the weather in Paris?"}'),
    "stream": ("/api/agents/bench/stream", '{"messages":"Say hello."}'),
    "offline": ("/api/agents/offline/generate", '{"messages":"Say hello."}'),
    "memo": (
        "/api/agents/memo/generate",
        '{"messages":"Say hello.","memory":{"thread":"t{thread}","resource":"bench"}}',
    ),
}
THREADS = 1000  # the memo scenario's threads, picked at random by wrk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pinned(core: str, command: list[str]) -> list[str]:
    return ["taskset", "-c", core, *command] if shutil.which("taskset") else command


def _start_llm() -> tuple[subprocess.Popen[str], str]:
    command = _pinned("1", [sys.executable, "-m", "benchmarks.test_agent"])
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, f"http://127.0.0.1:{proc.stdout.readline().strip()}/v1"


def _start_server(
    llm: str, log: Path, access_log: bool, workers: int = 1, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    target = "benchmarks/server/app.py:create"
    serve = [sys.executable, "-m", "mastra", "serve", target, "--port", str(port)]
    if workers > 1:
        serve += ["--workers", str(workers)]
    command = _pinned(",".join(str(c) for c in range(workers)), serve)
    env = {**os.environ, "MASTRA_BENCH_LLM": llm, "MASTRA_HOST": "127.0.0.1", **(extra or {})}
    env["MASTRA_LOG_REQUESTS"] = "true" if access_log else "false"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/health/live").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start; see {log}")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a supervisor's workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue  # gone meanwhile
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def _cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live descendants."""
    total = 0
    for p in _tree(pid):
        try:
            fields = _stat(p)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, path: str, body: str, duration: int, connections: int) -> dict[str, float]:
    command = _pinned(
        "1",
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "-s",
            str(HERE / "generate.lua"),
            url + path,
        ],
    )
    env = {**os.environ, "BENCH_BODY": body, "BENCH_THREADS": str(THREADS)}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _soak(url: str, server_pid: int, minutes: float, connections: int) -> None:
    """Plain generates in 10-second slices for ``minutes``; RSS after every slice."""
    path, body = SCENARIOS["generate"]
    _wrk(url, path, body, 60, connections)  # warm up: caches, pools, allocator arenas
    baseline = _rss_mb(server_pid)
    requests = errors = 0
    samples: list[float] = []
    end = time.monotonic() + minutes * 60
    while time.monotonic() < end:
        result = _wrk(url, path, body, 10, connections)
        requests += int(result["requests"])
        errors += int(result["errors"])
        samples.append(_rss_mb(server_pid))
        print(json.dumps({"rss_mb": round(samples[-1], 1), **result}), flush=True)
    summary = {
        "soak_minutes": minutes,
        "requests": requests,
        "error_rate": round(errors / max(requests, 1), 6),
        "rss_after_warmup_mb": round(baseline, 1),
        "rss_last_mb": round(samples[-1], 1) if samples else None,
        "rss_max_mb": round(max(samples), 1) if samples else None,
        "rss_drift_pct": round(100 * (samples[-1] - baseline) / baseline, 2) if samples else None,
    }
    print(json.dumps(summary), flush=True)


@contextmanager
def _shared_backends(enabled: bool) -> Iterator[dict[str, str]]:
    """The settings putting a server on the PostgreSQL and Redis of ci/services.sh
    (a schema of its own, dropped at exit); none when not ``enabled``."""
    if not enabled:
        yield {}
        return
    postgres = os.environ.get("MASTRA_TEST_POSTGRES_URL")
    redis = os.environ.get("MASTRA_TEST_REDIS_URL")
    if not postgres or not redis:
        raise SystemExit("--shared needs MASTRA_TEST_POSTGRES_URL and MASTRA_TEST_REDIS_URL")
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        yield {
            "MASTRA_STORAGE__URL": postgres,
            "MASTRA_STORAGE__SCHEMA": schema,
            "MASTRA_CACHE__L2": redis,
            "MASTRA_CACHE__NAMESPACE": schema,
            "MASTRA_RATE_LIMIT": "1000000",
            "MASTRA_RATE_BURST": "1000000",
        }
    finally:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _measure(
    url: str, pid: int, scenarios: list[str], duration: int, connections: int
) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []
    for name in scenarios:
        path, body = SCENARIOS[name]
        _wrk(url, path, body, 3, connections)  # warm up
        cpu = _cpu_seconds(pid)
        result: dict[str, object] = dict(_wrk(url, path, body, duration, connections))
        cpu = _cpu_seconds(pid) - cpu
        requests = float(result["requests"])  # type: ignore[arg-type]
        result["rss_mb"] = round(sum(_rss_mb(p) for p in _tree(pid)), 1)
        # CPU per request is robust to other load on the core: 1 / it is the
        # throughput one otherwise idle core would give.
        result["server_cpu_ms_per_request"] = round(1000 * cpu / max(requests, 1), 3)
        result["one_core_capacity_rps"] = round(requests / cpu) if cpu else 0
        results.append({"scenario": name, **result})
        print(json.dumps(results[-1]), flush=True)
    return results


def _compare(rows: dict[int, list[list[dict[str, object]]]]) -> None:
    """One line per scenario and worker count: the median requests/s and p99 over that
    count's runs, and the ratio of its requests/s to the smallest count's."""
    counts = sorted(rows)

    def median(n: int, i: int, key: str) -> float:
        return statistics.median(float(run[i][key]) for run in rows[n])  # type: ignore[arg-type]

    for i, result in enumerate(rows[counts[0]][0]):
        base = median(counts[0], i, "rps")
        for n in counts:
            rps = median(n, i, "rps")
            summary = {"compare": result["scenario"], "workers": n, "runs": len(rows[n])}
            summary |= {"rps": rps, "p99_ms": median(n, i, "p99_ms")}
            print(json.dumps({**summary, "x_first": round(rps / base, 2)}), flush=True)


def main() -> None:
    """Runs every scenario and prints one JSON line each (or the soak)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--scenarios", default="generate,tool,stream,offline")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--soak", type=float, default=0, help="minutes of plain generates")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--compare-workers", default="", help="e.g. 1,2,1,2: a run for each, medians compared"
    )
    parser.add_argument("--shared", action="store_true", help="on PostgreSQL + Redis")
    args = parser.parse_args()
    counts = [int(n) for n in args.compare_workers.split(",") if n] or [args.workers]
    llm, llm_url = _start_llm()
    rows: dict[int, list[list[dict[str, object]]]] = {}
    try:
        for workers in counts:
            with _shared_backends(args.shared) as extra:
                log = Path(f"/tmp/mastra-bench-server-{workers}.log")
                server, url = _start_server(llm_url, log, not args.no_access_log, workers, extra)
                try:
                    if args.soak:
                        _soak(url, server.pid, args.soak, args.connections)
                        return
                    print(json.dumps({"workers": workers, **({"shared": True} if extra else {})}))
                    scenarios = args.scenarios.split(",")
                    rows.setdefault(workers, []).append(
                        _measure(url, server.pid, scenarios, args.duration, args.connections)
                    )
                finally:
                    server.terminate()
                    server.wait(timeout=30)
        if len(counts) > 1:
            _compare(rows)
    finally:
        llm.kill()
        llm.wait()


if __name__ == "__main__":
    main()
