"""A step: an id, typed input and output, and the code that runs; and its context."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import typing_extensions

from mastra.errors import ConfigError
from mastra.workflows._schema import Schema, as_schema

if TYPE_CHECKING:
    from mastra.agent import Agent
    from mastra.tools import Tool

__all__ = ["Step", "StepContext", "StepWriter", "step"]

Execute = Callable[["StepContext"], Any]


class Suspend(BaseException):
    """Raised by :meth:`StepContext.suspend`; a control signal, not an error."""

    def __init__(
        self, payload: Any, child: dict[str, Any] | None = None, path: list[str] | None = None
    ) -> None:
        super().__init__("suspended")
        self.payload = payload
        self.child = child
        self.path = path or []


class Bail(BaseException):
    """Raised by :meth:`StepContext.bail`: the run ends now with this result."""

    def __init__(self, result: Any) -> None:
        super().__init__("bailed")
        self.result = result


class Abort(BaseException):
    """Raised by :meth:`StepContext.abort`: the run is canceled."""


class RunAccess(Protocol):
    """What a step context reaches of its run (implemented by the executor)."""

    run_id: str
    mastra: Any

    def step_output(self, step_id: str) -> Any: ...

    def init_data(self) -> Any: ...

    def get_state(self) -> Any: ...

    def put_state(self, value: Any) -> None: ...

    def step_event(self, step_id: str, data: Any) -> None: ...


class StepWriter:
    """Sends custom events (``workflow-step-output``) to the run's stream and watchers."""

    __slots__ = ("_run", "_step_id")

    def __init__(self, run: RunAccess, step_id: str) -> None:
        self._run = run
        self._step_id = step_id

    async def write(self, data: Any) -> None:
        """Emits ``data`` as the payload's ``output``."""
        self._run.step_event(self._step_id, data)


class StepContext:
    """What a step's ``execute`` receives.

    Attributes:
        input_data: The step's input, validated (a model instance for a model schema).
        resume_data: The data passed to ``resume`` (or the event's data), else None.
        suspend_data: The payload the step suspended with on its previous run, if any.
        run_id: The run's id.
        run_count: How many times this step ran before in this run (retries, loops).
        mastra: The :class:`~mastra.Mastra` registry the workflow belongs to, or None.
    """

    __slots__ = (
        "_run",
        "input_data",
        "mastra",
        "resume_data",
        "run_count",
        "run_id",
        "step_id",
        "suspend_data",
    )

    def __init__(
        self,
        run: RunAccess,
        step_id: str,
        input_data: Any,
        resume_data: Any = None,
        suspend_data: Any = None,
        run_count: int = 0,
    ) -> None:
        self._run = run
        self.step_id = step_id
        self.input_data = input_data
        self.resume_data = resume_data
        self.suspend_data = suspend_data
        self.run_id = run.run_id
        self.run_count = run_count
        self.mastra = run.mastra

    @property
    def writer(self) -> StepWriter:
        """Emits custom events (``workflow-step-output``) to the run's stream."""
        return StepWriter(self._run, self.step_id)

    def get_step_result(self, step: Step | str) -> Any:
        """The output of an earlier step of this run (None if it has not succeeded)."""
        return self._run.step_output(step if isinstance(step, str) else step.id)

    def get_init_data(self) -> Any:
        """The input the run started with."""
        return self._run.init_data()

    @property
    def state(self) -> Any:
        """The run's shared state (see :meth:`set_state`)."""
        return self._run.get_state()

    def set_state(self, value: Any) -> None:
        """Replaces the run's shared state (checked against the state schema)."""
        self._run.put_state(value)

    async def suspend(self, payload: Any = None) -> NoReturn:
        """Suspends the run here; ``run.resume(step=..., resume_data=...)`` runs this
        step again with ``resume_data`` set."""
        raise Suspend(payload)

    def bail(self, result: Any = None) -> NoReturn:
        """Ends the run now, successfully, with ``result``."""
        raise Bail(result)

    def abort(self) -> NoReturn:
        """Cancels the run."""
        raise Abort()


