"""The Anthropic Messages API: system prompt apart, content blocks, named stream events."""

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

__all__ = ["AnthropicModel", "anthropic_provider"]

ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1"
ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
OUTPUT_TOOL = "final_result"
_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# The HTTP status each error type of a stream's ``error`` event stands for.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


def anthropic_provider(
    api_key: str | None = None,
    *,
    base_url: str | None = None,
    http: HttpClient | HttpConfig | None = None,
) -> Provider:
    """The Anthropic provider; the key and URL default to ``ANTHROPIC_API_KEY`` and
    ``ANTHROPIC_BASE_URL``."""
    return Provider(
        "anthropic",
        base_url or os.environ.get("ANTHROPIC_BASE_URL") or ANTHROPIC_BASE_URL,
        api_key or os.environ.get("ANTHROPIC_API_KEY"),
        auth="x-api-key",
        http=http,
        headers={"anthropic-version": ANTHROPIC_VERSION},
    )


def _image_block(part: ImagePart) -> dict[str, Any]:
    inline = part.inline
    if inline is None:
        return {"type": "image", "source": {"type": "url", "url": part.url}}
    media_type, data = inline
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _blocks(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": message.text}
        ]
    blocks: list[dict[str, Any]] = [
        _image_block(part) if isinstance(part, ImagePart) else {"type": "text", "text": part.text}
        for part in message.parts
    ]
    blocks += [
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in message.tool_calls
    ]
    return blocks


