"""The transport under httpx's API: httpx's own or aiohttp's, and pool statistics."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

import httpx

from mastra.errors import ConfigError
from mastra.http._config import HttpConfig

__all__ = ["PoolStats", "build_client", "pool_stats", "transport_name"]


@dataclass(frozen=True)
class PoolStats:
    """How many pooled connections are open and how many serve a request right now."""

    open: int
    in_use: int


def transport_name(config: HttpConfig) -> str:
    """The transport ``config`` resolves to: ``"aiohttp"`` or ``"httpx"``."""
    if config.transport != "auto":
        return config.transport
    if config.http2 or importlib.util.find_spec("httpx_aiohttp") is None:
        return "httpx"
    return "aiohttp"


def _build_transport(config: HttpConfig) -> httpx.AsyncBaseTransport:
    limits = httpx.Limits(
        max_connections=config.max_connections,
        max_keepalive_connections=config.max_keepalive_connections,
        keepalive_expiry=config.keepalive_expiry,
    )
    if transport_name(config) == "aiohttp":
        try:
            module = importlib.import_module("httpx_aiohttp")
        except ImportError as exc:
            raise ConfigError(
                "transport='aiohttp' needs the httpx-aiohttp package: pip install httpx-aiohttp",
                transport="aiohttp",
            ) from exc
        transport: httpx.AsyncBaseTransport = module.AiohttpTransport(limits=limits)
        return transport
    if config.http2 and importlib.util.find_spec("h2") is None:
        raise ConfigError("http2=True needs the h2 package: pip install 'httpx[http2]'")
    return httpx.AsyncHTTPTransport(limits=limits, http2=config.http2)


def build_client(config: HttpConfig) -> httpx.AsyncClient:
    """An httpx client with the configured transport, pool bounds and timeouts."""
    t = config.timeouts
    return httpx.AsyncClient(
        transport=_build_transport(config),
        timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
        headers=dict(config.headers),
        follow_redirects=False,
    )


def pool_stats(client: httpx.AsyncClient) -> PoolStats:
    """Counts a client's open connections and those serving a request right now.

    Reads the pool of httpx's transport (httpcore) or the connector of aiohttp's.
    """
    transport = client._transport
    pool = getattr(transport, "_pool", None)
    if pool is not None:
        live = [c for c in pool.connections if not c.is_closed()]
        return PoolStats(open=len(live), in_use=sum(1 for c in live if not c.is_idle()))
    session = getattr(transport, "client", None)
    connector = getattr(session, "connector", None)
    acquired = getattr(connector, "_acquired", ())
    idle = sum(len(conns) for conns in getattr(connector, "_conns", {}).values())
    return PoolStats(open=idle + len(acquired), in_use=len(acquired))
