"""Fuzzed request bodies never give a 500."""

from __future__ import annotations

import json
import os

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
        "inputData",
        "initialState",
        "step",
        "resumeData",
    ]
)
bodies = st.one_of(
    st.dictionaries(keys, json_values, max_size=5).map(_encode),
    json_values.map(_encode),
    st.binary(max_size=64),
)
requests = st.sampled_from(
    [
        ("POST", "/api/agents/echo/generate"),
        ("POST", "/api/agents/echo/stream"),
        ("POST", "/api/agents/weather/tools/weather/execute"),
        ("POST", "/api/tools/weather/execute"),
        ("POST", "/api/vector/mem/create-index"),
        ("POST", "/api/vector/mem/upsert"),
        ("POST", "/api/vector/mem/query"),
        ("POST", "/api/memory/threads?agentId=chat"),
        ("PATCH", "/api/memory/threads/fz?agentId=chat"),
        ("POST", "/api/memory/save-messages?agentId=chat"),
        ("POST", "/api/memory/threads/fz/working-memory?agentId=chat"),
        ("POST", "/api/workflows/greet/create-run"),
        ("POST", "/api/workflows/greet/start-async?runId=fz"),
        ("POST", "/api/workflows/greet/stream?runId=fz"),
        ("POST", "/api/workflows/approval/resume-async?runId=fz"),
    ]
)


@settings(
    max_examples=int(os.environ.get("MASTRA_FUZZ_EXAMPLES", "160")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(request=requests, body=bodies)
def test_fuzzed_bodies_never_give_a_500(
    client: httpx.Client, request: tuple[str, str], body: bytes
) -> None:
    method, path = request
    response = client.request(method, path, content=body)
    assert response.status_code < 500, (method, path, body, response.text)
    if response.status_code >= 400:
        assert isinstance(response.json()["error"], str)
