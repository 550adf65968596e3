"""Completed 3-node executions per second with 50 started at once.

python bench/engine_throughput.py [--mode distributed --pg-url ... --redis-url ...]
"""

from __future__ import annotations

import argparse
import statistics
import time

from engine_common import create_workflow, sign_up, start, transform_chain, trellis, wait_finished


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--pg-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--executions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rates = []
    with trellis(args.mode, args.pg_url, args.redis_url) as (client, runtime):
        headers = sign_up(client)
        workflow_id = create_workflow(client, headers, transform_chain(3))
        wait_finished(runtime, [start(client, headers, workflow_id)])
        for _ in range(args.rounds):
            began = time.perf_counter()
            ids = [start(client, headers, workflow_id) for _ in range(args.executions)]
            wait_finished(runtime, ids)
            rates.append(args.executions / (time.perf_counter() - began))
    print(f"mode: {args.mode}, {args.executions} executions of 3 nodes started at once, {args.rounds} rounds")
    print(f"  throughput: median {statistics.median(rates):6.1f} executions/s   best {max(rates):6.1f} executions/s")
    print("  (the clock includes the 50 start requests through the API)")


if __name__ == "__main__":
    main()
