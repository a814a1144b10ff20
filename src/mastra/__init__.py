"""mastra: agents, tools, workflows, memory and retrieval, on a compiled C++ core.

The everyday names are importable from here; each concept also has its own
subpackage (``mastra.vector``, and more to come).
"""

from mastra._info import Info, info
from mastra._version import __version__
from mastra.cache import LRUCache
from mastra.errors import (
    AuthError,
    ConfigError,
    MastraError,
    ProviderError,
    StorageError,
    StreamError,
    ToolError,
    VectorError,
    WorkflowError,
)
from mastra.vector import cosine_similarity, exact_search, inner_product, l2_squared

__all__ = [
    "AuthError",
    "ConfigError",
    "Info",
    "LRUCache",
    "MastraError",
    "ProviderError",
    "StorageError",
    "StreamError",
    "ToolError",
    "VectorError",
    "WorkflowError",
    "__version__",
    "cosine_similarity",
    "exact_search",
    "info",
    "inner_product",
    "l2_squared",
]
