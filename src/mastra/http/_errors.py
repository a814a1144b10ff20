"""The one place where httpx's exceptions and error responses become mastra errors.

Modelled on httpx's own ``map_httpcore_exceptions``: every call into httpx (and every
read of an event stream) runs inside :func:`map_exceptions`, and every non-success
response goes through :func:`error_from_response`, so the rest of the library only
ever sees the :class:`~mastra.errors.ProviderError` tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import orjson

from mastra.errors import (
    AuthenticationError,
    ConfigError,
    ContextLengthError,
    MalformedResponseError,
    MastraError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StreamError,
)

__all__ = [
    "MAPPED_EXCEPTIONS",
    "PROTOCOL_EXCEPTIONS",
    "error_from_response",
    "malformed_error",
    "malformed_response",
    "map_exceptions",
    "mapped_error",
    "redact",
    "request_id_of",
    "secrets_of",
]

# Most specific first: the first matching row wins.
_EXCEPTION_MAP: tuple[tuple[type[Exception], type[ProviderError], str], ...] = (
    (httpx.ConnectTimeout, ProviderTimeoutError, "timed out connecting"),
    (httpx.ReadTimeout, ProviderTimeoutError, "timed out waiting for data"),
    (httpx.WriteTimeout, ProviderTimeoutError, "timed out sending the request"),
    (httpx.PoolTimeout, ProviderTimeoutError, "timed out waiting for a free connection"),
    (httpx.TimeoutException, ProviderTimeoutError, "timed out"),
    (httpx.ConnectError, ProviderUnavailableError, "could not connect"),
    (httpx.RemoteProtocolError, ProviderUnavailableError, "dropped the connection"),
    (httpx.NetworkError, ProviderUnavailableError, "network error"),
    (httpx.ProxyError, ProviderUnavailableError, "proxy error"),
    (httpx.DecodingError, MalformedResponseError, "sent a body that cannot be decoded"),
    (StreamError, MalformedResponseError, "sent a malformed event stream"),
)

_CONTEXT_LENGTH_HINTS = (
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "prompt is too long",
    "too many tokens",
    "request_too_large",
)
_SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")
_MAX_DETAIL = 500


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replaces every occurrence of each secret in ``text`` with ``[redacted]``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def secrets_of(headers: Mapping[str, str] | None) -> tuple[str, ...]:
    """The secret values among request headers (API keys, bearer tokens)."""
    if not headers:
        return ()
    found: list[str] = []
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS:
            found.append(value)
            if value.lower().startswith("bearer "):
                found.append(value[7:])
    return tuple(found)


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The provider's request id from response headers, if it sent one."""
    return headers.get("x-request-id") or headers.get("request-id")


@contextmanager
def map_exceptions(
    provider: str, *, method: str = "", url: str = "", secrets: Iterable[str] = ()
) -> Iterator[None]:
    """Turns httpx exceptions and stream errors raised inside into ProviderErrors.

    Args:
        provider: The provider's name, put on the error.
        method: The request's method, for the message.
        url: The request's URL, for the message (its query string is left out).
        secrets: Values to redact from the message.

    Raises:
        ProviderTimeoutError: For any httpx timeout.
        ProviderUnavailableError: For connection, network and protocol failures.
        MalformedResponseError: For undecodable bodies and malformed event streams.
        ConfigError: For an invalid or unsupported URL.
        ProviderError: For any other httpx error.
    """
    try:
        yield
    except MAPPED_EXCEPTIONS as exc:
        raise mapped_error(exc, provider, method=method, url=url, secrets=secrets) from exc


MAPPED_EXCEPTIONS = (httpx.HTTPError, StreamError)
"""What :func:`mapped_error` translates (for hot paths that catch it inline)."""


