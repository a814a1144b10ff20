"""FallbackModel over real providers, and embeddings as float32 NumPy arrays."""

from __future__ import annotations

import numpy as np
import pytest

from mastra.errors import AuthenticationError, ConfigError, ProviderUnavailableError
from mastra.http import HttpClient
from mastra.providers import (
    FallbackModel,
    Finish,
    OpenAIChatModel,
    OpenAIEmbedder,
    Provider,
    StreamEvent,
    TextDelta,
    collect_stream,
    get_embedder,
    get_model,
)
from mastra.testing import TestModel

from . import wire
from .helpers import FAST_CONFIG, KEY
from .server import LoopbackServer

pytestmark = pytest.mark.anyio


def model_at(base: str, client: HttpClient, name: str) -> OpenAIChatModel:
    return OpenAIChatModel(name, provider=Provider("openai", base, KEY, http=client))


async def test_fallback_serves_when_the_primary_is_down(
    server: LoopbackServer, client: HttpClient
) -> None:
    down = server.url("503")
    model = FallbackModel(
        model_at(down, client, "primary"), model_at(server.url(), client, "backup")
    )
    response = await model.generate("Hi")
    assert (response.text, response.model) == (wire.TEXT, "backup")
    assert len(server.log(down)) == FAST_CONFIG.retry.max_retries + 1
    streamed = await collect_stream(model.stream("Hi"))
    assert (streamed.text, streamed.model) == (wire.TEXT, "backup")


async def test_fallback_does_not_hide_other_errors(
    server: LoopbackServer, client: HttpClient
) -> None:
    model = FallbackModel(model_at(server.url("401"), client, "a"), TestModel())
    with pytest.raises(AuthenticationError):
        await model.generate("Hi")


async def test_fallback_exhausted_raises_the_last_error(
    server: LoopbackServer, client: HttpClient
) -> None:
    model = FallbackModel(
        model_at(server.url("503"), client, "a"), model_at(server.url("503"), client, "b")
    )
    with pytest.raises(ProviderUnavailableError) as caught:
        await model.generate("Hi")
    assert len(caught.value.context["fallback_errors"]) == 2


async def test_stream_does_not_fall_back_after_the_first_event(
    server: LoopbackServer, client: HttpClient
) -> None:
    model = FallbackModel(
        model_at(server.url("reset-mid-stream"), client, "a"), TestModel(text="backup")
    )
    received: list[StreamEvent] = []

    async def consume() -> None:
        async for event in model.stream("Hi"):
            received.append(event)

    with pytest.raises(ProviderUnavailableError):
        await consume()
    assert any(isinstance(e, TextDelta) for e in received)
    assert not any(isinstance(e, Finish) for e in received)


def test_fallback_needs_two_models_and_lists_route_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError):
        FallbackModel(TestModel())
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    model = get_model(["openai/gpt-4o-mini", "ollama/llama3.2"])
    assert repr(model) == (
        "FallbackModel(OpenAIChatModel(openai/gpt-4o-mini), OpenAIChatModel(ollama/llama3.2))"
    )
    assert isinstance(get_model(["ollama/x"]), OpenAIChatModel)


@pytest.mark.parametrize("encoding", ["float", "base64"])
async def test_embeddings_in_order_as_float32(
    server: LoopbackServer, client: HttpClient, encoding: str
) -> None:
    base = server.url()
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    embedder = OpenAIEmbedder(
        "text-embedding-3-small",
        provider=Provider("openai", base, KEY, http=client),
        dimensions=6,
        batch_size=2,
        encoding=encoding,  # type: ignore[arg-type]
    )
    vectors = await embedder.embed(texts)
    assert vectors.dtype == np.float32
    expected = np.array([wire.embedding_of(t, 6) for t in texts], dtype=np.float32)
    np.testing.assert_array_equal(vectors, expected)
    sent = server.log(base)
    # Batches of 2 go out concurrently: they may arrive in any order.
    assert sorted(tuple(body["input"]) for body in sent) == [
        ("a", "bb"),
        ("ccc", "dddd"),
        ("eeeee",),
    ]
    assert all(body["dimensions"] == 6 for body in sent)
    query = await embedder.embed_query("zz")
    np.testing.assert_array_equal(query, np.array(wire.embedding_of("zz", 6), dtype=np.float32))
    assert (await embedder.embed([])).shape == (0, 6)


def test_get_embedder(monkeypatch: pytest.MonkeyPatch, server: LoopbackServer) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    embedder = get_embedder("openai/text-embedding-3-small", base_url=server.url())
    vectors = embedder.embed_sync(["hello", "world!"])
    assert vectors.shape == (2, 8)
    assert repr(embedder) == "OpenAIEmbedder(openai/text-embedding-3-small)"
    with pytest.raises(ConfigError, match="embeddings"):
        get_embedder("anthropic/claude", api_key="k")
    with pytest.raises(ConfigError, match="provider/model"):
        get_embedder("text-embedding-3-small")
    with pytest.raises(ConfigError, match="batch_size"):
        OpenAIEmbedder("m", provider=embedder.provider, batch_size=0)
