"""A model that records what it was shown, and shortcuts for the memory tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mastra.providers import Message, ModelResponse, ToolCall
from mastra.testing import CallInfo, FunctionModel

Answer = Callable[[list[Message], CallInfo], "ModelResponse | str"]


@dataclass
class Recorder:
    """Answers ``"ok <n>"`` (or by ``script``) and keeps every prompt it was shown."""

    script: list[ModelResponse | str] = field(default_factory=list)
    prompts: list[list[Message]] = field(default_factory=list)
    tools: list[list[str]] = field(default_factory=list)

    def __call__(self, messages: list[Message], info: CallInfo) -> ModelResponse | str:
        self.prompts.append(list(messages))
        self.tools.append([t.name for t in info.tools])
        if self.script:
            return self.script.pop(0)
        return f"ok {len(self.prompts)}"

    def model(self) -> FunctionModel:
        return FunctionModel(self)

    @property
    def last(self) -> list[Message]:
        return self.prompts[-1]


def texts(messages: Sequence[Message], *roles: str) -> list[str]:
    """The texts of the messages (of these roles only, if given)."""
    return [m.text for m in messages if not roles or m.role in roles]


def update(memory: object, call_id: str = "wm1") -> ModelResponse:
    """A response calling updateWorkingMemory with ``memory``."""
    return ModelResponse(
        tool_calls=[ToolCall(call_id, "updateWorkingMemory", {"memory": memory})],
        finish_reason="tool_calls",
    )


def system_texts(messages: Sequence[Message]) -> list[str]:
    return [m.text for m in messages if m.role == "system"]
