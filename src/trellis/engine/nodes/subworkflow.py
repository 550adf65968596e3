"""Sub-workflow: starts another workflow of this workspace as a child execution and waits for it.

The parent frees its worker while the child runs; the child's end resumes the parent with the
child's output (or fails the node with the child's error). The child is started at most once
per node run, even if this node is retried after a crash.
"""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.types import interrupt
from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType, PermanentNodeError


class SubWorkflowConfig(NodeConfig):
    workflow_id: uuid.UUID
    input: Any = Field(default="{{ input }}", description="The child's trigger data (templates allowed).")


def run(context: NodeContext, config: SubWorkflowConfig) -> Any:
    from trellis.executions import service as executions_service

    data = context.render(config.input)
    child_id = executions_service.start_child_execution(
        context.runtime,
        parent_execution_id=uuid.UUID(context.execution_id),
        parent_node_id=context.node_id,
        workspace_id=uuid.UUID(context.workspace_id),
        workflow_id=config.workflow_id,
        trigger_data=data if isinstance(data, dict) else {"input": data},
        key=context.idempotency_key,
    )
    outcome = interrupt({"kind": "subworkflow", "node_id": context.node_id, "child_execution_id": str(child_id)})
    if outcome.get("status") != "completed":
        raise PermanentNodeError(
            f"sub-workflow execution {child_id} {outcome.get('status')}: {outcome.get('error') or 'no error message'}"
        )
    return outcome.get("output")


NODE = NodeType(
    type="subworkflow",
    category="logic",
    description="Runs another workflow and continues with its output.",
    config_model=SubWorkflowConfig,
    run=run,
)
