"""Schemas of step inputs and outputs: validation, JSON dumping, static compatibility."""

from __future__ import annotations

import typing
from typing import Any

import typing_extensions
from pydantic import BaseModel, TypeAdapter, ValidationError

from mastra.errors import WorkflowError

__all__ = ["Schema", "as_schema", "to_json"]


def to_json(value: Any) -> Any:
    """``value`` in its JSON form (pydantic models dumped, everything else as is)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


class Schema:
    """A type (a pydantic model, a builtin, a ``TypedDict``...) or ``Any``, with its
    pydantic adapter built once."""

    __slots__ = ("_adapter", "_native", "is_any", "is_model", "type")

    def __init__(self, tp: Any) -> None:
        self.type = tp
        self.is_any = tp is None or tp is Any or tp is object
        self.is_model = isinstance(tp, type) and issubclass(tp, BaseModel)
        self._adapter: TypeAdapter[Any] | None = None if self.is_any else TypeAdapter(tp)
        # Values of these types are valid and already JSON when their type is exact:
        # the hot path of a step skips pydantic for them.
        self._native = tp if tp in (int, str, float, bool) else None

    def __repr__(self) -> str:
        return "Any" if self.is_any else _name(self.type)

    def validate(self, value: Any, what: str, name: str = "", **context: Any) -> Any:
        """``value`` checked (and coerced) against the schema.

        Raises:
            WorkflowError: It does not fit; the message says where (``what`` and the
                quoted ``name``, formatted only then) and why.
        """
        if self._adapter is None or type(value) is self._native:
            return value
        if self.is_model and isinstance(value, self.type):
            return value
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            where = f"{what} {name!r}" if name else what
            message = f"{where} does not follow its schema {self!r}: {exc}"
            raise WorkflowError(message, **context) from None

    def dump(self, value: Any) -> Any:
        """``value`` (already valid) in JSON form."""
        if self._adapter is None:
            return to_json(value)
        if type(value) is self._native:
            return value
        return self._adapter.dump_python(value, mode="json")

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema (``{}`` for ``Any``)."""
        return {} if self._adapter is None else self._adapter.json_schema()

    def incompatibility(self, consumer: Schema) -> str | None:
        """Why values of this schema cannot feed ``consumer``, or None if they can."""
        if self.is_any or consumer.is_any or self.type == consumer.type:
            return None
        out, inp = self.type, consumer.type
        if isinstance(out, type) and isinstance(inp, type) and issubclass(out, inp):
            return None
        if consumer.is_model:
            return _missing_fields(out, inp)
        if self.is_model:
            return None if _json_type(consumer) in (None, "object") else _mismatch(self, consumer)
        out_type, in_type = _json_type(self), _json_type(consumer)
        if out_type is None or in_type is None or out_type == in_type:
            return None
        if (out_type, in_type) == ("integer", "number"):
            return None
        return _mismatch(self, consumer)


def as_schema(tp: Any) -> Schema:
    """``tp`` as a :class:`Schema` (a Schema is returned as is)."""
    return tp if isinstance(tp, Schema) else Schema(tp)


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)


def _mismatch(out: Schema, inp: Schema) -> str:
    return f"it outputs {out!r} but the next step expects {inp!r}"


def _json_type(schema: Schema) -> str | None:
    try:
        kind = schema.json_schema().get("type")
    except Exception:  # a type pydantic cannot describe: nothing to compare
        return None
    return kind if isinstance(kind, str) else None


def _missing_fields(out: Any, model: type[BaseModel]) -> str | None:
    required = {name for name, f in model.model_fields.items() if f.is_required()}
    if isinstance(out, type) and issubclass(out, BaseModel):
        provided = set(out.model_fields)
    elif typing_extensions.is_typeddict(out):
        provided = set(typing.get_type_hints(out))
    elif out is dict or typing.get_origin(out) is dict:
        return None
    else:
        return f"it outputs {_name(out)} but the next step expects the object {model.__name__}"
    missing = sorted(required - provided)
    if missing:
        return f"the next step's {model.__name__} needs {', '.join(missing)}, not in its output"
    return None
