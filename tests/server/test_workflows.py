"""Workflow routes through a real server: list, details, runs, start, stream, resume,
cancel, delete, metrics and permissions."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from mastra.server import ApiKeyConfig, ServerConfig, create_app, hash_api_key
from mastra.storage import InMemoryStorage

from .apps import build
from .conftest import ServerThread, serve_app
from .test_agents import sse_events


@pytest.fixture(scope="module", params=["local", "storage"])
def flows(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    """The test app, its workflows keeping runs in memory or in a storage."""
    storage = InMemoryStorage() if request.param == "storage" else None
    yield from serve_app(create_app(build(storage=storage), ServerConfig(host="127.0.0.1")))


@pytest.fixture
def wf(flows: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=flows.url + "/api/workflows", timeout=10) as c:
        yield c


def start(client: httpx.Client, workflow: str, input_data: Any, run_id: str) -> httpx.Response:
    return client.post(
        f"/{workflow}/start-async", params={"runId": run_id}, json={"inputData": input_data}
    )


def records(body: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(r) for r in body.split(b"\x1e") if r]


def test_list_and_details(wf: httpx.Client, flows: ServerThread) -> None:
    listed = httpx.get(flows.url + "/api/workflows").json()
    assert set(listed) == {"greet", "approval", "crawl"}
    details = wf.get("/approval").json()
    assert details["name"] == "approval"
    assert list(details["steps"]) == ["shout", "approve"]
    assert [entry["step"]["id"] for entry in details["stepGraph"]] == ["shout", "approve"]
    assert orjson.loads(details["inputSchema"])["json"] == {"type": "string"}
    assert listed["greet"]["description"] == "Greets"


def test_unknown_workflow_and_run_are_404(wf: httpx.Client) -> None:
    assert wf.get("/nope").status_code == 404
    assert start(wf, "nope", "x", "r").status_code == 404
    assert wf.get("/greet/runs/missing").status_code == 404
    assert wf.delete("/greet/runs/missing").status_code == 404
    assert wf.post("/greet/runs/missing/cancel").status_code == 404
    assert wf.post("/approval/resume-async", params={"runId": "missing"}).status_code == 404
    assert "not found" in wf.get("/nope").json()["error"]


def test_create_start_read_list_delete(wf: httpx.Client) -> None:
    created = wf.post("/greet/create-run", json={"resourceId": "u1"})
    assert created.status_code == 200
    run_id = created.json()["runId"]
    result = start(wf, "greet", "ada", run_id).json()
    assert (result["status"], result["result"], result["runId"]) == ("success", "HELLO ADA", run_id)
    assert result["steps"]["shout"]["output"] == "HELLO ADA"
    run = wf.get(f"/greet/runs/{run_id}").json()
    assert (run["status"], run["payload"], run["resourceId"]) == ("success", "ada", "u1")
    assert run["createdAt"].endswith("Z")
    only = wf.get(f"/greet/runs/{run_id}", params={"fields": "result"}).json()
    assert only["result"] == "HELLO ADA"
    assert "steps" not in only
    runs = wf.get("/greet/runs", params={"resourceId": "u1"}).json()
    assert runs["total"] == 1
    assert runs["runs"][0]["runId"] == run_id
    assert runs["runs"][0]["snapshot"]["status"] == "success"
    assert start(wf, "greet", "ada", run_id).status_code == 409
    assert wf.delete(f"/greet/runs/{run_id}").json() == {"message": "Workflow run deleted"}
    assert wf.get(f"/greet/runs/{run_id}").status_code == 404


def test_runs_are_paged_and_filtered(wf: httpx.Client) -> None:
    for i in range(3):
        assert start(wf, "greet", f"p{i}", f"page-{i}").status_code == 200
    page = wf.get("/greet/runs", params={"perPage": 2, "page": 0, "status": "success"}).json()
    assert len(page["runs"]) == 2
    assert page["total"] >= 3
    assert wf.get("/greet/runs", params={"limit": "x"}).status_code == 400
    assert wf.get("/greet/runs", params={"fromDate": "yesterday"}).status_code == 400
    future = wf.get("/greet/runs", params={"fromDate": "2999-01-01T00:00:00.000Z"}).json()
    assert future == {"runs": [], "total": 0}


def test_bad_requests(wf: httpx.Client) -> None:
    missing = wf.post("/greet/start-async", json={"inputData": "x"})
    assert missing.status_code == 400
    assert "runId" in missing.json()["error"]
    assert start(wf, "greet", 42, "bad-input").status_code == 400
    bad_body = wf.post("/greet/stream", params={"runId": "r"}, content=b"{nope")
    assert bad_body.status_code == 400
    assert (
        wf.post("/greet/stream", params={"runId": "r2"}, json={"inputData": 1}).status_code == 400
    )


def test_suspend_then_resume(wf: httpx.Client) -> None:
    paused = start(wf, "approval", "deploy", "appr-1").json()
    assert paused["status"] == "suspended"
    assert paused["suspended"] == [["approve"]]
    assert wf.get("/approval/runs/appr-1").json()["status"] == "suspended"
    body = {"step": "approve", "resumeData": "yes"}
    done = wf.post("/approval/resume-async", params={"runId": "appr-1"}, json=body).json()
    assert (done["status"], done["result"]) == ("success", "HELLO DEPLOY (approved: yes)")
    again = wf.post("/approval/resume-async", params={"runId": "appr-1"}, json=body)
    assert again.status_code == 400
    assert "not suspended" in again.json()["error"]


def test_stream_as_sse(wf: httpx.Client) -> None:
    response = wf.post(
        "/greet/stream",
        params={"runId": "sse-1"},
        json={"inputData": "bo"},
        headers={"Accept": "text/event-stream"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.content)
    assert events[-1] == "[DONE]"
    chunks = [orjson.loads(e) for e in events[:-1]]
    types = [c["type"] for c in chunks]
    assert types[0] == "workflow-start"
    assert types[-1] == "workflow-finish"
    assert "workflow-step-result" in types
    assert all(c["runId"] == "sse-1" for c in chunks)
    assert chunks[-1]["payload"]["workflowStatus"] == "success"
    assert chunks[-1]["payload"]["result"] == "HELLO BO"


def test_stream_as_records_then_resume_stream(wf: httpx.Client) -> None:
    response = wf.post("/approval/stream", params={"runId": "rec-1"}, json={"inputData": "x"})
    chunks = records(response.content)
    assert chunks[-1]["type"] == "workflow-finish"
    assert chunks[-1]["payload"]["workflowStatus"] == "suspended"
    assert any(c["type"] == "workflow-step-suspended" for c in chunks)
    resumed = wf.post(
        "/approval/resume-stream",
        params={"runId": "rec-1"},
        json={"resumeData": "ok"},
        headers={"Accept": "text/event-stream"},
    )
    events = sse_events(resumed.content)
    finish = orjson.loads(events[-2])
    assert finish["payload"]["workflowStatus"] == "success"
    assert wf.post("/approval/resume-stream", params={"runId": "rec-1"}).status_code == 409


def test_resume_stream_with_a_wrong_step_ends_with_an_error_chunk(wf: httpx.Client) -> None:
    assert start(wf, "approval", "y", "wrong-1").json()["status"] == "suspended"
    body = {"step": "shout", "resumeData": 1}
    chunks = records(
        wf.post("/approval/resume-stream", params={"runId": "wrong-1"}, json=body).content
    )
    assert chunks[-1]["type"] == "error"
    assert "not suspended" in chunks[-1]["payload"]["error"]


def test_cancel_a_suspended_run(wf: httpx.Client) -> None:
    assert start(wf, "approval", "z", "cancel-1").json()["status"] == "suspended"
    canceled = wf.post("/approval/runs/cancel-1/cancel")
    assert canceled.json() == {"message": "Workflow run canceled"}
    assert wf.get("/approval/runs/cancel-1").json()["status"] == "canceled"


def test_cancel_a_created_run(wf: httpx.Client, flows: ServerThread) -> None:
    run_id = wf.post("/greet/create-run").json()["runId"]
    assert wf.post(f"/greet/runs/{run_id}/cancel").status_code == 200
    assert ("greet", run_id) not in flows.state.workflow_runs
    assert start(wf, "greet", "late", run_id).json()["status"] == "success"


def test_cancel_a_running_run(wf: httpx.Client, flows: ServerThread) -> None:
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["result"] = start(wf, "crawl", 30.0, "cancel-2").json()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 5
    while ("crawl", "cancel-2") not in flows.state.workflow_runs:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.05)
    assert wf.post("/crawl/runs/cancel-2/cancel").status_code == 200
    thread.join(timeout=5)
    assert outcome["result"]["status"] == "canceled"
    assert wf.delete("/crawl/runs/cancel-2").status_code == 200


def test_disconnecting_cancels_the_streamed_run(wf: httpx.Client, flows: ServerThread) -> None:
    with wf.stream(
        "POST", "/crawl/stream", params={"runId": "gone-1"}, json={"inputData": 30.0}
    ) as r:
        first = next(r.iter_bytes())
        assert b"workflow-start" in first
    deadline = time.monotonic() + 5
    while wf.get("/crawl/runs/gone-1").json()["status"] != "canceled":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert ("crawl", "gone-1") not in flows.state.workflow_runs


def test_metrics_count_runs_and_steps(wf: httpx.Client, flows: ServerThread) -> None:
    assert start(wf, "greet", "m", "metrics-1").status_code == 200
    text = httpx.get(flows.url + "/metrics").text
    assert 'mastra_workflow_runs_total{status="success",workflow="greet"}' in text
    assert 'mastra_workflow_steps_total{status="success",workflow="greet"}' in text
    assert 'mastra_workflow_step_duration_seconds_bucket{le="+Inf",workflow="greet"}' in text


@pytest.fixture(scope="module")
def secured() -> Iterator[ServerThread]:
    config = ServerConfig(
        host="127.0.0.1",
        auth="on",
        api_keys=[
            ApiKeyConfig(sha256=hash_api_key("reader-key"), principal="rob", roles=["reader"]),
            ApiKeyConfig(sha256=hash_api_key("op-key"), principal="opal", roles=["operator"]),
        ],
    )
    yield from serve_app(create_app(build(), config))


def test_permissions(secured: ServerThread) -> None:
    base = secured.url + "/api/workflows"
    reader, operator = {"X-API-Key": "reader-key"}, {"X-API-Key": "op-key"}
    assert httpx.get(base, headers=reader).status_code == 200
    assert httpx.get(base).status_code == 401
    run = {"params": {"runId": "perm-1"}, "json": {"inputData": "a"}}
    assert httpx.post(base + "/greet/start-async", headers=reader, **run).status_code == 403
    assert httpx.post(base + "/greet/start-async", headers=operator, **run).status_code == 200
