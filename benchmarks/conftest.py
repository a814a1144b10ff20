"""Shared pieces of the benchmark suites: seeded data and a ratio summary."""

from __future__ import annotations
