"""The demo's calculator tool: arithmetic evaluated safely (no ``eval``)."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

from mastra.tools import tool

__all__ = ["calculator", "evaluate"]

Number = int | float
_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_MAX_EXPONENT = 100  # keeps ``9 ** 9 ** 9`` from taking the machine
_MAX_LENGTH = 200


def evaluate(expression: str) -> Number:
    """The value of an arithmetic expression: numbers, ``+ - * / // % **`` (``^`` is a
    power too) and parentheses.

    Raises:
        ValueError: Anything else, a division by zero, or a too large power.

    Example:
        >>> evaluate("17.5 * 4 + 2"), evaluate("2 ^ 10")
        (72.0, 1024)
    """
    if len(expression) > _MAX_LENGTH:
        raise ValueError(f"expressions are at most {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None
    value = _value(tree.body)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("the result is not a finite number")
    return value


def _value(node: ast.expr) -> Number:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ValueError(f"exponents are at most {_MAX_EXPONENT}")
        try:
            return _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ValueError("division by zero") from None
        except OverflowError:
            raise ValueError("the result is too large") from None
    raise ValueError(f"only numbers and + - * / // % ** are allowed, not {ast.unparse(node)!r}")


@tool
def calculator(expression: str) -> dict[str, str | Number]:
    """Evaluates an arithmetic expression exactly; use it for any calculation.

    Args:
        expression: Numbers with + - * / // % ** (or ^) and parentheses, e.g. "17.5 * 4 + 2".
    """
    return {"expression": expression, "result": evaluate(expression)}
