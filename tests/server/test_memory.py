"""Memory routes through a real server: threads, messages, working memory."""

from __future__ import annotations

import httpx

Q = {"agentId": "chat"}


def test_thread_lifecycle(client: httpx.Client) -> None:
    body = {"resourceId": "u1", "title": "First", "threadId": "th-1", "metadata": {"a": 1}}
    created = client.post("/api/memory/threads", params=Q, json=body)
    assert created.status_code == 200
    thread = created.json()
    assert (thread["id"], thread["resourceId"], thread["title"]) == ("th-1", "u1", "First")
    assert thread["createdAt"].endswith("Z")
    assert client.post("/api/memory/threads", params=Q, json=body).status_code == 409
    client.post("/api/memory/threads", params=Q, json={"resourceId": "u1"})
    page = client.get("/api/memory/threads", params={**Q, "resourceId": "u1", "perPage": 1})
    listing = page.json()
    assert (listing["total"], listing["perPage"], listing["hasMore"]) == (2, 1, True)
    assert len(listing["threads"]) == 1
    patched = client.patch("/api/memory/threads/th-1", params=Q, json={"title": "Renamed"})
    assert patched.json()["title"] == "Renamed"
    assert client.get("/api/memory/threads/th-1", params=Q).json()["title"] == "Renamed"
    assert client.delete("/api/memory/threads/th-1", params=Q).json() == {
        "result": "Thread deleted"
    }
    assert client.get("/api/memory/threads/th-1", params=Q).status_code == 404


def test_generate_with_memory_keeps_messages_in_mastra_format(client: httpx.Client) -> None:
    body = {"messages": "weather?", "memory": {"thread": "th-2", "resource": "u2"}}
    assert client.post("/api/agents/chat/generate", json=body).status_code == 200
    messages = client.get("/api/memory/threads/th-2/messages", params=Q).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant"]
    assert messages[0]["content"] == {"format": 2, "parts": [{"type": "text", "text": "weather?"}]}
    invocation = messages[1]["content"]["parts"][0]
    assert invocation["type"] == "tool-invocation"
    assert invocation["toolInvocation"]["state"] == "result"
    assert invocation["toolInvocation"]["toolName"] == "weather"
    assert messages[2]["content"]["parts"][-1]["text"] == "Noted."
    paged = client.get(
        "/api/memory/threads/th-2/messages", params={**Q, "page": 1, "perPage": 2}
    ).json()
    assert (paged["total"], paged["hasMore"], len(paged["messages"])) == (3, False, 1)


def test_save_messages_and_working_memory(client: httpx.Client) -> None:
    client.post("/api/memory/threads", params=Q, json={"resourceId": "u3", "threadId": "th-3"})
    saved = client.post(
        "/api/memory/save-messages",
        params=Q,
        json={
            "messages": [
                {"role": "user", "content": "hi", "threadId": "th-3", "resourceId": "u3"},
                {
                    "role": "assistant",
                    "threadId": "th-3",
                    "content": {"format": 2, "parts": [{"type": "text", "text": "hello"}]},
                },
            ]
        },
    )
    assert saved.status_code == 200
    assert [m["role"] for m in saved.json()["messages"]] == ["user", "assistant"]
    url = "/api/memory/threads/th-3/working-memory"
    assert client.post(url, params=Q, json={"workingMemory": "# User\n- name: Ada"}).json() == {
        "success": True
    }
    report = client.get(url, params=Q).json()
    assert report["workingMemory"] == "# User\n- name: Ada"
    assert report["threadExists"] is True
    assert report["source"] == "resource"


def test_memory_errors(client: httpx.Client) -> None:
    assert client.get("/api/memory/threads", params={"resourceId": "u"}).status_code == 400
    assert client.get("/api/memory/threads", params={"agentId": "chat"}).status_code == 400
    no_memory = client.get("/api/memory/threads", params={"agentId": "echo", "resourceId": "u"})
    assert no_memory.status_code == 400
    unknown = client.get("/api/memory/threads", params={"agentId": "nope", "resourceId": "u"})
    assert unknown.status_code == 404
    bad_page = client.get("/api/memory/threads", params={**Q, "resourceId": "u", "page": "-1"})
    assert bad_page.status_code == 422
    missing = client.post("/api/memory/threads", params=Q, json={"title": "x"})
    assert missing.status_code == 422
    assert "resourceId" in missing.json()["error"]
    bad = client.post("/api/memory/save-messages", params=Q, json={"messages": [{"role": "x"}]})
    assert bad.status_code == 422
    assert client.get("/api/memory/threads/none/messages", params=Q).status_code == 404
