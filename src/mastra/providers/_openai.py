"""The OpenAI chat-completions protocol, spoken by OpenAI and every compatible server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson

from mastra.errors import MalformedResponseError, ProviderError
from mastra.http import (
    HttpClient,
    HttpConfig,
    error_from_response,
    malformed_response,
    map_exceptions,
)
from mastra.http._errors import PROTOCOL_EXCEPTIONS, malformed_error
from mastra.providers._base import (
    Messages,
    Model,
    OutputSchema,
    Provider,
    as_messages,
    decode_output,
    merge_settings,
    schema_of,
)
from mastra.providers._messages import (
    Finish,
    FinishReason,
    ImagePart,
    Message,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from mastra.streaming import aiter_sse

__all__ = ["OpenAIChatModel", "openai_provider"]

OPENAI_BASE_URL = "https://api.openai.com/v1"
_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def openai_provider(
    api_key: str | None = None,
    *,
    base_url: str | None = None,
    http: HttpClient | HttpConfig | None = None,
) -> Provider:
    """The OpenAI provider; the key and URL default to ``OPENAI_API_KEY`` and
    ``OPENAI_BASE_URL``."""
    return Provider(
        "openai",
        base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL,
        api_key or os.environ.get("OPENAI_API_KEY"),
        http=http,
    )


def _message_json(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text}
    body: dict[str, Any] = {"role": message.role}
    if message.role == "assistant":
        body["content"] = message.text or None
        if message.tool_calls:
            body["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": orjson.dumps(call.arguments).decode(),
                    },
                }
                for call in message.tool_calls
            ]
    elif isinstance(message.content, str):
        body["content"] = message.content
    else:
        body["content"] = [
            {"type": "image_url", "image_url": {"url": part.url}}
            if isinstance(part, ImagePart)
            else {"type": "text", "text": part.text}
            for part in message.content
        ]
    return body


def _tool_json(tool: ToolSpec) -> dict[str, Any]:
    function = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    return {"type": "function", "function": function}


def _finish(reason: str | None) -> FinishReason:
    return _FINISH.get(reason or "stop", "stop")


def _usage(usage: dict[str, Any] | None) -> Usage:
    if not usage:
        return Usage()
    return Usage(usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0)


def _arguments(text: str, name: str, provider: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text or "{}")
    except orjson.JSONDecodeError as exc:
        raise MalformedResponseError(
            f"{provider} sent arguments for tool {name!r} that are not JSON: {text[:200]!r}",
            provider=provider,
        ) from exc
    if not isinstance(value, dict):
        raise MalformedResponseError(
            f"{provider} sent arguments for tool {name!r} that are not an object",
            provider=provider,
        )
    return value


class _StreamState:
    """Turns chat-completion chunks into stream events, assembling tool calls."""

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.calls: dict[int, list[str]] = {}
        self.reason: str | None = None
        self.usage = Usage()
        self.done = False

    def feed(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        if "error" in chunk:
            raise _stream_error(self.provider, chunk)
        self.model = chunk.get("model") or self.model
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        events: list[StreamEvent] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                events.append(TextDelta(delta["content"]))
            for part in delta.get("tool_calls") or ():
                events.append(self._tool_delta(part))
            if choice.get("finish_reason"):
                self.reason = choice["finish_reason"]
                events.extend(self._completed_calls())
        return events

    def _tool_delta(self, part: dict[str, Any]) -> ToolCallDelta:
        index = part.get("index", len(self.calls))
        function = part.get("function") or {}
        state = self.calls.setdefault(index, ["", "", ""])
        if part.get("id"):
            state[0] = part["id"]
        if function.get("name"):
            state[1] = function["name"]
        fragment = function.get("arguments") or ""
        state[2] += fragment
        return ToolCallDelta(index, part.get("id"), function.get("name"), fragment)

    def _completed_calls(self) -> list[StreamEvent]:
        calls: list[StreamEvent] = [
            ToolCall(cid, name, _arguments(args, name, self.provider))
            for _, (cid, name, args) in sorted(self.calls.items())
        ]
        self.calls.clear()
        return calls

    def finish(self) -> Finish:
        if self.reason is None:
            raise MalformedResponseError(
                f"{self.provider} ended the stream before the answer was complete",
                provider=self.provider,
            )
        return Finish(_finish(self.reason), self.usage, self.model)


def _stream_error(provider: str, chunk: dict[str, Any]) -> ProviderError:
    error = chunk.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) else 500
    return error_from_response(provider, status, {}, orjson.dumps(chunk))


class OpenAIChatModel(Model):
    """A model behind the OpenAI chat-completions API (or any compatible server).

    Args:
        name: The model's name, e.g. ``"gpt-4o-mini"``.
        provider: Where it is served; OpenAI itself (``OPENAI_API_KEY``) by default.
        **settings: Defaults for every call (``temperature``, ``max_tokens``, ``seed``,
            ``tool_choice``, ``parallel_tool_calls``...), sent as body fields.

    Example:
        >>> model = OpenAIChatModel("gpt-4o-mini", provider=openai_provider("sk-..."))
        >>> async def main():
        ...     response = await model.generate("Say hi")
        ...     print(response.text, response.usage.output_tokens)
    """

    def __init__(self, name: str, *, provider: Provider | None = None, **settings: Any) -> None:
        super().__init__(name, **settings)
        self.provider = provider or openai_provider()
        self.provider_name = self.provider.name

    def request_body(
        self,
        messages: Messages,
        tools: Sequence[ToolSpec] | None,
        output_schema: OutputSchema | None,
        settings: dict[str, Any],
        stream: bool,
    ) -> dict[str, Any]:
        """The JSON body of a chat-completions request."""
        body: dict[str, Any] = {
            "model": self.name,
            "messages": [_message_json(m) for m in as_messages(messages)],
        }
        if tools:
            body["tools"] = [_tool_json(t) for t in tools]
        if output_schema is not None:
            name, schema = schema_of(output_schema)
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema},
            }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        body.update(merge_settings(self.settings, settings))
        return body

    async def generate(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> ModelResponse:
        body = self.request_body(messages, tools, output_schema, settings, stream=False)
        provider = self.provider
        response = await provider.client.request(
            "POST",
            provider.url("/chat/completions"),
            provider=provider.name,
            headers=provider.headers,
            json=body,
            limiter=provider.limiter,
            cache=provider.cache,
        )
        try:
            data = orjson.loads(response.content)
            return self._parse(data, output_schema)
        except PROTOCOL_EXCEPTIONS as exc:
            request_id = response.headers.get("x-request-id")
            raise malformed_error(exc, provider.name, request_id) from exc

    def _parse(self, data: dict[str, Any], output_schema: OutputSchema | None) -> ModelResponse:
        provider = self.provider.name
        choice = data["choices"][0]
        message = choice["message"]
        calls = [
            ToolCall(
                call["id"],
                call["function"]["name"],
                _arguments(call["function"]["arguments"], call["function"]["name"], provider),
            )
            for call in message.get("tool_calls") or ()
        ]
        text = message.get("content") or ""
        return ModelResponse(
            text=text,
            tool_calls=calls,
            finish_reason=_finish(choice.get("finish_reason")),
            usage=_usage(data.get("usage")),
            model=data.get("model") or self.name,
            provider=provider,
            raw=data,
            output=decode_output(text, output_schema, provider, None),
        )

    async def stream(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        body = self.request_body(messages, tools, output_schema, settings, stream=True)
        provider = self.provider
        state = _StreamState(provider.name, self.name)
        url = provider.url("/chat/completions")
        async with provider.client.stream(
            "POST",
            url,
            provider=provider.name,
            headers=provider.headers,
            json=body,
            limiter=provider.limiter,
        ) as response:
            with (
                malformed_response(provider.name, response.request_id),
                map_exceptions(provider.name, url=url),
            ):
                async for event in aiter_sse(response.aiter_bytes()):
                    if event.data == "[DONE]":
                        state.done = True
                        break
                    if not event.data:
                        continue
                    for item in state.feed(event.json()):
                        yield item
            yield state.finish()
