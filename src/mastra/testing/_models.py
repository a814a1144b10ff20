"""Offline models: TestModel answers by rule, FunctionModel by a function of yours."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from mastra.errors import ConfigError
from mastra.providers import (
    Finish,
    FinishReason,
    Message,
    Model,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
    collect_stream,
)
from mastra.providers._base import Messages, OutputSchema, as_messages, decode_output, schema_of
from mastra.testing._schema import SchemaValues

__all__ = ["CallInfo", "FunctionModel", "TestModel"]


def _words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [piece if i == 0 else " " + piece for i, piece in enumerate(pieces)]


def estimate_usage(messages: Sequence[Message], answer: str) -> Usage:
    """Word counts standing in for token counts."""
    words_in = sum(len(m.text.split()) + 1 for m in messages)
    return Usage(words_in, len(answer.split()))


async def aclose(iterator: AsyncIterator[Any]) -> None:
    """Closes an async generator now (not when it is garbage collected)."""
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


async def events_of(response: ModelResponse) -> AsyncIterator[StreamEvent]:
    """Streams a complete response: its text word by word, then its tool calls."""
    if response.text:
        for word in _words(response.text):
            yield TextDelta(word)
    for index, call in enumerate(response.tool_calls):
        arguments = orjson.dumps(call.arguments).decode()
        yield ToolCallDelta(index, call.id, call.name)
        for start in range(0, len(arguments), 8):
            yield ToolCallDelta(index, arguments_delta=arguments[start : start + 8])
        yield call
    yield Finish(response.finish_reason, response.usage, response.model)


@dataclass(frozen=True)
class CallInfo:
    """What a call offered the model, passed to a :class:`FunctionModel`'s function.

    Attributes:
        tools: The tools offered.
        output_schema: The output schema asked for, if any.
        settings: The call's settings, over the model's defaults.
    """

    tools: Sequence[ToolSpec] = ()
    output_schema: OutputSchema | None = None
    settings: dict[str, Any] = field(default_factory=dict)


class TestModel(Model):
    """A model that answers by rule, offline, for tests and demos.

    With tools offered and no tool result yet, it calls each tool (or those named in
    ``call_tools``) once, with arguments made up from the tool's schema. After the
    results came back it answers ``text`` if given, else a JSON summary of the results
    (``{"tool name": "result", ...}``). With an output schema it answers ``output`` if
    given, else a value made up from the schema. Every call is kept in ``calls``.

    Args:
        text: A fixed final answer.
        output: A fixed structured answer (with an output schema).
        call_tools: ``"all"`` or the names of the tools to call.
        seed: Varies the made-up arguments.
        name: The model name put on responses.

    Example:
        >>> from mastra.providers import ToolSpec
        >>> model = TestModel()
        >>> first = model.generate_sync("Weather?", tools=[ToolSpec("weather", "", {
        ...     "type": "object", "properties": {"city": {"type": "string"}}})])
        >>> first.tool_calls[0].name, first.tool_calls[0].arguments
        ('weather', {'city': 'a'})
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        *,
        text: str | None = None,
        output: Any = None,
        call_tools: Literal["all"] | Sequence[str] = "all",
        seed: int = 0,
        name: str = "test",
        **settings: Any,
    ) -> None:
        super().__init__(name, **settings)
        self.provider_name = "test"
        self.text = text
        self.output = output
        self.call_tools = call_tools
        self.seed = seed
        self.calls: list[tuple[list[Message], CallInfo]] = []

    def _respond(self, messages: Sequence[Message], info: CallInfo) -> ModelResponse:
        results = {m.name or m.tool_call_id or "": m.text for m in messages if m.role == "tool"}
        wanted = [t for t in info.tools if self.call_tools == "all" or t.name in self.call_tools]
        if wanted and not results:
            values = SchemaValues(self.seed)
            calls = [
                ToolCall(f"call_{i}_{t.name}", t.name, values.make(t.parameters) or {})
                for i, t in enumerate(wanted)
            ]
            return ModelResponse(
                tool_calls=calls,
                finish_reason="tool_calls",
                usage=estimate_usage(messages, " ".join(t.name for t in wanted)),
                model=self.name,
                provider=self.provider_name,
            )
        text = self._final_text(results, info)
        return ModelResponse(
            text=text,
            usage=estimate_usage(messages, text),
            model=self.name,
            provider=self.provider_name,
            output=decode_output(text, info.output_schema, self.provider_name, None),
        )

    def _final_text(self, results: dict[str, str], info: CallInfo) -> str:
        if info.output_schema is not None:
            value = self.output
            if value is None:
                value = SchemaValues(self.seed).make(schema_of(info.output_schema)[1])
            elif hasattr(value, "model_dump"):
                value = value.model_dump(mode="json")
            return orjson.dumps(value).decode()
        if self.text is not None:
            return self.text
        if results:
            return orjson.dumps(results).decode()
        return "success (no tool calls)"

    def _record(
        self,
        messages: Messages,
        tools: Sequence[ToolSpec] | None,
        output_schema: OutputSchema | None,
        settings: dict[str, Any],
    ) -> tuple[list[Message], CallInfo]:
        call = (
            list(as_messages(messages)),
            CallInfo(tuple(tools or ()), output_schema, {**self.settings, **settings}),
        )
        self.calls.append(call)
        return call

    async def generate(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> ModelResponse:
        return self._respond(*self._record(messages, tools, output_schema, settings))

    async def stream(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        response = self._respond(*self._record(messages, tools, output_schema, settings))
        async for event in events_of(response):
            yield event


GenerateFunction = Callable[
    [list[Message], CallInfo], "ModelResponse | str | Awaitable[ModelResponse | str]"
]
StreamFunction = Callable[[list[Message], CallInfo], AsyncIterator["str | StreamEvent"]]


class FunctionModel(Model):
    """A model whose answers come from a function you write, offline.

    Args:
        function: ``(messages, info) -> ModelResponse | str`` (sync or async); a string
            is the answer's text. Streams are derived from it when ``stream_function``
            is not given.
        stream_function: ``(messages, info) -> async iterator`` of strings (text pieces)
            or stream events; a :class:`~mastra.providers.Finish` is added if missing.
            Complete answers are collected from it when ``function`` is not given.
        name: The model name put on responses.

    Raises:
        ConfigError: Neither function is given.

    Example:
        >>> def echo(messages, info):
        ...     return "you said: " + messages[-1].text
        >>> FunctionModel(echo).generate_sync("hi").text
        'you said: hi'
    """

    def __init__(
        self,
        function: GenerateFunction | None = None,
        *,
        stream_function: StreamFunction | None = None,
        name: str = "function",
        **settings: Any,
    ) -> None:
        if function is None and stream_function is None:
            raise ConfigError("FunctionModel needs a function, a stream_function, or both")
        super().__init__(name, **settings)
        self.provider_name = "function"
        self.function = function
        self.stream_function = stream_function

    def _info(
        self, tools: Sequence[ToolSpec] | None, schema: OutputSchema | None, settings: Any
    ) -> CallInfo:
        return CallInfo(tuple(tools or ()), schema, {**self.settings, **settings})

    async def _call(
        self, function: GenerateFunction, messages: list[Message], info: CallInfo
    ) -> ModelResponse:
        result = function(messages, info)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, str):
            result = ModelResponse(text=result, usage=estimate_usage(messages, result))
        text = result.text
        output = result.output
        if output is None and info.output_schema is not None:
            output = decode_output(text, info.output_schema, self.provider_name, None)
        return ModelResponse(
            text=text,
            tool_calls=list(result.tool_calls),
            finish_reason=result.finish_reason,
            usage=result.usage,
            model=result.model or self.name,
            provider=self.provider_name,
            raw=result.raw,
            output=output,
        )

    async def generate(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> ModelResponse:
        info = self._info(tools, output_schema, settings)
        history = list(as_messages(messages))
        if self.function is not None:
            return await self._call(self.function, history, info)
        if self.stream_function is None:
            raise ConfigError("FunctionModel needs a function, a stream_function, or both")
        events = self._streamed(self.stream_function, history, info)
        response = await collect_stream(events, provider=self.provider_name)
        output = decode_output(response.text, output_schema, self.provider_name, None)
        return ModelResponse(
            text=response.text,
            tool_calls=response.tool_calls,
            finish_reason=response.finish_reason,
            usage=response.usage,
            model=response.model,
            provider=self.provider_name,
            output=output,
        )

    async def _streamed(
        self, function: StreamFunction, messages: list[Message], info: CallInfo
    ) -> AsyncIterator[StreamEvent]:
        text: list[str] = []
        finished = False
        calls = False
        items = function(messages, info)
        try:
            async for item in items:
                event: StreamEvent = TextDelta(item) if isinstance(item, str) else item
                if isinstance(event, TextDelta):
                    text.append(event.text)
                calls = calls or isinstance(event, ToolCall)
                finished = finished or isinstance(event, Finish)
                yield event
        finally:
            await aclose(items)
        if not finished:
            reason: FinishReason = "tool_calls" if calls else "stop"
            yield Finish(reason, estimate_usage(messages, "".join(text)), self.name)

    async def stream(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        info = self._info(tools, output_schema, settings)
        history = list(as_messages(messages))
        if self.stream_function is not None:
            events = self._streamed(self.stream_function, history, info)
            try:
                async for event in events:
                    yield event
            finally:
                await aclose(events)
        elif self.function is not None:
            async for event in events_of(await self._call(self.function, history, info)):
                yield event
