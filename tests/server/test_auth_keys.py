"""Auth matrix through a real server: RS256 and ES256 JWTs (PEM key, JWKS by ``kid``),
claim checks with leeway, API-key rotation windows, and the audit rows of every denial."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.requests import Request

from mastra.errors import ConfigError
from mastra.server import ApiKeyConfig, ServerConfig, create_app, hash_api_key, load_config
from mastra.server._auth import Authenticator
from mastra.server._errors import ApiError
from mastra.storage import InMemoryStorage

from .apps import build
from .conftest import ServerThread, serve_app

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
EC_KEY_2 = ec.generate_private_key(ec.SECP256R1())
NOW = datetime.now(timezone.utc)
GENERATE = "/api/agents/echo/generate"


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "use": "sig"}


def rs256(**claims: Any) -> str:
    base: dict[str, Any] = {"sub": "jo", "aud": "mastra", "iss": "idp", "roles": ["operator"]}
    # Tokens are made when the tests are collected: valid long enough to outlast the suite.
    return jwt.encode({"exp": int(time.time()) + HOUR, **base, **claims}, RSA_KEY, "RS256")


def es256(kid: str, key: ec.EllipticCurvePrivateKey = EC_KEY, **claims: Any) -> str:
    base: dict[str, Any] = {"sub": "eve", "aud": "mastra", "iss": "idp", "roles": ["operator"]}
    payload = {"exp": int(time.time()) + HOUR, **base, **claims}
    return jwt.encode(payload, key, "ES256", headers={"kid": kid})


def api_key(key: str, principal: str, roles: list[str], **window: datetime) -> ApiKeyConfig:
    return ApiKeyConfig(sha256=hash_api_key(key), principal=principal, roles=roles, **window)


KEYS = [
    api_key("admin-key", "ada", ["admin"]),
    api_key("reader-key", "rob", ["reader"]),
    # ci rotates: the old key expired an hour ago, the current one overlaps the next one
    api_key("ci-old", "ci", ["operator"], expires_at=NOW - timedelta(hours=1)),
    api_key("ci-current", "ci", ["operator"], expires_at=NOW + timedelta(hours=1)),
    api_key("ci-next", "ci", ["operator"], not_before=NOW - timedelta(minutes=5)),
    api_key("ci-future", "ci", ["operator"], not_before=NOW + timedelta(days=1)),
]


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(EC_KEY, "k1"), jwk(EC_KEY_2, "k2")]}))
    return path


@pytest.fixture(scope="module")
def secured(jwks_file: Path) -> Iterator[ServerThread]:
    config = ServerConfig(
        host="127.0.0.1",
        auth="on",
        api_keys=KEYS,
        jwt_public_key=pem(RSA_KEY),
        jwt_jwks_file=str(jwks_file),
        jwt_audience="mastra",
        jwt_issuer="idp",
        jwt_leeway=30,
    )
    yield from serve_app(create_app(build(storage=InMemoryStorage()), config))


def post(server: ServerThread, credential: str | None, path: str = GENERATE) -> httpx.Response:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return httpx.post(server.url + path, json={"messages": "hi"}, headers=headers)


def audit_rows(server: ServerThread, principal: str) -> list[dict[str, Any]]:
    admin = {"X-API-Key": "admin-key"}
    url = f"{server.url}/api/audit?principal={principal}&limit=1000"
    rows: list[dict[str, Any]] = httpx.get(url, headers=admin).json()["entries"]
    return rows


HOUR = 3600


def test_a_token_expired_within_the_leeway_is_accepted(secured: ServerThread) -> None:
    response = post(secured, rs256(exp=int(time.time()) - 10))  # the leeway is 30 s
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("credential", "status", "message"),
    [
        (None, 401, "authentication required"),
        ("wrong-key", 401, "unknown API key"),
        ("ci-old", 401, "the API key has expired"),
        ("ci-future", 401, "not valid yet"),
        ("ci-current", 200, None),
        ("ci-next", 200, None),
        ("reader-key", 403, "permission 'agents:execute' required"),
        (rs256(), 200, None),
        (rs256(exp=int(time.time()) - HOUR), 401, "expired"),
        (rs256(nbf=int(time.time()) + HOUR), 401, "not yet valid"),
        (rs256(aud="other"), 401, "audience is not 'mastra'"),
        (rs256(iss="evil"), 401, "issuer is not 'idp'"),
        (rs256(roles=["reader"]), 403, "permission"),
        (es256("k1"), 200, None),
        (es256("k2", EC_KEY_2), 200, None),
        (es256("k1", EC_KEY_2), 401, "signature does not verify"),
        (es256("k9"), 401, "no key with kid 'k9'"),
        (jwt.encode({"sub": "x", "exp": 2**31}, "s" * 40, "HS256"), 401, "HS256 is not accepted"),
    ],
)
def test_auth_matrix(
    secured: ServerThread, credential: str | None, status: int, message: str | None
) -> None:
    response = post(secured, credential)
    assert response.status_code == status, response.text
    if message is not None:
        assert message in response.json()["error"]
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_denials_and_mutations_leave_audit_rows(secured: ServerThread) -> None:
    marker = f"/api/agents/nobody-{time.time_ns()}/generate"
    for credential in (None, "wrong-key", "ci-old", rs256(exp=int(time.time()) - HOUR)):
        assert post(secured, credential, marker).status_code == 401
    assert post(secured, "reader-key", marker).status_code == 403
    assert post(secured, "ci-current").status_code == 200
    denied = [r for r in audit_rows(secured, "anonymous") if r["target"] == marker]
    assert len(denied) == 4
    assert {r["outcome"] for r in denied} == {"unauthenticated"}
    assert all(r["action"] == "POST /api/agents/{agentId}/generate" for r in denied)
    assert all(r["requestId"] for r in denied)
    forbidden = [r for r in audit_rows(secured, "rob") if r["target"] == marker]
    assert [r["outcome"] for r in forbidden] == ["forbidden"]
    ok = audit_rows(secured, "ci")[0]
    assert (ok["target"], ok["outcome"]) == (GENERATE, "200")
    everything = json.dumps(audit_rows(secured, "anonymous") + audit_rows(secured, "ci"))
    assert "ci-old" not in everything
    assert "wrong-key" not in everything


def test_other_principals_thread_is_403_and_audited(secured: ServerThread) -> None:
    eve = {"Authorization": f"Bearer {es256('k1')}"}
    jo = {"Authorization": f"Bearer {rs256()}"}
    threads = secured.url + "/api/memory/threads?agentId=chat"
    created = httpx.post(threads, json={"resourceId": "eve", "threadId": "eve-1"}, headers=eve)
    assert created.is_success, created.text
    thread = secured.url + "/api/memory/threads/eve-1?agentId=chat"
    assert httpx.get(thread, headers=eve).status_code == 200
    assert httpx.get(thread, headers=jo).status_code == 403
    patch = httpx.patch(thread, json={"title": "mine now"}, headers=jo)
    assert patch.status_code == 403
    messages = secured.url + "/api/memory/threads/eve-1/messages?agentId=chat"
    assert httpx.get(messages, headers=jo).status_code == 403
    jo_rows = [r for r in audit_rows(secured, "jo") if r["target"].startswith("/api/memory")]
    assert {r["action"] for r in jo_rows} == {
        "GET /api/memory/threads/{threadId}",  # refused reads are audited as writes are
        "GET /api/memory/threads/{threadId}/messages",
        "PATCH /api/memory/threads/{threadId}",
    }
    assert {r["outcome"] for r in jo_rows} == {"forbidden"}
    # A granted read is not a mutation: only eve's thread creation is on the trail.
    eve_rows = [r for r in audit_rows(secured, "eve") if r["target"].startswith("/api/memory")]
    assert [r["action"] for r in eve_rows] == ["POST /api/memory/threads"]


def _request(key: str) -> Request:
    return Request({"type": "http", "headers": [(b"x-api-key", key.encode())]})


def test_rotation_window_follows_the_clock() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    overlap_ends = start + timedelta(days=7)
    config = ServerConfig(
        api_keys=[
            api_key("old", "ci", ["operator"], expires_at=overlap_ends),
            api_key("new", "ci", ["operator"], not_before=start),
        ]
    )
    now = [start.timestamp() - 1]
    auth = Authenticator(config, clock=lambda: now[0])

    def works(key: str) -> bool:
        try:
            return auth.authenticate(_request(key)).name == "ci"
        except ApiError:
            return False

    assert (works("old"), works("new")) == (True, False)  # before the overlap
    now[0] = start.timestamp() + 60
    assert (works("old"), works("new")) == (True, True)  # during it
    now[0] = overlap_ends.timestamp()
    assert (works("old"), works("new")) == (False, True)  # after it


def test_jwks_file_is_reread_for_a_new_kid(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(EC_KEY, "k1")]}))
    auth = Authenticator(ServerConfig(jwt_jwks_file=str(path)))

    def bearer(token: str) -> Request:
        return Request(
            {"type": "http", "headers": [(b"authorization", f"Bearer {token}".encode())]}
        )

    claims = {"sub": "eve", "exp": int(time.time()) + 60}
    fresh = jwt.encode(claims, EC_KEY_2, "ES256", headers={"kid": "k2"})
    with pytest.raises(ApiError, match="no key with kid 'k2'"):
        auth.authenticate(bearer(fresh))
    path.write_text(json.dumps({"keys": [jwk(EC_KEY, "k1"), jwk(EC_KEY_2, "k2")]}))
    later = time.time() + 5
    os.utime(path, (later, later))
    assert auth.authenticate(bearer(fresh)).name == "eve"


def test_bad_jwt_keys_fail_at_load_with_the_field_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"keys": []}))
    with pytest.raises(ConfigError, match="jwt_jwks_file"):
        load_config(None, jwt_jwks_file=str(bad))
    with pytest.raises(ConfigError, match="jwt_public_key"):
        load_config(
            None, jwt_public_key="-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"
        )
    with pytest.raises(ConfigError, match="jwt_public_key"):
        load_config(None, jwt_public_key=str(tmp_path / "missing.pem"))
