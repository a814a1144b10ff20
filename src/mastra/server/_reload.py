"""Applying settings to a running server, and reloading them from their file (on
SIGHUP or when the file changes) without a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mastra._mastra import Mastra
from mastra.agent import Agent
from mastra.errors import ConfigError
from mastra.server._auth import Authenticator, RateLimiter
from mastra.server._backends import SharedLimit, redis_of
from mastra.server._config import ServerConfig, load_config
from mastra.server._state import ServerState

__all__ = ["RESTART_FIELDS", "ConfigReloader", "agent_settings", "apply_config", "check_config"]

logger = logging.getLogger("mastra.server")

RESTART_FIELDS = ("host", "port", "storage", "vectors", "cache")
"""Settings a running server cannot change: a reload reports them and keeps the old."""


def agent_settings(
    agents: Mapping[str, Agent],
    defaults: dict[str, tuple[dict[str, Any], int]],
    config: ServerConfig,
) -> list[tuple[Agent, dict[str, Any], int]]:
    """Each agent with the model settings and step limit ``config`` gives it: its
    code's own (kept in ``defaults`` at the first call) overlaid with ``config.agents``.

    Raises:
        ConfigError: ``config.agents`` names an agent the app does not serve.
    """
    unknown = sorted(set(config.agents) - set(agents))
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise ConfigError(
            f"invalid server config: agents: no agent named {names} (served: {sorted(agents)})"
        )
    planned = []
    for name, agent in agents.items():
        settings, steps = defaults.setdefault(name, (dict(agent.model_settings), agent.max_steps))
        chosen = config.agents.get(name)
        if chosen is not None:
            settings = {**settings, **chosen.model_settings()}
            steps = chosen.max_steps if chosen.max_steps is not None else steps
        planned.append((agent, dict(settings), steps))
    return planned


def check_config(mastra: Mastra, config: ServerConfig) -> None:
    """Checks that ``config`` fits the app to serve, before serving it.

    Raises:
        ConfigError: ``config.agents`` names an agent the app does not serve.
    """
    agent_settings(mastra.agents, {}, config)


def apply_config(state: ServerState, config: ServerConfig) -> None:
    """Makes ``config`` the server's settings: auth keys and roles, rate limits, CORS,
    body limit, timeouts, drain timeout, log level and the agents' model settings take
    effect at once.

    Raises:
        ConfigError: The settings do not fit the app (checked before anything changes).
    """
    planned = agent_settings(state.mastra.agents, state.agent_defaults, config)
    for agent, settings, steps in planned:
        agent.model_settings = settings
        agent.max_steps = steps
    credentials = bool(config.api_keys) or any(
        key is not None for key in (config.jwt_secret, config.jwt_public_key, config.jwt_jwks_file)
    )
    state.auth = Authenticator(config) if config.auth != "off" and credentials else None
    state.auth_scope = _auth_scope(config)
    state.limiter = _limiter(state, config)
    state.lifecycle.drain_timeout = config.drain_timeout
    state.redactor = None  # rebuilt with the new secrets at the next stream
    logging.getLogger("mastra").setLevel(config.log_level)
    state.config = config  # last: readers see the old settings or all of the new


def _auth_scope(config: ServerConfig) -> str:
    if config.auth_required():
        return "all"
    # auth = "auto" on a loopback host: requests that arrive on another address (the
    # app served by another ASGI server on 0.0.0.0...) still need credentials.
    return "none" if config.auth == "off" else "remote"


def _limiter(state: ServerState, config: ServerConfig) -> RateLimiter | SharedLimit | None:
    if not config.rate_limit:
        return None
    redis = state.redis if state.redis is not None else redis_of(config.cache)
    if redis is None:
        return RateLimiter(config.rate_limit, config.rate_burst)
    from mastra.cache import SharedRateLimiter

    state.redis = redis
    return SharedLimit(SharedRateLimiter(redis, rate=config.rate_limit, burst=config.rate_burst))


class ConfigReloader:
    """Reloads the settings file into a running server.

    Args:
        state: The server's state.
        path: The settings file.
        overrides: The command-line values (they keep winning).
    """

    def __init__(self, state: ServerState, path: str | Path, overrides: dict[str, Any]) -> None:
        self.state = state
        self.path = Path(path)
        self.overrides = dict(overrides)

    def reload(self) -> bool:
        """Reads and applies the file; an invalid one is logged and the settings stay.

        Returns:
            Whether the new settings were applied.
        """
        try:
            new = load_config(self.path, **self.overrides)
        except ConfigError as exc:
            logger.error("config reload rejected, keeping the current settings: %s", exc)
            return False
        old = self.state.config
        kept = {name: getattr(old, name) for name in RESTART_FIELDS}
        changed = [name for name, value in kept.items() if getattr(new, name) != value]
        if changed:
            logger.warning("config reload: %s need a restart; unchanged", ", ".join(changed))
            new = new.model_copy(update=kept)
        try:
            apply_config(self.state, new)
        except ConfigError as exc:  # checked before anything changed
            logger.error("config reload rejected, keeping the current settings: %s", exc)
            return False
        logger.info("config reloaded from %s", self.path)
        return True

    async def watch(self) -> None:
        """Reloads whenever the file changes (with ``watchfiles``; runs until cancelled)."""
        try:
            from watchfiles import awatch
        except ImportError:  # pragma: no cover - watchfiles comes with uvicorn[standard]
            logger.info("watchfiles is not installed: reload with SIGHUP")
            await asyncio.Event().wait()
            return
        async for _ in awatch(self.path):
            self.reload()
