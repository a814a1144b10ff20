"""The streamed loop: Mastra-shaped chunks, and the stream object users iterate."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from types import TracebackType
from typing import Any

from mastra.agent._result import AgentResult, Chunk, Step, usage_json
from mastra.agent._run import Run
from mastra.providers import Finish, Message, ModelResponse, TextDelta, ToolCall

__all__ = ["AgentStream", "stream_chunks"]


async def stream_chunks(run: Run, prompt: str | Sequence[Message]) -> AsyncGenerator[Chunk, None]:
    """Runs the agent loop on the model's stream, chunk by chunk."""
    rid = run.ctx.run_id
    run.begin_trace()
    ended: BaseException | None = None
    yield Chunk("start", rid, {})
    try:
        await run.prepare(prompt)
        model = run.agent.model
        while not run.done:
            yield Chunk("step-start", rid, {"step": len(run.steps)})
            text = _TextBlocks(rid, len(run.steps))
            calls: list[ToolCall] = []
            finish = Finish("stop")
            events = model.stream(run.messages, **run.model_kwargs())
            span = run.start_model_span(model)
            try:
                async for event in events:
                    if isinstance(event, TextDelta):
                        if text.open is None:
                            yield text.start()
                        yield text.delta(event.text)
                    elif isinstance(event, ToolCall):
                        if text.open is not None:
                            yield text.end()
                        calls.append(event)
                        yield Chunk("tool-call", rid, _call_payload(event))
                    elif isinstance(event, Finish):
                        finish = event
            except BaseException as exc:
                run.end_model_span(span, None, exc)
                raise
            finally:
                await aclose(events)
            response = ModelResponse(
                text="".join(text.parts),
                tool_calls=calls,
                finish_reason=finish.reason,
                usage=finish.usage,
                model=finish.model,
            )
            run.end_model_span(span, response)
            if text.open is not None:
                yield text.end()
            step = await run.finish_step(response)
            for chunk in _result_chunks(rid, step):
                yield chunk
            yield Chunk("step-finish", rid, _finish_payload(step.finish_reason, step.usage))
        await run.remember()
    except Exception as exc:
        ended = exc
        yield Chunk("error", rid, {"error": str(exc), "code": getattr(exc, "code", "error")})
        raise
    except BaseException as exc:  # closed early or cancelled
        ended = exc
        raise
    finally:
        run.end_trace(ended)
    yield Chunk("finish", rid, _finish_payload(run.finish_reason, run.usage))


async def aclose(iterator: AsyncIterator[Any]) -> None:
    """Closes the model's stream now (its HTTP request with it), not at garbage collection."""
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


class _TextBlocks:
    """The text of one model response, in blocks as Mastra streams them: each run of
    text between tool calls is ``text-start``, ``text-delta``... then ``text-end``,
    every chunk carrying the block's ``id``."""

    __slots__ = ("blocks", "open", "parts", "rid", "step")

    def __init__(self, rid: str, step: int) -> None:
        self.rid = rid
        self.step = step
        self.blocks = 0
        self.open: str | None = None
        self.parts: list[str] = []

    def start(self) -> Chunk:
        self.open = f"text-{self.step}-{self.blocks}"
        self.blocks += 1
        return Chunk("text-start", self.rid, {"id": self.open})

    def delta(self, text: str) -> Chunk:
        self.parts.append(text)
        return Chunk("text-delta", self.rid, {"id": self.open, "text": text})

    def end(self) -> Chunk:
        chunk = Chunk("text-end", self.rid, {"id": self.open})
        self.open = None
        return chunk


def _call_payload(call: ToolCall) -> dict[str, Any]:
    return {"toolCallId": call.id, "toolName": call.name, "args": call.arguments}


def _result_chunks(rid: str, step: Step) -> list[Chunk]:
    chunks = []
    for r in step.tool_results:
        payload: dict[str, Any] = {"toolCallId": r.tool_call_id, "toolName": r.name}
        if r.is_error:
            chunks.append(
                Chunk("tool-error", rid, {**payload, "args": r.arguments, "error": r.result})
            )
        else:
            chunks.append(Chunk("tool-result", rid, {**payload, "result": r.result}))
    return chunks


def _finish_payload(reason: str, usage: Any) -> dict[str, Any]:
    return {"stepResult": {"reason": reason}, "output": {"usage": usage_json(usage)}}


class AgentStream:
    """An agent's answer as it streams: an async iterator of :class:`Chunk` and an
    async context manager that closes the run (and its HTTP request and running
    tools) on exit.

    Example:
        >>> async def main(agent):
        ...     async with agent.stream("Weather in Paris?") as stream:
        ...         async for chunk in stream:
        ...             if chunk.type == "text-delta":
        ...                 print(chunk.payload["text"], end="")
        ...         result = await stream.result()
    """

    def __init__(self, chunks: AsyncGenerator[Chunk, None], run: Run) -> None:
        self._chunks = chunks
        self._run = run
        self._parts: list[str] = []
        self._error: Exception | None = None

    @property
    def run_id(self) -> str:
        """The run's id (as on every chunk)."""
        return self._run.ctx.run_id

    @property
    def text(self) -> str:
        """The text streamed so far."""
        return "".join(self._parts)

    def __aiter__(self) -> AgentStream:
        return self

    async def __anext__(self) -> Chunk:
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:  # an Exception too, but the normal end: not an error
            raise
        except Exception as exc:
            self._error = exc
            raise
        if chunk.type == "text-delta":
            self._parts.append(chunk.payload["text"])
        return chunk

    async def result(self) -> AgentResult[Any]:
        """Streams what is left and returns the run's result (after an early
        :meth:`aclose`, the run as far as it went).

        Raises:
            MastraError: The error that ended the run.
        """
        async for _ in self:
            pass
        if self._error is not None:
            raise self._error
        return self._run.result()

    async def aclose(self) -> None:
        """Stops the run: the model's request and running tools are cancelled."""
        await self._chunks.aclose()

    async def __aenter__(self) -> AgentStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
