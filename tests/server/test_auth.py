"""Auth through a real server: API keys, JWTs, roles, audit lines and rate limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest

from mastra.server import ApiKeyConfig, ServerConfig, create_app, hash_api_key
from mastra.storage import InMemoryStorage

from .apps import build
from .conftest import ServerThread, serve_app

SECRET = "test-secret-that-is-long-enough-for-hs256"


def api_keys() -> list[ApiKeyConfig]:
    """An admin key for ada and a reader key for rob."""
    return [
        ApiKeyConfig(sha256=hash_api_key("admin-key"), principal="ada", roles=["admin"]),
        ApiKeyConfig(sha256=hash_api_key("reader-key"), principal="rob", roles=["reader"]),
    ]


@pytest.fixture(scope="module")
def secured() -> Iterator[ServerThread]:
    config = ServerConfig(
        host="127.0.0.1",
        auth="on",
        api_keys=api_keys(),
        jwt_secret=SECRET,
        jwt_audience="mastra",
    )
    yield from serve_app(create_app(build(storage=InMemoryStorage()), config))


def token(**claims: object) -> str:
    # Made when the tests are collected: valid for long enough to outlast the suite.
    base: dict[str, object] = {"sub": "jo", "aud": "mastra", "exp": int(time.time()) + 3600}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


def call(
    server: ServerThread, credential: str | None, path: str = "/api/agents/echo/generate"
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return httpx.post(server.url + path, json={"messages": "hi"}, headers=headers)


@pytest.mark.parametrize(
    ("credential", "status"),
    [
        (None, 401),
        ("wrong-key", 401),
        ("reader-key", 403),
        ("admin-key", 200),
        (token(roles=["operator"]), 200),
        (token(roles=["reader"]), 403),
        (token(roles=["operator"], exp=int(time.time()) - 10), 401),
        (token(roles=["operator"], aud="other"), 401),
        (
            jwt.encode(
                {"sub": "x", "exp": 2**31}, "a-wrong-secret-that-is-long-enough-for-hs256", "HS256"
            ),
            401,
        ),
    ],
)
def test_auth_matrix(secured: ServerThread, credential: str | None, status: int) -> None:
    response = call(secured, credential)
    assert response.status_code == status, response.text
    if status >= 400:
        assert "error" in response.json()


def test_api_key_header_and_public_health(secured: ServerThread) -> None:
    response = httpx.get(secured.url + "/api/agents", headers={"X-API-Key": "reader-key"})
    assert response.status_code == 200
    assert httpx.get(secured.url + "/health/live").status_code == 200


def test_mutations_and_denials_are_audited(
    secured: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mastra.server.audit"):
        call(secured, "reader-key")
        call(secured, "admin-key")
    audits = [r.__dict__ for r in caplog.records if r.name == "mastra.server.audit"]
    lines = [(r["principal"], r["status"]) for r in audits]
    assert ("rob", "forbidden") in lines
    assert ("ada", "200") in lines
    assert "admin-key" not in caplog.text
    admin = {"Authorization": "Bearer admin-key"}
    rows = httpx.get(secured.url + "/api/audit", headers=admin).json()["entries"]
    assert rows[0]["principal"] == "ada"
    assert rows[0]["action"] == "POST /api/agents/{agentId}/generate"
    assert rows[0]["outcome"] == "200"
    assert rows[0]["requestId"]
    assert any(r["principal"] == "rob" and r["outcome"] == "forbidden" for r in rows)
    invalid = httpx.post(secured.url + "/api/agents/echo/generate", json={}, headers=admin)
    assert invalid.status_code == 422
    latest = httpx.get(secured.url + "/api/audit?principal=ada&limit=1", headers=admin).json()
    assert latest["entries"][0]["outcome"] == "422"
    reader = httpx.get(secured.url + "/api/audit", headers={"X-API-Key": "reader-key"})
    assert reader.status_code == 403


def test_rate_limit_is_429_with_retry_after() -> None:
    config = ServerConfig(host="127.0.0.1", rate_limit=1, rate_burst=2)
    for server in serve_app(create_app(build(), config)):
        statuses = [httpx.get(server.url + "/api/agents").status_code for _ in range(4)]
        assert statuses[:2] == [200, 200]
        assert statuses[-1] == 429
        limited = httpx.get(server.url + "/api/agents")
        assert int(limited.headers["retry-after"]) >= 1


def test_rate_limited_reads_are_audited_per_principal() -> None:
    config = ServerConfig(
        host="127.0.0.1",
        auth="on",
        api_keys=api_keys(),
        rate_limit=1,
        rate_burst=2,
    )
    for server in serve_app(create_app(build(storage=InMemoryStorage()), config)):
        rob = {"X-API-Key": "reader-key"}
        statuses = [
            httpx.get(server.url + "/api/agents", headers=rob).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 429, 429]
        admin = {"X-API-Key": "admin-key"}  # a bucket of its own: not limited by rob's
        rows = httpx.get(server.url + "/api/audit?principal=rob", headers=admin).json()["entries"]
        assert [(r["action"], r["outcome"]) for r in rows] == [
            ("GET /api/agents", "rate_limited")
        ] * 2
        assert "reader-key" not in str(rows)


def test_principals_reach_only_their_own_resources(secured: ServerThread) -> None:
    jo = {"Authorization": f"Bearer {token(roles=['operator'])}"}
    admin = {"Authorization": "Bearer admin-key"}
    url = secured.url + "/api/memory/threads?agentId=chat"
    assert httpx.post(url, json={"resourceId": "jo", "threadId": "jo-1"}, headers=jo).is_success
    other = httpx.post(url, json={"resourceId": "ann", "threadId": "ann-1"}, headers=jo)
    assert other.status_code == 403
    assert httpx.post(
        url, json={"resourceId": "ann", "threadId": "ann-1"}, headers=admin
    ).is_success
    thread = secured.url + "/api/memory/threads/{}?agentId=chat"
    assert httpx.get(thread.format("jo-1"), headers=jo).status_code == 200
    assert httpx.get(thread.format("ann-1"), headers=jo).status_code == 403
    assert httpx.get(thread.format("ann-1"), headers=admin).status_code == 200
    listing = secured.url + "/api/memory/threads?agentId=chat&resourceId=ann"
    assert httpx.get(listing, headers=jo).status_code == 403
    body = {"messages": "hi", "memory": {"thread": "ann-1", "resource": "ann"}}
    generate = secured.url + "/api/agents/chat/generate"
    assert httpx.post(generate, json=body, headers=jo).status_code == 403
    assert httpx.post(generate, json=body, headers=admin).status_code == 200
