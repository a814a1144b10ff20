"""Server-Sent Events: a compiled, spec-exact incremental parser and an encoder.

:class:`SSEParser` turns byte chunks cut anywhere into :class:`SSEEvent` objects,
following the WHATWG HTML event-stream interpretation rules; :func:`iter_sse` and
:func:`aiter_sse` drive it over a (async) byte iterator such as an httpx response's
``aiter_bytes()``; :func:`encode_sse` writes events for the server side.

Example:
    >>> from mastra.streaming import SSEParser, encode_sse
    >>> parser = SSEParser()
    >>> [event.data for event in parser.feed(encode_sse("hello", event="greeting"))]
    ['hello']
"""

from __future__ import annotations

from mastra._core import SSEEvent, SSEParser
from mastra.streaming._sse import DEFAULT_MAX_EVENT_SIZE, aiter_sse, encode_sse, iter_sse

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "SSEEvent",
    "SSEParser",
    "aiter_sse",
    "encode_sse",
    "iter_sse",
]
