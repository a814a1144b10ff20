"""mastra: agents, tools, workflows, memory and retrieval, on a compiled C++ core.

The everyday names are importable from here; each concept also has its own
subpackage (``mastra.vector``, ``mastra.agent``...). Names are loaded on first use,
so ``import mastra`` stays light: NumPy, pydantic and the HTTP stack are imported
only by the parts that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mastra._version import __version__
from mastra.errors import (
    AuthenticationError,
    AuthError,
    ConfigError,
    ContextLengthError,
    MalformedResponseError,
    MastraError,
    OutputValidationError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StorageError,
    StorageUnavailableError,
    StreamError,
    ToolError,
    UsageLimitError,
    VectorError,
    WorkflowConflictError,
    WorkflowError,
    WorkingMemoryError,
)

if TYPE_CHECKING:
    from mastra._info import Info, info
    from mastra._mastra import Mastra
    from mastra.agent import Agent, AgentResult, AgentStream, Chunk
    from mastra.cache import LRUCache
    from mastra.memory import Memory, SemanticRecall, WorkingMemory
    from mastra.providers import Message, ModelResponse, ToolSpec, get_model
    from mastra.rag import Document, HashingEmbedder, ingest, retrieve, vector_query_tool
    from mastra.storage import InMemoryStorage, SQLiteStorage
    from mastra.tools import RunContext, Tool, ToolRegistry, tool
    from mastra.vector import (
        InMemoryVectorStore,
        SQLiteVectorStore,
        cosine_similarity,
        exact_search,
        inner_product,
        l2_squared,
    )
    from mastra.workflows import Step, Workflow, step

# Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    "Agent": "mastra.agent",
    "AgentResult": "mastra.agent",
    "AgentStream": "mastra.agent",
    "Chunk": "mastra.agent",
    "Document": "mastra.rag",
    "HashingEmbedder": "mastra.rag",
    "InMemoryStorage": "mastra.storage",
    "InMemoryVectorStore": "mastra.vector",
    "Info": "mastra._info",
    "LRUCache": "mastra.cache",
    "Mastra": "mastra._mastra",
    "Memory": "mastra.memory",
    "Message": "mastra.providers",
    "ModelResponse": "mastra.providers",
    "RunContext": "mastra.tools",
    "SQLiteStorage": "mastra.storage",
    "SQLiteVectorStore": "mastra.vector",
    "SemanticRecall": "mastra.memory",
    "Step": "mastra.workflows",
    "Tool": "mastra.tools",
    "ToolRegistry": "mastra.tools",
    "ToolSpec": "mastra.providers",
    "Workflow": "mastra.workflows",
    "WorkingMemory": "mastra.memory",
    "cosine_similarity": "mastra.vector",
    "exact_search": "mastra.vector",
    "get_model": "mastra.providers",
    "info": "mastra._info",
    "ingest": "mastra.rag",
    "inner_product": "mastra.vector",
    "l2_squared": "mastra.vector",
    "retrieve": "mastra.rag",
    "step": "mastra.workflows",
    "tool": "mastra.tools",
    "vector_query_tool": "mastra.rag",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mastra' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Agent",
    "AgentResult",
    "AgentStream",
    "AuthError",
    "AuthenticationError",
    "Chunk",
    "ConfigError",
    "ContextLengthError",
    "Document",
    "HashingEmbedder",
    "InMemoryStorage",
    "InMemoryVectorStore",
    "Info",
    "LRUCache",
    "MalformedResponseError",
    "Mastra",
    "MastraError",
    "Memory",
    "Message",
    "ModelResponse",
    "OutputValidationError",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "RunContext",
    "SQLiteStorage",
    "SQLiteVectorStore",
    "SemanticRecall",
    "Step",
    "StorageError",
    "StorageUnavailableError",
    "StreamError",
    "Tool",
    "ToolError",
    "ToolRegistry",
    "ToolSpec",
    "UsageLimitError",
    "VectorError",
    "Workflow",
    "WorkflowConflictError",
    "WorkflowError",
    "WorkingMemory",
    "WorkingMemoryError",
    "__version__",
    "cosine_similarity",
    "exact_search",
    "get_model",
    "info",
    "ingest",
    "inner_product",
    "l2_squared",
    "retrieve",
    "step",
    "tool",
    "vector_query_tool",
]
