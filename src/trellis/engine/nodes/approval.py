"""Human approval: pauses the run until someone approves or rejects it (or the timeout decides)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from langgraph.types import interrupt
from pydantic import Field

from trellis.core.db import utcnow
from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeResult, NodeType, PermanentNodeError


class ApprovalConfig(NodeConfig):
    message: str = Field(default="Approve this step?", max_length=5000, description="Shown to approvers (template).")
    timeout_seconds: int | None = Field(default=None, ge=1, le=90 * 86_400)
    timeout_outcome: Literal["approve", "reject", "fail"] = "fail"


def run(context: NodeContext, config: ApprovalConfig) -> NodeResult:
    request = {
        "kind": "approval",
        "node_id": context.node_id,
        "message": str(context.render(config.message)),
        "timeout_at": (utcnow() + timedelta(seconds=config.timeout_seconds)).isoformat()
        if config.timeout_seconds
        else None,
        "timeout_outcome": config.timeout_outcome,
    }
    decision = interrupt(request)
    outcome = decision.get("decision")
    if outcome == "timeout":
        if config.timeout_outcome == "fail":
            raise PermanentNodeError(f"approval timed out after {config.timeout_seconds} s")
        outcome = "approved" if config.timeout_outcome == "approve" else "rejected"
    output = {
        "decision": outcome,
        "comment": decision.get("comment"),
        "decided_by": decision.get("decided_by"),  # user id; None when the timeout decided
        "decided_by_email": decision.get("decided_by_email"),
        "input": context.input,
    }
    return NodeResult(output=output, route=outcome, details={"decision": outcome})


NODE = NodeType(
    type="approval",
    category="logic",
    description="Waits for a person to approve or reject; continues on 'approved' or 'rejected'.",
    config_model=ApprovalConfig,
    run=run,
    handles=("approved", "rejected"),
    default_handle="approved",
)
