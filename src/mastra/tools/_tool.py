"""Tools: functions and run-time definitions the model may call, validated and timed."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_origin, get_type_hints, overload

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from mastra.errors import ConfigError, ToolError
from mastra.providers import ToolSpec
from mastra.tools._context import RunContext
from mastra.tools._docstrings import parse_docstring
from mastra.tools._schema import check_arguments, clean_schema

__all__ = ["Tool", "serialise_result", "tool"]

F = TypeVar("F", bound=Callable[..., Any])
InputSchema = type[BaseModel] | dict[str, Any]
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def serialise_result(value: Any) -> str:
    """A tool's result as the text sent to the model: strings as they are, anything
    else (dicts, dataclasses, pydantic models, NumPy arrays...) as JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=_default, option=_JSON_OPTIONS).decode()


class Tool:
    """A tool the model may call: a name, a description, an argument schema and the
    code that runs.

    Build one at run time with this class (Mastra's ``createTool``), or from a
    function with :func:`tool`. ``execute`` receives the validated arguments (an
    instance of ``input_schema`` when it is a pydantic model, else the dict) and, if
    it takes a second parameter, the :class:`RunContext`; it may be sync or async.

    Args:
        id: The name the model calls it by (letters, digits, ``_``, ``-``).
        description: What it does, for the model to decide when to use it.
        input_schema: A pydantic model class or a JSON object schema.
        execute: The code that runs.
        output_schema: A pydantic model the result is validated against, or a JSON
            schema kept for documentation.
        timeout: Seconds one call may take before it counts as failed.

    Raises:
        ConfigError: A bad name, or an input schema that is not an object schema.

    Example:
        >>> from pydantic import BaseModel
        >>> class City(BaseModel):
        ...     city: str
        >>> weather = Tool("weather", "Current weather", City,
        ...                lambda args: {"city": args.city, "temp_c": 21})
        >>> weather.spec.parameters["required"]
        ['city']
    """

    def __init__(
        self,
        id: str,
        description: str,
        input_schema: InputSchema,
        execute: Callable[..., Any],
        *,
        output_schema: InputSchema | None = None,
        timeout: float | None = None,
    ) -> None:
        if not _NAME.match(id):
            raise ConfigError(f"tool name {id!r} must be 1-64 letters, digits, '_' or '-'", tool=id)
        if timeout is not None and timeout <= 0:
            raise ConfigError(f"tool {id!r}: timeout must be positive", tool=id)
        self.id = id
        self.description = description
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.timeout = timeout
        self.function: Callable[..., Any] = execute
        self._takes_context = _positional_count(execute) >= 2
        self._is_async = _is_async(execute)
        self.spec = ToolSpec(id, description, _parameters(id, input_schema))

    @property
    def name(self) -> str:
        """The name the model calls it by (same as :attr:`id`)."""
        return self.id

    def __repr__(self) -> str:
        return f"Tool({self.id!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the underlying function directly, without validation."""
        return self.function(*args, **kwargs)

    def validate(self, arguments: Mapping[str, Any]) -> Any:
        """The arguments checked against the input schema.

        Raises:
            ToolError: They do not follow it (the message says how).
        """
        schema = self.input_schema
        if isinstance(schema, dict):
            problem = check_arguments(schema, arguments)
            if problem:
                raise ToolError(f"invalid arguments for tool {self.id!r}: {problem}", tool=self.id)
            return arguments
        try:
            return schema.model_validate(arguments)
        except ValidationError as exc:
            raise _invalid(self.id, exc) from None

    async def run(self, arguments: Mapping[str, Any], ctx: RunContext[Any] | None = None) -> str:
        """Validates the arguments, runs the tool (within its timeout) and serialises
        its result.

        Raises:
            ToolError: Invalid arguments, a failure, a timeout, or a result that does
                not follow the output schema or cannot be serialised.
        """
        validated = self.validate(arguments)
        try:
            if self.timeout is None:
                result = await self._call(validated, ctx)
            else:
                result = await self._call_within(validated, ctx, self.timeout)
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(
                f"tool {self.id!r} failed: {type(exc).__name__}: {exc}", tool=self.id
            ) from exc
        return self._serialise(result)

    async def _call_within(
        self, validated: Any, ctx: RunContext[Any] | None, timeout: float
    ) -> Any:
        task = asyncio.ensure_future(self._call(validated, ctx))
        done, _ = await asyncio.wait((task,), timeout=timeout)
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise ToolError(
                f"tool {self.id!r} timed out after {timeout} s", tool=self.id, timeout=True
            )
        return task.result()

    async def _call(self, validated: Any, ctx: RunContext[Any] | None) -> Any:
        args = (validated, ctx) if self._takes_context else (validated,)
        if self._is_async:
            return await self.function(*args)
        result = await asyncio.to_thread(self.function, *args)
        if inspect.isawaitable(result):  # a plain function (or lambda) handing back a coroutine
            result = await result
        return result

    def _serialise(self, result: Any) -> str:
        schema = self.output_schema
        try:
            if isinstance(schema, type) and not isinstance(result, schema):
                result = schema.model_validate(result)
            return serialise_result(result)
        except ValidationError as exc:
            message = f"tool {self.id!r} returned a result that does not follow its schema"
            raise ToolError(f"{message}: {exc}", tool=self.id) from exc
        except TypeError as exc:
            raise ToolError(
                f"tool {self.id!r} returned a result that cannot be serialised: {exc}",
                tool=self.id,
            ) from exc


