"""Fuzzed request bodies never give a 500."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _encode(value: object) -> bytes:
    return json.dumps(value).encode()  # big integers and infinities included


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "messages",
        "resourceId",
        "title",
        "workingMemory",
        "memory",
        "maxSteps",
        "modelSettings",
        "data",
        "indexName",
        "dimension",
        "metric",
        "vectors",
        "ids",
        "metadata",
        "queryVector",
        "topK",
        "filter",
        "threadId",
    ]
)
bodies = st.one_of(
    st.dictionaries(keys, json_values, max_size=5).map(_encode),
    json_values.map(_encode),
    st.binary(max_size=64),
)
paths = st.sampled_from(
    [
        "/api/agents/echo/generate",
        "/api/agents/echo/stream",
        "/api/agents/weather/tools/weather/execute",
        "/api/tools/weather/execute",
        "/api/vector/mem/create-index",
        "/api/vector/mem/upsert",
        "/api/vector/mem/query",
        "/api/memory/threads?agentId=chat",
        "/api/memory/save-messages?agentId=chat",
        "/api/memory/threads/fz/working-memory?agentId=chat",
    ]
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=paths, body=bodies)
def test_fuzzed_bodies_never_give_a_500(client: httpx.Client, path: str, body: bytes) -> None:
    response = client.post(path, content=body)
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert isinstance(response.json()["error"], str)
