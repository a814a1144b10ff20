"""Workflow routes: list, details, runs (list, read, delete), create, start, stream,
resume and cancel, on the paths ``@mastra/client-js`` calls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mastra.errors import WorkflowError
from mastra.server._errors import ApiError, JSONResponse
from mastra.server._redact import redactor_of
from mastra.server._routing import ApiRoute, path_param, with_query, within
from mastra.server._schemas import CreateRunBody, ResumeBody, StartBody, parse_body
from mastra.server._sse import WorkflowEventStream
from mastra.server._state import ServerState, state_of
from mastra.server._workflow_wire import matches, page_of, run_json, workflow_json
from mastra.workflows import Run, Workflow, WorkflowResult, WorkflowStream

__all__ = ["workflow_routes"]

_MAX_PENDING = 10_000  # runs created but not started yet, kept per server


def _workflow(state: ServerState, request: Request) -> Workflow:
    workflow_id = path_param(request, "workflowId")
    workflow = state.mastra.workflows.get(workflow_id)
    if not isinstance(workflow, Workflow):
        raise ApiError(404, f"workflow {workflow_id!r} not found")
    return workflow


def _run_id(request: Request) -> str:
    run_id = request.query_params.get("runId")
    if not run_id:
        raise ApiError(400, "the runId query parameter is required")
    return run_id


async def _saved(workflow: Workflow, run_id: str) -> dict[str, Any]:
    snapshot = await workflow.get_run(run_id)
    if snapshot is None:
        raise ApiError(404, f"run {run_id!r} of workflow {workflow.id!r} not found")
    return snapshot


async def _fresh_run(state: ServerState, workflow: Workflow, run_id: str) -> Run:
    """The run to start: the one ``create-run`` made, or a new one with that id."""
    key = (workflow.id, run_id)
    run = state.workflow_runs.get(key)
    if run is None:
        if await workflow.get_run(run_id) is not None:
            raise ApiError(409, f"run {run_id!r} of workflow {workflow.id!r} was started already")
        run = workflow.create_run(run_id)
    elif run.status != "pending":
        raise ApiError(409, f"run {run_id!r} of workflow {workflow.id!r} is {run.status}")
    state.workflow_runs[key] = run
    return run


async def _paused_run(state: ServerState, workflow: Workflow, run_id: str) -> Run:
    """The saved run to resume (refused while it is running in this server)."""
    key = (workflow.id, run_id)
    if key in state.workflow_runs:
        raise ApiError(409, f"run {run_id!r} of workflow {workflow.id!r} is running")
    await _saved(workflow, run_id)
    run = await workflow.load_run(run_id)
    state.workflow_runs[key] = run
    return run


def _forget(state: ServerState, workflow: Workflow, run_id: str) -> None:
    state.workflow_runs.pop((workflow.id, run_id), None)


async def _bounded(
    state: ServerState, run: Run, work: Coroutine[Any, Any, WorkflowResult]
) -> WorkflowResult:
    """Runs ``work`` within ``request_timeout``; a run cut short ends ``canceled``
    rather than half-run, and the caller gets a 503 saying so."""
    timeout = state.config.request_timeout
    try:
        return await within(work, timeout)
    except TimeoutError:
        with contextlib.suppress(WorkflowError):
            await run.cancel()
        raise ApiError(
            503, f"run {run.run_id!r} did not finish within {timeout:g} s and was canceled"
        ) from None


def _wants_sse(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


async def list_workflows(request: Request) -> Response:
    """``GET /api/workflows``: every workflow, keyed by id."""
    workflows = state_of(request).mastra.workflows
    return JSONResponse(
        {name: workflow_json(wf) for name, wf in workflows.items() if isinstance(wf, Workflow)}
    )


async def get_workflow(request: Request) -> Response:
    """``GET /api/workflows/{workflowId}``."""
    return JSONResponse(workflow_json(_workflow(state_of(request), request)))


async def list_runs(request: Request) -> Response:
    """``GET /api/workflows/{workflowId}/runs``: ``{runs, total}``, most recent first,
    filtered by ``status``, ``resourceId``, ``fromDate`` and ``toDate``, paged by
    ``limit``/``offset`` or ``page``/``perPage``."""
    workflow = _workflow(state_of(request), request)
    query = request.query_params
    summaries = await workflow.list_runs(status=query.get("status"), limit=1_000_000)
    matching = [s for s in summaries if matches(s, query)]
    offset, limit = page_of(query)
    page = matching[offset : offset + limit] if limit is not None else matching[offset:]
    snapshots = await asyncio.gather(*(workflow.get_run(s["runId"]) for s in page))
    runs = [
        {**run_json(workflow.id, snap, set()), "snapshot": snap}
        for snap in snapshots
        if snap is not None  # deleted meanwhile
    ]
    return JSONResponse({"runs": runs, "total": len(matching)})


async def get_run(request: Request) -> Response:
    """``GET /api/workflows/{workflowId}/runs/{runId}`` (``fields`` picks the fields)."""
    workflow = _workflow(state_of(request), request)
    snapshot = await _saved(workflow, path_param(request, "runId"))
    fields = request.query_params.get("fields")
    wanted = {f.strip() for f in fields.split(",")} if fields else None
    return JSONResponse(run_json(workflow.id, snapshot, wanted))


async def delete_run(request: Request) -> Response:
    """``DELETE /api/workflows/{workflowId}/runs/{runId}``."""
    state = state_of(request)
    workflow = _workflow(state, request)
    run_id = path_param(request, "runId")
    if (workflow.id, run_id) in state.workflow_runs:
        raise ApiError(409, f"run {run_id!r} of workflow {workflow.id!r} is running")
    if not await workflow.delete_run(run_id):
        raise ApiError(404, f"run {run_id!r} of workflow {workflow.id!r} not found")
    return JSONResponse({"message": "Workflow run deleted"})


async def create_run(request: Request) -> Response:
    """``POST /api/workflows/{workflowId}/create-run[?runId=]``: ``{runId}``."""
    state = state_of(request)
    workflow = _workflow(state, request)
    body = await parse_body(request, CreateRunBody)
    run_id = request.query_params.get("runId") or None
    if run_id is not None and await workflow.get_run(run_id) is not None:
        return JSONResponse({"runId": run_id})  # Mastra hands back the existing run
    run = workflow.create_run(run_id, resource_id=body.resource_id)
    if len(state.workflow_runs) >= _MAX_PENDING:  # forget the oldest rather than grow
        state.workflow_runs.pop(next(iter(state.workflow_runs)))
    state.workflow_runs[(workflow.id, run.run_id)] = run
    return JSONResponse({"runId": run.run_id})


async def start_async(request: Request) -> Response:
    """``POST /api/workflows/{workflowId}/start-async?runId=``: runs it to its end (or
    pause) and answers with the result."""
    state = state_of(request)
    workflow = _workflow(state, request)
    run_id = _run_id(request)
    body = await parse_body(request, StartBody)
    run = await _fresh_run(state, workflow, run_id)
    if body.resource_id is not None:
        run.resource_id = body.resource_id
    request.scope["mastra.run_id"] = run_id
    try:
        result = await _bounded(state, run, run.start(body.input_data, body.initial_state))
    finally:
        _forget(state, workflow, run_id)
    return JSONResponse(result.to_dict())


async def resume_async(request: Request) -> Response:
    """``POST /api/workflows/{workflowId}/resume-async?runId=``: resumes a suspended
    step and answers with the result."""
    state = state_of(request)
    workflow = _workflow(state, request)
    run_id = _run_id(request)
    body = await parse_body(request, ResumeBody)
    run = await _paused_run(state, workflow, run_id)
    request.scope["mastra.run_id"] = run_id
    try:
        result = await _bounded(state, run, run.resume(body.step, body.resume_data))
    finally:
        _forget(state, workflow, run_id)
    return JSONResponse(result.to_dict())


def _event_stream(
    request: Request, state: ServerState, workflow: Workflow, run: Run, stream: WorkflowStream
) -> Response:
    async def cancel() -> None:
        if run.status in ("running", "pending", "suspended", "waiting"):
            # A run stopped before its first save has nothing left to cancel.
            with contextlib.suppress(WorkflowError):
                await run.cancel()

    request.scope["mastra.run_id"] = run.run_id
    return WorkflowEventStream(
        stream,
        run.run_id,
        cancel,
        state.lifecycle,
        state.metrics,
        sse=_wants_sse(request),
        on_end=lambda: _forget(state, workflow, run.run_id),
        redactor=redactor_of(state),
    )


async def stream(request: Request) -> Response:
    """``POST /api/workflows/{workflowId}/stream?runId=``: starts the run and streams
    its events (Mastra's records, or Server-Sent Events for ``Accept:
    text/event-stream``)."""
    state = state_of(request)
    workflow = _workflow(state, request)
    run_id = _run_id(request)
    body = await parse_body(request, StartBody)
    if state.lifecycle.draining:
        raise ApiError(503, "the server is shutting down")
    # Checked here, so that bad input is a 400 rather than an error inside the stream.
    workflow.input_schema.validate(body.input_data, "the input of workflow", workflow.id)
    run = await _fresh_run(state, workflow, run_id)
    if body.resource_id is not None:
        run.resource_id = body.resource_id
    events = run.stream(body.input_data, body.initial_state)
    return _event_stream(request, state, workflow, run, events)


async def resume_stream(request: Request) -> Response:
    """``POST /api/workflows/{workflowId}/resume-stream?runId=``: resumes a suspended
    step and streams the events."""
    state = state_of(request)
    workflow = _workflow(state, request)
    run_id = _run_id(request)
    body = await parse_body(request, ResumeBody)
    if state.lifecycle.draining:
        raise ApiError(503, "the server is shutting down")
    run = await _paused_run(state, workflow, run_id)
    if run.status != "suspended":
        _forget(state, workflow, run_id)
        raise ApiError(409, f"run {run_id!r} of workflow {workflow.id!r} is {run.status}")
    events = run.resume_stream(body.step, body.resume_data)
    return _event_stream(request, state, workflow, run, events)


async def cancel_run(request: Request) -> Response:
    """``POST /api/workflows/{workflowId}/runs/{runId}/cancel``."""
    state = state_of(request)
    workflow = _workflow(state, request)
    run_id = path_param(request, "runId")
    run = state.workflow_runs.get((workflow.id, run_id))
    if run is None:
        await _saved(workflow, run_id)
        run = await workflow.load_run(run_id)
    if run.status == "pending":  # created, never started: nothing runs, nothing saved
        _forget(state, workflow, run_id)
    else:
        await run.cancel()
    return JSONResponse({"message": "Workflow run canceled"})


def workflow_routes() -> list[ApiRoute]:
    """The workflow routes."""
    base = "/api/workflows"
    one = base + "/{workflowId}"
    read, execute = "workflows:read", "workflows:execute"
    tag = "workflows"
    routes = [
        ApiRoute("GET", base, list_workflows, read, "List the workflows", tag=tag),
        ApiRoute("GET", one, get_workflow, read, "A workflow", tag=tag),
        ApiRoute("GET", one + "/runs", list_runs, read, "A workflow's runs", tag=tag),
        ApiRoute("GET", one + "/runs/{runId}", get_run, read, "A run", tag=tag),
        ApiRoute("DELETE", one + "/runs/{runId}", delete_run, execute, "Delete a run", tag=tag),
        ApiRoute(
            "POST", one + "/create-run", create_run, execute, "Create a run", CreateRunBody, tag
        ),
        ApiRoute(
            "POST",
            one + "/start-async",
            start_async,
            execute,
            "Run to the end",
            StartBody,
            tag,
            bounded=True,
        ),
        ApiRoute("POST", one + "/stream", stream, execute, "Start and stream", StartBody, tag),
        ApiRoute(
            "POST",
            one + "/resume-async",
            resume_async,
            execute,
            "Resume a run",
            ResumeBody,
            tag,
            bounded=True,
        ),
        ApiRoute(
            "POST",
            one + "/resume-stream",
            resume_stream,
            execute,
            "Resume and stream",
            ResumeBody,
            tag,
        ),
        ApiRoute("POST", one + "/runs/{runId}/cancel", cancel_run, execute, "Cancel", tag=tag),
    ]
    run_id = ("runId!",)
    page = ("status", "resourceId", "fromDate", "toDate", "page", "perPage", "offset", "limit")
    return with_query(
        routes,
        {
            ("GET", one + "/runs"): page,
            ("GET", one + "/runs/{runId}"): ("fields",),
            ("POST", one + "/create-run"): ("runId",),
            ("POST", one + "/start-async"): run_id,
            ("POST", one + "/stream"): run_id,
            ("POST", one + "/resume-async"): run_id,
            ("POST", one + "/resume-stream"): run_id,
        },
    )
