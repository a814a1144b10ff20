"""Settings reloaded into a running server: applied at once, or rejected whole."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from mastra.server import ServerConfig, create_app
from mastra.server._reload import ConfigReloader

from .apps import build
from .conftest import Launch, output, serve_app

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
