"""Embedders: the protocol, the offline hashing embedder, and an embedding cache."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from mastra import _core
from mastra.cache import LRUCache

__all__ = ["CachedEmbedder", "Embedder", "HashingEmbedder", "embedder_dimension"]

Vectors = npt.NDArray[np.float32]
# Below this many characters a batch is embedded on the calling thread: handing it to a
# worker thread would cost more than the work.
_INLINE_CHARS = 1 << 16


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into vectors.

    ``await embed(texts)`` returns a float32 array of shape ``(len(texts), d)``, row
    ``i`` being the vector of ``texts[i]``. Embedders that know ``d`` up front expose
    it as ``dimension`` (see :func:`embedder_dimension`). Implementations:
    :class:`HashingEmbedder` (offline) and ``mastra.providers.OpenAIEmbedder``.
    """

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """The vectors of ``texts``, float32 ``(len(texts), d)``."""
        ...


def embedder_dimension(embedder: Embedder) -> int | None:
    """The dimension an embedder declares (``dimension`` or ``dimensions``), if any."""
    for name in ("dimension", "dimensions"):
        value = getattr(embedder, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise TypeError("embed() takes a sequence of texts; wrap a single text as [text]")
    checked = list(texts)
    for text in checked:
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__}")
    return checked


class HashingEmbedder:
    """An offline embedder: feature hashing of character n-grams and words.

    Lexical, not semantic: texts are close when they share spelling (character
    n-grams of ``min_n``..``max_n`` code points, and whole words), not when they mean
    the same thing in other words. It needs no model, no network and no training, and
    the same text always gives the same vector, which makes it the default for tests,
    demos and keyword-like retrieval. Use a model embedder for meaning.

    Texts are lower-cased (ASCII) and their whitespace collapsed; each feature adds
    +1 or -1 to one of ``dimension`` buckets chosen by its hash, and every vector is
    scaled to unit length (an empty text gives zeros). Batches run in the compiled
    core on several threads with the GIL released.

    Args:
        dimension: Length of the vectors.
        min_n: Shortest character n-gram.
        max_n: Longest character n-gram (at most 16).
        words: Whether whole words are features too.
        seed: Changes every bucket; vectors made with different seeds do not mix.

    Raises:
        ConfigError: An option is out of range.

    Example:
        >>> import asyncio
        >>> from mastra.rag import HashingEmbedder
        >>> embedder = HashingEmbedder(dimension=256)
        >>> vectors = asyncio.run(embedder.embed(["vector search", "searching vectors"]))
        >>> vectors.shape, round(float(vectors[0] @ vectors[0]), 3)
        ((2, 256), 1.0)
    """

    __slots__ = ("_core",)

    def __init__(
        self,
        dimension: int = 384,
        *,
        min_n: int = 3,
        max_n: int = 5,
        words: bool = True,
        seed: int = 0,
    ) -> None:
        self._core = _core.HashingEmbedder(dimension, min_n, max_n, words, seed)

    @property
    def dimension(self) -> int:
        """Length of the vectors."""
        return self._core.dimension

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """The unit vectors of ``texts``, float32 ``(len(texts), dimension)``.

        Large batches run on a worker thread, so the event loop never waits on them.
        """
        checked = _check_texts(texts)
        if sum(map(len, checked)) < _INLINE_CHARS:
            return self._core.embed(checked, 1)
        return await asyncio.to_thread(self._core.embed, checked, 0)

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        """:meth:`embed` for scripts: blocks until the vectors are ready."""
        return self._core.embed(_check_texts(texts), 0)

    def __repr__(self) -> str:
        core = self._core
        return (
            f"HashingEmbedder(dimension={core.dimension}, min_n={core.min_n}, "
            f"max_n={core.max_n}, words={core.words}, seed={core.seed})"
        )


class CachedEmbedder:
    """Wraps an embedder so that repeated texts are embedded once.

    Vectors are kept in a :class:`~mastra.cache.LRUCache` under a digest of the text,
    prefixed by ``namespace`` (by default the embedder's ``repr``, which names its
    model and options), so one cache may serve several embedders.

    Args:
        embedder: The embedder to call for texts not in the cache.
        cache: Where vectors are kept; by default 10,000 vectors or 64 MiB.
        namespace: Distinguishes this embedder's entries in a shared cache.

    Example:
        >>> import asyncio
        >>> from mastra.rag import CachedEmbedder, HashingEmbedder
        >>> embedder = CachedEmbedder(HashingEmbedder(dimension=64))
        >>> _ = asyncio.run(embedder.embed(["a text", "a text", "another"]))
        >>> embedder.cache.stats().entries
        2
    """

    def __init__(
        self,
        embedder: Embedder,
        cache: LRUCache | None = None,
        *,
        namespace: str | None = None,
    ) -> None:
        self.embedder = embedder
        self.cache = cache if cache is not None else LRUCache(10_000, max_bytes=64 << 20)
        self._prefix = (namespace if namespace is not None else repr(embedder)).encode() + b"\0"

    @property
    def dimension(self) -> int | None:
        """The wrapped embedder's dimension, if it declares one."""
        return embedder_dimension(self.embedder)

    def _key(self, text: str) -> bytes:
        return self._prefix + hashlib.blake2b(text.encode(), digest_size=20).digest()

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """The vectors of ``texts``, computing only those not cached."""
        checked = _check_texts(texts)
        keys = [self._key(t) for t in checked]
        found: dict[bytes, Vectors] = {}
        for key in dict.fromkeys(keys):
            hit = self.cache.get(key)
            if hit is not None:
                found[key] = hit
        missing = {k: t for k, t in zip(keys, checked, strict=True) if k not in found}
        if missing:
            fresh = np.asarray(await self.embedder.embed(list(missing.values())), dtype=np.float32)
            for key, row in zip(missing, fresh, strict=True):
                vector = row.copy()
                vector.flags.writeable = False
                self.cache.set(key, vector)
                found[key] = vector
        if not checked:
            return np.zeros((0, self.dimension or 0), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
