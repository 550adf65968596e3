"""Orchestration overhead per node hop: 40 sequential trivial transform nodes.

    python bench/engine_overhead.py                       # embedded (SQLite, in-process jobs)
    python bench/engine_overhead.py --mode distributed --pg-url postgresql://u:p@127.0.0.1:5432/postgres \
        --redis-url redis://127.0.0.1:6379/0              # PostgreSQL + Redis + one `trellis worker`

Prints, over several runs (median and best): per-hop overhead = (last node end - first node start) / 40,
start latency = execution enqueued -> first node running, and the same graph run by LangGraph
directly in this process with no persistence, as the floor.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from engine_common import create_workflow, sign_up, start, timings, transform_chain, trellis, wait_finished

from trellis.engine.compiler import compile_graph, node_input
from trellis.engine.graph import ParsedNode, parse_graph
from trellis.engine.nodes.base import NodeContext

NODES = 40


def bare_langgraph_ms(graph_json: dict[str, Any], repeats: int) -> list[float]:
    graph = parse_graph(graph_json["nodes"], graph_json["connections"])

    def make(node: ParsedNode) -> Any:
        def run(state: Any) -> dict[str, Any]:
            context = NodeContext(
                execution_id="bench",
                workflow_id="w",
                workspace_id="ws",
                node_id=node.id,
                node_type=node.node_type.type,
                run=1,
                attempt=1,
                idempotency_key="k",
                input=node_input(graph, node, state),
                outputs=state.get("outputs", {}),
                trigger=state.get("trigger", {}),
                memo=None,
                runtime=None,  # type: ignore[arg-type]
            )
            return {"outputs": {node.id: node.node_type.execute(context, node.config).output}, "order": [node.id]}

        return run

    compiled = compile_graph(graph, make)
    results = []
    for _ in range(repeats):
        began = time.perf_counter()
        compiled.invoke({"entry": "start", "trigger": {"n": 1}, "outputs": {}}, {"recursion_limit": 1000})
        results.append((time.perf_counter() - began) * 1000)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--pg-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    graph = transform_chain(NODES)
    with trellis(args.mode, args.pg_url, args.redis_url) as (client, runtime):
        headers = sign_up(client)
        workflow_id = create_workflow(client, headers, graph)
        wait_finished(runtime, [start(client, headers, workflow_id)])  # warm-up: compile, caches, connections
        hops, latencies = [], []
        for _ in range(args.runs):
            execution_id = start(client, headers, workflow_id)
            wait_finished(runtime, [execution_id])
            measured = timings(runtime, execution_id)
            assert measured["nodes"] == NODES
            hops.append(measured["run_ms"] / NODES)
            latencies.append(measured["start_latency_ms"])
    bare = [ms / NODES for ms in bare_langgraph_ms(graph, args.runs)]
    print(f"mode: {args.mode}, {NODES} sequential transform nodes, {args.runs} runs")
    print(f"  per-hop overhead (durable):   median {statistics.median(hops):6.2f} ms   best {min(hops):6.2f} ms")
    print(
        f"  start latency (enqueue->run): median {statistics.median(latencies):6.2f} ms   best {min(latencies):6.2f} ms"
    )
    print(f"  bare LangGraph, no persistence, same process: median {statistics.median(bare):6.3f} ms per hop")


if __name__ == "__main__":
    main()
