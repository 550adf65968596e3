"""The pure parts: price lookup and cost, Retry-After parsing, backoff."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trellis.llm.pricing import (
    BUILT_IN_PRICES,
    ModelPrice,
    PriceTableError,
    cost_usd,
    effective_price_table,
    parse_price_table,
    price_for,
)
from trellis.llm.retry import RetryPolicy, backoff_delay, parse_retry_after, retry_delay
from trellis.llm.types import Usage

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_cost_of_a_known_model_uses_input_and_output_prices() -> None:
    # gpt-4o-mini: $0.15 / $0.60 per million.
    assert cost_usd("gpt-4o-mini", Usage(input_tokens=1_000_000, output_tokens=500_000), BUILT_IN_PRICES) == 0.45


def test_dated_model_names_match_their_family_and_the_longest_family_wins() -> None:
    assert price_for("gpt-4o-2024-08-06", BUILT_IN_PRICES) == BUILT_IN_PRICES["gpt-4o"]
    assert price_for("gpt-4o-mini-2024-07-18", BUILT_IN_PRICES) == BUILT_IN_PRICES["gpt-4o-mini"]
    assert price_for("claude-sonnet-4-20250514", BUILT_IN_PRICES) == BUILT_IN_PRICES["claude-sonnet-4"]
    assert price_for("openai/gpt-4.1-nano", BUILT_IN_PRICES) == BUILT_IN_PRICES["gpt-4.1-nano"]
    # A prefix without a separator is another model, not a version of this one.
    assert price_for("gpt-4oX", BUILT_IN_PRICES) is None
    assert cost_usd("llama3.2", Usage(input_tokens=10, output_tokens=10), BUILT_IN_PRICES) is None


def test_configured_prices_add_models_and_override_built_ins() -> None:
    table = effective_price_table(
        parse_price_table(
            '{"llama3.2": {"input_per_mtok": 0, "output_per_mtok": 0},'
            ' "gpt-4o": {"input_per_mtok": 1, "output_per_mtok": 4}}'
        )
    )
    assert cost_usd("llama3.2:3b", Usage(input_tokens=999, output_tokens=999), table) == 0.0
    assert cost_usd("gpt-4o", Usage(input_tokens=1_000_000, output_tokens=1_000_000), table) == 5.0
    assert table["claude-3-haiku"] == ModelPrice(input_per_mtok=0.25, output_per_mtok=1.25)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{nope", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"m": {"input_per_mtok": 1}}', "model 'm': output_per_mtok: Field required"),
        ('{"m": {"input_per_mtok": -1, "output_per_mtok": 1}}', "model 'm': input_per_mtok"),
    ],
)
def test_bad_price_tables_are_refused_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(PriceTableError, match=message):
        parse_price_table(raw)


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    assert parse_retry_after("7", now=NOW) == 7.0
    assert parse_retry_after("Sun, 01 Jun 2025 12:00:30 GMT", now=NOW) == 30.0
    assert parse_retry_after("Sun, 01 Jun 2025 11:00:00 GMT", now=NOW) == 0.0  # already past
    assert parse_retry_after("-3", now=NOW) == 0.0
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


def test_backoff_doubles_up_to_the_cap_with_half_of_each_step_random() -> None:
    policy = RetryPolicy(max_attempts=10, backoff_seconds=1.0, backoff_max_seconds=8.0)
    assert [backoff_delay(n, policy, random_fraction=0.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [backoff_delay(n, policy, random_fraction=1.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_retry_delay_prefers_retry_after_and_stops_at_the_attempt_bound() -> None:
    policy = RetryPolicy(max_attempts=3, backoff_seconds=1.0, retry_after_max_seconds=60)
    assert retry_delay(1, policy, retry_after=12.0, random_fraction=0.5) == 12.0
    assert retry_delay(2, policy, retry_after=None, random_fraction=0.0) == 1.0
    assert retry_delay(3, policy, retry_after=None, random_fraction=0.0) is None  # 3 attempts made
    assert retry_delay(1, policy, retry_after=61.0, random_fraction=0.0) is None  # too long to sleep here
