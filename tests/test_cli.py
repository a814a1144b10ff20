"""`mastra info` / `python -m mastra`: the main command reports and self-checks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import mastra
from mastra import _core
from mastra.cli import main


def run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mastra", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_info_prints_version_simd_and_passing_self_checks() -> None:
    result = run_module("info")
    assert result.returncode == 0, result.stderr
    assert f"mastra {mastra.__version__}" in result.stdout
    assert f"simd         {_core.simd_backend()}" in result.stdout
    for backend in _core.simd_backends():
        assert f"self-check   {backend:<7} ok" in result.stdout


def test_main_returns_zero_and_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--no-check"]) == 0
    assert "cpu features" in capsys.readouterr().out


def test_mastra_simd_caps_the_level() -> None:
    result = run_module("info", "--no-check", env={"MASTRA_SIMD": "scalar"})
    assert result.returncode == 0, result.stderr
    assert "simd         scalar" in result.stdout


def test_unknown_mastra_simd_value_is_a_config_error() -> None:
    result = run_module("info", "--no-check", env={"MASTRA_SIMD": "avx9000"})
    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert "unknown SIMD level 'avx9000'" in result.stderr


def test_info_object_reports_ok() -> None:
    report = mastra.info()
    assert report.ok
    assert report.simd_backend in report.simd_backends
    assert [c.backend for c in report.checks] == report.simd_backends
