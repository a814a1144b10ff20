"""JWT bearer tokens (PyJWT): HS256 with a shared secret, RS256/ES256 (and their longer
variants) with a PEM public key or the keys of a JWKS file, chosen by the token's ``kid``.

The algorithm a token may use follows from the key that verifies it, never from the
token alone: a token signed with HS256 is refused unless a secret is configured, so a
public key can never be misused as an HMAC secret.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from mastra.server._errors import ApiError

__all__ = ["JwtSettings", "JwtVerifier", "check_jwt_settings", "load_jwks", "load_public_key"]

_RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_ASYMMETRIC = frozenset({*_RSA_ALGORITHMS, *_EC_ALGORITHMS.values(), "PS256", "PS384", "PS512"})

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class JwtSettings:
    """What a token is checked against.

    Attributes:
        secret: The HS256 secret (``None``: HS256 tokens refused).
        public_key: A PEM public key (RSA or EC), as text or as the path of a file.
        jwks_file: The path of a JWKS file (a JSON ``{"keys": [...]}``).
        audience: The ``aud`` a token must carry, if set.
        issuer: The ``iss`` a token must carry, if set.
        leeway: Seconds of clock skew allowed on ``exp``, ``nbf`` and ``iat``.
    """

    secret: str | None = None
    public_key: str | None = None
    jwks_file: str | None = None
    audience: str | None = None
    issuer: str | None = None
    leeway: float = 5.0

    @property
    def enabled(self) -> bool:
        """Whether any key is configured (else JWTs are refused)."""
        return any(v is not None for v in (self.secret, self.public_key, self.jwks_file))


def load_public_key(value: str) -> tuple[PublicKey, tuple[str, ...]]:
    """The key of a PEM text (or of the PEM file ``value`` names) and the algorithms it
    verifies.

    Raises:
        ValueError: Not a readable PEM RSA or EC public key.
    """
    text = value if value.lstrip().startswith("-----BEGIN") else _read(Path(value))
    try:
        key = load_pem_public_key(text.encode())
    except ValueError as exc:
        raise ValueError(f"not a PEM public key: {exc}") from None
    if isinstance(key, rsa.RSAPublicKey):
        return key, _RSA_ALGORITHMS
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC_ALGORITHMS:
        return key, (_EC_ALGORITHMS[key.curve.name],)
    raise ValueError(f"unsupported public key type {type(key).__name__}: use RSA or EC P-256")


def load_jwks(path: str | Path) -> dict[str | None, jwt.PyJWK]:
    """The signing keys of a JWKS file by ``kid`` (``None`` for a sole key without one).

    Encryption keys (``"use": "enc"``) and symmetric keys (``"kty": "oct"``) are skipped.

    Raises:
        ValueError: The file is unreadable, not a JWKS, or holds no usable key.
    """
    try:
        data = json.loads(_read(Path(path)))
    except json.JSONDecodeError as exc:
        raise ValueError(f"JWKS file {str(path)!r} is not JSON: {exc}") from None
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"JWKS file {str(path)!r} has no 'keys' list")
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use") == "enc" or entry.get("kty") == "oct":
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError as exc:
            raise ValueError(f"JWKS file {str(path)!r}: key {entry.get('kid')!r}: {exc}") from None
        keys[key.key_id] = key
    if not keys:
        raise ValueError(f"JWKS file {str(path)!r} holds no RSA or EC signing key")
    if None in keys and len(keys) > 1:
        raise ValueError(f"JWKS file {str(path)!r}: with several keys, each needs a 'kid'")
    return keys


def check_jwt_settings(public_key: str | None, jwks_file: str | None) -> None:
    """Loads the configured keys once, so a bad one fails when the settings are read.

    Raises:
        ValueError: Naming the field (``jwt_public_key`` or ``jwt_jwks_file``) at fault.
    """
    for field, value, load in (
        ("jwt_public_key", public_key, load_public_key),
        ("jwt_jwks_file", jwks_file, load_jwks),
    ):
        if value is not None:
            try:
                load(value)
            except ValueError as exc:
                raise ValueError(f"{field}: {exc}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None


def _refuse(message: str) -> ApiError:
    return ApiError(401, message, _CHALLENGE)


class JwtVerifier:
    """Verifies bearer JWTs and returns their claims.

    A JWKS file is read again when a token names a ``kid`` it does not hold and the
    file changed since, so keys can be rotated by rewriting the file.

    Args:
        settings: The keys and the claims to require.

    Raises:
        ValueError: A configured key cannot be loaded.
    """

    def __init__(self, settings: JwtSettings) -> None:
        self.settings = settings
        self._public: tuple[PublicKey, tuple[str, ...]] | None = None
        if settings.public_key is not None:
            self._public = load_public_key(settings.public_key)
        self._jwks: dict[str | None, jwt.PyJWK] = {}
        self._jwks_mtime = 0.0
        self._lock = threading.Lock()
        if settings.jwks_file is not None:
            self._jwks_mtime = os.stat(settings.jwks_file).st_mtime
            self._jwks = load_jwks(settings.jwks_file)

    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token`` (``sub`` and ``exp`` required).

        Raises:
            ApiError: 401, saying why the token was refused.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refuse("invalid token: malformed JWT") from None
        key, algorithm = self._key_for(header)
        settings = self.settings
        required = ["exp", "sub"]
        required += [
            name for name, v in (("aud", settings.audience), ("iss", settings.issuer)) if v
        ]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway,
                options={"require": required, "verify_aud": settings.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise _refuse(_reason(exc, settings)) from None
        return claims

    def _key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        algorithm = str(header.get("alg"))
        settings = self.settings
        if algorithm == "HS256" and settings.secret is not None:
            return settings.secret, algorithm
        if self._public is not None and algorithm in self._public[1]:
            return self._public[0], algorithm
        if settings.jwks_file is not None and algorithm in _ASYMMETRIC:
            kid = header.get("kid")
            found = self._jwks_key(kid if isinstance(kid, str) else None)
            if found is None:
                raise _refuse(f"invalid token: no key with kid {kid!r} in the JWKS file")
            if found.algorithm_name != algorithm:
                raise _refuse(
                    f"invalid token: key {kid!r} signs with {found.algorithm_name}, not {algorithm}"
                )
            return found.key, algorithm
        raise _refuse(f"invalid token: algorithm {algorithm} is not accepted")

    def _jwks_key(self, kid: str | None) -> jwt.PyJWK | None:
        key = self._jwks.get(kid)
        if key is None and kid is None and len(self._jwks) == 1:
            key = next(iter(self._jwks.values()))
        if key is not None or self.settings.jwks_file is None:
            return key
        with self._lock:  # an unknown kid: the file may hold new keys
            try:
                mtime = os.stat(self.settings.jwks_file).st_mtime
                if mtime != self._jwks_mtime:
                    self._jwks = load_jwks(self.settings.jwks_file)
                    self._jwks_mtime = mtime
            except (OSError, ValueError):
                return None  # keep the keys already loaded
        return self._jwks.get(kid)


def _reason(exc: jwt.PyJWTError, settings: JwtSettings) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "invalid token: expired (exp is in the past)"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "invalid token: not yet valid (nbf is in the future)"
    if isinstance(exc, jwt.InvalidAudienceError):
        return f"invalid token: audience is not {settings.audience!r}"
    if isinstance(exc, jwt.InvalidIssuerError):
        return f"invalid token: issuer is not {settings.issuer!r}"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"invalid token: the {exc.claim!r} claim is missing"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "invalid token: the signature does not verify"
    return f"invalid token: {exc}"
