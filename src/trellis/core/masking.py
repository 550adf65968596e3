"""Remove secrets from anything about to be logged: pure functions, no I/O.

Two layers: values under sensitive keys are replaced whole, and free text is scanned for
credential shapes (bearer tokens, JWTs, provider tokens, passwords in URLs, `key=value`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"passw(or)?d|passphrase|^pass$|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"authorization|cookie|credential|(^|[_-])otp($|[_-])|session[_-]?key|signature",
    re.IGNORECASE,
)
# Keys that contain a sensitive word but never hold a secret.
_SAFE_KEYS = frozenset(
    {
        "token_type",
        "max_tokens",
        "tokens_used",
        "token_count",
        "input_tokens",
        "output_tokens",
        "total_tokens",
    }
)

_TEXT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # user:password@ or token@ inside any URL
    (
        re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@:]*(:[^/\s@]*)?@"),
        r"\g<scheme>" + REDACTED + "@",
    ),
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{16,}"), REDACTED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{16,}"), REDACTED),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"\bsk-(ant-)?[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), REDACTED),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), REDACTED),
    (re.compile(r"\btrl_[A-Za-z0-9_-]{16,}"), REDACTED),  # personal API tokens
    (re.compile(r"\binv_[A-Za-z0-9_-]{16,}"), REDACTED),  # invitation tokens (they travel in URL paths)
]
# `password=hunter2`, `"api_key": "..."`, `otp: 123456` inside free text.
_KEY_VALUE = re.compile(
    r"(?i)(?P<key>\b[\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|otp)[\w-]*)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}\]]+)"
)


def _mask_key_value(match: re.Match[str]) -> str:
    if match.group("key").lower() in _SAFE_KEYS:
        return match.group(0)
    return match.group("key") + match.group("sep") + REDACTED


def is_sensitive_key(key: str) -> bool:
    return key.lower() not in _SAFE_KEYS and bool(_SENSITIVE_KEY.search(key))


def mask_text(text: str) -> str:
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return _KEY_VALUE.sub(_mask_key_value, text)


def mask_value(value: Any, *, depth: int = 0) -> Any:
    """Mask secrets inside any JSON-like value, recursively (bounded depth)."""
    if depth > 8:
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return mask_mapping(value, depth=depth + 1)
    if isinstance(value, list | tuple):
        return type(value)(mask_value(item, depth=depth + 1) for item in value)
    return value


def mask_mapping(mapping: Mapping[str, Any], *, depth: int = 0) -> dict[str, Any]:
    masked: dict[str, Any] = {}
    for key, value in mapping.items():
        # Numbers and booleans under a "token" key are counts and flags, not secrets.
        if is_sensitive_key(str(key)) and value is not None and not isinstance(value, bool | int | float):
            masked[key] = REDACTED
        else:
            masked[key] = mask_value(value, depth=depth)
    return masked
