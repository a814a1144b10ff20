"""``mastra demo``: retrieval, tools, streaming and memory in one short conversation."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import orjson

from mastra.agent import Agent, Chunk
from mastra.demo._calculator import calculator
from mastra.demo._script import scripted_model
from mastra.errors import ConfigError
from mastra.memory import Memory, SemanticRecall
from mastra.providers import Model, get_model
from mastra.rag import Document, HashingEmbedder, IngestResult, ingest, vector_query_tool
from mastra.storage import SQLiteStorage, Storage
from mastra.vector import SQLiteVectorStore, VectorStore

__all__ = [
    "FIRST_VISIT",
    "RETURNING",
    "choose_model",
    "demo",
    "documentation",
    "guide_agent",
    "guide_memory",
    "ingest_docs",
]

DOCS_INDEX = "mastra_docs"
SEARCH_TOOL = "search_docs"
THREAD = "mastra-demo"
RESOURCE = "demo-user"
INSTRUCTIONS = (
    "You are the mastra demo agent. Answer questions about the mastra Python library "
    f"from its documentation: call {SEARCH_TOOL} and answer from the passages it returns, "
    "naming the page. Use the calculator tool for any arithmetic. When greeted, say what "
    "you remember of earlier conversations. Be brief."
)
FIRST_VISIT = (
    "Hello! What can you help me with?",
    "How do I give an agent a tool?",
    "What is 17.5 * 4 + 2?",
    "How does ingest store chunks in the vector store?",
)
RETURNING = (
    "Hello again! Do you remember what I asked last time?",
    "What does semantic recall do?",
    "And what is (2 + 3) ** 4 / 5?",
)


def documentation() -> list[Document]:
    """The markdown pages shipped in the package (``mastra/demo/docs``)."""
    folder = resources.files("mastra.demo").joinpath("docs")
    pages = sorted((p for p in folder.iterdir() if p.name.endswith(".md")), key=lambda p: p.name)
    return [
        Document.from_markdown(p.read_text(encoding="utf-8"), {"source": p.name}) for p in pages
    ]


def choose_model(name: str | None) -> tuple[Model, str]:
    """The model to run and the line that says which: ``name`` (or ``MASTRA_MODEL``)
    through :func:`~mastra.providers.get_model`, else the offline scripted model."""
    name = name or os.environ.get("MASTRA_MODEL") or None
    offline = scripted_model(SEARCH_TOOL, calculator.name)
    if name is None:
        return offline, (
            "mastra demo: offline, on a scripted FunctionModel (no MASTRA_MODEL set; try "
            "MASTRA_MODEL=openai/gpt-4o-mini with OPENAI_API_KEY for a real model)"
        )
    try:
        return get_model(name), f"mastra demo: model {name}"
    except ConfigError as exc:
        return offline, f"mastra demo: offline, on a scripted FunctionModel ({name}: {exc})"


def guide_memory(storage: Storage, vectors: VectorStore, embedder: HashingEmbedder) -> Memory:
    """The demo agent's memory: recent messages and semantic recall over the resource."""
    return Memory(
        storage,
        vector_store=vectors,
        embedder=embedder,
        last_messages=8,
        semantic_recall=SemanticRecall(top_k=2, message_range=1, scope="resource"),
    )


def guide_agent(
    model: Model, memory: Memory, vectors: VectorStore, embedder: HashingEmbedder
) -> Agent:
    """The demo's agent: ``memory``, a search tool over the documentation index in
    ``vectors``, and the calculator."""
    search = vector_query_tool(vectors, DOCS_INDEX, embedder, top_k=3, id=SEARCH_TOOL)
    return Agent("guide", INSTRUCTIONS, model, tools=[search, calculator], memory=memory)


async def ingest_docs(vectors: VectorStore, embedder: HashingEmbedder) -> IngestResult:
    """Ingests the documentation into ``vectors`` (again: its chunks are replaced)."""
    return await ingest(vectors, DOCS_INDEX, documentation(), embedder, size=600, overlap=60)


@dataclass
class _Printer:
    out: TextIO

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


