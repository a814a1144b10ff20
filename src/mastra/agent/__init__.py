"""Agents: a model, instructions and tools, run in a loop that calls the tools, feeds
their results back, and streams or returns the answer (typed, with ``output_type``).

Example:
    >>> from mastra.agent import Agent
    >>> from mastra.testing import FunctionModel
    >>> agent = Agent("echo", "Repeat the user.", FunctionModel(lambda m, i: m[-1].text))
    >>> agent.generate_sync("hello").text
    'hello'
"""

from __future__ import annotations

from mastra.agent._agent import Agent, Instructions, Prompt
from mastra.agent._memory import Memory
from mastra.agent._result import AgentFinishReason, AgentResult, Chunk, ChunkType, Step, ToolResult
from mastra.agent._stream import AgentStream

__all__ = [
    "Agent",
    "AgentFinishReason",
    "AgentResult",
    "AgentStream",
    "Chunk",
    "ChunkType",
    "Instructions",
    "Memory",
    "Prompt",
    "Step",
    "ToolResult",
]
