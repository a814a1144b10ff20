"""``get_model("provider/model")``: the presets of every supported provider."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mastra.cache import LRUCache
from mastra.errors import ConfigError
from mastra.http import HttpClient, HttpConfig, RateLimit
from mastra.providers._anthropic import ANTHROPIC_VERSION, AnthropicModel
from mastra.providers._base import Model, Provider
from mastra.providers._fallback import FallbackModel
from mastra.providers._openai import OpenAIChatModel

__all__ = ["PRESETS", "Preset", "get_model", "get_provider"]


@dataclass(frozen=True)
class Preset:
    """How to reach one provider.

    Attributes:
        base_url: The default base URL (``None``: it must be configured).
        key_env: Environment variables holding the key, first found wins (empty: no
            key needed).
        base_url_env: The environment variable that overrides the base URL.
        protocol: The wire protocol its models speak.
        key_required: Whether a call without a key is refused up front.
    """

    base_url: str | None
    key_env: tuple[str, ...]
    base_url_env: str
    protocol: Literal["openai", "anthropic"] = "openai"
    key_required: bool = True


def _preset(url: str | None, *keys: str, env: str, required: bool = True) -> Preset:
    return Preset(url, keys, env, "openai", required)


PRESETS: dict[str, Preset] = {
    "openai": _preset("https://api.openai.com/v1", "OPENAI_API_KEY", env="OPENAI_BASE_URL"),
    "anthropic": Preset(
        "https://api.anthropic.com/v1", ("ANTHROPIC_API_KEY",), "ANTHROPIC_BASE_URL", "anthropic"
    ),
    "groq": _preset("https://api.groq.com/openai/v1", "GROQ_API_KEY", env="GROQ_BASE_URL"),
    "deepseek": _preset("https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", env="DEEPSEEK_BASE_URL"),
    "mistral": _preset("https://api.mistral.ai/v1", "MISTRAL_API_KEY", env="MISTRAL_BASE_URL"),
    "together": _preset("https://api.together.xyz/v1", "TOGETHER_API_KEY", env="TOGETHER_BASE_URL"),
    "openrouter": _preset(
        "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", env="OPENROUTER_BASE_URL"
    ),
    "google": _preset(
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        env="GOOGLE_BASE_URL",
    ),
    "xai": _preset("https://api.x.ai/v1", "XAI_API_KEY", env="XAI_BASE_URL"),
    "ollama": _preset("http://localhost:11434/v1", env="OLLAMA_BASE_URL", required=False),
    "lmstudio": _preset("http://localhost:1234/v1", env="LMSTUDIO_BASE_URL", required=False),
    "vllm": _preset(None, "VLLM_API_KEY", env="VLLM_BASE_URL", required=False),
}


def get_provider(
    name: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    http: HttpClient | HttpConfig | None = None,
    rate_limit: RateLimit | None = None,
    cache: LRUCache | None = None,
) -> Provider:
    """The provider ``name`` from its preset, the environment and the arguments.

    Arguments win over environment variables, which win over the preset's defaults.
    ``http``, ``rate_limit`` and ``cache`` are passed to :class:`Provider`.

    Raises:
        ConfigError: The provider is unknown, its key is required and missing (the
            error names the variable to set), or it has no base URL (vllm).

    Example:
        >>> get_provider("ollama")
        Provider(name='ollama', base_url='http://localhost:11434/v1')
    """
    preset = PRESETS.get(name)
    if preset is None:
        known = ", ".join(sorted(PRESETS))
        raise ConfigError(f"unknown provider {name!r}; known providers: {known}", provider=name)
    url = base_url or os.environ.get(preset.base_url_env) or preset.base_url
    if not url:
        raise ConfigError(
            f"{name} has no default base URL: set {preset.base_url_env} or pass base_url=...",
            provider=name,
            variable=preset.base_url_env,
        )
    key = api_key or next((os.environ[v] for v in preset.key_env if os.environ.get(v)), None)
    if key is None and preset.key_required:
        variable = preset.key_env[0]
        raise ConfigError(
            f"no API key for {name}: set {variable} or pass api_key=...",
            provider=name,
            variable=variable,
        )
    options: dict[str, Any] = {"http": http, "rate_limit": rate_limit, "cache": cache}
    if preset.protocol == "anthropic":
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        return Provider(name, url, key, auth="x-api-key", headers=headers, **options)
    return Provider(name, url, key, **options)


def get_model(
    model: str | Model | Sequence[str | Model],
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    http: HttpClient | HttpConfig | None = None,
    rate_limit: RateLimit | None = None,
    cache: LRUCache | None = None,
    **settings: Any,
) -> Model:
    """The model named ``"provider/model"``, ready to call.

    Args:
        model: ``"provider/model"`` (the model part may hold more slashes, as on
            OpenRouter), a :class:`Model` (returned as it is), or a list of these: a
            :class:`FallbackModel` trying them in order.
        api_key: The key; by default from the provider's usual environment variable
            (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``GROQ_API_KEY``...).
        base_url: Overrides the base URL (also ``OPENAI_BASE_URL`` and the like).
        http: An HTTP client, or the configuration of the shared one.
        rate_limit: Client-side requests/min and tokens/min for this key.
        cache: Opt-in cache of complete answers, keyed by a hash of the request.
        **settings: Defaults for every call (``temperature``, ``max_tokens``...).

    Returns:
        An :class:`AnthropicModel` for ``anthropic/...``, else an
        :class:`OpenAIChatModel` on the provider's OpenAI-compatible endpoint.

    Raises:
        ConfigError: A malformed name, an unknown provider or a missing key.

    Example:
        >>> model = get_model("groq/llama-3.3-70b-versatile", api_key="gsk_...", temperature=0)
        >>> model
        OpenAIChatModel(groq/llama-3.3-70b-versatile)
    """
    if isinstance(model, Model):
        return model
    if not isinstance(model, str):
        options: dict[str, Any] = {"api_key": api_key, "base_url": base_url, "http": http}
        options |= {"rate_limit": rate_limit, "cache": cache, **settings}
        models = [get_model(item, **options) for item in model]
        if len(models) == 1:
            return models[0]
        return FallbackModel(*models)
    name, _, model_name = model.partition("/")
    if not name or not model_name:
        raise ConfigError(f"model names have the form 'provider/model', got {model!r}", model=model)
    provider = get_provider(
        name, api_key=api_key, base_url=base_url, http=http, rate_limit=rate_limit, cache=cache
    )
    if PRESETS[name].protocol == "anthropic":
        return AnthropicModel(model_name, provider=provider, **settings)
    return OpenAIChatModel(model_name, provider=provider, **settings)
