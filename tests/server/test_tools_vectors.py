"""Tool and vector routes through a real server."""

from __future__ import annotations

import httpx


def test_list_and_get_tools(client: httpx.Client) -> None:
    tools = client.get("/api/tools").json()
    assert {"weather", "explode"} <= set(tools)
    assert client.get("/api/tools/weather").json()["description"].startswith("The weather")
    response = client.get("/api/tools/missing")
    assert response.status_code == 404
    assert response.json() == {"error": "tool 'missing' not found"}


def test_execute_tool_returns_the_bare_result(client: httpx.Client) -> None:
    response = client.post("/api/tools/weather/execute?runId=r1", json={"data": {"city": "Rome"}})
    assert response.status_code == 200
    assert response.json() == {"city": "Rome", "temperature_c": 21}


def test_execute_tool_with_bad_arguments_is_422(client: httpx.Client) -> None:
    response = client.post("/api/tools/weather/execute", json={"data": {"town": 3}})
    assert response.status_code == 422
    assert "city" in response.json()["error"]
    response = client.post("/api/tools/weather/execute", json={"data": "Rome"})
    assert response.status_code == 422
    assert "data" in response.json()["error"]


def test_a_failing_tool_is_a_500_with_its_message(client: httpx.Client) -> None:
    response = client.post("/api/tools/explode/execute", json={"data": {"reason": "test"}})
    assert response.status_code == 500
    assert "boom: test" in response.json()["error"]


def test_vector_index_lifecycle(client: httpx.Client) -> None:
    assert client.get("/api/vectors").json() == {
        "vectors": [{"id": "mem", "name": "mem", "type": "InMemoryVectorStore"}]
    }
    base = "/api/vector/mem"
    body = {"indexName": "docs", "dimension": 3, "metric": "cosine"}
    assert client.post(base + "/create-index", json=body).json() == {"success": True}
    assert client.post(base + "/create-index", json=body).status_code == 200
    assert client.get(base + "/indexes").json() == ["docs"]
    upsert = {
        "indexName": "docs",
        "vectors": [[1, 0, 0], [0, 1, 0], [0.9, 0.1, 0]],
        "metadata": [{"k": "a"}, {"k": "b"}, {"k": "a"}],
        "ids": ["x", "y", "z"],
    }
    assert client.post(base + "/upsert", json=upsert).json() == {"ids": ["x", "y", "z"]}
    details = client.get(base + "/indexes/docs").json()
    assert details == {"dimension": 3, "count": 3, "metric": "cosine"}
    query = {"indexName": "docs", "queryVector": [1, 0, 0], "topK": 2}
    matches = client.post(base + "/query", json=query).json()
    assert [m["id"] for m in matches] == ["x", "z"]
    assert matches[0]["score"] >= matches[1]["score"]
    filtered = client.post(base + "/query", json={**query, "filter": {"k": "b"}}).json()
    assert [m["id"] for m in filtered] == ["y"]
    assert client.delete(base + "/indexes/docs").json() == {"success": True}
    assert client.get(base + "/indexes/docs").status_code == 404


def test_vector_errors(client: httpx.Client) -> None:
    base = "/api/vector/mem"
    assert client.get("/api/vector/nope/indexes").status_code == 404
    assert (
        client.post(base + "/query", json={"indexName": "gone", "queryVector": [1]}).status_code
        == 404
    )
    client.post(base + "/create-index", json={"indexName": "e", "dimension": 2})
    conflict = client.post(base + "/create-index", json={"indexName": "e", "dimension": 4})
    assert conflict.status_code == 409
    wrong_dim = client.post(base + "/upsert", json={"indexName": "e", "vectors": [[1, 2, 3]]})
    assert wrong_dim.status_code == 400
    mismatch = client.post(
        base + "/upsert", json={"indexName": "e", "vectors": [[1, 2]], "ids": ["a", "b"]}
    )
    assert mismatch.status_code == 422
    bad_filter = client.post(
        base + "/query", json={"indexName": "e", "queryVector": [1, 0], "filter": {"$nope": 1}}
    )
    assert bad_filter.status_code == 400
    bad_metric = client.post(
        base + "/create-index", json={"indexName": "f", "dimension": 2, "metric": "manhattan"}
    )
    assert bad_metric.status_code == 422
    assert "metric" in bad_metric.json()["error"]
    client.delete(base + "/indexes/e")