async def demo(
    db: str | os.PathLike[str],
    *,
    model: str | None = None,
    out: TextIO | None = None,
) -> None:
    """Runs the demo conversation, keeping its state in the SQLite file ``db``.

    Ingests the package's documentation into a :class:`SQLiteVectorStore` with a
    :class:`HashingEmbedder`, builds an agent with memory, a documentation search tool
    and a calculator, and streams a short conversation: tool calls, retrieved chunks,
    the answer's text and timings. A second run with the same file continues the same
    thread, and the agent greets with what it remembers.

    Args:
        db: The SQLite file (created if missing; graphs are saved in ``<db>.hnsw/``).
        model: A ``"provider/model"`` name; by default ``MASTRA_MODEL``, else offline.
        out: Where to print (standard output by default).

    Example:
        >>> import asyncio  # doctest: +SKIP
        >>> asyncio.run(demo("mastra-demo.db"))  # doctest: +SKIP
    """
    show = _Printer(out or sys.stdout)
    chosen, banner = choose_model(model)
    show.line(banner)
    path = Path(db)
    embedder = HashingEmbedder()
    vectors = SQLiteVectorStore(path)
    memory = guide_memory(SQLiteStorage(path), vectors, embedder)
    agent = guide_agent(chosen, memory, vectors, embedder)
    async with memory:
        returning = await memory.get_thread(THREAD) is not None
        show.line(f"state: {path} ({'returning: memory found' if returning else 'new'})")
        docs = await ingest_docs(vectors, embedder)
        _report_ingest(show, docs, embedder)
        started = time.perf_counter()
        for question in RETURNING if returning else FIRST_VISIT:
            await _turn(agent, question, show)
        show.line(f"done in {time.perf_counter() - started:.2f} s; run it again to see memory.")


def _report_ingest(show: _Printer, result: IngestResult, embedder: HashingEmbedder) -> None:
    show.line(
        f"ingested {result.documents} documentation pages ({result.characters / 1000:.1f} kB) "
        f"as {result.chunks} chunks into index {result.index!r} "
        f"(HashingEmbedder, {embedder.dimension} dims) in {result.seconds:.2f} s"
    )


async def _turn(agent: Agent, question: str, show: _Printer) -> None:
    show.line()
    show.line(f"you   > {question}")
    started = time.perf_counter()
    first_text: float | None = None
    in_text = False
    async with agent.stream(question, thread_id=THREAD, resource_id=RESOURCE) as stream:
        async for chunk in stream:
            if chunk.type == "text-delta":
                if not in_text:
                    show.write("agent > ")
                    in_text = True
                    first_text = first_text or time.perf_counter() - started
                show.write(chunk.payload["text"])
                continue
            if in_text:
                show.line()
                in_text = False
            _show_chunk(show, chunk)
        result = await stream.result()
    if in_text:
        show.line()
    calls = sum(len(step.tool_calls) for step in result.steps)
    to_text = f", first text after {first_text:.3f} s" if first_text is not None else ""
    show.line(
        f"        [{time.perf_counter() - started:.3f} s{to_text}; "
        f"{_count(len(result.steps), 'step')}, {_count(calls, 'tool call')}, "
        f"{_count(result.usage.total_tokens, 'token')}]"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _show_chunk(show: _Printer, chunk: Chunk) -> None:
    payload = chunk.payload
    if chunk.type == "tool-call":
        args = ", ".join(f"{k}={v!r}" for k, v in payload["args"].items())
        show.line(f"  tool call   {payload['toolName']}({args})")
    elif chunk.type == "tool-error":
        show.line(f"  tool error  {payload['toolName']}: {payload['error']}")
    elif chunk.type == "tool-result":
        show.line(f"  tool result {payload['toolName']}:")
        for line in _result_lines(payload["result"]):
            show.line(f"      {line}")


def _result_lines(result: str) -> Sequence[str]:
    try:
        data: Any = orjson.loads(result)
    except orjson.JSONDecodeError:
        return [result[:120]]
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return [result[:120]]
    lines = []
    for hit in data["results"]:
        meta = hit.get("metadata", {})
        where = " > ".join([meta.get("source", "?"), *meta.get("headers", [])])
        snippet = " ".join(str(hit.get("text", "")).split())[:70]
        lines.append(f"{hit.get('score', 0):.3f}  {where}: {snippet}...")
    return lines or ["(no passages found)"]
