"""The server's settings: defaults < a TOML/YAML/JSON file < ``MASTRA_*`` environment."""

from __future__ import annotations

import json
import sys
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from mastra.errors import ConfigError
from mastra.server._jwt import check_jwt_settings
from mastra.server._logging import LogRotation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "AgentSettings",
    "ApiKeyConfig",
    "CacheConfig",
    "ServerConfig",
    "StorageConfig",
    "VectorsConfig",
    "load_config",
]

_OVERRIDES: ContextVar[dict[str, Any] | None] = ContextVar("mastra_overrides", default=None)

DEFAULT_BODY_LIMIT = 4_718_592
"""Mastra's default request body limit: 4.5 MiB."""


class ApiKeyConfig(BaseModel):
    """One API key: the SHA-256 of the key (never the key itself), its principal and roles.

    Attributes:
        sha256: The key's SHA-256 digest, in hex (``mastra.server.hash_api_key``).
        principal: Who the key belongs to.
        roles: The principal's roles (``admin``, ``operator``, ``reader``...).
        not_before: When the key starts working (none: at once); naive times are UTC.
        expires_at: When the key stops working (none: never); overlap an old key's
            ``expires_at`` with a new key's ``not_before`` to rotate without downtime.
    """

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    principal: str = Field(min_length=1)
    roles: list[str] = Field(default_factory=lambda: ["reader"])
    not_before: datetime | None = None
    expires_at: datetime | None = None


class AgentSettings(BaseModel):
    """Settings of one served agent (``[agents.<name>]`` in the settings file), laid over
    those its code gives it and applied again on every reload.

    Attributes:
        temperature: The sampling temperature of its model calls.
        max_tokens: The most tokens each model call may generate.
        top_p: The nucleus-sampling mass of its model calls.
        max_steps: The most model calls of one run.
    """

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_steps: int | None = Field(default=None, ge=1)

    def model_settings(self) -> dict[str, Any]:
        """The settings given, as an agent's ``model_settings``."""
        return self.model_dump(exclude_none=True, exclude={"max_steps"})


_POSTGRES = ("postgresql://", "postgres://")


def _check_url(url: str | None, schemes: tuple[str, ...], *, bare_path: bool = False) -> None:
    if url is None:
        return
    if url.startswith("sqlite:///") and "sqlite:///" in schemes:
        if not url[len("sqlite:///") :].strip():
            raise ValueError("sqlite:/// needs a file path (sqlite:///path/to/file.db)")
        return
    if url.startswith(_POSTGRES) and "postgresql://" in schemes:
        from urllib.parse import urlsplit

        try:
            urlsplit(url).port  # noqa: B018 - parses and checks the port
        except ValueError as exc:
            raise ValueError(f"not a valid PostgreSQL URL: {exc}") from None
        return
    if url.startswith(schemes) and not url.startswith("sqlite:"):
        return
    if bare_path and url.strip() and "://" not in url:
        return
    expected = " or ".join(f"{scheme}..." for scheme in schemes)
    raise ValueError(f"expected {expected}, got {url!r}")


