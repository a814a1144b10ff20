"""JSON schemas for tools: tidied pydantic schemas, and a light check of arguments
against a hand-written schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["check_arguments", "clean_schema"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema without the ``title`` keys models do not need."""
    return {
        key: _strip_child(key, value)
        for key, value in schema.items()
        if key != "title" or not isinstance(value, str)
    }


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return clean_schema(node)
    if isinstance(node, list):
        return [_strip_titles(item) for item in node]
    return node


def _strip_child(key: str, value: Any) -> Any:
    if key in ("properties", "$defs") and isinstance(value, dict):
        # property names may themselves be "title": keep every name, clean each schema
        return {name: _strip_titles(sub) for name, sub in value.items()}
    return _strip_titles(value)


def check_arguments(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """What is wrong with the arguments per a JSON object schema (required properties,
    the types of top-level properties, enums), or ``None`` when nothing is."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    missing = [name for name in schema.get("required") or () if name not in arguments]
    if missing:
        return "missing required " + ", ".join(repr(name) for name in missing)
    if schema.get("additionalProperties") is False:
        extra = [name for name in arguments if name not in properties]
        if extra:
            return "unexpected " + ", ".join(repr(name) for name in extra)
    for name, value in arguments.items():
        problem = _check_value(properties.get(name), value)
        if problem:
            return f"{name}: {problem}"
    return None


def _check_value(schema: Any, value: Any) -> str | None:
    if not isinstance(schema, Mapping):
        return None
    if "enum" in schema and value not in schema["enum"]:
        return f"must be one of {list(schema['enum'])!r}"
    kinds = schema.get("type")
    if kinds is None:
        return None
    names = [kinds] if isinstance(kinds, str) else list(kinds)
    if value is None and "null" in names:
        return None
    for kind in names:
        accepted = _TYPES.get(kind)
        if accepted is None:
            return None
        if isinstance(value, accepted) and not (kind != "boolean" and isinstance(value, bool)):
            return None
    return f"must be of type {' or '.join(names)}"
