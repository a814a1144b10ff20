"""Load test of ``mastra serve``: plain generates against a loopback OpenAI-compatible LLM.

Run (from the repository root, wrk from ``apt-get install wrk``)::

    python -m benchmarks.server.run --duration 15 --connections 64

The server is pinned to core 0 (``taskset -c 0``); the fake LLM and wrk share core 1.
Prints requests/s, p50/p95/p99 latency, the server's RSS and its CPU time per request
(whose inverse is what one idle core sustains, a figure other load on the machine does
not skew) for each scenario: a plain generate, a generate with one tool round trip, and
a stream.

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
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "generate": ("/api/agents/bench/generate", '{"messages":"Say hello."}'),
    "tool": ("/api/agents/bench/generate", '{"messages":"What is the weather in Paris?"}'),
    "stream": ("/api/agents/bench/stream", '{"messages":"Say hello."}'),
    "offline": ("/api/agents/offline/generate", '{"messages":"Say hello."}'),
}


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


def _start_server(llm: str, log: Path, access_log: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    target = "benchmarks/server/app.py:create"
    command = _pinned("0", [sys.executable, "-m", "mastra", "serve", target, "--port", str(port)])
    env = {**os.environ, "MASTRA_BENCH_LLM": llm, "MASTRA_HOST": "127.0.0.1"}
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


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    out = subprocess.run(
        command, env={**os.environ, "BENCH_BODY": body}, capture_output=True, text=True, check=True
    ).stdout
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


def main() -> None:
    """Runs every scenario and prints one JSON line each (or the soak)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--soak", type=float, default=0, help="minutes of plain generates")
    args = parser.parse_args()
    llm, llm_url = _start_llm()
    server, url = _start_server(
        llm_url, Path("/tmp/mastra-bench-server.log"), not args.no_access_log
    )
    try:
        if args.soak:
            _soak(url, server.pid, args.soak, args.connections)
            return
        for name in args.scenarios.split(","):
            path, body = SCENARIOS[name]
            _wrk(url, path, body, 3, args.connections)  # warm up
            cpu = _cpu_seconds(server.pid)
            result = _wrk(url, path, body, args.duration, args.connections)
            cpu = _cpu_seconds(server.pid) - cpu
            result["rss_mb"] = round(_rss_mb(server.pid), 1)
            # CPU per request is robust to other load on the core: 1 / it is the
            # throughput one otherwise idle core would give.
            result["server_cpu_ms_per_request"] = round(1000 * cpu / max(result["requests"], 1), 3)
            result["one_core_capacity_rps"] = round(result["requests"] / cpu) if cpu else 0
            print(json.dumps({"scenario": name, **result}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        llm.kill()
        llm.wait()


if __name__ == "__main__":
    main()
