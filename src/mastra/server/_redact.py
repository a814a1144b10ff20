"""Stream redaction, on by default (``stream_redaction``): what a chunk could leak never
reaches the client.

Two passes, as Mastra's server does and then some: the ``request`` a model call may
attach to ``step-start``, ``step-finish`` and ``finish`` chunks (the system prompt, the
tool definitions, the provider's headers) is dropped; and every credential the server
knows — each agent's provider key, the JWT secret — is replaced by ``[redacted]``
wherever it shows up (a tool that returns it, an error message that quotes it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from mastra._mastra import Mastra
from mastra.server._config import ServerConfig
from mastra.server._state import ServerState
from mastra.streaming import encode_sse

__all__ = ["REDACTED", "StreamRedactor", "drop_request_data", "redactor_of", "server_secrets"]

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
"""Shorter values are not taken for secrets: redacting them would garble plain text."""

_CARRIERS = frozenset({"step-start", "step-finish", "finish"})
_NESTED = ("metadata", "output", "response", "stepResult")
_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key")


def drop_request_data(chunk: dict[str, Any]) -> dict[str, Any]:
    """``chunk`` without the ``request`` of its payload (and of the payload's
    ``metadata``/``output``/``response``/``stepResult``), for the chunk types that may
    carry one; other chunks are returned as they are."""
    payload = chunk.get("payload")
    if chunk.get("type") not in _CARRIERS or not isinstance(payload, dict):
        return chunk
    cleaned = {k: v for k, v in payload.items() if k != "request"}
    for key in _NESTED:
        inner = cleaned.get(key)
        if isinstance(inner, dict) and "request" in inner:
            cleaned[key] = {k: v for k, v in inner.items() if k != "request"}
    return {**chunk, "payload": cleaned}


def _model_credentials(model: Any) -> Iterable[str]:
    for inner in getattr(model, "models", ()):  # a FallbackModel's models
        yield from _model_credentials(inner)
    headers = getattr(getattr(model, "provider", None), "headers", None)
    if not isinstance(headers, dict):
        return
    for name in _CREDENTIAL_HEADERS:
        value = headers.get(name)
        if isinstance(value, str):
            scheme, _, token = value.partition(" ")
            yield token if scheme.lower() == "bearer" and token else value


def server_secrets(mastra: Mastra, config: ServerConfig) -> frozenset[str]:
    """The credentials the server knows: its agents' provider keys and JWT secret."""
    found: set[str] = set()
    for agent in mastra.agents.values():
        try:
            model = agent.model
        except Exception:  # a model that cannot be resolved has no key to leak
            continue
        found.update(_model_credentials(model))
    if config.jwt_secret:
        found.add(config.jwt_secret)
    return frozenset(s for s in found if len(s) >= MIN_SECRET_LENGTH)


class StreamRedactor:
    """Encodes chunks as SSE events with request data dropped and secrets replaced.

    Args:
        secrets: The values never to send (see :func:`server_secrets`).
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        # Matched in the encoded JSON, so each secret is searched in its escaped form;
        # longest first, so a secret containing another is replaced whole.
        ordered = sorted(set(secrets), key=len, reverse=True)
        self._secrets = [orjson.dumps(s)[1:-1] for s in ordered]
        self._mask = REDACTED.encode()

    def scrub(self, data: bytes) -> bytes:
        """``data`` (JSON) with every secret replaced by ``[redacted]``."""
        for secret in self._secrets:
            if secret in data:
                data = data.replace(secret, self._mask)
        return data

    def encode(self, chunk: dict[str, Any]) -> bytes:
        """One chunk as an SSE event, redacted."""
        return encode_sse(self.scrub(orjson.dumps(drop_request_data(chunk))).decode())

    def encode_record(self, chunk: dict[str, Any]) -> bytes:
        """One chunk as a record of Mastra's record stream, redacted."""
        return self.scrub(orjson.dumps(drop_request_data(chunk))) + b"\x1e"


def redactor_of(state: ServerState) -> StreamRedactor | None:
    """The redactor of the server's streams (``None`` when ``stream_redaction`` is
    off), built at the first stream after a start or a reload."""
    if not state.config.stream_redaction:
        return None
    if state.redactor is None:
        state.redactor = StreamRedactor(server_secrets(state.mastra, state.config))
    return state.redactor
