"""What every HTTP adapter shares: retries with backoff, error mapping, SSE and NDJSON reading.

Secrets: the API key lives only in request headers built here. Errors and log lines carry
the provider name, status and the upstream message with the key (and anything shaped like a
credential) removed.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from trellis.core.masking import mask_text
from trellis.llm.pricing import ModelPrice, cost_usd, effective_price_table
from trellis.llm.retry import RetryPolicy, is_transient_status, parse_retry_after, retry_delay
from trellis.llm.types import (
    LLMAuthenticationFailed,
    LLMBadRequest,
    LLMError,
    LLMModelNotFound,
    LLMRateLimited,
    LLMTimeout,
    Usage,
)

log = structlog.get_logger("trellis.llm")

MAX_ERROR_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class ProviderOptions:
    """How a provider instance behaves: per-attempt timeout, retry policy and prices."""

    timeout_seconds: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    prices: Mapping[str, ModelPrice] = field(default_factory=effective_price_table)


@dataclass
class _Attempt:
    number: int = 1


class HttpProvider:
    """Base of the adapters. Subclasses set `name`, `_headers` and the wire translation."""

    name = "http"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None = None,
        options: ProviderOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.options = options or ProviderOptions()
        # Tests and embedders may inject a transport; by default each call opens its own client,
        # so one provider object is usable from any event loop (the engine runs nodes on several).
        self._transport = transport

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # ------------------------------------------------------------------ to override

    def _headers(self) -> dict[str, str]:
        return {"content-type": "application/json"}

    def _request_id(self, headers: httpx.Headers) -> str | None:
        value: str | None = headers.get("x-request-id") or headers.get("request-id")
        return value

    # ------------------------------------------------------------------ helpers for subclasses

    def cost(self, model: str, usage: Usage) -> float | None:
        return cost_usd(model, usage, self.options.prices)

    def _client(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            transport=self._transport,
            follow_redirects=False,
        )

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "[REDACTED]")
        return mask_text(text)

    def _upstream_message(self, body: bytes) -> str:
        text = body.decode("utf-8", errors="replace").strip()
        try:
            data = json.loads(text)
        except ValueError:
            return self._scrub(text[:MAX_ERROR_MESSAGE_CHARS])
        message: Any = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message") or message.get("type") or message
        return self._scrub(str(message)[:MAX_ERROR_MESSAGE_CHARS])

    def _status_error(self, status: int, body: bytes, *, model: str) -> LLMError:
        upstream = self._upstream_message(body)
        where = f"{self.name} at {self._scrub(self.base_url)}"
        detail = f": {upstream}" if upstream else ""
        if status == 429:
            return LLMRateLimited(
                f"{where} is rate limiting requests (HTTP 429){detail}",
                transient=True,
                provider=self.name,
                status=status,
            )
        if status in (401, 403):
            return LLMAuthenticationFailed(
                f"{where} rejected the credential (HTTP {status}); check the API key stored in the agent's "
                f"credential or TRELLIS_LLM_API_KEY{detail}",
                transient=False,
                provider=self.name,
                status=status,
            )
        if status == 404:
            return LLMModelNotFound(
                f"{where} has no model {model!r} or no such endpoint (HTTP 404){detail}",
                transient=False,
                provider=self.name,
                status=status,
            )
        if is_transient_status(status):
            return LLMError(
                f"{where} failed with HTTP {status}{detail}",
                transient=True,
                provider=self.name,
                status=status,
                code="llm_provider_unavailable",
            )
        return LLMBadRequest(
            f"{where} refused the request (HTTP {status}){detail}", transient=False, provider=self.name, status=status
        )

    def _transport_error(self, exc: Exception, timeout: float) -> LLMError:
        where = f"{self.name} at {self._scrub(self.base_url)}"
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return LLMTimeout(f"{where} did not answer within {timeout:g} s", transient=True, provider=self.name)
        return LLMError(
            f"could not reach {where}: {type(exc).__name__}",
            transient=True,
            provider=self.name,
            code="llm_unreachable",
        )

    async def _wait_before_retry(self, error: LLMError, attempt: int, retry_after: float | None) -> bool:
        """Sleep before the next attempt; False when the call should give up with `error`."""
        if not error.transient:
            return False
        delay = retry_delay(attempt, self.options.retry, retry_after=retry_after, random_fraction=random.random())  # noqa: S311
        if delay is None:
            return False
        log.warning(
            "llm.retry",
            provider=self.name,
            status=error.status,
            error=error.code,
            attempt=attempt,
            delay_seconds=round(delay, 3),
        )
        await asyncio.sleep(delay)
        return True

    @staticmethod
    def _retry_after(headers: httpx.Headers) -> float | None:
        return parse_retry_after(headers.get("retry-after"), now=datetime.now(UTC))

    # ------------------------------------------------------------------ the two request shapes

    async def _post_json(
        self, path: str, payload: dict[str, Any], *, model: str, timeout: float | None
    ) -> tuple[dict[str, Any], str | None]:
        """POST with retries; the decoded JSON body and the provider's request id."""
        limit = timeout if timeout is not None else self.options.timeout_seconds
        attempt = 1
        while True:
            retry_after: float | None = None
            try:
                async with self._client(limit) as client, asyncio.timeout(limit):
                    response = await client.post(path, json=payload, headers=self._headers())
                    body = await response.aread()
                if response.status_code < 400:
                    try:
                        data = json.loads(body)
                    except ValueError:
                        raise LLMError(
                            f"{self.name} answered with a body that is not JSON", transient=True, provider=self.name
                        ) from None
                    return data, self._request_id(response.headers)
                error = self._status_error(response.status_code, body, model=model)
                retry_after = self._retry_after(response.headers)
            except LLMError as exc:
                error = exc
            except (httpx.HTTPError, TimeoutError) as exc:
                error = self._transport_error(exc, limit)
            if not await self._wait_before_retry(error, attempt, retry_after):
                raise error
            attempt += 1

    @asynccontextmanager
    async def _open_stream(
        self, path: str, payload: dict[str, Any], *, model: str, timeout: float | None
    ) -> AsyncIterator[httpx.Response]:
        """Open a streaming POST, retrying until the server answers 2xx; nothing is retried mid-stream.

        `timeout` bounds connecting and each wait for the next piece (not the whole stream,
        which may legitimately run for minutes while tokens keep coming).
        """
        limit = timeout if timeout is not None else self.options.timeout_seconds
        attempt = 1
        while True:
            retry_after: float | None = None
            client = self._client(limit)
            try:
                request = client.build_request("POST", path, json=payload, headers=self._headers())
                response = await client.send(request, stream=True)
                if response.status_code < 400:
                    try:
                        yield response
                    except (httpx.HTTPError, TimeoutError) as exc:
                        raise self._transport_error(exc, limit) from None
                    finally:
                        await response.aclose()
                    return
                body = await response.aread()
                await response.aclose()
                error = self._status_error(response.status_code, body, model=model)
                retry_after = self._retry_after(response.headers)
            except LLMError:
                raise
            except (httpx.HTTPError, TimeoutError) as exc:
                error = self._transport_error(exc, limit)
            finally:
                await client.aclose()
            if not await self._wait_before_retry(error, attempt, retry_after):
                raise error
            attempt += 1


async def iter_sse(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of a `text/event-stream` body (WHATWG server-sent events)."""
    event = ""
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "event":
            event = value
        elif key == "data":
            data.append(value)
    if data:
        yield event or "message", "\n".join(data)


async def iter_ndjson(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    async for line in response.aiter_lines():
        if line.strip():
            yield json.loads(line)


def parse_tool_arguments(raw: str | dict[str, Any] | None, *, provider: str, tool: str) -> dict[str, Any]:
    """Tool arguments arrive as a JSON string (OpenAI) or object (Anthropic, Ollama)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        raise LLMError(
            f"{provider} sent arguments for tool {tool!r} that are not valid JSON",
            transient=True,
            provider=provider,
            code="llm_invalid_tool_arguments",
        ) from None
    if not isinstance(value, dict):
        raise LLMError(
            f"{provider} sent arguments for tool {tool!r} that are not a JSON object",
            transient=True,
            provider=provider,
            code="llm_invalid_tool_arguments",
        )
    return value
