"""The request bodies, as pydantic models with Mastra's camelCase field names.

The same models validate requests and describe them in ``/api/openapi.json``.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request

from mastra.server._config import describe
from mastra.server._errors import ApiError

__all__ = [
    "CreateIndexBody",
    "CreateRunBody",
    "GenerateBody",
    "MemoryOption",
    "MessageIn",
    "QueryBody",
    "RequestBody",
    "ResumeBody",
    "StartBody",
    "ToolExecuteBody",
    "UpsertBody",
    "parse_body",
]

BodyT = TypeVar("BodyT", bound=BaseModel)


class RequestBody(BaseModel):
    """A request body: camelCase names, unknown fields ignored."""

    # Mastra's client sends more fields than a route reads (requestContext, tracing...).
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class MessageIn(BaseModel):
    """One message: ``content`` is text or a list of parts (``{type: "text", text}``)."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"]
    content: str | list[dict[str, Any]]


class ThreadRef(BaseModel):
    """A thread given as an object (``{id}``)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)


class MemoryOption(BaseModel):
    """Which thread and resource a run remembers in."""

    model_config = ConfigDict(extra="ignore")

    thread: str | ThreadRef
    resource: str | None = None


class GenerateBody(RequestBody):
    """The body of ``POST /api/agents/{agentId}/generate`` and ``/stream``."""

    messages: str | list[MessageIn] = Field(min_length=1)
    memory: MemoryOption | None = None
    thread_id: str | None = Field(None, alias="threadId")
    resource_id: str | None = Field(None, alias="resourceId")
    max_steps: int | None = Field(None, alias="maxSteps", ge=1, le=100)
    model_settings: dict[str, Any] | None = Field(None, alias="modelSettings")
    run_id: str | None = Field(None, alias="runId")


class ToolExecuteBody(RequestBody):
    """The body of the tool-execution routes: the tool's arguments in ``data``."""

    data: dict[str, Any] = Field(default_factory=dict)
    request_context: dict[str, Any] | None = Field(None, alias="requestContext")


class CreateIndexBody(RequestBody):
    """The body of ``POST /api/vector/{vectorName}/create-index``."""

    index_name: str = Field(alias="indexName", min_length=1, max_length=256)
    dimension: int = Field(ge=1, le=65536)
    metric: Literal["cosine", "euclidean", "dotproduct"] = "cosine"


class UpsertBody(RequestBody):
    """The body of ``POST /api/vector/{vectorName}/upsert``."""

    index_name: str = Field(alias="indexName", min_length=1)
    vectors: list[list[float]] = Field(min_length=1)
    metadata: list[dict[str, Any]] | None = None
    ids: list[str] | None = None


class QueryBody(RequestBody):
    """The body of ``POST /api/vector/{vectorName}/query``."""

    index_name: str = Field(alias="indexName", min_length=1)
    query_vector: list[float] = Field(alias="queryVector", min_length=1)
    top_k: int = Field(10, alias="topK", ge=1, le=10_000)
    filter: dict[str, Any] | None = None
    include_vector: bool = Field(False, alias="includeVector")
    min_score: float | None = Field(None, alias="minScore")


class CreateRunBody(RequestBody):
    """The body of ``POST /api/workflows/{workflowId}/create-run``."""

    resource_id: str | None = Field(None, alias="resourceId")


class StartBody(RequestBody):
    """The body of ``POST /api/workflows/{workflowId}/start-async`` and ``/stream``."""

    input_data: Any = Field(None, alias="inputData")
    initial_state: Any = Field(None, alias="initialState")
    resource_id: str | None = Field(None, alias="resourceId")


class ResumeBody(RequestBody):
    """The body of ``POST /api/workflows/{workflowId}/resume-async`` and
    ``/resume-stream``: the suspended step (an id or a path; optional when only one
    is suspended) and what it resumes with."""

    step: str | list[str] | None = None
    resume_data: Any = Field(None, alias="resumeData")


async def parse_body(request: Request, model: type[BodyT]) -> BodyT:
    """The request's JSON body validated as ``model``.

    Raises:
        ApiError: 400 for a body that is not JSON, 422 for one that does not follow
            the model (every bad field named).
    """
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, f"invalid body: {describe(exc)}") from None