def mapped_error(
    exc: Exception, provider: str, *, method: str = "", url: str = "", secrets: Iterable[str] = ()
) -> MastraError:
    """The mastra error for an httpx exception or stream error (see :func:`map_exceptions`)."""
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return ConfigError(f"cannot request {url!r}: {exc}", provider=provider)
    error_cls, what = ProviderError, "request failed"
    for source, target, description in _EXCEPTION_MAP:
        if isinstance(exc, source):
            error_cls, what = target, description
            break
    where = f" ({method} {url.split('?', 1)[0]})" if url else ""
    detail = redact(str(exc) or type(exc).__name__, secrets)
    return error_cls(f"{provider} {what}{where}: {detail}", provider=provider)


PROTOCOL_EXCEPTIONS = (ValueError, KeyError, TypeError, IndexError, AttributeError)
"""What reading a decoded body raises when it does not follow the protocol."""


@contextmanager
def malformed_response(provider: str, request_id: str | None = None) -> Iterator[None]:
    """Turns a failure to read a decoded body (bad JSON, missing or mistyped fields) into
    a :class:`~mastra.errors.MalformedResponseError`."""
    try:
        yield
    except PROTOCOL_EXCEPTIONS as exc:
        if isinstance(exc, MastraError):
            raise
        raise malformed_error(exc, provider, request_id) from exc


def malformed_error(exc: Exception, provider: str, request_id: str | None) -> MastraError:
    """The error for a body that does not follow the protocol (see
    :func:`malformed_response`); mastra errors pass through unchanged."""
    if isinstance(exc, MastraError):
        return exc
    detail = f"{type(exc).__name__}: {exc}"[:_MAX_DETAIL]
    return MalformedResponseError(
        f"{provider} sent a response that does not follow its protocol ({detail})",
        provider=provider,
        request_id=request_id,
    )


def _detail_of(body: bytes) -> tuple[str, str]:
    """The error message and error code/type from an error body, as far as it has them."""
    try:
        payload: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:_MAX_DETAIL].decode("utf-8", "replace").strip(), ""
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or orjson.dumps(error).decode()
        code = str(error.get("code") or error.get("type") or "")
        return str(message), code
    if isinstance(error, str):
        return error, ""
    return orjson.dumps(payload).decode()[:_MAX_DETAIL], ""


def error_from_response(
    provider: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> ProviderError:
    """The typed error for a response that is not a success.

    Args:
        provider: The provider's name.
        status: The HTTP status.
        headers: The response headers (for the request id).
        body: The response body (for the provider's own message).
        retry_after: The delay the provider asked for, if any.
        secrets: Values to redact from the message.

    Returns:
        An :class:`AuthenticationError` (401, 403), :class:`RateLimitError` (429),
        :class:`ContextLengthError` (a 400 or 413 about length),
        :class:`ProviderTimeoutError` (408), :class:`ProviderUnavailableError` (5xx)
        or a plain :class:`ProviderError`.
    """
    message, code = _detail_of(body)
    detail = redact(message, secrets)[:_MAX_DETAIL]
    context: dict[str, Any] = {"provider": provider, "status": status}
    request_id = request_id_of(headers)
    if request_id:
        context["request_id"] = request_id
    lowered = f"{code} {message}".lower()
    if status in (401, 403):
        text = f"{provider} refused the credentials ({status}): {detail}; check the API key"
        return AuthenticationError(text, **context)
    if status == 429:
        if retry_after is not None:
            context["retry_after"] = retry_after
        return RateLimitError(f"{provider} is rate limiting requests (429): {detail}", **context)
    if status in (400, 413) and any(hint in lowered for hint in _CONTEXT_LENGTH_HINTS):
        text = f"{provider}: the request is too long for the model ({status}): {detail}"
        return ContextLengthError(text, **context)
    if status == 408:
        return ProviderTimeoutError(f"{provider} timed out the request (408): {detail}", **context)
    if status >= 500:
        text = f"{provider} is unavailable ({status}): {detail}"
        return ProviderUnavailableError(text, **context)
    return ProviderError(f"{provider} rejected the request ({status}): {detail}", **context)
