"""Semantic recall: message vectors in a vector store, searched by thread or resource."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mastra.memory._convert import model_message
from mastra.rag import Embedder
from mastra.storage import Message as StoredMessage
from mastra.vector import QueryResult, VectorStore

__all__ = ["INDEX_PREFIX", "MessageMatch", "SemanticIndex", "embeddable_text"]

INDEX_PREFIX = "memory_messages_"
"""Message vectors live in the index ``memory_messages_<dimension>``."""
_CACHE_SIZE = 256
Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class MessageMatch:
    """A message found by :meth:`Memory.search`.

    Attributes:
        message: The stored message.
        score: Its similarity to the query (higher is closer).
    """

    message: StoredMessage
    score: float


def embeddable_text(message: StoredMessage) -> str:
    """The text recall searches a message by (empty: not indexed).

    Only what the user and the assistant said is indexed; tool results and system
    messages are not.
    """
    if message.role not in ("user", "assistant"):
        return ""
    return model_message(message).text.strip()


class SemanticIndex:
    """Embeds messages into ``memory_messages_<d>`` and finds the closest ones.

    Vectors carry ``thread_id`` and ``resource_id`` metadata and the message's id, so
    a search is one filtered query. The vectors of the latest texts are kept, so the
    input a turn was recalled with is not embedded again when the turn is saved.
    """

    def __init__(self, store: VectorStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._ready: set[str] = set()
        self._recent: OrderedDict[str, Vector] = OrderedDict()

    async def _index(self, dimension: int) -> str:
        name = f"{INDEX_PREFIX}{dimension}"
        if name not in self._ready:
            await self.store.create_index(name, dimension, "cosine")
            self._ready.add(name)
        return name

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The vectors of ``texts``, reusing those of recently embedded texts."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._recent]
        if missing:
            fresh = np.asarray(await self.embedder.embed(missing), dtype=np.float32)
            for text, vector in zip(missing, fresh, strict=True):
                self._recent[text] = vector
                self._recent.move_to_end(text)
        vectors = np.stack([self._recent[t] for t in texts])
        while len(self._recent) > _CACHE_SIZE:
            self._recent.popitem(last=False)
        return vectors

    async def add(self, messages: Sequence[StoredMessage]) -> None:
        """Indexes the messages that have text (replacing earlier vectors of their ids)."""
        chosen = [(m, text) for m in messages if (text := embeddable_text(m))]
        if not chosen:
            return
        vectors = await self.embed([text for _, text in chosen])
        name = await self._index(vectors.shape[1])
        metadata = [
            {"thread_id": m.thread_id, "resource_id": m.resource_id, "role": m.role}
            for m, _ in chosen
        ]
        await self.store.upsert(name, vectors, metadata, [m.id for m, _ in chosen])

    async def search(
        self, text: str, *, thread_id: str | None, resource_id: str | None, top_k: int
    ) -> list[QueryResult]:
        """The ``top_k`` messages closest to ``text`` in a thread or a resource."""
        vector = (await self.embed([text]))[0]
        name = await self._index(vector.shape[0])
        where = {"thread_id": thread_id} if thread_id is not None else {"resource_id": resource_id}
        return await self.store.query(name, vector, top_k=top_k, filter=where)

    async def delete(self, ids: Sequence[str]) -> None:
        """Forgets the vectors of these messages in every memory index."""
        if not ids:
            return
        for name in await self.store.list_indexes():
            if name.startswith(INDEX_PREFIX):
                await self.store.delete(name, ids)