class StorageConfig(BaseModel):
    """Where threads, messages and workflow snapshots live when the app sets no storage.

    Attributes:
        url: ``sqlite:///path/to/file.db`` or ``postgresql://user@host:5432/db``
            (``MASTRA_STORAGE__URL``); none: the app's own (the demo: its SQLite file).
        schema_name: The PostgreSQL schema of the tables (``schema`` in files).
        pool_size: The most PostgreSQL connections each worker opens.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: str | None = None
    schema_name: str | None = Field(default=None, alias="schema", min_length=1)
    pool_size: int = Field(default=10, ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        _check_url(url, ("sqlite:///", "postgresql://"))
        return url


class VectorsConfig(BaseModel):
    """The vector store built when the app sets none (``MASTRA_VECTORS__URL``).

    Attributes:
        url: A SQLite file (a path, or ``sqlite:///path``) or a PostgreSQL URL with
            pgvector (``postgresql://...``).
        name: The name the store is registered under in an app without stores.
        schema_name: The PostgreSQL schema of the tables (``schema`` in files).
        pool_size: The most PostgreSQL connections each worker opens.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    url: str | None = None
    name: str = Field(default="default", min_length=1)
    schema_name: str | None = Field(default=None, alias="schema", min_length=1)
    pool_size: int = Field(default=10, ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        _check_url(url, ("sqlite:///", "postgresql://"), bare_path=True)
        return url


class CacheConfig(BaseModel):
    """The server's cache: an in-process LRU (L1), over Redis (L2) when ``l2`` is set;
    with ``l2`` the per-principal rate limit is kept in Redis too, shared by workers.

    Attributes:
        l2: ``redis://host:6379/0`` (``rediss://`` for TLS, ``unix://`` for a socket;
            ``MASTRA_CACHE__L2``); none: L1 only, limits per worker.
        l1_size: Entries in each worker's L1.
        ttl: Seconds an entry lives (none: until evicted).
        namespace: The prefix of the Redis keys and channel.
    """

    model_config = ConfigDict(extra="forbid")

    l2: str | None = None
    l1_size: int = Field(default=10_000, ge=1)
    ttl: float | None = Field(default=None, gt=0)
    namespace: str = Field(default="mastra", min_length=1)

    @field_validator("l2")
    @classmethod
    def _l2(cls, url: str | None) -> str | None:
        _check_url(url, ("redis://", "rediss://", "unix://"))
        return url


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
        request_timeout: Seconds a request may take (503 beyond); a stream's time
            once its response has started is not bounded.
        drain_timeout: Seconds in-flight requests and streams get on shutdown.
        log_level: The level of the ``mastra`` loggers.
        log_requests: Whether to write one JSON line per request.
        auth: ``"auto"`` (on unless bound to a loopback host), ``"on"`` or ``"off"``.
        api_keys: The accepted API keys (hashed).
        jwt_secret: The HS256 secret for JWT bearer tokens, 32 bytes or more (none: JWTs
            refused).
        jwt_audience: The ``aud`` a JWT must carry, if set.
        jwt_public_key: A PEM public key (RSA or EC; text or a file's path) for RS256/ES256.
        jwt_jwks_file: A JWKS file whose keys verify RS256/ES256 JWTs, chosen by ``kid``.
        jwt_issuer: The ``iss`` a JWT must carry, if set.
        jwt_leeway: Seconds of clock skew allowed on ``exp`` and ``nbf``.
        log_file: Write the JSON logs to this file instead of stderr.
        log_rotation: How the log file rotates: by ``size`` or by ``time``.
        stream_redaction: Whether streamed chunks are redacted: the ``request`` data
            of model calls dropped, provider keys and the JWT secret replaced.
        rate_limit: Requests per second per principal (0: no limit).
        rate_burst: The bucket size of the per-principal rate limit.
        storage: The storage built for an app without one (``[storage]`` in a file,
            ``MASTRA_STORAGE__URL``...).
        vectors: The vector store built for an app without one (``[vectors]``).
        cache: The cache tiers and the shared rate limits (``[cache]``).
        agents: Model settings per agent name (``[agents.<name>]``), reloadable; a
            name the app does not serve is refused.
    """

    model_config = SettingsConfigDict(
        env_prefix="MASTRA_",
        env_nested_delimiter="__",
        extra="forbid",
        populate_by_name=True,
        validate_default=True,
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
    jwt_public_key: str | None = Field(default=None, repr=False)
    jwt_jwks_file: str | None = None
    jwt_issuer: str | None = None
    jwt_leeway: float = Field(default=5.0, ge=0)
    log_file: str | None = None
    log_rotation: LogRotation = Field(default_factory=LogRotation)
    stream_redaction: bool = True
    rate_limit: float = Field(default=0.0, ge=0)
    rate_burst: int = Field(default=20, ge=1)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    vectors: VectorsConfig = Field(default_factory=VectorsConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    agents: dict[str, AgentSettings] = Field(default_factory=dict)

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
        check_jwt_settings(self.jwt_public_key, self.jwt_jwks_file)
        jwt_keys = (self.jwt_secret, self.jwt_public_key, self.jwt_jwks_file)
        if self.auth_required() and not self.api_keys and all(k is None for k in jwt_keys):
            raise ValueError(
                f"auth is required (auth={self.auth!r}, host={self.host!r}) but no api_keys "
                "or jwt_secret/jwt_public_key/jwt_jwks_file are configured; add some, or set "
                "auth = 'off' explicitly"
            )
        return self

    def auth_required(self) -> bool:
        """Whether requests must carry credentials (``auto``: off on loopback only)."""
        if self.auth == "auto":
            return self.host not in {"localhost", "127.0.0.1", "::1"}
        return self.auth == "on"


def load_config(path: str | Path | None = None, **overrides: Any) -> ServerConfig:
    """Reads the settings: defaults, then the file (TOML, YAML or JSON), then ``MASTRA_*``.

    Args:
        path: A ``.toml``, ``.yaml``/``.yml`` or ``.json`` file (its ``server`` table if
            it has one); other suffixes are read as TOML.
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


def _parse(path: Path, text: str) -> Any:
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix in {".yaml", ".yml"}:
        try:
            import yaml  # type: ignore[import-untyped, unused-ignore]
        except ImportError:  # pragma: no cover - uvicorn[standard] brings PyYAML
            raise ConfigError(f"{str(path)!r}: YAML settings need PyYAML") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(str(exc)) from None
    return tomllib.loads(text)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = _parse(path, path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc}", path=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold an object", path=str(path))
    server = data.get("server", data)
    if not isinstance(server, dict):
        raise ConfigError(f"config file {str(path)!r}: [server] must be a table", path=str(path))
    if server is not data:  # top-level [storage], [vectors], [cache], [agents.*] beside [server]
        server = {**{k: data[k] for k in _SECTIONS if k in data}, **server}
    return server


_SECTIONS = ("storage", "vectors", "cache", "agents")