def conversation(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    """The system prompt and the messages, merged so that roles alternate."""
    system = "\n\n".join(m.text for m in messages if m.role == "system")
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(_blocks(message))
        else:
            turns.append({"role": role, "content": _blocks(message)})
    return system, turns


def _usage(usage: dict[str, Any] | None, base: Usage | None = None) -> Usage:
    base = base or Usage()
    if not usage:
        return base
    return Usage(
        usage.get("input_tokens") or base.input_tokens,
        usage.get("output_tokens") or base.output_tokens,
    )


def _stream_error(provider: str, data: dict[str, Any]) -> ProviderError:
    error = data.get("error") or {}
    status = _ERROR_STATUS.get(error.get("type", ""), 500)
    return error_from_response(provider, status, {}, orjson.dumps(data))


class _StreamState:
    """Turns Anthropic's named stream events into mastra stream events."""

    def __init__(self, provider: str, model: str, structured: bool) -> None:
        self.provider = provider
        self.model = model
        self.structured = structured
        self.usage = Usage()
        self.reason: str | None = None
        self.blocks: dict[int, list[str]] = {}
        self.stopped = False

    def feed(self, kind: str, data: dict[str, Any]) -> list[StreamEvent]:
        if kind == "content_block_delta":
            return self._delta(data["index"], data["delta"])
        if kind == "content_block_start":
            return self._start(data["index"], data["content_block"])
        if kind == "content_block_stop":
            return self._stop(data["index"])
        if kind == "message_start":
            message = data["message"]
            self.model = message.get("model") or self.model
            self.usage = _usage(message.get("usage"))
        elif kind == "message_delta":
            self.reason = (data.get("delta") or {}).get("stop_reason") or self.reason
            self.usage = _usage(data.get("usage"), self.usage)
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            raise _stream_error(self.provider, data)
        return []

    def _start(self, index: int, block: dict[str, Any]) -> list[StreamEvent]:
        if block["type"] != "tool_use":
            return [TextDelta(block["text"])] if block.get("text") else []
        self.blocks[index] = [block["id"], block["name"], ""]
        if self.structured and block["name"] == OUTPUT_TOOL:
            return []
        return [ToolCallDelta(len(self.blocks) - 1, block["id"], block["name"])]

    def _delta(self, index: int, delta: dict[str, Any]) -> list[StreamEvent]:
        if delta["type"] == "text_delta":
            return [TextDelta(delta["text"])]
        if delta["type"] != "input_json_delta":
            return []
        state = self.blocks[index]
        state[2] += delta["partial_json"]
        if self.structured and state[1] == OUTPUT_TOOL:
            return [TextDelta(delta["partial_json"])] if delta["partial_json"] else []
        position = list(self.blocks).index(index)
        return [ToolCallDelta(position, arguments_delta=delta["partial_json"])]

    def _stop(self, index: int) -> list[StreamEvent]:
        state = self.blocks.get(index)
        if state is None or (self.structured and state[1] == OUTPUT_TOOL):
            return []
        arguments = orjson.loads(state[2] or "{}")
        if not isinstance(arguments, dict):
            raise MalformedResponseError(
                f"{self.provider} sent tool input that is not an object", provider=self.provider
            )
        return [ToolCall(state[0], state[1], arguments)]

    def finish(self) -> Finish:
        if not self.stopped:
            raise MalformedResponseError(
                f"{self.provider} ended the stream before message_stop", provider=self.provider
            )
        reason = "stop" if self.structured else _FINISH.get(self.reason or "end_turn", "stop")
        return Finish(reason, self.usage, self.model)


class AnthropicModel(Model):
    """A Claude model behind the Anthropic Messages API.

    System messages are sent apart (``system``), tool results as ``tool_result``
    blocks, and an output schema as a forced tool whose input is the answer.

    Args:
        name: The model's name, e.g. ``"claude-sonnet-4-5"``.
        provider: Where it is served; Anthropic itself (``ANTHROPIC_API_KEY``) by default.
        **settings: Defaults for every call (``max_tokens`` defaults to 4096).

    Example:
        >>> model = AnthropicModel("claude-haiku-4-5", provider=anthropic_provider("sk-ant-..."))
        >>> async def main():
        ...     async for event in model.stream("Tell me a joke"):
        ...         print(event)
    """

    def __init__(self, name: str, *, provider: Provider | None = None, **settings: Any) -> None:
        super().__init__(name, **settings)
        self.provider = provider or anthropic_provider()
        self.provider_name = self.provider.name

    def request_body(
        self,
        messages: Messages,
        tools: Sequence[ToolSpec] | None,
        output_schema: OutputSchema | None,
        settings: dict[str, Any],
        stream: bool,
    ) -> dict[str, Any]:
        """The JSON body of a Messages API request."""
        system, turns = conversation(as_messages(messages))
        options = merge_settings(self.settings, settings)
        body: dict[str, Any] = {
            "model": self.name,
            "max_tokens": options.pop("max_tokens", DEFAULT_MAX_TOKENS),
            "messages": turns,
        }
        if system:
            body["system"] = system
        specs = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in tools or ()
        ]
        if output_schema is not None:
            _, schema = schema_of(output_schema)
            description = "Give the final answer in this form."
            specs.append({"name": OUTPUT_TOOL, "description": description, "input_schema": schema})
            body["tool_choice"] = {"type": "tool", "name": OUTPUT_TOOL}
        if specs:
            body["tools"] = specs
        if "stop" in options:
            stop = options.pop("stop")
            body["stop_sequences"] = [stop] if isinstance(stop, str) else stop
        if stream:
            body["stream"] = True
        body.update(options)
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
            provider.url("/messages"),
            provider=provider.name,
            headers=provider.headers,
            json=body,
            limiter=provider.limiter,
            cache=provider.cache,
        )
        request_id = response.headers.get("request-id") or response.headers.get("x-request-id")
        with malformed_response(provider.name, request_id):
            data = orjson.loads(response.content)
            return self._parse(data, output_schema, request_id)

    def _parse(
        self, data: dict[str, Any], output_schema: OutputSchema | None, request_id: str | None
    ) -> ModelResponse:
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in data["content"]:
            if block["type"] == "text":
                texts.append(block["text"])
            elif block["type"] == "tool_use":
                if output_schema is not None and block["name"] == OUTPUT_TOOL:
                    texts.append(orjson.dumps(block["input"]).decode())
                else:
                    calls.append(ToolCall(block["id"], block["name"], dict(block["input"])))
        text = "".join(texts)
        reason = _FINISH.get(data.get("stop_reason") or "end_turn", "stop")
        return ModelResponse(
            text=text,
            tool_calls=calls,
            finish_reason="stop" if output_schema is not None and not calls else reason,
            usage=_usage(data.get("usage")),
            model=data.get("model") or self.name,
            provider=self.provider.name,
            raw=data,
            output=decode_output(text, output_schema, self.provider.name, request_id),
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
        state = _StreamState(provider.name, self.name, output_schema is not None)
        url = provider.url("/messages")
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
                    if event.event == "ping" or not event.data:
                        continue
                    for item in state.feed(event.event, event.json()):
                        yield item
                    if state.stopped:
                        break
            yield state.finish()
