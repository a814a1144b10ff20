"""Shared fixtures: every SIMD level this CPU runs, switched in and out per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from mastra import _core

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")

SIMD_BACKENDS = _core.simd_backends()


@pytest.fixture(params=SIMD_BACKENDS)
def simd_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once per SIMD level this CPU can run, restoring the level after."""
    previous = _core.set_simd_backend(request.param)
    try:
        yield request.param
    finally:
        _core.set_simd_backend(previous)