class Step:
    """One unit of work of a workflow.

    Args:
        id: Unique within its workflow; names the step in results, events and errors.
        execute: ``execute(ctx: StepContext)``, sync or async, returning the output.
            Sync functions run on the event loop: keep them short or make them async.
        input_schema: The input's type (a pydantic model, a builtin, ``Any``...).
        output_schema: The output's type.
        resume_schema: The type of ``resume_data`` (checked on resume).
        suspend_schema: The type of the suspend payload (documentation).
        state_schema: The type of the run state this step expects (documentation).
        retries: Extra attempts after a failure (overrides the workflow's retry config).
        timeout: Seconds one attempt may take; a late attempt fails (and may retry).
        description: What the step does.

    Raises:
        ConfigError: An empty id, negative retries or a non-positive timeout.
    """

    def __init__(
        self,
        id: str,
        execute: Execute,
        *,
        input_schema: Any,
        output_schema: Any,
        resume_schema: Any = None,
        suspend_schema: Any = None,
        state_schema: Any = None,
        retries: int = 0,
        timeout: float | None = None,
        description: str | None = None,
    ) -> None:
        if not id or not isinstance(id, str):
            raise ConfigError("a step needs a non-empty string id", step=id)
        if retries < 0:
            raise ConfigError(f"step {id!r}: retries must be >= 0", step=id)
        if timeout is not None and timeout <= 0:
            raise ConfigError(f"step {id!r}: timeout must be positive", step=id)
        self.id = id
        self.execute = execute
        self.input_schema: Schema = as_schema(input_schema)
        self.output_schema: Schema = as_schema(output_schema)
        self.resume_schema: Schema = as_schema(resume_schema)
        self.suspend_schema: Schema = as_schema(suspend_schema)
        self.state_schema: Schema = as_schema(state_schema)
        self.retries = retries
        self.timeout = timeout
        self.description = description
        self.nested = False  # a workflow run as a step (see Workflow.invoke)
        self._is_async = inspect.iscoroutinefunction(execute)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"

    async def invoke(self, ctx: StepContext, child: dict[str, Any] | None = None) -> Any:
        """Runs ``execute`` once (``child`` is for nested workflows)."""
        if self._is_async:
            return await self.execute(ctx)
        result = self.execute(ctx)
        # A plain function (or lambda) may hand back a coroutine; a type lookup is
        # much cheaper than inspect.isawaitable on the hot path.
        if getattr(type(result), "__await__", None) is not None:
            result = await result
        return result

    def describe(self) -> dict[str, Any]:
        """The step as JSON (id, description, schemas)."""
        return {
            "id": self.id,
            "description": self.description,
            "inputSchema": self.input_schema.json_schema(),
            "outputSchema": self.output_schema.json_schema(),
            "resumeSchema": self.resume_schema.json_schema(),
            "suspendSchema": self.suspend_schema.json_schema(),
        }

    @classmethod
    def from_tool(cls, tool: Tool, *, id: str | None = None) -> Step:
        """A step that runs a tool: its input is the tool's arguments, its output the
        tool's result (validated by the tool)."""

        async def execute(ctx: StepContext) -> Any:
            args = ctx.input_data
            validated = tool.validate(args if isinstance(args, dict) else _as_dict(args))
            return await tool._call(validated, None)

        schema = tool.input_schema if isinstance(tool.input_schema, type) else dict[str, Any]
        output = tool.output_schema if isinstance(tool.output_schema, type) else Any
        return cls(
            id or tool.id,
            execute,
            input_schema=schema,
            output_schema=output,
            description=tool.description,
            timeout=tool.timeout,
        )

    @classmethod
    def from_agent(cls, agent: Agent, *, id: str | None = None) -> Step:
        """A step that asks an agent: input ``{"prompt": str}``, output ``{"text": str}``."""

        async def execute(ctx: StepContext) -> dict[str, str]:
            prompt = ctx.input_data["prompt"]
            result = await agent.generate(prompt)
            return {"text": result.text}

        return cls(
            id or agent.name,
            execute,
            input_schema=_AgentInput,
            output_schema=_AgentOutput,
            description=f"asks the agent {agent.name!r}",
        )


class _AgentInput(typing_extensions.TypedDict):
    prompt: str


class _AgentOutput(typing_extensions.TypedDict):
    text: str


def _as_dict(value: Any) -> dict[str, Any]:
    dump = getattr(value, "model_dump", None)
    result: dict[str, Any] = dump() if dump is not None else dict(value)
    return result


def _adapter(func: Callable[..., Any], takes_ctx: bool) -> Execute:
    if inspect.iscoroutinefunction(func):
        if takes_ctx:

            async def call_with_ctx(ctx: StepContext) -> Any:
                return await func(ctx.input_data, ctx)

            return call_with_ctx

        async def call(ctx: StepContext) -> Any:
            return await func(ctx.input_data)

        return call
    if takes_ctx:
        return lambda ctx: func(ctx.input_data, ctx)
    return lambda ctx: func(ctx.input_data)


def _make_step(func: Callable[..., Any], options: dict[str, Any]) -> Step:
    params = list(inspect.signature(func).parameters.values())
    if not params or len(params) > 2:
        raise ConfigError(
            f"@step {func.__name__}: takes (input) or (input, ctx)", step=func.__name__
        )
    try:
        hints = typing.get_type_hints(func)
    except NameError as exc:
        raise ConfigError(
            f"@step {func.__name__}: cannot resolve its annotations ({exc}); define the types "
            "at module level or pass input_schema=/output_schema=",
            step=func.__name__,
        ) from exc
    execute = _adapter(func, len(params) == 2)
    doc = inspect.getdoc(func)
    options.setdefault("input_schema", hints.get(params[0].name, Any))
    options.setdefault("output_schema", hints.get("return", Any))
    options.setdefault("description", doc.split("\n\n")[0] if doc else None)
    step_id = options.pop("id", None) or func.__name__
    built = Step(step_id, execute, **options)
    built._is_async = inspect.iscoroutinefunction(execute)
    return built


@typing.overload
def step(func: Callable[..., Awaitable[Any]] | Callable[..., Any], /) -> Step: ...


@typing.overload
def step(*, id: str | None = None, **options: Any) -> Callable[[Callable[..., Any]], Step]: ...


def step(func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Makes a :class:`Step` from a function ``(input)`` or ``(input, ctx)``.

    The input schema is the first parameter's annotation, the output schema the return
    annotation; the id is the function's name unless ``id=`` is given. Other keyword
    arguments are :class:`Step`'s (``retries``, ``timeout``...).

    Example:
        >>> @step
        ... async def add_one(x: int) -> int:
        ...     return x + 1
        >>> add_one.id, add_one.input_schema, add_one.output_schema
        ('add_one', int, int)
    """
    if func is not None:
        return _make_step(func, options)
    return lambda f: _make_step(f, dict(options))
