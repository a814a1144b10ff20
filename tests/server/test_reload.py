"""Settings reloaded into a running server: applied at once, or rejected whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from mastra import Mastra
from mastra.agent import Agent
from mastra.errors import ConfigError
from mastra.providers import Message
from mastra.server import ServerConfig, create_app, load_config
from mastra.server._reload import ConfigReloader
from mastra.testing import FunctionModel

from .apps import build
from .conftest import ROOT, Launch, output, serve_app

ORIGIN = {"Origin": "https://new.example"}


def test_reload_applies_cors_and_rate_limits_and_rejects_invalid_files(tmp_path: Path) -> None:
    path = tmp_path / "mastra.toml"
    path.write_text('cors_origins = ["https://old.example"]\n')
    app = create_app(build(), ServerConfig(host="127.0.0.1", cors_origins=["https://old.example"]))
    for server in serve_app(app):
        reloader = ConfigReloader(server.state, path, {"host": "127.0.0.1"})
        before = httpx.get(server.url + "/api/agents", headers=ORIGIN)
        assert "access-control-allow-origin" not in before.headers
        path.write_text(
            'cors_origins = ["https://new.example"]\nrate_limit = 1\nrate_burst = 1\nport = 1\n'
        )
        assert reloader.reload()
        after = httpx.get(server.url + "/api/agents", headers=ORIGIN)
        assert after.headers["access-control-allow-origin"] == "https://new.example"
        assert httpx.get(server.url + "/api/agents").status_code == 429
        assert server.state.config.port == 4111  # a restart-only field stays
        path.write_text('rate_limit = -5\nlog_level = "LOUD"\n')
        assert not reloader.reload()
        assert server.state.config.rate_limit == 1


def test_sighup_and_file_changes_reload_a_running_serve(launch: Launch, tmp_path: Path) -> None:
    path = tmp_path / "mastra.toml"
    path.write_text('[server]\ncors_origins = ["https://old.example"]\n')
    process, url = launch("tests/server/apps.py:create", "--config", str(path))
    path.write_text('[server]\ncors_origins = ["https://new.example"]\n')
    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while (
        "access-control-allow-origin" not in httpx.get(url + "/api/agents", headers=ORIGIN).headers
    ):
        assert time.monotonic() < deadline, "the new settings were not applied"
        time.sleep(0.1)
    path.write_text("[server]\nbody_limit = 0\n")
    process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    kept = httpx.get(url + "/api/agents", headers=ORIGIN)
    assert kept.headers["access-control-allow-origin"] == "https://new.example"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert b"config reload rejected" in output(process)


def _tuned() -> Mastra:
    def answer(messages: Sequence[Message], info: Any) -> str:
        return f"t={info.settings.get('temperature')} max={info.settings.get('max_tokens')}"

    model = FunctionModel(answer, name="tuned-model")
    return Mastra(agents=[Agent("tuned", "Hi.", model, model_settings={"temperature": 0.1})])


def _text(url: str) -> str:
    answer: str = httpx.post(url, json={"messages": "x"}).json()["text"]
    return answer


def test_reload_applies_agent_model_settings_and_refuses_unknown_agents(tmp_path: Path) -> None:
    path = tmp_path / "mastra.toml"
    config = load_config(host="127.0.0.1", agents={"tuned": {"temperature": 0.3}})
    app = create_app(_tuned(), config)
    for server in serve_app(app):
        reloader = ConfigReloader(server.state, path, {"host": "127.0.0.1"})

        url = server.url + "/api/agents/tuned/generate"

        assert _text(url) == "t=0.3 max=None"
        path.write_text("[agents.tuned]\ntemperature = 0.7\nmax_tokens = 64\n")
        assert reloader.reload()
        assert _text(url) == "t=0.7 max=64"
        path.write_text("[agents.ghost]\ntemperature = 0.5\n")
        assert not reloader.reload()  # no such agent: the whole file is refused
        assert _text(url) == "t=0.7 max=64"
        path.write_text("[agents.tuned]\ntemperature = 9\n")
        assert not reloader.reload()  # out of range
        path.write_text("")
        assert reloader.reload()
        assert _text(url) == "t=0.1 max=None"  # back to the agent's own settings


def test_settings_for_an_unknown_agent_stop_the_start() -> None:
    with pytest.raises(ConfigError, match="no agent named 'ghost'"):
        create_app(_tuned(), load_config(agents={"ghost": {"max_steps": 2}}))
    result = subprocess.run(
        [sys.executable, "-m", "mastra", "serve", "tests/server/apps.py:create", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "MASTRA_HOST": "127.0.0.1", "MASTRA_AGENTS": '{"ghost": {}}'},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no agent named 'ghost'" in result.stdout
