"""Auth follows where requests arrive: under ``auth = "auto"`` an app told it is on
loopback still asks for credentials on a non-loopback address (``uvicorn app --host
0.0.0.0``), and ``mastra serve`` on a public host refuses to start without any."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import pytest

from mastra.server import ApiKeyConfig, ServerConfig, create_app, hash_api_key
from mastra.storage import InMemoryStorage

from .apps import build
from .conftest import ROOT, serve_app


def _outward_address() -> str | None:
    """This machine's non-loopback IPv4 address (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


OUTWARD = _outward_address()
needs_outward = pytest.mark.skipif(OUTWARD is None, reason="no non-loopback IPv4 address")


@needs_outward
def test_auto_auth_asks_remote_callers_for_credentials_even_when_none_are_set() -> None:
    app = create_app(build(storage=InMemoryStorage()), ServerConfig(host="localhost"))
    for server in serve_app(app, host="0.0.0.0"):
        remote = f"http://{OUTWARD}:{server.port}"
        assert httpx.get(server.url + "/api/agents").status_code == 200  # loopback: open
        refused = httpx.get(remote + "/api/agents")
        assert refused.status_code == 401
        assert "non-loopback" in refused.json()["error"]
        assert refused.headers["www-authenticate"] == "Bearer"
        assert (
            httpx.post(remote + "/api/agents/echo/generate", json={"messages": "x"}).status_code
            == 401
        )
        assert httpx.get(remote + "/health/live").status_code == 200  # public routes stay public
        rows = httpx.get(server.url + "/api/audit?principal=anonymous").json()["entries"]
        assert {(r["action"], r["outcome"]) for r in rows} == {
            ("GET /api/agents", "unauthenticated"),
            ("POST /api/agents/{agentId}/generate", "unauthenticated"),
        }


@needs_outward
def test_auto_auth_checks_configured_keys_on_remote_requests_only() -> None:
    key = ApiKeyConfig(sha256=hash_api_key("k-1"), principal="ci", roles=["reader"])
    app = create_app(build(), ServerConfig(host="127.0.0.1", api_keys=[key]))
    for server in serve_app(app, host="0.0.0.0"):
        remote = f"http://{OUTWARD}:{server.port}"
        assert httpx.get(remote + "/api/agents").status_code == 401
        assert httpx.get(remote + "/api/agents", headers={"X-API-Key": "k-1"}).status_code == 200
        assert httpx.get(remote + "/api/agents", headers={"X-API-Key": "k-2"}).status_code == 401
        assert httpx.get(server.url + "/api/agents").status_code == 200


@needs_outward
def test_auth_off_is_off_everywhere() -> None:
    app = create_app(build(), ServerConfig(host="127.0.0.1", auth="off"))
    for server in serve_app(app, host="0.0.0.0"):
        assert httpx.get(f"http://{OUTWARD}:{server.port}/api/agents").status_code == 200


def test_serve_on_a_public_host_without_credentials_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTRA_")}
    result = subprocess.run(
        [sys.executable, "-m", "mastra", "serve", "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "auth is required" in result.stdout
    assert "auth = 'off'" in result.stdout
