"""The audit trail: every mutating request and every refused one, written to the
``mastra.server.audit`` logger and, when the storage keeps one, to its append-only
audit log (which admins read at ``GET /api/audit``)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mastra.server._errors import ApiError, JSONResponse
from mastra.server._routing import ApiRoute
from mastra.server._state import ServerState, state_of
from mastra.storage import AuditEntry

__all__ = ["audit_routes", "record_audit"]

audit_logger = logging.getLogger("mastra.server.audit")


async def record_audit(
    state: ServerState, request: Request, principal: str, template: str, outcome: str
) -> None:
    """Writes one audit entry: the logger always, the storage when it has an audit log.

    Only the method, route template and path are kept: never headers, query strings
    or bodies, so no credential or secret reaches the trail.
    """
    entry = AuditEntry(
        principal=principal,
        action=f"{request.method} {template}",
        target=request.url.path,
        outcome=outcome,
        request_id=request.scope.get("mastra.request_id"),
    )
    audit_logger.info(
        "audit",
        extra={
            "principal": principal,
            "method": request.method,
            "route": template,
            "path": entry.target,
            "status": outcome,
            "request_id": entry.request_id,
        },
    )
    append = getattr(state.mastra.storage, "append_audit", None)
    if append is not None:
        await append(entry)


def _entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "time": entry.time.isoformat().replace("+00:00", "Z"),
        "principal": entry.principal,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "requestId": entry.request_id,
    }


async def list_audit(request: Request) -> Response:
    """``GET /api/audit?principal&limit&offset``: the audit log, newest first."""
    storage = state_of(request).mastra.storage
    if not hasattr(storage, "list_audit"):
        raise ApiError(404, "the storage keeps no audit log")
    params = request.query_params
    try:
        limit = int(params.get("limit", "100"))
        offset = int(params.get("offset", "0"))
    except ValueError:
        raise ApiError(422, "invalid query: limit and offset must be integers") from None
    if not (1 <= limit <= 1000 and offset >= 0):
        raise ApiError(422, "invalid query: limit must be 1-1000 and offset >= 0")
    entries = await storage.list_audit(
        principal=params.get("principal"), limit=limit, offset=offset
    )
    return JSONResponse({"entries": [_entry_json(e) for e in entries]})


def audit_routes() -> list[ApiRoute]:
    """The audit route (admins only)."""
    query = ("principal", "limit", "offset")
    return [
        ApiRoute("GET", "/api/audit", list_audit, "admin", "The audit log", tag="ops", query=query)
    ]
