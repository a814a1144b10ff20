"""Health: liveness, and readiness with a timed check per dependency."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from mastra.server._errors import JSONResponse
from mastra.server._routing import ApiRoute
from mastra.server._state import ServerState, state_of

__all__ = ["CircuitCollector", "health_routes", "readiness"]

CHECK_TIMEOUT = 2.0
"""Seconds one readiness check may take before it counts as failed."""

Check = Callable[[], Awaitable[str]]


async def _timed(name: str, check: Check) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), CHECK_TIMEOUT)
        ok = detail in {"ok", "closed", "half_open"}
    except asyncio.TimeoutError:
        ok, detail = False, f"timed out after {CHECK_TIMEOUT} s"
    except Exception as exc:  # a failing dependency is reported, not raised
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    duration = round((time.perf_counter() - start) * 1000, 3)
    return {"name": name, "ok": ok, "detail": detail, "durationMs": duration}


def _storage_check(storage: Any) -> Check:
    async def check() -> str:
        for name in ("ping", "health_check"):
            probe = getattr(storage, name, None)
            if probe is not None:
                outcome = probe()
                if inspect.isawaitable(outcome):
                    await outcome
        return "ok"

    return check


def _vector_check(store: Any) -> Check:
    async def check() -> str:
        await store.list_indexes()
        return "ok"

    return check


def _circuit_check(model: Any) -> Check | None:
    breaker = _breaker(model)
    if breaker is None:
        return None

    async def check() -> str:
        return str(breaker.state)

    return check


class CircuitCollector(Collector):
    """``mastra_provider_circuit_state{agent,host,state}``: 1 for the current state of
    each resolved model's circuit breaker, read at each scrape."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "mastra_provider_circuit_state",
            "Circuit breaker state of each agent's provider host (1 = current state).",
            labels=["agent", "host", "state"],
        )
        for name, agent in self.state.mastra.agents.items():
            breaker = _breaker(getattr(agent, "_model", None))
            if breaker is not None:
                family.add_metric([name, breaker.host, str(breaker.state)], 1.0)
        yield family


def _breaker(model: Any) -> Any:
    provider = getattr(model, "provider", None)
    try:  # a provider's client is per event loop: none outside one
        client = getattr(provider, "client", None)
    except RuntimeError:
        return None
    base_url = getattr(provider, "base_url", None)
    if client is None or not isinstance(base_url, str) or not hasattr(client, "breaker"):
        return None
    return client.breaker(urlsplit(base_url).netloc)


def _checks(state: ServerState) -> dict[str, Check]:
    checks: dict[str, Check] = {}
    if state.mastra.storage is not None:
        checks["storage"] = _storage_check(state.mastra.storage)
    for name, store in state.mastra.vectors.items():
        checks[f"vector:{name}"] = _vector_check(store)
    for name, agent in state.mastra.agents.items():
        model = getattr(agent, "_model", None)  # only models already resolved
        check = _circuit_check(model) if model is not None else None
        if check is not None:
            checks[f"provider:{name}"] = check
    return checks


async def readiness(state: ServerState) -> tuple[bool, dict[str, Any]]:
    """Runs every check concurrently; ready when all pass and the server is not draining."""
    results = await asyncio.gather(*(_timed(n, c) for n, c in _checks(state).items()))
    ready = all(r["ok"] for r in results) and not state.lifecycle.draining
    status = "draining" if state.lifecycle.draining else ("ok" if ready else "unavailable")
    return ready, {"status": status, "checks": list(results)}


async def live(request: Request) -> Response:
    """``GET /health/live``: the process answers."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    """``GET /health/ready`` and ``GET /health``: 200 when ready, else 503."""
    ok, report = await readiness(state_of(request))
    return JSONResponse(report, status_code=200 if ok else 503)


def health_routes() -> list[ApiRoute]:
    """The health routes (public: load balancers call them without credentials)."""
    return [
        ApiRoute("GET", "/health/live", live, None, "Liveness", tag="operations"),
        ApiRoute("GET", "/health/ready", ready, None, "Readiness", tag="operations"),
        ApiRoute("GET", "/health", ready, None, "Readiness (Mastra's path)", tag="operations"),
    ]