class FunctionTool(Tool):
    """A tool made by :func:`tool` from a function's signature and docstring."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> None:
        summary, params = parse_docstring(function.__doc__)
        model, self._context_param = _arguments_model(function, params)
        super().__init__(
            name or function.__name__,
            description if description is not None else summary,
            model,
            function,
            timeout=timeout,
        )
        self._takes_context = False
        self._fields = tuple(model.model_fields)

    async def _call(self, validated: Any, ctx: RunContext[Any] | None) -> Any:
        kwargs = {name: getattr(validated, name) for name in self._fields}
        if self._context_param is not None:
            kwargs[self._context_param] = ctx if ctx is not None else RunContext()
        if self._is_async:
            return await self.function(**kwargs)
        return await asyncio.to_thread(self.function, **kwargs)


@overload
def tool(function: F, /) -> FunctionTool: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None, timeout: float | None = None
) -> Callable[[F], FunctionTool]: ...


def tool(
    function: F | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
) -> FunctionTool | Callable[[F], FunctionTool]:
    """Makes a tool of a sync or async function.

    The name is the function's, the description its docstring's summary, the argument
    schema comes from the type hints (through pydantic) with each parameter described
    from the docstring (Google, NumPy or Sphinx style). A parameter annotated
    :class:`RunContext` is injected and hidden from the model. Sync functions run on a
    worker thread so they never block the event loop.

    Args:
        function: The function (when used as ``@tool``).
        name: Another name for the model to call it by.
        description: Another description.
        timeout: Seconds one call may take before it counts as failed.

    Example:
        >>> @tool
        ... async def weather(city: str) -> dict[str, object]:
        ...     '''Current weather in a city.
        ...
        ...     Args:
        ...         city: The city's name.
        ...     '''
        ...     return {"city": city, "temp_c": 21}
        >>> weather.spec.parameters["properties"]["city"]
        {'description': "The city's name.", 'type': 'string'}
    """

    def wrap(func: F) -> FunctionTool:
        return FunctionTool(func, name=name, description=description, timeout=timeout)

    return wrap(function) if function is not None else wrap


def _arguments_model(
    function: Callable[..., Any], described: dict[str, str]
) -> tuple[type[BaseModel], str | None]:
    try:
        hints = get_type_hints(function, include_extras=True)
    except (NameError, TypeError) as exc:
        raise ConfigError(f"cannot read the type hints of {function.__name__}: {exc}") from exc
    fields: dict[str, Any] = {}
    context_param: str | None = None
    for param in inspect.signature(function).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ConfigError(
                f"tool {function.__name__!r} cannot take *{param.name}: give each argument a name"
            )
        annotation = hints.get(param.name, Any)
        if annotation is RunContext or get_origin(annotation) is RunContext:
            context_param = param.name
            continue
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, Field(default, description=described.get(param.name)))
    config = ConfigDict(arbitrary_types_allowed=True)
    model = create_model(f"{function.__name__}_arguments", __config__=config, **fields)
    return model, context_param


def _parameters(name: str, schema: InputSchema) -> dict[str, Any]:
    if isinstance(schema, dict):
        parameters = dict(schema)
    elif isinstance(schema, type) and issubclass(schema, BaseModel):
        parameters = clean_schema(schema.model_json_schema())
    else:
        raise ConfigError(
            f"tool {name!r}: input_schema must be a pydantic model class or a JSON schema",
            tool=name,
        )
    if parameters.get("type") != "object":
        raise ConfigError(f"tool {name!r}: the input schema must be an object schema", tool=name)
    parameters.setdefault("properties", {})
    return parameters


def _invalid(name: str, exc: ValidationError) -> ToolError:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )
    return ToolError(f"invalid arguments for tool {name!r}: {problems}", tool=name)


def _positional_count(function: Callable[..., Any]) -> int:
    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return 2
    return sum(1 for p in params if p.kind in kinds)


def _is_async(function: Callable[..., Any]) -> bool:
    # objects whose class defines an async __call__ count too
    method = type(function).__call__
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(method)
