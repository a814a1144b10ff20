"""Descriptions out of docstrings: the summary and each parameter's text.

Google (``Args:``), NumPy (``Parameters`` + dashes) and Sphinx (``:param x:``) styles
are read; anything else leaves the parameters undescribed.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["parse_docstring"]

_GOOGLE_SECTIONS = {"args", "arguments", "parameters", "params", "keyword args", "kwargs"}
_GOOGLE_OTHER = re.compile(
    r"^(returns?|yields?|raises?|examples?|notes?|attributes?|see also|warnings?|todo)\s*:\s*$",
    re.IGNORECASE,
)
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_ITEM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_NUMPY_ITEM = re.compile(r"^(\w+)\s*(:.*)?$")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """The description (text before the first section) and the parameters' texts.

    Example:
        >>> parse_docstring('''Weather now.
        ...
        ... Args:
        ...     city: The city's name.
        ... ''')
        ('Weather now.', {'city': "The city's name."})
    """
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    for parser in (_sphinx, _numpy, _google):
        found = parser(lines)
        if found is not None:
            start, params = found
            return _join(lines[:start]), params
    return _join(lines), {}


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _google(lines: list[str]) -> tuple[int, dict[str, str]] | None:
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if line.strip().rstrip(":").lower() in _GOOGLE_SECTIONS
            and line.strip().endswith(":")
            and not line.startswith(" ")
        ),
        None,
    )
    if start is None:
        return None
    first_section = next(
        (i for i, line in enumerate(lines) if _GOOGLE_OTHER.match(line.strip())), start
    )
    params: dict[str, str] = {}
    current: str | None = None
    indent: int | None = None
    for line in lines[start + 1 :]:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        stripped = line.strip()
        depth = len(line) - len(line.lstrip())
        if indent is None and stripped:
            indent = depth
        match = _GOOGLE_ITEM.match(stripped) if depth == indent else None
        if match:
            current = match.group(1).lstrip("*")
            params[current] = match.group(3).strip()
        elif current is not None and stripped:
            params[current] = f"{params[current]} {stripped}".strip()
    return min(start, first_section), params


def _numpy(lines: list[str]) -> tuple[int, dict[str, str]] | None:
    start = next(
        (
            i
            for i in range(len(lines) - 1)
            if lines[i].strip().lower() in ("parameters", "other parameters")
            and set(lines[i + 1].strip()) == {"-"}
        ),
        None,
    )
    if start is None:
        return None
    params: dict[str, str] = {}
    current: str | None = None
    for i in range(start + 2, len(lines)):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and set(lines[i + 1].strip()) == {"-"}:
            break
        if line.strip() and not line.startswith((" ", "\t")):
            match = _NUMPY_ITEM.match(line.strip())
            current = match.group(1) if match else None
            if current is not None:
                params[current] = ""
        elif current is not None and line.strip():
            params[current] = f"{params[current]} {line.strip()}".strip()
    return start, params


def _sphinx(lines: list[str]) -> tuple[int, dict[str, str]] | None:
    first = next((i for i, line in enumerate(lines) if line.strip().startswith(":")), None)
    if first is None or not any(_SPHINX_ITEM.match(line.strip()) for line in lines):
        return None
    params: dict[str, str] = {}
    current: str | None = None
    for line in lines[first:]:
        stripped = line.strip()
        match = _SPHINX_ITEM.match(stripped)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif stripped.startswith(":"):
            current = None
        elif current is not None and stripped:
            params[current] = f"{params[current]} {stripped}".strip()
    return first, params
