"""The server's settings: defaults < a TOML/JSON file < ``MASTRA_*`` environment."""

from __future__ import annotations

import json
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from mastra.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["ApiKeyConfig", "ServerConfig", "load_config"]

_OVERRIDES: ContextVar[dict[str, Any] | None] = ContextVar("mastra_overrides", default=None)

DEFAULT_BODY_LIMIT = 4_718_592
"""Mastra's default request body limit: 4.5 MiB."""


class ApiKeyConfig(BaseModel):
    """One API key: the SHA-256 of the key (never the key itself), its principal and roles.

    Attributes:
        sha256: The key's SHA-256 digest, in hex (``mastra.server.hash_api_key``).
        principal: Who the key belongs to.
        roles: The principal's roles (``admin``, ``operator``, ``reader``...).
    """

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    principal: str = Field(min_length=1)
    roles: list[str] = Field(default_factory=lambda: ["reader"])


class ServerConfig(BaseSettings):
    """The server's settings, typed and validated.

    Every field reads the ``MASTRA_<FIELD>`` environment variable (``port`` also reads
    ``PORT``); a file given to :func:`load_config` sits between the defaults and the
    environment.

    Attributes:
        host: The interface to bind (``MASTRA_HOST``).
        port: The TCP port (``MASTRA_PORT`` or ``PORT``).
        cors_origins: Origins allowed by CORS (``["*"]`` by default).
        body_limit: The most bytes a request body may hold (413 beyond).
        request_timeout: Seconds a non-streaming request may take (503 beyond).
        drain_timeout: Seconds in-flight requests and streams get on shutdown.
        log_level: The level of the ``mastra.server`` loggers.
        log_requests: Whether to write one JSON line per request.
        auth: ``"auto"`` (on unless bound to a loopback host), ``"on"`` or ``"off"``.
        api_keys: The accepted API keys (hashed).
        jwt_secret: The HS256 secret for JWT bearer tokens, 32 bytes or more (none: JWTs
            refused).
        jwt_audience: The ``aud`` a JWT must carry, if set.
        rate_limit: Requests per second per principal (0: no limit).
        rate_burst: The bucket size of the per-principal rate limit.
    """

    model_config = SettingsConfigDict(
        env_prefix="MASTRA_", extra="forbid", populate_by_name=True, validate_default=True
    )

    host: str = "localhost"
    port: int = Field(
        default=4111, ge=0, le=65535, validation_alias=AliasChoices("port", "MASTRA_PORT", "PORT")
    )
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    body_limit: int = Field(default=DEFAULT_BODY_LIMIT, gt=0)
    request_timeout: float = Field(default=180.0, gt=0)
    drain_timeout: float = Field(default=10.0, ge=0)
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    log_requests: bool = True
    auth: str = Field(default="auto", pattern=r"^(auto|on|off)$")
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)
    jwt_secret: str | None = Field(default=None, min_length=32, repr=False)
    jwt_audience: str | None = None
    rate_limit: float = Field(default=0.0, ge=0)
    rate_burst: int = Field(default=20, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags win over the environment, which wins over the values given (the file's).
        overrides = InitSettingsSource(settings_cls, _OVERRIDES.get() or {})
        return (overrides, env_settings, init_settings)

    @model_validator(mode="after")
    def _credentials_when_auth_is_on(self) -> ServerConfig:
        if self.auth_required() and not self.api_keys and self.jwt_secret is None:
            raise ValueError(
                f"auth is required (auth={self.auth!r}, host={self.host!r}) but no api_keys "
                "or jwt_secret are configured; add some, or set auth = 'off' explicitly"
            )
        return self

    def auth_required(self) -> bool:
        """Whether requests must carry credentials (``auto``: off on loopback only)."""
        if self.auth == "auto":
            return self.host not in {"localhost", "127.0.0.1", "::1"}
        return self.auth == "on"


def load_config(path: str | Path | None = None, **overrides: Any) -> ServerConfig:
    """Reads the settings: defaults, then the file (TOML or JSON), then ``MASTRA_*``.

    Args:
        path: A ``.toml`` or ``.json`` file (its ``[server]`` table if it has one).
        **overrides: Values that win over every source (command-line flags).

    Raises:
        ConfigError: The file cannot be read, or values are invalid (every bad field
            is named in the message).
    """
    values = _read_file(Path(path)) if path is not None else {}
    token = _OVERRIDES.set(overrides)
    try:
        return ServerConfig(**values)
    except ValidationError as exc:
        raise ConfigError(f"invalid server config: {describe(exc)}", path=str(path)) from None
    finally:
        _OVERRIDES.reset(token)


def describe(exc: ValidationError) -> str:
    """Every error of a validation, as ``field: problem`` joined by ``; ``."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "value"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc}", path=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold an object", path=str(path))
    server = data.get("server", data)
    if not isinstance(server, dict):
        raise ConfigError(f"config file {str(path)!r}: [server] must be a table", path=str(path))
    return server
