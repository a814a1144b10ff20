"""What every handler reaches: the registry, the settings, the metrics, the shutdown state."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from mastra._mastra import Mastra
from mastra.agent import Agent
from mastra.server._config import ServerConfig
from mastra.server._metrics import ServerMetrics
from mastra.workflows import Run

if TYPE_CHECKING:
    from mastra.cache import LRUCache, RedisCache, TieredCache
    from mastra.server._auth import Authenticator, RateLimiter
    from mastra.server._backends import SharedLimit
    from mastra.server._redact import StreamRedactor

__all__ = ["Lifecycle", "ServerState", "model_labels", "state_of"]


class Lifecycle:
    """The server's shutdown state: draining (refusing readiness), then aborting streams.

    Args:
        drain_timeout: Seconds between the start of the drain and the abort.
    """

    def __init__(self, drain_timeout: float) -> None:
        self.drain_timeout = drain_timeout
        self.draining = False
        self.aborted = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    def begin_drain(self) -> None:
        """Starts draining; streams still open ``drain_timeout`` seconds later end with
        an ``error`` chunk. Call it on the event loop's thread."""
        if self.draining:
            return
        self.draining = True
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.drain_timeout, self.aborted.set)

    def abort(self) -> None:
        """Ends the open streams now."""
        self.draining = True
        self.aborted.set()


@dataclass
class ServerState:
    """The app's shared state, in ``app.state.mastra_server``.

    Attributes:
        mastra: The registry served.
        config: The settings.
        metrics: The Prometheus metrics.
        lifecycle: The shutdown state.
        auth: Who may do what (``None``: no credentials configured, or auth off).
        auth_scope: Which requests must authenticate: ``"all"``, ``"remote"`` (those
            reaching the server on a non-loopback address, under ``auth = "auto"`` on a
            loopback host) or ``"none"`` (``auth = "off"``).
        limiter: The per-principal rate limit (``None``: none), in Redis and shared
            by every worker when ``cache.l2`` is set.
        cache: The server's cache (``cache`` settings): an LRU, over Redis when
            ``cache.l2`` is set; started and closed with the app.
        redis: The Redis of ``cache.l2`` the shared rate limit uses (``None``: none).
        redactor: The streams' redactor, built at the first stream (``None``: not yet,
            or ``stream_redaction`` is off); a reload resets it.
        route_templates: The path template of each endpoint (for metrics).
        agent_defaults: Each agent's own model settings and step limit, kept when the
            settings first change them (``agents`` settings overlay these).
        workflow_runs: The runs created, starting or resuming in this server, by
            ``(workflow id, run id)`` (those at rest live in the workflow's storage).
    """

    mastra: Mastra
    config: ServerConfig
    metrics: ServerMetrics = field(default_factory=ServerMetrics)
    lifecycle: Lifecycle = field(init=False)
    auth: Authenticator | None = None
    auth_scope: str = "all"
    limiter: RateLimiter | SharedLimit | None = None
    cache: LRUCache | TieredCache | None = None
    redis: RedisCache | None = None
    redactor: StreamRedactor | None = None
    route_templates: dict[Any, str] = field(default_factory=dict)
    agent_defaults: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    workflow_runs: dict[tuple[str, str], Run] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lifecycle = Lifecycle(self.config.drain_timeout)


def state_of(request: Request) -> ServerState:
    """The server state of the app serving ``request``."""
    state: ServerState = request.app.state.mastra_server
    return state


def model_labels(agent: Agent) -> tuple[str, str]:
    """``(provider, model id)`` of an agent's model, without failing on a model string
    that cannot be resolved (no key): that string is split instead."""
    try:
        model = agent.model
    except Exception:  # an unresolvable model must not break listings or metrics
        spec = str(getattr(agent, "_model_spec", ""))
        provider, _, name = spec.partition("/")
        return (provider, name) if name else ("", spec)
    return (str(getattr(model, "provider_name", "")), str(model.name))
