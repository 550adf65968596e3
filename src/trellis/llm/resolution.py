"""Which provider, endpoint, credential and model an agent uses.

Per agent: `provider` + `credential_id` (a workspace credential holding the API key) +
optional `base_url` + `model`. Whatever the agent leaves unset falls back to the instance
settings (TRELLIS_LLM_PROVIDER, TRELLIS_LLM_BASE_URL, TRELLIS_LLM_API_KEY, TRELLIS_LLM_MODEL).
Nothing configured at all is an `LLMNotConfigured` whose message says how to configure it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Literal, get_args

from sqlalchemy.orm import Session

from trellis.core.config import Settings
from trellis.core.errors import InvalidInput
from trellis.core.key_providers import key_provider_for
from trellis.core.runtime import current_runtime
from trellis.credentials import service as credentials_service
from trellis.credentials.models import CredentialKind
from trellis.llm.anthropic import ANTHROPIC_BASE_URL, AnthropicProvider
from trellis.llm.http import ProviderOptions
from trellis.llm.ollama import OLLAMA_BASE_URL, OllamaProvider
from trellis.llm.openai_compatible import OPENAI_BASE_URL, OpenAICompatibleProvider
from trellis.llm.pricing import ModelPrice, effective_price_table
from trellis.llm.retry import RetryPolicy
from trellis.llm.types import LLMNotConfigured, LLMProvider

ProviderKind = Literal["openai", "anthropic", "ollama"]
PROVIDER_KINDS: tuple[str, ...] = get_args(ProviderKind)

_ADAPTERS: dict[str, tuple[Callable[..., LLMProvider], str]] = {
    "openai": (OpenAICompatibleProvider, OPENAI_BASE_URL),
    "anthropic": (AnthropicProvider, ANTHROPIC_BASE_URL),
    "ollama": (OllamaProvider, OLLAMA_BASE_URL),
}
# Hosted endpoints refuse every request without a key; self-hosted ones usually need none.
_KEY_REQUIRED_AT = {OPENAI_BASE_URL, ANTHROPIC_BASE_URL}

HOW_TO_CONFIGURE = (
    "Configure an LLM provider in one of two ways. Per agent: set `provider` (openai, anthropic or ollama), "
    "`model`, and `credential_id` of a workspace credential holding the API key (POST "
    "/api/v1/workspaces/{workspace_id}/credentials with kind `llm_api_key`), plus `base_url` for a self-hosted "
    "server (Ollama http://localhost:11434, vLLM or llama.cpp http://host:8000/v1 with provider openai). "
    "Instance-wide: set TRELLIS_LLM_PROVIDER, TRELLIS_LLM_MODEL, TRELLIS_LLM_API_KEY and, for a self-hosted "
    "server, TRELLIS_LLM_BASE_URL. See docs/llm.md."
)


def provider_options(settings: Settings) -> ProviderOptions:
    configured = {model: ModelPrice.model_validate(price) for model, price in settings.llm_prices.items()}
    return ProviderOptions(
        timeout_seconds=settings.llm_timeout_seconds,
        retry=RetryPolicy(
            max_attempts=settings.llm_max_attempts,
            backoff_seconds=settings.llm_backoff_seconds,
            backoff_max_seconds=settings.llm_backoff_max_seconds,
            retry_after_max_seconds=settings.llm_retry_after_max_seconds,
        ),
        prices=effective_price_table(configured),
    )


def _normalize_kind(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    kind = value.strip().lower()
    if kind in ("openai_compatible", "openai-compatible", "vllm", "llama.cpp", "llamacpp", "lmstudio"):
        return "openai"
    return kind


def _credential_key(
    db_session: Session, settings: Settings, *, workspace_id: uuid.UUID, credential_id: uuid.UUID
) -> tuple[str, str | None]:
    """(API key, the provider the credential says it is for)."""
    credential = credentials_service.get_credential(db_session, workspace_id=workspace_id, credential_id=credential_id)
    if credential.kind not in (CredentialKind.LLM_API_KEY, CredentialKind.GENERIC):
        raise InvalidInput(
            f"Credential {credential.name!r} is a {credential.kind.value} credential; an agent needs one of kind "
            "llm_api_key.",
            code="wrong_credential_kind",
            credential_id=str(credential_id),
        )
    value = credentials_service.reveal_credential_value(
        db_session, workspace_id=workspace_id, credential_id=credential_id, key_provider=key_provider_for(settings)
    )
    return value, _normalize_kind(credential.provider)


def resolve_provider(
    db_session: Session,
    *,
    workspace_id: uuid.UUID,
    provider: str | None,
    credential_id: uuid.UUID | str | None,
    base_url: str | None,
    settings: Settings | None = None,
) -> LLMProvider:
    """A ready provider for an agent (no network until it is called).

    - kind: `provider`, else the credential's `provider` field, else TRELLIS_LLM_PROVIDER;
    - key: the credential's value, else TRELLIS_LLM_API_KEY when the kind is the instance's;
    - URL: `base_url`, else TRELLIS_LLM_BASE_URL when the kind is the instance's, else the
      provider's public API.

    Raises `LLMNotConfigured` (nothing chosen, or a hosted API without a key), `InvalidInput`
    (unknown provider, wrong credential kind) and `CredentialNotFound` (not in this workspace).
    """
    settings = settings or current_runtime().settings
    api_key: str | None = None
    credential_kind: str | None = None
    if credential_id is not None:
        api_key, credential_kind = _credential_key(
            db_session, settings, workspace_id=workspace_id, credential_id=uuid.UUID(str(credential_id))
        )
    kind = _normalize_kind(provider) or credential_kind or settings.llm_provider
    if kind is None:
        raise LLMNotConfigured("No LLM provider is configured for this agent. " + HOW_TO_CONFIGURE)
    if kind not in _ADAPTERS:
        raise InvalidInput(
            f"Unknown LLM provider {kind!r}; use one of: {', '.join(PROVIDER_KINDS)}.", code="unknown_llm_provider"
        )
    instance_kind = kind == settings.llm_provider
    if api_key is None and instance_kind and settings.llm_api_key is not None:
        api_key = settings.llm_api_key.get_secret_value()
    adapter, public_url = _ADAPTERS[kind]
    url = (base_url or "").strip().rstrip("/") or (settings.llm_base_url if instance_kind else None) or public_url
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"The LLM base URL must start with http:// or https://, not {url!r}.", code="invalid_url")
    if api_key is None and url in _KEY_REQUIRED_AT:
        raise LLMNotConfigured(f"The {kind} API at {url} needs an API key, and none is configured. " + HOW_TO_CONFIGURE)
    return adapter(base_url=url, api_key=api_key, options=provider_options(settings))


def resolve_model(model: str | None, *, settings: Settings | None = None) -> str:
    """The agent's model, else TRELLIS_LLM_MODEL; `LLMNotConfigured` when neither is set."""
    if model and model.strip():
        return model.strip()
    settings = settings or current_runtime().settings
    if settings.llm_model:
        return settings.llm_model
    raise LLMNotConfigured("No model is set for this agent and TRELLIS_LLM_MODEL is unset. " + HOW_TO_CONFIGURE)
