"""Embeddings over the OpenAI ``/embeddings`` API, as float32 NumPy arrays."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import orjson

from mastra.errors import ConfigError
from mastra.http import HttpClient, HttpConfig, RateLimit, malformed_response
from mastra.providers._base import Provider, run_sync
from mastra.providers._openai import openai_provider
from mastra.providers._router import PRESETS, get_provider

__all__ = ["OpenAIEmbedder", "get_embedder"]

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

MAX_BATCH = 2048


class OpenAIEmbedder:
    """Turns texts into vectors with an OpenAI-compatible embeddings endpoint.

    Texts are sent in batches of ``batch_size`` (up to ``concurrency`` batches at once)
    and come back in input order as one ``(len(texts), dimensions)`` float32 array.

    Args:
        name: The embedding model, e.g. ``"text-embedding-3-small"``.
        provider: Where it is served; OpenAI (``OPENAI_API_KEY``) by default.
        dimensions: Ask for shorter vectors (models that support it).
        batch_size: Texts per request (at most 2048).
        concurrency: Batches in flight at once.
        encoding: ``"float"`` (JSON numbers) or ``"base64"`` (packed float32, smaller
            and faster to decode where the server supports it).

    Example:
        >>> embedder = OpenAIEmbedder("text-embedding-3-small", dimensions=256)
        >>> async def main():
        ...     vectors = await embedder.embed(["a cat", "a dog"])
        ...     assert vectors.shape == (2, 256) and vectors.dtype == "float32"
    """

    def __init__(
        self,
        name: str,
        *,
        provider: Provider | None = None,
        dimensions: int | None = None,
        batch_size: int = 512,
        concurrency: int = 4,
        encoding: Literal["float", "base64"] = "float",
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ConfigError(f"batch_size must be in [1, {MAX_BATCH}], got {batch_size}")
        if concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {concurrency}")
        if dimensions is not None and dimensions < 1:
            raise ConfigError(f"dimensions must be >= 1, got {dimensions}")
        self.name = name
        self.provider = provider or openai_provider()
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.encoding = encoding

    def __repr__(self) -> str:
        return f"OpenAIEmbedder({self.provider.name}/{self.name})"

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """The vectors of ``texts``, one row each, in order.

        Raises:
            ProviderError: The typed error once retries are spent.
        """
        if isinstance(texts, str):
            raise ConfigError("embed takes a sequence of texts; use embed_query for one text")
        if not texts:
            import numpy as np

            return np.zeros((0, self.dimensions or 0), dtype=np.float32)
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        gate = asyncio.Semaphore(self.concurrency)

        async def run(batch: Sequence[str]) -> Vectors:
            async with gate:
                return await self._embed_batch(batch)

        parts = await asyncio.gather(*(run(batch) for batch in batches))
        import numpy as np

        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    async def embed_query(self, text: str) -> Vectors:
        """The vector of one text (a 1-D array)."""
        vectors: Vectors = (await self.embed([text]))[0]
        return vectors

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        """:meth:`embed` for scripts and notebooks (runs its own event loop)."""
        return run_sync(self.embed(texts))

    async def _embed_batch(self, batch: Sequence[str]) -> Vectors:
        body: dict[str, Any] = {"model": self.name, "input": list(batch)}
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        if self.encoding == "base64":
            body["encoding_format"] = "base64"
        provider = self.provider
        response = await provider.client.request(
            "POST",
            provider.url("/embeddings"),
            provider=provider.name,
            headers=provider.headers,
            json=body,
            limiter=provider.limiter,
            cache=provider.cache,
        )
        with malformed_response(provider.name, response.headers.get("x-request-id")):
            data = sorted(orjson.loads(response.content)["data"], key=lambda d: d["index"])
            if len(data) != len(batch):
                raise ValueError(f"{len(data)} embeddings for {len(batch)} inputs")
            import numpy as np

            return np.stack([_vector(item["embedding"]) for item in data])


def _vector(embedding: str | list[float]) -> Vectors:
    import numpy as np  # only embeddings need NumPy: `import mastra` stays light

    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding), dtype=np.float32)
    return np.asarray(embedding, dtype=np.float32)


def get_embedder(
    model: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    http: HttpClient | HttpConfig | None = None,
    rate_limit: RateLimit | None = None,
    **options: Any,
) -> OpenAIEmbedder:
    """The embedder named ``"provider/model"``, ready to call.

    Any provider with an OpenAI-compatible embeddings endpoint works (openai, mistral,
    together, google, ollama, lmstudio, vllm...); keys and URLs are found as for
    :func:`~mastra.providers.get_model`.

    Args:
        model: ``"provider/model"``, e.g. ``"openai/text-embedding-3-small"``.
        api_key: The key (default: the provider's environment variable).
        base_url: Overrides the base URL.
        http: An HTTP client, or the configuration of the shared one.
        rate_limit: Client-side requests/min and tokens/min for this key.
        **options: ``dimensions``, ``batch_size``, ``concurrency``, ``encoding``.

    Raises:
        ConfigError: A malformed name, an unknown provider, a missing key, or a
            provider without an OpenAI-compatible embeddings API.

    Example:
        >>> embedder = get_embedder("openai/text-embedding-3-small", api_key="sk-...")
        >>> embedder
        OpenAIEmbedder(openai/text-embedding-3-small)
    """
    name, _, model_name = model.partition("/")
    if not name or not model_name:
        raise ConfigError(f"embedder names have the form 'provider/model', got {model!r}")
    if name in PRESETS and PRESETS[name].protocol != "openai":
        raise ConfigError(f"{name} has no OpenAI-compatible embeddings API", provider=name)
    provider = get_provider(
        name, api_key=api_key, base_url=base_url, http=http, rate_limit=rate_limit
    )
    return OpenAIEmbedder(model_name, provider=provider, **options)
