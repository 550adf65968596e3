"""Cost of a call from a price table: USD per million input and output tokens, per model. Pure.

The built-in table below holds list prices of common hosted models; `TRELLIS_LLM_PRICES`
(JSON `{"model": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}`) adds models and
overrides these. A model matches an entry by exact name, else by the longest entry that is
a prefix of it followed by a separator (so `gpt-4o-2024-08-06` costs like `gpt-4o`, and
`gpt-4o-mini` like `gpt-4o-mini`, not `gpt-4o`). A model in no entry has no known cost
(None), which is different from free: local models cost 0 only once you say so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trellis.llm.types import Usage


class ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: float = Field(ge=0, description="USD per million input (prompt) tokens.")
    output_per_mtok: float = Field(ge=0, description="USD per million output (completion) tokens.")


# List prices in USD per million tokens (input, output), as published by the providers in 2025.
_BUILT_IN: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-opus-4": (15.00, 75.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-haiku": (0.25, 1.25),
}

BUILT_IN_PRICES: dict[str, ModelPrice] = {
    model: ModelPrice(input_per_mtok=prices[0], output_per_mtok=prices[1]) for model, prices in _BUILT_IN.items()
}

# Characters that end a model family name inside a longer, dated or tagged model name.
_SEPARATORS = ("-", ":", "@", "/", ".")


class PriceTableError(ValueError):
    """The configured price table is not valid JSON of the documented shape."""


def parse_price_table(raw: str | Mapping[str, Any] | None) -> dict[str, ModelPrice]:
    """Validate a configured table (JSON text or a mapping) into prices per model."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise PriceTableError(f"not valid JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(data, Mapping):
        raise PriceTableError('must be a JSON object: {"model": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}')
    table: dict[str, ModelPrice] = {}
    for model, entry in data.items():
        try:
            table[str(model)] = ModelPrice.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "entry"
            raise PriceTableError(f"model {model!r}: {where}: {first['msg']}") from None
    return table


def effective_price_table(configured: Mapping[str, ModelPrice] | None = None) -> dict[str, ModelPrice]:
    """The built-in table with the configured entries added and overriding."""
    return {**BUILT_IN_PRICES, **(configured or {})}


def price_for(model: str, table: Mapping[str, ModelPrice]) -> ModelPrice | None:
    if model in table:
        return table[model]
    # Providers prefix names sometimes (`openai/gpt-4o`, `models/...`): try the last segment too.
    candidates = [model, model.rsplit("/", 1)[-1]]
    best: tuple[int, ModelPrice] | None = None
    for name in candidates:
        if name in table:
            return table[name]
        for entry, price in table.items():
            if name.startswith(entry) and name[len(entry)] in _SEPARATORS and (best is None or len(entry) > best[0]):
                best = (len(entry), price)
    return best[1] if best else None


def cost_usd(model: str, usage: Usage, table: Mapping[str, ModelPrice]) -> float | None:
    """USD for one call (float noise rounded away at 1e-12); None when the model has no price."""
    price = price_for(model, table)
    if price is None:
        return None
    cost = (usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok) / 1_000_000
    return round(cost, 12)
