"""Values made up from a JSON schema, deterministic for a given seed."""

from __future__ import annotations

from typing import Any

__all__ = ["SchemaValues"]

_MAX_DEPTH = 8


class SchemaValues:
    """Makes a value that follows a JSON schema (types, enums, consts, refs, unions).

    Strings are ``"a"``, ``"b"``... and numbers count up from the seed, so the same seed
    gives the same values.

    Example:
        >>> SchemaValues(seed=0).make({"type": "object", "properties": {
        ...     "city": {"type": "string"}, "days": {"type": "integer"}},
        ...     "required": ["city"]})
        {'city': 'a', 'days': 1}
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._count = 0

    def _next(self) -> int:
        value = self.seed + self._count
        self._count += 1
        return value

    def make(
        self, schema: dict[str, Any], defs: dict[str, Any] | None = None, depth: int = 0
    ) -> Any:
        """A value following ``schema`` (``$ref``s resolved against its ``$defs``)."""
        defs = (
            defs
            if defs is not None
            else {**schema.get("$defs", {}), **schema.get("definitions", {})}
        )
        if depth > _MAX_DEPTH:
            return None
        if "$ref" in schema:
            target = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
            return self.make(target, defs, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][self._next() % len(schema["enum"])]
        for union in ("anyOf", "oneOf", "allOf"):
            if schema.get(union):
                choices = [s for s in schema[union] if s.get("type") != "null"] or schema[union]
                return self.make(choices[0], defs, depth + 1)
        kind = schema.get("type", "object")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return self._of_type(kind, schema, defs, depth)

    def _of_type(self, kind: str, schema: dict[str, Any], defs: dict[str, Any], depth: int) -> Any:
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return max(self._next(), int(schema.get("minimum", 0)))
        if kind == "number":
            return max(float(self._next()), float(schema.get("minimum", 0.0)))
        if kind == "boolean":
            return self._next() % 2 == 0
        if kind == "null":
            return None
        if kind == "array":
            items = schema.get("items") or {"type": "string"}
            count = max(1, int(schema.get("minItems", 1)))
            return [self.make(items, defs, depth + 1) for _ in range(count)]
        properties: dict[str, Any] = schema.get("properties", {})
        return {name: self.make(sub, defs, depth + 1) for name, sub in properties.items()}

    def _string(self, schema: dict[str, Any]) -> str:
        number = self._next()
        letters = ""
        while True:
            letters = chr(ord("a") + number % 26) + letters
            number //= 26
            if number == 0:
                break
        min_length = int(schema.get("minLength", 0))
        return letters + "a" * max(0, min_length - len(letters))
