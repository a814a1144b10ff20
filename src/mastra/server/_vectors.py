"""Vector routes, on the paths ``@mastra/client-js`` uses (``/api/vector/{vectorName}``)."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mastra.server._errors import ApiError, JSONResponse
from mastra.server._routing import ApiRoute, path_param
from mastra.server._schemas import CreateIndexBody, QueryBody, UpsertBody, parse_body
from mastra.server._state import state_of

__all__ = ["vector_routes"]

_MASTRA_METRICS = {"cosine": "cosine", "l2": "euclidean", "ip": "dotproduct"}


def _store(request: Request) -> Any:
    name = path_param(request, "vectorName")
    store = state_of(request).mastra.vectors.get(name)
    if store is None:
        raise ApiError(404, f"vector store {name!r} not found")
    return store


async def _existing(store: Any, index: str) -> None:
    if index not in await store.list_indexes():
        raise ApiError(404, f"index {index!r} not found")


async def list_vectors(request: Request) -> Response:
    """``GET /api/vectors``: the vector stores."""
    stores = state_of(request).mastra.vectors
    entries = [{"id": n, "name": n, "type": type(s).__name__} for n, s in stores.items()]
    return JSONResponse({"vectors": entries})


async def create_index(request: Request) -> Response:
    """``POST /api/vector/{vectorName}/create-index``; 409 when it exists otherwise."""
    store = _store(request)
    body = await parse_body(request, CreateIndexBody)
    if body.index_name in await store.list_indexes():
        stats = await store.describe_index(body.index_name)
        if stats.dimension != body.dimension or _MASTRA_METRICS[stats.metric] != body.metric:
            raise ApiError(409, f"index {body.index_name!r} exists with other settings")
    await store.create_index(body.index_name, body.dimension, body.metric)
    return JSONResponse({"success": True})


async def list_indexes(request: Request) -> Response:
    """``GET /api/vector/{vectorName}/indexes``: the index names."""
    return JSONResponse(list(await _store(request).list_indexes()))


async def describe_index(request: Request) -> Response:
    """``GET /api/vector/{vectorName}/indexes/{indexName}``: dimension, count, metric."""
    store = _store(request)
    index = path_param(request, "indexName")
    await _existing(store, index)
    stats = await store.describe_index(index)
    metric = _MASTRA_METRICS.get(stats.metric, stats.metric)
    return JSONResponse({"dimension": stats.dimension, "count": stats.count, "metric": metric})


async def delete_index(request: Request) -> Response:
    """``DELETE /api/vector/{vectorName}/indexes/{indexName}``."""
    store = _store(request)
    index = path_param(request, "indexName")
    await _existing(store, index)
    await store.delete_index(index)
    return JSONResponse({"success": True})


async def upsert(request: Request) -> Response:
    """``POST /api/vector/{vectorName}/upsert``: the ids written."""
    store = _store(request)
    body = await parse_body(request, UpsertBody)
    await _existing(store, body.index_name)
    for name, values in (("metadata", body.metadata), ("ids", body.ids)):
        if values is not None and len(values) != len(body.vectors):
            raise ApiError(422, f"invalid body: {name}: one per vector is needed")
    ids = await store.upsert(body.index_name, body.vectors, body.metadata, body.ids)
    return JSONResponse({"ids": list(ids)})


async def query(request: Request) -> Response:
    """``POST /api/vector/{vectorName}/query``: ``[{id, score, metadata}]``, best first."""
    store = _store(request)
    body = await parse_body(request, QueryBody)
    await _existing(store, body.index_name)
    start = time.perf_counter()
    results = await store.query(
        body.index_name,
        body.query_vector,
        top_k=body.top_k,
        filter=body.filter,
        include_vector=body.include_vector,
        min_score=body.min_score,
    )
    name = path_param(request, "vectorName")
    state_of(request).metrics.vector_queries.labels(name).observe(time.perf_counter() - start)
    matches = []
    for match in results:
        entry: dict[str, Any] = {"id": match.id, "score": match.score, "metadata": match.metadata}
        if match.vector is not None:
            entry["vector"] = match.vector
        matches.append(entry)
    return JSONResponse(matches)


def vector_routes() -> list[ApiRoute]:
    """The vector routes."""
    base = "/api/vector/{vectorName}"
    read, write = "vectors:read", "vectors:write"
    return [
        ApiRoute(
            "GET", "/api/vectors", list_vectors, read, "List the vector stores", tag="vectors"
        ),
        ApiRoute(
            "POST",
            base + "/create-index",
            create_index,
            write,
            "Create an index",
            CreateIndexBody,
            "vectors",
        ),
        ApiRoute("GET", base + "/indexes", list_indexes, read, "List the indexes", tag="vectors"),
        ApiRoute(
            "GET",
            base + "/indexes/{indexName}",
            describe_index,
            read,
            "Describe an index",
            tag="vectors",
        ),
        ApiRoute(
            "DELETE",
            base + "/indexes/{indexName}",
            delete_index,
            write,
            "Delete an index",
            tag="vectors",
        ),
        ApiRoute("POST", base + "/upsert", upsert, write, "Upsert vectors", UpsertBody, "vectors"),
        ApiRoute("POST", base + "/query", query, read, "Query an index", QueryBody, "vectors"),
    ]
