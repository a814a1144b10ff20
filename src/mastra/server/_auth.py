"""Who is calling and what they may do: API keys (hashed, constant-time compared, each
with an optional validity window for rotation), JWT bearer tokens (HS256, RS256/ES256
with a PEM key or a JWKS file), role-based permissions and per-principal rate limits."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from starlette.requests import Request
from starlette.types import Scope

from mastra.server._config import ApiKeyConfig, ServerConfig
from mastra.server._errors import ApiError
from mastra.server._jwt import JwtSettings, JwtVerifier

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Authenticator",
    "Principal",
    "RateLimiter",
    "check_owner",
    "hash_api_key",
    "reached_on_loopback",
]

PERMISSIONS = (
    "agents:read",
    "agents:execute",
    "tools:execute",
    "memory:read",
    "memory:write",
    "vectors:read",
    "vectors:write",
    "workflows:read",
    "workflows:execute",
    "admin",
)
"""Every permission a route may ask for."""

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "operator": frozenset(p for p in PERMISSIONS if p != "admin"),
    "reader": frozenset({"agents:read", "memory:read", "vectors:read", "workflows:read"}),
}
"""The built-in roles and their permissions."""


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest under which an API key is configured."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    Attributes:
        name: Who it is (the key's principal, or the JWT's ``sub``).
        permissions: What it may do.
    """

    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)

    def allows(self, permission: str) -> bool:
        """Whether the principal holds ``permission`` (``admin`` holds them all)."""
        return "admin" in self.permissions or permission in self.permissions


def check_owner(scope: Scope, resource_id: str | None) -> None:
    """Refuses a principal the resources of others: without ``admin``, a principal
    reaches only the resource named after it (no check when auth is off).

    Raises:
        ApiError: 403, the resource belongs to someone else.
    """
    principal = scope.get("mastra.principal")
    if not isinstance(principal, Principal) or "admin" in principal.permissions:
        return
    if resource_id != principal.name:
        raise ApiError(403, f"resource {resource_id!r} belongs to another principal")


_LOOPBACK_HOSTS = frozenset({"localhost", "::1", "::ffff:127.0.0.1"})


def reached_on_loopback(scope: Scope) -> bool:
    """Whether the request came in on a loopback address of this machine (or a Unix
    socket): the local end of its connection, whatever address the server was told."""
    server = scope.get("server")
    if not server:  # a Unix socket, or a server that does not say: a local caller
        return True
    host = str(server[0])
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


def _permissions(roles: list[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLES.get(role, frozenset({role}) & frozenset(PERMISSIONS))
    return frozenset(granted)


def _timestamp(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # naive times in the settings are UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


@dataclass(frozen=True)
class _StoredKey:
    digest: bytes
    principal: Principal
    not_before: float | None
    expires_at: float | None

    @classmethod
    def of(cls, config: ApiKeyConfig) -> _StoredKey:
        principal = Principal(config.principal, _permissions(config.roles))
        return cls(
            bytes.fromhex(config.sha256),
            principal,
            _timestamp(config.not_before),
            _timestamp(config.expires_at),
        )


def _refuse(message: str) -> ApiError:
    return ApiError(401, message, {"WWW-Authenticate": "Bearer"})


class Authenticator:
    """Checks the credentials of requests against the configured keys and JWT keys.

    A principal may hold several API keys; each works from its ``not_before`` until its
    ``expires_at``, so a new key can be added beside the old one, both work during the
    overlap, and the old one stops at its expiry.

    Args:
        config: The settings holding ``api_keys`` and the ``jwt_*`` settings.
        clock: Seconds since the epoch (for tests).

    Raises:
        ValueError: A configured JWT key cannot be loaded.
    """

    def __init__(self, config: ServerConfig, *, clock: Callable[[], float] = time.time) -> None:
        self._keys = [_StoredKey.of(k) for k in config.api_keys]
        self._clock = clock
        settings = JwtSettings(
            secret=config.jwt_secret,
            public_key=config.jwt_public_key,
            jwks_file=config.jwt_jwks_file,
            audience=config.jwt_audience,
            issuer=config.jwt_issuer,
            leeway=config.jwt_leeway,
        )
        self._jwt = JwtVerifier(settings) if settings.enabled else None

    def authenticate(self, request: Request) -> Principal:
        """The principal behind the request's ``Authorization: Bearer`` or ``X-API-Key``.

        Raises:
            ApiError: 401, no credentials or invalid ones (the message says why).
        """
        token = _credential(request)
        if token is None:
            raise _refuse("authentication required: send Authorization: Bearer or X-API-Key")
        if token.count(".") == 2 and self._jwt is not None:
            return self._from_jwt(token, self._jwt)
        return self._from_key(token)

    def _from_key(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).digest()
        found: _StoredKey | None = None
        for stored in self._keys:  # every key compared: no timing hint of which matched
            if hmac.compare_digest(stored.digest, digest):
                found = stored
        if found is None:
            raise _refuse("invalid credentials: unknown API key")
        now = self._clock()
        if found.not_before is not None and now < found.not_before:
            raise _refuse("invalid credentials: the API key is not valid yet")
        if found.expires_at is not None and now >= found.expires_at:
            raise _refuse("invalid credentials: the API key has expired")
        return found.principal

    @staticmethod
    def _from_jwt(token: str, verifier: JwtVerifier) -> Principal:
        claims = verifier.decode(token)
        roles = claims.get("roles", [])
        if not isinstance(roles, list):
            raise _refuse("invalid token: the roles claim must be a list")
        return Principal(str(claims["sub"]), _permissions([str(r) for r in roles]))


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None
    return request.headers.get("x-api-key") or None


class RateLimiter:
    """A token bucket per principal: ``rate`` requests a second, ``burst`` at once.

    Args:
        rate: Tokens added per second.
        burst: The bucket's size.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str) -> None:
        """Takes one token of ``key``'s bucket.

        Raises:
            ApiError: 429 with ``Retry-After`` when the bucket is empty.
        """
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = max(1, int((1.0 - tokens) / self.rate + 0.999))
            raise ApiError(429, "rate limit exceeded", {"Retry-After": str(wait)})
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:  # forget idle callers rather than grow forever
            self._buckets.clear()
