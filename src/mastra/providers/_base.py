"""Providers (where and how to connect) apart from models (what to send and read)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from mastra.cache import LRUCache
from mastra.errors import ConfigError, MalformedResponseError
from mastra.http import (
    HttpClient,
    HttpConfig,
    RateLimit,
    RateLimiter,
    aclose_shared_clients,
    limiter_for,
    shared_client,
)
from mastra.providers._messages import Message, ModelResponse, StreamEvent, ToolSpec

__all__ = ["Messages", "Model", "OutputSchema", "Provider", "run_sync"]

Messages = str | Sequence[Message]
OutputSchema = dict[str, Any] | type[BaseModel]
T = TypeVar("T")


class Provider:
    """Where a model is served: base URL, API key, HTTP client.

    The key is kept out of ``repr`` and out of every error message.

    Args:
        name: The provider's name (``"openai"``, ``"groq"``...), for errors and metrics.
        base_url: The API's base URL, up to and including the version (``.../v1``).
        api_key: The API key; ``None`` for servers that need none.
        auth: How the key is sent: ``"bearer"`` (``Authorization: Bearer``) or
            ``"x-api-key"``.
        http: An :class:`~mastra.http.HttpClient` to use, or the
            :class:`~mastra.http.HttpConfig` of the shared one (default settings if
            ``None``).
        headers: Extra headers sent with every request.
        rate_limit: Client-side requests/min and tokens/min for this key (shared by
            every provider with the same base URL, key and limits).
        cache: Opt-in cache of complete (non-streamed) answers, keyed by a hash of the
            full request.

    Example:
        >>> provider = Provider("vllm", "http://127.0.0.1:8000/v1", api_key="secret")
        >>> provider
        Provider(name='vllm', base_url='http://127.0.0.1:8000/v1')
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None = None,
        *,
        auth: Literal["bearer", "x-api-key"] = "bearer",
        http: HttpClient | HttpConfig | None = None,
        headers: Mapping[str, str] | None = None,
        rate_limit: RateLimit | None = None,
        cache: LRUCache | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.limiter: RateLimiter | None = None
        if rate_limit is not None:
            self.limiter = limiter_for(self.base_url, api_key, rate_limit)
        self.cache = cache
        self._api_key = api_key
        self._http = http
        self._headers = dict(headers or {})
        if api_key:
            if auth == "bearer":
                self._headers["authorization"] = f"Bearer {api_key}"
            else:
                self._headers["x-api-key"] = api_key

    def __repr__(self) -> str:
        return f"Provider(name={self.name!r}, base_url={self.base_url!r})"

    @property
    def has_api_key(self) -> bool:
        """Whether a key is set (the key itself is not readable from here)."""
        return bool(self._api_key)

    @property
    def headers(self) -> dict[str, str]:
        """The headers sent with every request (including the key)."""
        return self._headers

    @property
    def client(self) -> HttpClient:
        """The HTTP client requests go through."""
        if isinstance(self._http, HttpClient):
            return self._http
        return shared_client(self._http)

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``"/chat/completions"``."""
        return self.base_url + path


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to completion from synchronous code, closing its connections.

    Raises:
        ConfigError: Called from inside a running event loop (await the async method).
    """
    _refuse_inside_loop(coroutine)

    async def run() -> T:
        try:
            return await coroutine
        finally:
            await aclose_shared_clients()

    return asyncio.run(run())


def _refuse_inside_loop(awaitable: Coroutine[Any, Any, Any] | AsyncIterator[Any]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
    raise ConfigError(
        "the *_sync methods cannot run inside a running event loop; await the async method"
    )


def iterate_sync(events: AsyncIterator[StreamEvent]) -> Iterator[StreamEvent]:
    """Drives an async event stream from synchronous code on a private event loop."""
    _refuse_inside_loop(events)
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                event = loop.run_until_complete(anext(events))
            except StopAsyncIteration:
                break
            yield event
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            loop.run_until_complete(aclose())
        loop.run_until_complete(aclose_shared_clients())
        loop.close()


class Model(ABC):
    """A language model behind some wire protocol.

    Subclasses implement :meth:`generate` and :meth:`stream`; the sync facades come
    with the base class.

    Attributes:
        name: The model's name as the provider knows it (``"gpt-4o-mini"``).
        provider_name: The provider's name (``"openai"``).
        settings: Defaults for every call (``temperature``, ``max_tokens``...),
            overridden per call.
    """

    name: str
    provider_name: str

    def __init__(self, name: str, **settings: Any) -> None:
        self.name = name
        self.settings: dict[str, Any] = settings

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider_name}/{self.name})"

    @abstractmethod
    async def generate(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> ModelResponse:
        """Asks the model for a complete answer.

        Args:
            messages: The conversation, or one user message as a string.
            tools: Tools the model may call.
            output_schema: A JSON schema, or a pydantic model class, the answer must
                follow; the decoded answer is on ``response.output``.
            **settings: Per-call settings (``temperature``, ``max_tokens``...).

        Returns:
            The answer, its tool calls, finish reason and usage.

        Raises:
            ProviderError: The typed error, once retries are spent.
        """

    @abstractmethod
    def stream(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Streams the answer as :class:`TextDelta`, :class:`ToolCallDelta`,
        :class:`ToolCall` events and a final :class:`Finish`."""

    def generate_sync(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> ModelResponse:
        """:meth:`generate` for scripts and notebooks (runs its own event loop)."""
        return run_sync(
            self.generate(messages, tools=tools, output_schema=output_schema, **settings)
        )

    def stream_sync(
        self,
        messages: Messages,
        *,
        tools: Sequence[ToolSpec] | None = None,
        output_schema: OutputSchema | None = None,
        **settings: Any,
    ) -> Iterator[StreamEvent]:
        """:meth:`stream` for scripts and notebooks (runs its own event loop)."""
        return iterate_sync(
            self.stream(messages, tools=tools, output_schema=output_schema, **settings)
        )


def as_messages(messages: Messages) -> Sequence[Message]:
    """A string becomes one user message; a sequence is taken as it is."""
    return [Message.user(messages)] if isinstance(messages, str) else messages


def schema_of(output_schema: OutputSchema) -> tuple[str, dict[str, Any]]:
    """The name and JSON schema of an output schema (dict or pydantic model class)."""
    if isinstance(output_schema, dict):
        return str(output_schema.get("title", "output")), output_schema
    return output_schema.__name__, output_schema.model_json_schema()


def decode_output(
    text: str, output_schema: OutputSchema | None, provider: str, request_id: str | None
) -> Any:
    """The answer decoded (and validated, for a pydantic model) per the output schema;
    ``None`` without a schema or without text (an answer that only calls tools)."""
    if output_schema is None or not text:
        return None
    try:
        data = orjson.loads(text)
        if isinstance(output_schema, dict):
            return data
        return output_schema.model_validate(data)
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise MalformedResponseError(
            f"{provider} answered with output that does not follow the schema: {exc}",
            provider=provider,
            request_id=request_id,
        ) from exc


def merge_settings(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Per-call settings over the model's defaults, ``None`` values dropped."""
    merged = {**defaults, **overrides}
    return {key: value for key, value in merged.items() if value is not None}
