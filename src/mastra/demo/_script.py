"""The demo's offline model: a scripted :class:`FunctionModel` that decides from the
conversation which tool to call, and answers from the tools' results and from memory."""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson

from mastra.providers import Message, ModelResponse, ToolCall
from mastra.testing import FunctionModel
from mastra.testing._models import CallInfo

__all__ = ["scripted_model"]

_ARITHMETIC = re.compile(r"[\d.(][\d.\s()+\-*/%^]*[\d.)]")
_OPERATOR = re.compile(r"\d\s*\)?\s*(?:\*\*|//|[-+*/%^])\s*\(?\s*[\d.]")
_GREETING = re.compile(r"^\s*(hello|hi|hey|good (morning|afternoon|evening))\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def scripted_model(search_tool: str, calculator_tool: str) -> FunctionModel:
    """A model that needs no network and no key, yet acts on the conversation.

    For the newest user message it calls ``calculator_tool`` when the message holds
    arithmetic, greets (recalling the earlier questions it sees in the prompt, which
    memory put there) when it is a greeting, and otherwise calls ``search_tool`` with
    the message as the query. Once tool results are in, it answers from them.

    Example:
        >>> model = scripted_model("search_docs", "calculator")
        >>> model.generate_sync("Hello!").text.split("!")[0]
        'Hello'
    """

    def reply(messages: list[Message], info: CallInfo) -> ModelResponse | str:
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
        if last_user < 0:
            return "Ask me about mastra, or give me something to calculate."
        question = messages[last_user].text
        results = [m for m in messages[last_user + 1 :] if m.role == "tool"]
        if results:
            return _answer(results, search_tool, calculator_tool)
        offered = {t.name for t in info.tools}
        expression = _arithmetic(question)
        if expression is not None and calculator_tool in offered:
            return _call(calculator_tool, {"expression": expression})
        if _GREETING.match(question):
            return _greeting(messages[:last_user])
        if search_tool in offered:
            return _call(search_tool, {"query": question})
        return "I can only answer from the documentation, and no search tool was given."

    return FunctionModel(reply, name="scripted")


def _call(name: str, arguments: dict[str, object]) -> ModelResponse:
    call = ToolCall(f"call_{name}", name, dict(arguments))
    return ModelResponse(tool_calls=[call], finish_reason="tool_calls")


def _arithmetic(text: str) -> str | None:
    """The longest arithmetic expression in ``text`` (one operator at least), if any."""
    found = [m.group().strip() for m in _ARITHMETIC.finditer(text)]
    found = [f for f in found if _OPERATOR.search(f)]
    return max(found, key=len) if found else None


def _greeting(earlier: Sequence[Message]) -> str:
    asked = [m.text for m in earlier if m.role == "user" and not _GREETING.match(m.text)]
    if not asked:
        return (
            "Hello! I am the mastra demo agent. I search the mastra documentation for "
            "your questions and use a calculator for arithmetic. Ask away."
        )
    return (
        f'Welcome back! Last time you asked: "{asked[-1]}". My memory holds '
        f"{len(asked)} of your earlier questions; ask me something new."
    )


def _answer(results: Sequence[Message], search_tool: str, calculator_tool: str) -> str:
    parts: list[str] = []
    for result in results:
        try:
            data = orjson.loads(result.text)
        except orjson.JSONDecodeError:
            parts.append(f"The {result.name or 'tool'} call failed: {result.text}")
            continue
        if result.name == calculator_tool:
            parts.append(f"{data['expression']} = {data['result']}.")
        elif result.name == search_tool:
            parts.append(_from_passages(data.get("results", [])))
    return " ".join(parts) or "The tools returned nothing I can use."


def _from_passages(passages: list[dict[str, object]]) -> str:
    if not passages:
        return "The documentation has nothing on that."
    best = passages[0]
    metadata = best.get("metadata")
    meta = metadata if isinstance(metadata, dict) else {}
    where = str(meta.get("source", "the docs"))
    headers = meta.get("headers")
    if isinstance(headers, list) and headers:
        where += f" ({' > '.join(map(str, headers))})"
    answer = f"According to {where}: {_summary(str(best.get('text', '')))}"
    others = []
    for passage in passages[1:]:
        other = passage.get("metadata")
        if isinstance(other, dict) and other.get("source") not in (None, meta.get("source")):
            others.append(str(other["source"]))
    if others:
        answer += f" See also {', '.join(dict.fromkeys(others))}."
    return answer


def _summary(text: str, sentences: int = 2) -> str:
    """The first sentences of a passage's prose (headers and code left out)."""
    prose = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith("    ")
    ]
    found = _SENTENCE_END.split(" ".join(prose))
    return " ".join(found[:sentences]) if found else text[:200]
