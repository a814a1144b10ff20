"""One run of an agent: its messages, steps, usage, limits, and tool execution."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError

from mastra import tracing
from mastra.agent._memory import memory_tools
from mastra.agent._output import OutputSpec, describe_problem
from mastra.agent._result import AgentFinishReason, AgentResult, Step, ToolResult
from mastra.errors import OutputValidationError, ToolError, UsageLimitError
from mastra.providers import Message, Model, ModelResponse, ToolCall, ToolSpec, Usage
from mastra.tools import RunContext, Tool

if TYPE_CHECKING:
    from mastra.agent._agent import Agent

__all__ = ["Run"]

_CORRECTION = (
    "Your answer did not follow the required JSON schema: {problem}. "
    "Answer again with only a JSON document that follows the schema."
)


class Run:
    """The state of one run, shared by the complete and the streamed loops."""

    def __init__(
        self,
        agent: Agent,
        ctx: RunContext[Any],
        *,
        output: OutputSpec | None,
        max_steps: int,
        settings: dict[str, Any],
    ) -> None:
        self.agent = agent
        self.ctx = ctx
        self.output = output
        self.max_steps = max_steps
        self.settings = settings
        self.messages: list[Message] = []
        self.start = 0
        self.steps: list[Step] = []
        self.usage = Usage()
        self.failures: dict[str, int] = {}
        self.corrected = False
        self.done = False
        self.finish_reason: AgentFinishReason = "stop"
        self.value: Any = None
        self.text = ""
        self.memory_tools: dict[str, Tool] = {}
        self.span: Any = None  # the run's trace span while tracing is on

    # ---- tracing (no-ops while tracing is off) ----------------------------------------

    def begin_trace(self) -> None:
        """Opens the run's ``invoke_agent`` span."""
        self.span = tracing.start_span(
            f"invoke_agent {self.agent.name}",
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": self.agent.name,
                "mastra.run_id": self.ctx.run_id,
                "mastra.thread_id": self.ctx.thread_id,
                "mastra.resource_id": self.ctx.resource_id,
            },
        )

    def end_trace(self, error: BaseException | None) -> None:
        """Closes the run's span with its outcome and usage."""
        tracing.end_span(
            self.span,
            error,
            {
                "mastra.finish_reason": self.finish_reason,
                "mastra.steps": len(self.steps),
                "gen_ai.usage.input_tokens": self.usage.input_tokens,
                "gen_ai.usage.output_tokens": self.usage.output_tokens,
            },
        )
        self.span = None

    def start_model_span(self, model: Model) -> Any:
        """Opens a ``chat`` span for one model call (end it with :meth:`end_model_span`)."""
        return tracing.start_span(
            f"chat {model.name}",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": model.provider_name,
                "gen_ai.request.model": model.name,
            },
            self.span,
        )

    @staticmethod
    def end_model_span(
        span: Any, response: ModelResponse | None, error: BaseException | None = None
    ) -> None:
        """Closes a ``chat`` span with the response's model, finish reason and tokens."""
        attributes: dict[str, Any] = {}
        if response is not None:
            attributes = {
                "gen_ai.response.model": response.model,
                "gen_ai.response.finish_reasons": response.finish_reason,
                "gen_ai.usage.input_tokens": response.usage.input_tokens,
                "gen_ai.usage.output_tokens": response.usage.output_tokens,
            }
        tracing.end_span(span, error, attributes)

    @staticmethod
    def new_id() -> str:
        """A fresh run id."""
        return uuid.uuid4().hex

    async def prepare(self, prompt: str | Sequence[Message]) -> None:
        """Builds the conversation: instructions, recalled memory, the new input."""
        agent = self.agent
        system = agent._system
        if system is None and callable(agent.instructions):
            text = agent.instructions(self.ctx)
            if inspect.isawaitable(text):
                text = await text
            system = Message.system(text) if text else None
        if system is not None:
            self.messages.append(system)
        new = [Message.user(prompt)] if isinstance(prompt, str) else list(prompt)
        memory, thread = agent.memory, self.ctx.thread_id
        if memory is not None and thread is not None:
            recalled = await memory.recall(thread, resource_id=self.ctx.resource_id, query=new)
            self.messages.extend(recalled)
            self.memory_tools = memory_tools(memory)
        self.start = len(self.messages)
        self.messages.extend(new)

    def specs(self) -> Sequence[ToolSpec] | None:
        """The tools offered in the coming step (read afresh: the registry may change),
        then the memory's tools whose names the agent's tools do not take."""
        specs = self.agent.tools.specs()
        if self.memory_tools:
            registry = self.agent.tools
            extra = [t.spec for name, t in self.memory_tools.items() if name not in registry]
            specs = (*specs, *extra)
        return specs or None

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the model call for the coming step."""
        schema = self.output.schema if self.output is not None else None
        return {"tools": self.specs(), "output_schema": schema, **self.settings}

    async def finish_step(self, response: ModelResponse) -> Step:
        """Takes in a model answer: counts usage, runs the tool calls it asks for,
        checks the final output, and decides whether the run goes on."""
        self.usage = self.usage + response.usage
        self.ctx.usage = self.usage
        self._check_tokens()
        calls = response.tool_calls
        self.messages.append(Message.assistant(response.text, calls))
        results: tuple[ToolResult, ...] = ()
        if calls:
            results = await self.execute(calls)
            self.messages.extend(Message.tool(r.tool_call_id, r.result, r.name) for r in results)
        step = Step(response.text, tuple(calls), results, response.usage, response.finish_reason)
        self.steps.append(step)
        self.ctx.step = len(self.steps)
        if calls:
            if len(self.steps) >= self.max_steps:
                self._end("max_steps", response.text)
        elif self.output is None:
            self._end(response.finish_reason, response.text)
        else:
            self._take_output(response)
        return step

    def _end(self, reason: str, text: str) -> None:
        self.done = True
        self.text = text
        self.finish_reason = reason  # type: ignore[assignment]

    def _take_output(self, response: ModelResponse) -> None:
        output = self.output
        if output is None:
            return
        try:
            self.value = output.parse(response.text, response.output)
        except (ValidationError, orjson.JSONDecodeError) as exc:
            problem = describe_problem(exc)
            if self.corrected:
                raise OutputValidationError(
                    f"agent {self.agent.name!r} answered with output that does not follow "
                    f"{output.model.__name__} after a corrective retry: {problem}",
                    agent=self.agent.name,
                    text=response.text,
                ) from exc
            self.corrected = True
            self.messages.append(Message.user(_CORRECTION.format(problem=problem)))
            return
        self._end(response.finish_reason, response.text)

    def _check_tokens(self) -> None:
        limit = self.agent.max_tokens_total
        if limit is not None and self.usage.total_tokens > limit:
            raise UsageLimitError(
                f"agent {self.agent.name!r} used {self.usage.total_tokens} tokens, over its "
                f"limit of {limit}",
                limit="max_tokens_total",
                value=limit,
                used=self.usage.total_tokens,
            )

    async def execute(self, calls: Sequence[ToolCall]) -> tuple[ToolResult, ...]:
        """Runs the calls (concurrently when there are several), in call order."""
        limit = self.agent.max_tool_calls
        wanted = self.ctx.tool_calls + len(calls)
        if limit is not None and wanted > limit:
            raise UsageLimitError(
                f"agent {self.agent.name!r} would make {wanted} tool calls, over its limit "
                f"of {limit}",
                limit="max_tool_calls",
                value=limit,
                used=wanted,
            )
        self.ctx.tool_calls = wanted
        if len(calls) == 1:
            return (await self._call(calls[0]),)
        outcomes = await asyncio.gather(*(self._call(c) for c in calls), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return tuple(outcomes)  # type: ignore[arg-type]

    async def _call(self, call: ToolCall) -> ToolResult:
        tool = self.agent.tools.get(call.name) or self.memory_tools.get(call.name)
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
        }
        with tracing.span(f"execute_tool {call.name}", attributes, self.span) as span:
            try:
                if tool is None:
                    known = ", ".join(repr(s.name) for s in self.specs() or ()) or "none"
                    raise ToolError(f"unknown tool {call.name!r} (tools: {known})", tool=call.name)
                content = await tool.run(call.arguments, self.ctx)
            except ToolError as exc:
                if span is not None:
                    span.set_attribute("error.type", "ToolError")
                return self._failed(call, exc)
        return ToolResult(call.id, call.name, call.arguments, content)

    def _failed(self, call: ToolCall, error: ToolError) -> ToolResult:
        count = self.failures[call.name] = self.failures.get(call.name, 0) + 1
        allowed = self.agent.max_tool_retries
        if count > allowed:
            raise ToolError(
                f"tool {call.name!r} failed {count} times (max_tool_retries={allowed}); "
                f"last error: {error.message}",
                tool=call.name,
                failures=count,
            ) from error
        message = f"Error: {error.message}. Correct the call and try again."
        return ToolResult(call.id, call.name, call.arguments, message, is_error=True)

    def result(self) -> AgentResult[Any]:
        """The run's result, once it is done."""
        return AgentResult(
            text=self.text,
            output=self.value,
            messages=self.messages,
            steps=self.steps,
            usage=self.usage,
            finish_reason=self.finish_reason,
            run_id=self.ctx.run_id,
        )

    async def remember(self) -> None:
        """Keeps the new messages in memory (runs with a thread only)."""
        memory, thread = self.agent.memory, self.ctx.thread_id
        if memory is not None and thread is not None:
            new = self.messages[self.start :]
            await memory.remember(thread, new, resource_id=self.ctx.resource_id)
