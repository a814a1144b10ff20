"""OpenTelemetry traces of agent runs, model calls and tool calls, when switched on.

Off by default: until :func:`enable_tracing` is called nothing is imported and a span
costs one attribute check. Switched on (with the ``otel`` extra installed), each agent
run is an ``invoke_agent <name>`` span, with one ``chat <model>`` span per model call
and one ``execute_tool <tool>`` span per tool call beneath it, named and attributed as
OpenTelemetry's GenAI semantic conventions say (``gen_ai.*``). Spans are parented
explicitly rather than through the current context, so a streamed run (an async
generator that suspends between chunks) nests its spans as a plain one does.

Example:
    >>> from opentelemetry.sdk.trace import TracerProvider  # doctest: +SKIP
    >>> from mastra.tracing import enable_tracing  # doctest: +SKIP
    >>> enable_tracing(TracerProvider())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mastra._version import __version__
from mastra.errors import ConfigError

__all__ = [
    "disable_tracing",
    "enable_tracing",
    "end_span",
    "span",
    "start_span",
    "tracing_enabled",
]

_tracer: Any = None  # an opentelemetry Tracer while tracing is on
AttributeValue = str | int | float | bool


def enable_tracing(tracer_provider: Any | None = None) -> None:
    """Records spans from now on, through ``tracer_provider`` (default: the global one).

    Raises:
        ConfigError: The ``otel`` extra is not installed.
    """
    try:
        from opentelemetry import trace
    except ImportError as exc:
        raise ConfigError(
            "tracing needs OpenTelemetry: pip install 'mastra[otel]'", extra="otel"
        ) from exc
    global _tracer
    provider = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
    _tracer = provider.get_tracer("mastra", __version__)


def disable_tracing() -> None:
    """Stops recording spans."""
    global _tracer
    _tracer = None


def tracing_enabled() -> bool:
    """Whether spans are being recorded."""
    return _tracer is not None


def _clean(attributes: Mapping[str, Any]) -> dict[str, AttributeValue]:
    return {k: v for k, v in attributes.items() if isinstance(v, (str, int, float, bool))}


def start_span(name: str, attributes: Mapping[str, Any], parent: Any = None) -> Any:
    """Starts a span under ``parent`` (a span from here, or None for a root); returns
    None while tracing is off. End it with :func:`end_span`."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.set_span_in_context(parent) if parent is not None else None
    return _tracer.start_span(name, context=context, attributes=_clean(attributes))


def end_span(
    span: Any, error: BaseException | None = None, attributes: Mapping[str, Any] | None = None
) -> None:
    """Ends a span from :func:`start_span`, with the error that ended its work."""
    if span is None:
        return
    if attributes:
        span.set_attributes(_clean(attributes))
    if error is not None:
        from opentelemetry.trace import Status, StatusCode

        span.record_exception(error)
        span.set_attribute("error.type", type(error).__name__)
        span.set_status(Status(StatusCode.ERROR, str(error)))
    span.end()


@contextmanager
def span(name: str, attributes: Mapping[str, Any], parent: Any = None) -> Iterator[Any]:
    """A span around a block (None inside while tracing is off); an exception leaving
    the block is recorded on it."""
    current = start_span(name, attributes, parent)
    if current is None:
        yield None
        return
    try:
        yield current
    except BaseException as exc:
        end_span(current, exc)
        raise
    end_span(current)
