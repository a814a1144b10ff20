"""Shared pieces of the provider tests: a fast-retrying client and sample tools."""

from __future__ import annotations

from mastra.http import HttpConfig, RetryPolicy, Timeouts
from mastra.providers import ToolSpec

FAST_CONFIG = HttpConfig(
    retry=RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05, max_retry_after=5),
    timeouts=Timeouts(read=0.3, connect=2),
)
KEY = "sk-loopback-secret-key-1234"
SEARCH = ToolSpec(
    "search",
    "Searches the web",
    {
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["query"],
    },
)
LOOKUP = ToolSpec("lookup", "Looks a word up", SEARCH.parameters)
