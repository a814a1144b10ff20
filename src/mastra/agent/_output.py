"""Structured output: an ``output_type`` as a JSON schema, and answers checked against it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError, create_model

from mastra.tools._schema import clean_schema

__all__ = ["OutputSpec", "output_spec"]


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """An output type's schema (sent to the model) and the model that checks answers.

    Types that are not pydantic models (``int``, ``list[str]``, a dataclass...) are
    wrapped in an object ``{"result": ...}``, since providers want an object schema.
    """

    schema: dict[str, Any]
    model: type[BaseModel]
    wrapped: bool

    def parse(self, text: str, decoded: Any = None) -> Any:
        """The answer as an instance of the output type.

        Raises:
            ValueError: The answer is not JSON, or does not follow the schema
                (a pydantic ``ValidationError`` or an ``orjson.JSONDecodeError``).
        """
        data = decoded if decoded is not None else orjson.loads(text)
        value = self.model.model_validate(data)
        return value.result if self.wrapped else value  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=256)
def output_spec(output_type: Any) -> OutputSpec:
    """The (cached) :class:`OutputSpec` of an output type."""
    if isinstance(output_type, type) and issubclass(output_type, BaseModel):
        model, wrapped = output_type, False
    else:
        name = getattr(output_type, "__name__", "output")
        model = create_model(f"{name}_output", result=(output_type, ...))
        wrapped = True
    schema = clean_schema(model.model_json_schema())
    schema["title"] = model.__name__
    return OutputSpec(schema, model, wrapped)


def describe_problem(exc: Exception) -> str:
    """A short account of why an answer was refused, for the corrective message."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'answer'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
    return f"not valid JSON ({exc})"
