"""The demo as an app to serve: what ``mastra serve`` runs without a target."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from mastra._mastra import Mastra
from mastra.demo._app import choose_model, guide_agent, guide_memory, ingest_docs
from mastra.demo._calculator import calculator, evaluate
from mastra.rag import HashingEmbedder
from mastra.storage import SQLiteStorage, Storage
from mastra.vector import SQLiteVectorStore, VectorStore
from mastra.workflows import Workflow, step

__all__ = ["DEFAULT_DB", "create_mastra"]

DEFAULT_DB = "mastra-demo.db"
"""The demo's SQLite file unless ``MASTRA_DEMO_DB`` or ``db_path`` names another."""


class _DocsVectorStore:
    """The demo's vector store, which ingests the documentation when it is opened
    (``Mastra`` opens it when the server starts); any other call goes to ``store``."""

    def __init__(self, store: VectorStore, embedder: HashingEmbedder) -> None:
        self.store = store
        self.embedder = embedder

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def __aenter__(self) -> _DocsVectorStore:
        opened = getattr(self.store, "__aenter__", None)
        if opened is not None:
            await opened()
        try:
            await ingest_docs(self.store, self.embedder)
        except BaseException:
            await self.store.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.store.close()


@step
def calculate(expression: str) -> float:
    """Evaluates an arithmetic expression (``+ - * / // % **`` and parentheses)."""
    return float(evaluate(expression))


@step
def explain(value: float) -> str:
    """Says the result in words."""
    return f"The result is {value:g}."


def calculation_workflow() -> Workflow:
    """``calculate``: an expression in, a sentence with its value out (two steps)."""
    workflow = Workflow("calculate", str, str, description="Evaluates arithmetic, then says it")
    return workflow.then(calculate).then(explain).commit()


def create_mastra(
    db_path: str | os.PathLike[str] | None = None,
    *,
    model: str | None = None,
    storage: Storage | None = None,
    vectors: VectorStore | None = None,
) -> Mastra:
    """The demo as a :class:`~mastra.Mastra`: the ``guide`` agent (memory, a search
    tool over the documentation, the calculator), its storage and vector store (the
    documentation ingested when the app opens), and a ``calculate`` workflow.

    Args:
        db_path: The SQLite file (default ``MASTRA_DEMO_DB``, else ``mastra-demo.db``)
            of the storage and vector store not given.
        model: A ``"provider/model"`` name; by default ``MASTRA_MODEL``, else the
            offline scripted model.
        storage: The storage (``mastra serve``: the one of ``storage.url``).
        vectors: The vector store (``mastra serve``: the one of ``vectors.url``).

    Example:
        >>> from mastra.server import create_app  # doctest: +SKIP
        >>> app = create_app(create_mastra("demo.db"))  # doctest: +SKIP
    """
    path = Path(db_path or os.environ.get("MASTRA_DEMO_DB") or DEFAULT_DB)
    chosen, _ = choose_model(model)
    embedder = HashingEmbedder()
    storage = storage if storage is not None else SQLiteStorage(path)
    store = vectors if vectors is not None else SQLiteVectorStore(path)
    agent = guide_agent(chosen, guide_memory(storage, store, embedder), store, embedder)
    return Mastra(
        agents=[agent],
        tools=[calculator],
        storage=storage,
        vectors={"docs": _DocsVectorStore(store, embedder)},
        workflows={"calculate": calculation_workflow()},
    )
