"""Working memory: what the model is shown, how an update is checked, and the tool."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from mastra.errors import ToolError, WorkingMemoryError
from mastra.memory._config import WorkingMemory
from mastra.providers import Message
from mastra.tools import RunContext, Tool
from mastra.tools._schema import clean_schema

__all__ = ["TOOL_NAME", "WorkingMemoryValue", "apply_update", "system_message", "update_tool"]

TOOL_NAME = "updateWorkingMemory"
"""The name the model calls the working-memory tool by (as in Mastra)."""

WorkingMemoryValue = str | dict[str, Any]
Updater = Callable[[WorkingMemoryValue, RunContext[Any]], Awaitable[WorkingMemoryValue]]

_GUIDE = """WORKING MEMORY
Keep what you learn about the user and the conversation in your working memory by \
calling the {tool} tool: names, preferences, goals, facts, decisions. Update it as soon \
as something new or changed comes up; do not mention it to the user.
{how}
<working_memory>
{current}
</working_memory>"""
_TEMPLATE_HOW = (
    "Pass the whole working memory as Markdown text following this shape (it replaces "
    "the stored text):\n<working_memory_template>\n{template}\n</working_memory_template>"
)
_SCHEMA_HOW = (
    "Pass a JSON object with the fields to add or change (they are merged into the "
    "stored object; set a field to null to remove it). The result must follow this "
    "JSON schema:\n<working_memory_schema>\n{schema}\n</working_memory_schema>"
)


def _schema_json(config: WorkingMemory) -> dict[str, Any]:
    if config.schema is None:
        return {"type": "string"}
    return clean_schema(config.schema.model_json_schema())


def system_message(config: WorkingMemory, current: WorkingMemoryValue | None) -> Message:
    """The system message showing the working memory and how to update it."""
    if config.schema is None:
        how = _TEMPLATE_HOW.format(template=config.text_template.strip())
        shown = current if isinstance(current, str) else config.text_template
    else:
        how = _SCHEMA_HOW.format(schema=orjson.dumps(_schema_json(config)).decode())
        shown = orjson.dumps(current if current is not None else {}).decode()
    return Message.system(_GUIDE.format(tool=TOOL_NAME, how=how, current=shown.strip()))


def _merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'memory'}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )


def apply_update(
    config: WorkingMemory,
    current: WorkingMemoryValue | None,
    value: Any,
    *,
    merge: bool,
) -> WorkingMemoryValue:
    """The working memory after an update, checked against the configuration.

    Raises:
        WorkingMemoryError: Text for a schema, an object for a template, or an object
            that does not validate against the schema.
    """
    if config.schema is None:
        if not isinstance(value, str):
            raise WorkingMemoryError(
                f"working memory is Markdown text, got {type(value).__name__}",
                expected="string",
            )
        return value
    if not isinstance(value, Mapping):
        raise WorkingMemoryError(
            f"working memory is a JSON object following {config.schema.__name__}, "
            f"got {type(value).__name__}",
            expected="object",
        )
    base = current if merge and isinstance(current, Mapping) else {}
    candidate = _merge(base, value)
    try:
        validated = config.schema.model_validate(candidate)
    except ValidationError as exc:
        raise WorkingMemoryError(
            f"working memory update does not follow {config.schema.__name__}: {_problems(exc)}",
            schema=config.schema.__name__,
        ) from None
    result: dict[str, Any] = validated.model_dump(mode="json", exclude_unset=True)
    return result


def update_tool(config: WorkingMemory, update: Updater) -> Tool:
    """The ``updateWorkingMemory`` tool; ``update`` stores a value for the run's
    thread or resource and returns what was stored."""
    memory_schema = _schema_json(config)
    if config.schema is not None:
        memory_schema = {k: v for k, v in memory_schema.items() if k != "required"}
        memory_schema["description"] = "The fields to add or change (null removes one)."
        description = (
            "Update the working memory: the fields given are merged into it (null removes a field)."
        )
    else:
        memory_schema["description"] = "The whole working memory, as Markdown text."
        description = (
            "Update the working memory: the Markdown text given replaces it, so include "
            "everything worth keeping."
        )
    defs = memory_schema.pop("$defs", None)
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"memory": memory_schema},
        "required": ["memory"],
        "additionalProperties": False,
    }
    if defs:  # "#/$defs/..." references resolve from the root of the parameters
        parameters["$defs"] = defs

    async def execute(arguments: Mapping[str, Any], ctx: RunContext[Any]) -> str:
        try:
            await update(arguments["memory"], ctx)
        except WorkingMemoryError as exc:
            raise ToolError(exc.message, tool=TOOL_NAME, **exc.context) from exc
        return "Working memory updated."

    return Tool(TOOL_NAME, description, parameters, execute)
