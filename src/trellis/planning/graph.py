"""The task graph: cycle check and order (graphlib), the critical path, and which tasks can run side by side. Pure."""

from __future__ import annotations

import graphlib
import heapq
from collections.abc import Iterable, Mapping, Sequence

from trellis.core.errors import InvalidInput


class DependencyCycle(InvalidInput):
    code = "dependency_cycle"


def topological_order(depends_on: Mapping[str, Sequence[str]], rank: Mapping[str, int] | None = None) -> list[str]:
    """Every node after its dependencies; among the ready ones, the lowest rank (then name) first.

    Raises DependencyCycle naming one cycle, e.g. ``T-001 -> T-002 -> T-001``.
    """
    sorter = graphlib.TopologicalSorter({node: tuple(deps) for node, deps in depends_on.items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = [str(node) for node in exc.args[1]]
        raise DependencyCycle(f"Dependency cycle: {' -> '.join(reversed(cycle))}.", cycle=cycle) from None
    # graphlib hands out whole batches; to keep phases together the lowest-ranked ready node goes first, one by one.
    ranks = rank or {}
    nodes = set(depends_on) | {d for deps in depends_on.values() for d in deps}
    waiting = {node: len(set(depends_on.get(node, ()))) for node in nodes}
    dependents: dict[str, list[str]] = {node: [] for node in nodes}
    for node, deps in depends_on.items():
        for dependency in set(deps):
            dependents[dependency].append(node)
    ready = [(ranks.get(node, 0), node) for node, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for dependent in dependents[node]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (ranks.get(dependent, 0), dependent))
    return order


def critical_path(
    order: Sequence[str], depends_on: Mapping[str, Sequence[str]], hours: Mapping[str, float]
) -> list[str]:
    """The chain of dependent tasks with the most hours in total (ties: the earlier task)."""
    position = {node: index for index, node in enumerate(order)}
    best: dict[str, tuple[float, str | None]] = {}
    for node in order:
        previous = max(depends_on.get(node, ()), key=lambda d: (best[d][0], -position[d]), default=None)
        best[node] = (hours[node] + (best[previous][0] if previous else 0.0), previous)
    if not best:
        return []
    end: str | None = max(order, key=lambda n: (best[n][0], -position[n]))
    path: list[str] = []
    while end is not None:
        path.append(end)
        end = best[end][1]
    return path[::-1]


def parallel_now(candidates: Iterable[str], files: Mapping[str, Iterable[str]]) -> set[str]:
    """Of the tasks that can start now, those that write no file another of them writes: safe to hand out together."""
    ready = list(candidates)
    writers: dict[str, set[str]] = {}
    for task in ready:
        for path in files.get(task, ()):
            writers.setdefault(path, set()).add(task)
    clashing = {task for owners in writers.values() if len(owners) > 1 for task in owners}
    return {task for task in ready if task not in clashing}
