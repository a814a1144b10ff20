"""Mastra's wire shapes of workflows and runs, as ``@mastra/client-js`` reads them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from starlette.datastructures import QueryParams

from mastra.server._errors import ApiError
from mastra.server._wire import superjson
from mastra.workflows import Workflow

__all__ = ["matches", "page_of", "run_json", "workflow_json"]

# Always part of a run's answer, whatever ``fields`` asks for (as in Mastra).
_METADATA = ("runId", "workflowName", "resourceId", "createdAt", "updatedAt", "status")


def _step_json(step: dict[str, Any]) -> dict[str, Any]:
    schemas = ("inputSchema", "outputSchema", "resumeSchema", "suspendSchema")
    return {
        "id": step["id"],
        "description": step["description"],
        **{name: superjson(step[name]) for name in schemas},
    }


def workflow_json(workflow: Workflow) -> dict[str, Any]:
    """A workflow as Mastra describes it: its steps by id, its step graph and its
    schemas (superjson strings)."""
    info = workflow.describe()
    steps: dict[str, Any] = {}
    graph: list[dict[str, Any]] = []
    for entry in info["entries"]:
        described = [_step_json(s) for s in entry["steps"]]
        steps.update((s["id"], s) for s in described)
        children = [{"type": "step", "step": s} for s in described]
        if entry["type"] == "step" and len(children) == 1:
            graph.append(children[0])
        else:
            graph.append({"type": entry["type"], "id": entry["id"], "steps": children})
    return {
        "name": workflow.id,
        "description": workflow.description,
        "steps": steps,
        "allSteps": steps,
        "stepGraph": graph,
        "inputSchema": superjson(workflow.input_schema.json_schema()),
        "outputSchema": superjson(workflow.output_schema.json_schema()),
        "stateSchema": superjson(workflow.state_schema.json_schema()),
    }


def _iso(ms: Any) -> Any:
    if not isinstance(ms, int):
        return ms
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat().replace("+00:00", "Z")


def run_json(workflow_id: str, snapshot: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    """A run as Mastra's ``GET .../runs/{runId}`` answers: metadata and status, then
    the ``fields`` asked for (all when None)."""
    full = {
        "runId": snapshot["runId"],
        "workflowName": workflow_id,
        "resourceId": snapshot.get("resourceId"),
        "createdAt": _iso(snapshot.get("createdAt")),
        "updatedAt": _iso(snapshot.get("updatedAt")),
        "status": snapshot["status"],
        "result": snapshot.get("result"),
        "error": snapshot.get("error"),
        "payload": snapshot.get("input"),
        "steps": snapshot.get("context", {}),
        "suspendedPaths": snapshot.get("suspendedPaths", {}),
        "state": snapshot.get("state"),
    }
    if fields is None:
        return full
    return {k: v for k, v in full.items() if k in _METADATA or k in fields}


def _moment(query: QueryParams, name: str) -> int | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 date, got {raw!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def matches(summary: dict[str, Any], query: QueryParams) -> bool:
    """Whether a run summary passes the ``resourceId``, ``fromDate`` and ``toDate``
    filters of a runs query."""
    resource = query.get("resourceId")
    if resource and summary.get("resourceId") != resource:
        return False
    created = summary.get("createdAt", 0)
    start, end = _moment(query, "fromDate"), _moment(query, "toDate")
    return (start is None or created >= start) and (end is None or created <= end)


def _count(query: QueryParams, name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "" or raw == "false":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ApiError(400, f"{name} must be >= 0, got {value}")
    return value


def page_of(query: QueryParams) -> tuple[int, int | None]:
    """``(offset, limit)`` of a runs query: ``page``/``perPage`` or ``offset``/``limit``
    (no limit when absent or ``false``)."""
    per_page = _count(query, "perPage")
    page = _count(query, "page")
    if per_page is not None:
        return (page or 0) * per_page, per_page
    return _count(query, "offset") or 0, _count(query, "limit")
