"""get_model: presets, keys from the environment or arguments, base URL overrides."""

from __future__ import annotations

import pytest

from mastra.errors import ConfigError
from mastra.providers import AnthropicModel, OpenAIChatModel, get_model, get_provider
from mastra.providers._router import PRESETS

from . import wire
from .server import LoopbackServer

KEY_VARS = {v for preset in PRESETS.values() for v in preset.key_env}
URL_VARS = {preset.base_url_env for preset in PRESETS.values()}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARS | URL_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("openai", "https://api.openai.com/v1"),
        ("groq", "https://api.groq.com/openai/v1"),
        ("deepseek", "https://api.deepseek.com/v1"),
        ("mistral", "https://api.mistral.ai/v1"),
        ("together", "https://api.together.xyz/v1"),
        ("openrouter", "https://openrouter.ai/api/v1"),
        ("google", "https://generativelanguage.googleapis.com/v1beta/openai"),
        ("xai", "https://api.x.ai/v1"),
    ],
)
def test_openai_compatible_presets(monkeypatch: pytest.MonkeyPatch, name: str, url: str) -> None:
    variable = PRESETS[name].key_env[0]
    monkeypatch.setenv(variable, f"key-for-{name}")
    model = get_model(f"{name}/some-model", temperature=0)
    assert isinstance(model, OpenAIChatModel)
    assert (model.name, model.provider.base_url, model.settings) == (
        "some-model",
        url,
        {"temperature": 0},
    )
    assert model.provider.headers["authorization"] == f"Bearer key-for-{name}"
    assert f"key-for-{name}" not in repr(model)
    assert f"key-for-{name}" not in repr(model.provider)


@pytest.mark.parametrize("name", sorted(n for n, p in PRESETS.items() if p.key_required))
def test_missing_key_names_the_variable(name: str) -> None:
    with pytest.raises(ConfigError, match=PRESETS[name].key_env[0]) as caught:
        get_model(f"{name}/m")
    assert caught.value.context["variable"] == PRESETS[name].key_env[0]


def test_anthropic_preset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-1")
    model = get_model("anthropic/claude-haiku-4-5", max_tokens=100)
    assert isinstance(model, AnthropicModel)
    assert model.provider.headers["x-api-key"] == "sk-ant-1"
    assert model.provider.headers["anthropic-version"] == "2023-06-01"


def test_local_servers_need_no_key() -> None:
    assert get_model("ollama/llama3.2").provider.headers == {}  # type: ignore[attr-defined]
    assert get_provider("lmstudio").base_url == "http://localhost:1234/v1"
    with pytest.raises(ConfigError, match="VLLM_BASE_URL"):
        get_model("vllm/qwen")
    assert get_provider("vllm", base_url="http://127.0.0.1:8000/v1").has_api_key is False


def test_arguments_and_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")
    assert get_provider("openai").base_url == "http://127.0.0.1:9/v1"
    provider = get_provider("openai", api_key="arg-key", base_url="http://127.0.0.1:7/v1")
    assert provider.base_url == "http://127.0.0.1:7/v1"
    assert provider.headers["authorization"] == "Bearer arg-key"
    monkeypatch.setenv("GEMINI_API_KEY", "gem")
    assert get_provider("google").headers["authorization"] == "Bearer gem"


def test_names_with_slashes_and_bad_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "or")
    assert get_model("openrouter/anthropic/claude-3.5-sonnet").name == "anthropic/claude-3.5-sonnet"
    for bad in ["gpt-4o", "/gpt-4o", "openai/"]:
        with pytest.raises(ConfigError, match="provider/model"):
            get_model(bad)
    with pytest.raises(ConfigError, match="unknown provider 'acme'"):
        get_model("acme/x")
    model = get_model("ollama/x")
    assert get_model(model) is model


def test_routed_model_answers(monkeypatch: pytest.MonkeyPatch, server: LoopbackServer) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.url())
    model = get_model("openai/gpt-test", api_key="k")
    assert model.generate_sync("Hi").text == wire.TEXT
    anthropic = get_model("anthropic/claude-test", api_key="k", base_url=server.url())
    assert anthropic.generate_sync("Hi").text == wire.TEXT
