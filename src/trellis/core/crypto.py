"""Secrets at rest: AES-256-GCM envelope encryption, the key provider interface, and display masking.

(Key providers themselves, and the choice among them, are in `trellis.core.key_providers`.)

Every secret gets its own random 256-bit data key (DEK). The plaintext is sealed with
AES-256-GCM under the DEK; the DEK is wrapped by a master key (key-encryption key, KEK)
that a key provider holds. A sealed value is one ASCII string, stored in a Text column:

    v1:<key_id>:<wrapped_dek>:<nonce>:<ciphertext_and_tag>

- binary parts are base64url without padding;
- `nonce` is 12 random bytes; `ciphertext_and_tag` = AESGCM(dek).encrypt(nonce, utf-8 plaintext, aad);
- `aad` = b"trellis:v1:" + the caller's context (e.g. "credential:<id>"), so a sealed value
  copied into another row does not open there;
- `wrapped_dek` is whatever the provider returns for the DEK under `key_id`; the local provider
  uses AES key wrap (RFC 3394) under the 256-bit master key;
- `key_id` names the master key (no ':'), so rotation re-wraps only the DEK, in place, without
  ever decrypting the secret itself (`rewrap_secret`).

Nothing here logs or puts into an exception message a plaintext, a data key or a master key;
errors name the key id and the record context only.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from prometheus_client import Counter

from trellis.core.errors import TrellisError

FORMAT_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_AAD_PREFIX = b"trellis:v1:"
_KEY_ID = re.compile(r"^[A-Za-z0-9._/+=@-]{1,64}$")

# Seed 001's metric; the key id label tells how much still depends on a key being retired.
ENCRYPTION_OPERATIONS = Counter(
    "encryption_operations_total",
    "Secret seal/open/rewrap operations, by master key id and outcome.",
    ["operation", "key_id", "outcome"],
)


class SecretError(TrellisError):
    """A stored secret cannot be sealed or opened. The message names a key id or a record, never a value."""

    status_code = 500
    code = "secret_unavailable"


class MalformedSealedValue(SecretError):
    pass


class UnknownKeyError(SecretError):
    """The value was sealed under a master key this provider does not hold (retired, or another installation's)."""


class SecretDecryptionError(SecretError):
    """The value does not open: tampered, moved to another record, or a wrong master key under a known id."""


class KeyProviderError(SecretError):
    """The key provider is misconfigured or its key store is unreadable."""


# --- the key provider interface -----------------------------------------------------------------------------


class KeyProvider(Protocol):
    """Holds master keys and wraps/unwraps data keys with them. Plaintext secrets never reach it.

    A cloud KMS adapter implements these three methods with its Encrypt/Decrypt calls (key ids
    then are the KMS key ids or aliases, without ':'), and registers a factory with
    `trellis.core.key_providers.register_key_provider("aws-kms", factory)`; TRELLIS_KEY_PROVIDER
    selects it. The local provider lives in `trellis.core.key_providers` too.
    """

    name: str

    def current_key_id(self) -> str:
        """The key new data keys are wrapped with."""
        ...

    def wrap_data_key(self, key_id: str, data_key: bytes) -> bytes: ...

    def unwrap_data_key(self, key_id: str, wrapped: bytes) -> bytes:
        """Raise UnknownKeyError for a key id the provider does not hold, SecretDecryptionError if it fails."""
        ...


# --- sealing ------------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aad(context: str) -> bytes:
    return _AAD_PREFIX + context.encode("utf-8")


@dataclass(frozen=True)
class SealedValue:
    key_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes

    def __str__(self) -> str:
        parts = (FORMAT_VERSION, self.key_id, _b64(self.wrapped_key), _b64(self.nonce), _b64(self.ciphertext))
        return ":".join(parts)

    def __repr__(self) -> str:
        return f"SealedValue(key_id={self.key_id!r})"

    @classmethod
    def parse(cls, sealed: str, *, context: str = "") -> SealedValue:
        where = f" ({context})" if context else ""
        parts = sealed.split(":") if isinstance(sealed, str) else []
        if len(parts) != 5 or parts[0] != FORMAT_VERSION or not _KEY_ID.match(parts[1]):
            raise MalformedSealedValue(f"stored secret{where} is not a {FORMAT_VERSION} sealed value")
        try:
            wrapped, nonce, ciphertext = (_unb64(part) for part in parts[2:])
        except (binascii.Error, ValueError):
            raise MalformedSealedValue(f"stored secret{where} is not a {FORMAT_VERSION} sealed value") from None
        if len(nonce) != NONCE_BYTES or len(ciphertext) < 16:
            raise MalformedSealedValue(f"stored secret{where} is not a {FORMAT_VERSION} sealed value")
        return cls(key_id=parts[1], wrapped_key=wrapped, nonce=nonce, ciphertext=ciphertext)


def seal_secret(plaintext: str, *, context: str, provider: KeyProvider) -> str:
    """Encrypt under a fresh data key bound to `context` (e.g. "credential:<id>"); returns the sealed string."""
    key_id = provider.current_key_id()
    if not _KEY_ID.match(key_id):
        raise KeyProviderError(f"key provider {provider.name} returned an unusable key id")
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), _aad(context))
    wrapped = provider.wrap_data_key(key_id, data_key)
    ENCRYPTION_OPERATIONS.labels("seal", key_id, "ok").inc()
    return str(SealedValue(key_id=key_id, wrapped_key=wrapped, nonce=nonce, ciphertext=ciphertext))


