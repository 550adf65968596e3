"""Code validation at scale: index a large source tree and trace 100 requirements; print seconds and peak memory.

    .venv/bin/python bench/validation.py                # the venv's site-packages (5,000+ Python files, 70 MB)
    .venv/bin/python bench/validation.py --repo PATH    # any other tree

Peak memory is the process's maximum resident set size (resource.getrusage), which includes the interpreter and
the tree-sitter grammars. Target: index + trace under 20 s.
"""

from __future__ import annotations

import argparse
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

    started = time.perf_counter()
    index = index_repository(arguments.repo)
    indexed = time.perf_counter()
    report = validate_index(index, requirements())
    traced = time.perf_counter()

    total_bytes = sum(source.size for source in index.files)
    linked = sum(len(result.trace.linked) for result in report.requirements)
    candidates = sum(len(result.trace.links) for result in report.requirements)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"repository      {arguments.repo}")
    print(f"files indexed   {len(index.files)} ({total_bytes / 1e6:.1f} MB; skipped {dict(index.skipped)})")
    print(f"requirements    {len(report.requirements)}")
    print(f"candidate links {candidates} (linked {linked})")
    print(f"index seconds   {indexed - started:.2f}")
    print(f"trace seconds   {traced - indexed:.2f}  (trace + scoring + evidence)")
    print(f"total seconds   {traced - started:.2f}")
    print(f"peak RSS MB     {peak_mb:.0f}")
    print(f"compliance      {report.scores.compliance:.3f}")


if __name__ == "__main__":
    main()
