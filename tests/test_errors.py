"""The error tree: one root, stdlib mixins, stable codes, context, pickling."""

from __future__ import annotations

import pickle

import pytest

import mastra
from mastra.errors import (
    AuthenticationError,
    AuthError,
    ConfigError,
    ContextLengthError,
    MalformedResponseError,
    MastraError,
    OutputValidationError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    StorageError,
    StreamError,
    ToolError,
    UsageLimitError,
    VectorError,
    WorkflowError,
)

PROVIDER_ERRORS = [
    AuthenticationError,
    ContextLengthError,
    MalformedResponseError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
]
ALL_ERRORS = [
    AuthError,
    ConfigError,
    ProviderError,
    StorageError,
    StreamError,
    ToolError,
    OutputValidationError,
    UsageLimitError,
    VectorError,
    WorkflowError,
    *PROVIDER_ERRORS,
]


@pytest.mark.parametrize("cls", ALL_ERRORS)
def test_every_error_is_a_mastra_error_with_its_own_code(cls: type[MastraError]) -> None:
    err = cls("what happened; what to do", argument="a")
    assert isinstance(err, MastraError)
    assert str(err) == "what happened; what to do"
    assert err.context == {"argument": "a"}
    assert err.code != MastraError.code


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in ALL_ERRORS]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("cls", [ConfigError, VectorError, StreamError, OutputValidationError])
def test_value_errors_are_caught_as_value_error(cls: type[MastraError]) -> None:
    with pytest.raises(ValueError, match="bad"):
        raise cls("bad")


@pytest.mark.parametrize("cls", ALL_ERRORS)
def test_errors_survive_pickling(cls: type[MastraError]) -> None:
    err = cls("message", path="/tmp/x")
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls
    assert clone.message == "message"
    assert clone.context == {"path": "/tmp/x"}


def test_core_errors_arrive_as_mastra_classes() -> None:
    with pytest.raises(VectorError, match="dimension mismatch"):
        mastra.cosine_similarity([1.0, 2.0], [[1.0, 2.0, 3.0]])
    with pytest.raises(ConfigError, match="unknown SIMD level"):
        mastra._core.set_simd_backend("sse9")


@pytest.mark.parametrize("cls", PROVIDER_ERRORS)
def test_provider_errors_carry_provider_status_and_request_id(cls: type[ProviderError]) -> None:
    err = cls("refused", provider="openai", status=429, request_id="req_1", retry_after=2.5)
    assert isinstance(err, ProviderError)
    assert (err.provider, err.status, err.request_id) == ("openai", 429, "req_1")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.provider, clone.status, clone.request_id) == ("openai", 429, "req_1")
    bare = cls("no context")
    assert (bare.provider, bare.status, bare.request_id) == (None, None, None)


def test_provider_error_stdlib_mixins_and_retry_after() -> None:
    assert isinstance(ProviderTimeoutError("slow"), TimeoutError)
    assert isinstance(ProviderUnavailableError("down"), ConnectionError)
    assert RateLimitError("429", retry_after=3).retry_after == 3.0
    assert RateLimitError("429").retry_after is None
