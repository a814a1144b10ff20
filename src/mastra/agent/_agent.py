"""The agent: instructions, a model and tools, run in a loop until it answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from mastra.agent._memory import Memory
from mastra.agent._output import output_spec
from mastra.agent._result import AgentResult
from mastra.agent._run import Run
from mastra.agent._stream import AgentStream, stream_chunks
from mastra.errors import ConfigError
from mastra.providers import Message, Model, get_model
from mastra.providers._base import run_sync
from mastra.tools import RunContext, Tool, ToolRegistry

__all__ = ["Agent", "Instructions", "Prompt", "ToolsArg"]

Instructions = str | Callable[[RunContext[Any]], "str | Awaitable[str]"]
Prompt = str | Sequence[Message]
ToolsArg = (
    ToolRegistry | Mapping[str, Tool | Callable[..., Any]] | Iterable[Tool | Callable[..., Any]]
)


class Agent:
    """An agent: a model that follows instructions and calls tools until it answers.

    Each run alternates model calls and tool calls (several tool calls of one step run
    concurrently) until the model answers without calling a tool, or ``max_steps``
    model calls were made.

    Args:
        name: The agent's name (the key it is registered under in :class:`Mastra`).
        instructions: The system prompt, or a sync or async function of the
            :class:`~mastra.tools.RunContext` returning it.
        model: A model object, or a :func:`~mastra.providers.get_model` string such as
            ``"openai/gpt-4o-mini"`` (resolved on first use).
        tools: Tools (``Tool`` objects or plain functions), a mapping of them, or a
            :class:`~mastra.tools.ToolRegistry` that may change while the agent runs.
        memory: A :class:`Memory` for runs given a ``thread_id``.
        max_steps: The most model calls per run.
        output_type: The type answers are validated as (a pydantic model or a type).
        model_settings: Settings for every model call (``temperature``...).
        description: What the agent does (for registries and other agents).
        max_tool_retries: How many failed calls each tool may have per run before the
            run ends with a :class:`~mastra.errors.ToolError`.
        max_tokens_total: Token limit per run (:class:`~mastra.errors.UsageLimitError`).
        max_tool_calls: Tool-call limit per run (:class:`~mastra.errors.UsageLimitError`).

    Example:
        >>> from mastra.testing import TestModel
        >>> from mastra.tools import tool
        >>> @tool
        ... def weather(city: str) -> str:
        ...     '''Current weather in a city.'''
        ...     return f"Sunny in {city}"
        >>> agent = Agent("weather", "Answer briefly.", TestModel(), tools=[weather])
        >>> agent.generate_sync("Weather in Paris?").text
        '{"weather":"Sunny in a"}'
    """

    def __init__(
        self,
        name: str,
        instructions: Instructions | None,
        model: str | Model,
        *,
        tools: ToolsArg = (),
        memory: Memory | None = None,
        max_steps: int = 5,
        output_type: Any = None,
        model_settings: Mapping[str, Any] | None = None,
        description: str | None = None,
        max_tool_retries: int = 2,
        max_tokens_total: int | None = None,
        max_tool_calls: int | None = None,
    ) -> None:
        _check_positive(
            max_steps=max_steps, max_tokens_total=max_tokens_total, max_tool_calls=max_tool_calls
        )
        if max_tool_retries < 0:
            raise ConfigError(
                f"max_tool_retries must be 0 or more, got {max_tool_retries}",
                argument="max_tool_retries",
            )
        self.name = name
        self.instructions = instructions
        self._system = Message.system(instructions) if isinstance(instructions, str) else None
        self._model_spec = model
        self._model: Model | None = model if isinstance(model, Model) else None
        self.tools = _registry(tools)
        self.memory = memory
        self.max_steps = max_steps
        self.output_type = output_type
        self.model_settings = dict(model_settings or {})
        self.description = description
        self.max_tool_retries = max_tool_retries
        self.max_tokens_total = max_tokens_total
        self.max_tool_calls = max_tool_calls
        if output_type is not None:
            output_spec(output_type)  # refuse an unusable type now, not mid-run

    def __repr__(self) -> str:
        return f"Agent({self.name!r}, model={self._model_spec!r})"

    @property
    def model(self) -> Model:
        """The model, resolved from its string on first use."""
        if self._model is None:
            self._model = get_model(self._model_spec)
        return self._model

    def _run(
        self,
        *,
        thread_id: str | None,
        resource_id: str | None,
        output_type: Any,
        max_steps: int | None,
        tool_choice: Any,
        deps: Any,
        settings: dict[str, Any],
    ) -> Run:
        steps = self.max_steps if max_steps is None else max_steps
        _check_positive(max_steps=steps)
        wanted = self.output_type if output_type is None else output_type
        merged = {**self.model_settings, **settings} if self.model_settings else settings
        if tool_choice is not None:
            merged["tool_choice"] = tool_choice
        ctx: RunContext[Any] = RunContext(
            self.name, Run.new_id(), deps, thread_id=thread_id, resource_id=resource_id
        )
        output = output_spec(wanted) if wanted is not None else None
        return Run(self, ctx, output=output, max_steps=steps, settings=merged)

    async def generate(
        self,
        prompt: Prompt,
        *,
        thread_id: str | None = None,
        resource_id: str | None = None,
        output_type: Any = None,
        max_steps: int | None = None,
        tool_choice: Any = None,
        deps: Any = None,
        **settings: Any,
    ) -> AgentResult[Any]:
        """Runs the agent to its final answer.

        Args:
            prompt: The user's message, or messages.
            thread_id: The conversation thread (for memory and tools).
            resource_id: The user or entity owning the thread.
            output_type: Overrides the agent's output type for this run.
            max_steps: Overrides the agent's step limit for this run.
            tool_choice: Passed to the model (``"auto"``, ``"required"``, ``"none"``...).
            deps: Anything tools and instructions should reach (``ctx.deps``).
            **settings: Model settings for this run (``temperature``...).

        Returns:
            The answer, its validated output, the messages, the steps and usage.

        Raises:
            ToolError: A tool kept failing beyond ``max_tool_retries``.
            OutputValidationError: The answer did not fit ``output_type`` twice.
            UsageLimitError: The run went past ``max_tokens_total`` or ``max_tool_calls``.
            ProviderError: The model could not be reached or refused.

        Example:
            >>> async def main(agent):
            ...     result = await agent.generate("Weather in Paris?")
            ...     print(result.text, result.usage.total_tokens)
        """
        run = self._run(
            thread_id=thread_id,
            resource_id=resource_id,
            output_type=output_type,
            max_steps=max_steps,
            tool_choice=tool_choice,
            deps=deps,
            settings=settings,
        )
        run.begin_trace()
        try:
            await run.prepare(prompt)
            model = self.model
            while not run.done:
                span = run.start_model_span(model)
                try:
                    response = await model.generate(run.messages, **run.model_kwargs())
                except BaseException as exc:
                    run.end_model_span(span, None, exc)
                    raise
                run.end_model_span(span, response)
                await run.finish_step(response)
            await run.remember()
        except BaseException as exc:
            run.end_trace(exc)
            raise
        run.end_trace(None)
        return run.result()

    def stream(
        self,
        prompt: Prompt,
        *,
        thread_id: str | None = None,
        resource_id: str | None = None,
        output_type: Any = None,
        max_steps: int | None = None,
        tool_choice: Any = None,
        deps: Any = None,
        **settings: Any,
    ) -> AgentStream:
        """Runs the agent, streaming Mastra-shaped chunks; takes the arguments of
        :meth:`generate`.

        Use it as ``async with agent.stream(...) as stream`` so that leaving the block
        early cancels the model's request and the running tools.

        Example:
            >>> async def main(agent):
            ...     async with agent.stream("Weather in Paris?") as stream:
            ...         async for chunk in stream:
            ...             print(chunk.type, chunk.payload)
            ...         print((await stream.result()).text)
        """
        run = self._run(
            thread_id=thread_id,
            resource_id=resource_id,
            output_type=output_type,
            max_steps=max_steps,
            tool_choice=tool_choice,
            deps=deps,
            settings=settings,
        )
        return AgentStream(stream_chunks(run, prompt), run)

    def generate_sync(self, prompt: Prompt, **kwargs: Any) -> AgentResult[Any]:
        """:meth:`generate` for scripts and notebooks (runs its own event loop).

        Raises:
            ConfigError: Called inside a running event loop (await :meth:`generate`).
        """
        return run_sync(self.generate(prompt, **kwargs))


def _registry(tools: ToolsArg) -> ToolRegistry:
    if isinstance(tools, ToolRegistry):
        return tools
    if isinstance(tools, Mapping):
        return ToolRegistry(tools.values())
    return ToolRegistry(tools)


def _check_positive(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}", argument=name)
