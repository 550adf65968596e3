"""Code validation at scale: index a large source tree and trace 100 requirements; print seconds and peak memory.

    .venv/bin/python bench/validation.py                # the venv's site-packages (5,000+ Python files, 70 MB)
    .venv/bin/python bench/validation.py --repo PATH    # any other tree

Peak memory is the process's maximum resident set size (resource.getrusage), which includes the interpreter and
the tree-sitter grammars. Target: index + trace under 20 s. CPU seconds (this process and its worker processes)
are printed beside wall seconds: on a shared, loaded machine the wall time says more about the neighbours.
The report phase makes what the API stores: `as_dict(max_links=20)`, with the evidence of every stored link.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sysconfig
import time
from pathlib import Path

from trellis.requirements.analysis import RequirementInput
from trellis.validation.engine import validate_index
from trellis.validation.indexing import index_repository

ACTIONS = ("parse", "validate", "encode", "decode", "serialize", "cache", "retry", "authenticate", "compress", "log")
OBJECTS = (
    "HTTP request headers",
    "JSON documents",
    "database connection pool",
    "configuration files",
    "command line arguments",
    "TLS certificates",
    "time zones and dates",
    "regular expressions",
    "unicode strings",
    "asynchronous tasks",
)


def requirements() -> list[RequirementInput]:
    """100 deterministic requirements: every action applied to every object."""
    return [
        RequirementInput(
            f"BENCH-{number:03d}",
            f"The library shall {action} {thing}, reporting an error when the input is invalid.",
        )
        for number, (action, thing) in enumerate(((a, o) for a in ACTIONS for o in OBJECTS), start=1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=Path(sysconfig.get_paths()["purelib"]))
    arguments = parser.parse_args()

    def cpu() -> float:
        times = os.times()
        return times.user + times.system

    started, started_cpu = time.perf_counter(), cpu()
    index = index_repository(arguments.repo)
    indexed, indexed_cpu = time.perf_counter(), cpu()
    report = validate_index(index, requirements())
    traced, traced_cpu = time.perf_counter(), cpu()
    stored = json.dumps(report.as_dict(max_links=20))
    reported, reported_cpu = time.perf_counter(), cpu()
    # Indexing's worker processes are not waited for (they exit in the background): their CPU time counts once
    # they are gone, and is added to indexing, the only stage that starts processes.
    deadline = time.monotonic() + 30
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    children = os.times()
    workers_cpu = children.children_user + children.children_system
    indexed_cpu += workers_cpu
    traced_cpu += workers_cpu
    reported_cpu += workers_cpu

    total_bytes = sum(source.size for source in index.files)
    linked = sum(len(result.trace.linked) for result in report.requirements)
    candidates = sum(result.trace.candidate_count for result in report.requirements)
    peak_mb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    print(f"repository      {arguments.repo}")
    print(f"files indexed   {len(index.files)} ({total_bytes / 1e6:.1f} MB; skipped {dict(index.skipped)})")
    print(f"requirements    {len(report.requirements)}")
    print(f"candidate links {candidates} (linked {linked})")
    print(
        f"index seconds   {indexed - started:.2f} wall, {indexed_cpu - started_cpu:.2f} CPU"
        f"  (worker processes {workers_cpu:.2f} CPU)"
    )
    print(f"trace seconds   {traced - indexed:.2f} wall, {traced_cpu - indexed_cpu:.2f} CPU  (trace + scoring)")
    print(
        f"report seconds  {reported - traced:.2f} wall, {reported_cpu - traced_cpu:.2f} CPU  (20 links each, evidence)"
    )
    print(f"total seconds   {reported - started:.2f} wall, {reported_cpu - started_cpu:.2f} CPU")
    print(f"stored JSON MB  {len(stored) / 1e6:.1f}")
    print(f"peak RSS MB     {peak_mb / 1024:.0f} (largest process)")
    print(f"compliance      {report.scores.compliance:.3f}")


if __name__ == "__main__":
    main()
