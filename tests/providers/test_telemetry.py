"""The process-wide HTTP telemetry: retries by reason, cache lookups, worst circuit state."""

from __future__ import annotations

import gc

from mastra.http import BreakerConfig, CircuitBreaker, HttpTelemetry


def test_counts_and_worst_circuit_state_per_host() -> None:
    telemetry = HttpTelemetry()
    telemetry.retried("openai", "api.example.com", "503")
    telemetry.retried("openai", "api.example.com", "503")
    telemetry.retried("openai", "api.example.com", "timeout")
    telemetry.cache_lookup("openai", hit=True)
    telemetry.cache_lookup("openai", hit=False)
    healthy = CircuitBreaker("api.example.com")
    failing = CircuitBreaker("api.example.com", BreakerConfig(failure_threshold=1))
    other = CircuitBreaker("other.example.com")
    for breaker in (healthy, failing, other):
        telemetry.track(breaker)
    failing.record_failure()
    snapshot = telemetry.snapshot()
    retries = {(r["reason"], r["count"]) for r in snapshot["retries"]}
    assert retries == {("503", 2), ("timeout", 1)}
    assert {(c["result"], c["count"]) for c in snapshot["cache"]} == {("hit", 1), ("miss", 1)}
    assert snapshot["circuits"] == {"api.example.com": "open", "other.example.com": "closed"}
    del failing, other, breaker  # watched weakly: gone breakers drop out
    gc.collect()
    assert telemetry.circuits() == {"api.example.com": "closed"}
    telemetry.reset()
    assert telemetry.snapshot()["retries"] == []