def open_secret(sealed: str, *, context: str, provider: KeyProvider) -> str:
    """Decrypt a sealed string; `context` must be the one it was sealed with."""
    value = SealedValue.parse(sealed, context=context)
    try:
        data_key = provider.unwrap_data_key(value.key_id, value.wrapped_key)
    except SecretError as exc:
        ENCRYPTION_OPERATIONS.labels("open", value.key_id, "error").inc()
        raise type(exc)(f"cannot open the stored secret ({context}): {exc.message}") from None
    try:
        plaintext = AESGCM(data_key).decrypt(value.nonce, value.ciphertext, _aad(context))
    except InvalidTag:
        ENCRYPTION_OPERATIONS.labels("open", value.key_id, "error").inc()
        raise SecretDecryptionError(
            f"the stored secret ({context}, master key {value.key_id}) does not decrypt: "
            "it was altered or belongs to another record"
        ) from None
    ENCRYPTION_OPERATIONS.labels("open", value.key_id, "ok").inc()
    return plaintext.decode("utf-8")


def rewrap_secret(sealed: str, *, provider: KeyProvider, key_id: str | None = None, context: str = "") -> str:
    """Re-wrap the data key under `key_id` (default: the current key). The secret itself is never decrypted:
    nonce and ciphertext are carried over byte for byte. Returns `sealed` unchanged when already there."""
    target = key_id or provider.current_key_id()
    value = SealedValue.parse(sealed, context=context)
    if value.key_id == target:
        return sealed
    try:
        data_key = provider.unwrap_data_key(value.key_id, value.wrapped_key)
    except SecretError:
        ENCRYPTION_OPERATIONS.labels("rewrap", value.key_id, "error").inc()
        raise
    ENCRYPTION_OPERATIONS.labels("rewrap", value.key_id, "ok").inc()
    rewrapped = SealedValue(
        key_id=target,
        wrapped_key=provider.wrap_data_key(target, data_key),
        nonce=value.nonce,
        ciphertext=value.ciphertext,
    )
    return str(rewrapped)


def sealed_key_id(sealed: str) -> str:
    """The master key id named by a sealed string, without opening anything."""
    return SealedValue.parse(sealed).key_id


def sealed_prefix(key_id: str) -> str:
    """What every value sealed under `key_id` starts with (for `LIKE 'prefix%'` queries)."""
    return f"{FORMAT_VERSION}:{key_id}:"


# --- display ------------------------------------------------------------------------------------------------

FULLY_MASKED = "***"
# Ends are shown only when at least this many characters remain hidden between them.
_MIN_HIDDEN = 8


def mask_secret(value: str) -> str:
    """For display: first 4 + "..." + last 4 (`ghp_...cdef`, as seed 001); `***` when too short to
    show 8 characters while hiding at least 8 more."""
    if len(value) < 8 + _MIN_HIDDEN:
        return FULLY_MASKED
    return f"{value[:4]}...{value[-4:]}"
