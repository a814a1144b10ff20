"""FallbackModel: the next model serves a call the previous one could not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from mastra.errors import (
    ConfigError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mastra.providers._base import Messages, Model, OutputSchema
from mastra.providers._messages import ModelResponse, StreamEvent, ToolSpec

__all__ = ["FallbackModel"]

DEFAULT_FALLBACK_ON: tuple[type[ProviderError], ...] = (
    ProviderUnavailableError,
    RateLimitError,
    ProviderTimeoutError,
)


class FallbackModel(Model):
    """Tries models in order until one answers.

    A call falls through to the next model when it ends (after its own retries) in one
    of ``fallback_on`` — by default :class:`~mastra.errors.ProviderUnavailableError`
    (which includes an open circuit), :class:`~mastra.errors.RateLimitError` and
    :class:`~mastra.errors.ProviderTimeoutError`. A stream falls through only before its
    first event reached the caller. Any other error (a refused key, a malformed
    request) is raised at once. ``response.model`` and ``response.provider`` tell which
    model answered.

    Args:
        primary: The model tried first.
        *fallbacks: The models tried next, in order.
        fallback_on: The error classes that move on to the next model.

    Raises:
        ConfigError: No fallback model is given.

    Example:
        >>> from mastra.testing import TestModel
        >>> model = FallbackModel(TestModel(name="a"), TestModel(name="b"))
        >>> model.generate_sync("hi").model
        'a'
    """

    def __init__(
        self,
        primary: Model,
        *fallbacks: Model,
        fallback_on: tuple[type[ProviderError], ...] = DEFAULT_FALLBACK_ON,
    ) -> None:
        if not fallbacks:
            raise ConfigError("FallbackModel needs at least one fallback model")
        super().__init__(primary.name)
        self.provider_name = "fallback"
        self.models: tuple[Model, ...] = (primary, *fallbacks)
        self.fallback_on = fallback_on

    def __repr__(self) -> str:
        inner = ", ".join(repr(model) for model in self.models)
        return f"FallbackModel({inner})"

    def _exhausted(self, errors: list[ProviderError]) -> ProviderError:
        """The last model's error, with what every model said in its context."""
        last = errors[-1]  # one error per model: every model failed
        last.context["fallback_errors"] = [
            f"{model!r}: {type(error).__name__}"
            for model, error in zip(self.models, errors, strict=True)
        ]
        return last

    async def generate(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> ModelResponse:
        errors: list[ProviderError] = []
        for model in self.models:
            try:
                return await model.generate(
                    messages, tools=tools, output_schema=output_schema, **settings
                )
            except self.fallback_on as exc:
                errors.append(exc)
        raise self._exhausted(errors)

    async def stream(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        errors: list[ProviderError] = []
        for model in self.models:
            events = model.stream(messages, tools=tools, output_schema=output_schema, **settings)
            try:
                first = await anext(events)
            except StopAsyncIteration:
                return
            except self.fallback_on as exc:
                errors.append(exc)
                continue
            yield first
            async for event in events:
                yield event
            return
        raise self._exhausted(errors)
