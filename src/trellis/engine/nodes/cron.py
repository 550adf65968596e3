"""Cron trigger: fires once per schedule slot of a published workflow, whatever the number of processes."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import Field, field_validator

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType


class CronTriggerConfig(NodeConfig):
    cron: str = Field(description="Five-field cron expression, e.g. '*/5 * * * *'.")
    timezone: str = Field(default="UTC", description="IANA time zone the expression is read in.")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError("not a valid five-field cron expression")
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


def run(context: NodeContext, config: CronTriggerConfig) -> Any:
    return context.trigger


NODE = NodeType(
    type="cron",
    category="trigger",
    description="Starts the workflow on a cron schedule while the workflow is published; output: the slot time.",
    config_model=CronTriggerConfig,
    run=run,
    is_trigger=True,
    min_inputs=0,
)
