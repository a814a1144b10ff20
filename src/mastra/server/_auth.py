"""Who is calling and what they may do: API keys (hashed, constant-time compared),
JWT bearer tokens (PyJWT), role-based permissions and per-principal rate limits."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field

import jwt
from starlette.requests import Request
from starlette.types import Scope

from mastra.server._config import ServerConfig
from mastra.server._errors import ApiError

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Authenticator",
    "Principal",
    "RateLimiter",
    "check_owner",
    "hash_api_key",
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


def _permissions(roles: list[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLES.get(role, frozenset({role}) & frozenset(PERMISSIONS))
    return frozenset(granted)


class Authenticator:
    """Checks the credentials of requests against the configured keys and JWT secret.

    Args:
        config: The settings holding ``api_keys``, ``jwt_secret`` and ``jwt_audience``.
    """

    def __init__(self, config: ServerConfig) -> None:
        self._keys = [
            (bytes.fromhex(k.sha256), Principal(k.principal, _permissions(k.roles)))
            for k in config.api_keys
        ]
        self._jwt_secret = config.jwt_secret
        self._audience = config.jwt_audience

    def authenticate(self, request: Request) -> Principal:
        """The principal behind the request's ``Authorization: Bearer`` or ``X-API-Key``.

        Raises:
            ApiError: 401, no credentials or invalid ones.
        """
        token = _credential(request)
        if token is None:
            raise ApiError(401, "authentication required", {"WWW-Authenticate": "Bearer"})
        if token.count(".") == 2 and self._jwt_secret is not None:
            return self._from_jwt(token, self._jwt_secret)
        digest = hashlib.sha256(token.encode()).digest()
        found: Principal | None = None
        for stored, principal in self._keys:  # every key compared: no timing hint
            if hmac.compare_digest(stored, digest):
                found = principal
        if found is None:
            raise ApiError(401, "invalid credentials", {"WWW-Authenticate": "Bearer"})
        return found

    def _from_jwt(self, token: str, secret: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=self._audience,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise ApiError(401, f"invalid token: {exc}", {"WWW-Authenticate": "Bearer"}) from None
        roles = claims.get("roles", [])
        if not isinstance(roles, list):
            raise ApiError(401, "invalid token: roles must be a list")
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
