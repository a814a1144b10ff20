"""A streamed response whose first chunk was read inside the retry loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from mastra.http._errors import MAPPED_EXCEPTIONS, mapped_error, request_id_of

__all__ = ["StreamedResponse", "aclose_iterator"]


async def aclose_iterator(iterator: AsyncIterator[bytes]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


class StreamedResponse:
    """A successful response whose body is read as it arrives.

    Its first chunk was already read (inside the retry loop), so a failure before any
    byte reached the caller was retried; a failure after it raises a ProviderError.
    """

    def __init__(
        self,
        response: httpx.Response,
        chunks: AsyncIterator[bytes],
        first: bytes,
        *,
        provider: str,
        secrets: tuple[str, ...],
    ) -> None:
        self.response = response
        self._chunks = chunks
        self._first = first
        self._provider = provider
        self._secrets = secrets

    @property
    def status_code(self) -> int:
        """The HTTP status (always a 2xx)."""
        return self.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self.response.headers

    @property
    def request_id(self) -> str | None:
        """The provider's request id, if it sent one."""
        return request_id_of(self.response.headers)

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Yields the body in chunks as they arrive, failures mapped to ProviderErrors."""
        if self._first:
            yield self._first
        try:
            async for chunk in self._chunks:
                yield chunk
        except MAPPED_EXCEPTIONS as exc:
            request = self.response.request
            raise mapped_error(
                exc,
                self._provider,
                method=request.method,
                url=str(request.url),
                secrets=self._secrets,
            ) from exc

    async def aclose(self) -> None:
        """Closes the body and gives the connection back to the pool."""
        await aclose_iterator(self._chunks)
        await self.response.aclose()
