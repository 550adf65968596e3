"""The task graph: cycle check and order (graphlib), the critical path, and which tasks can run side by side. Pure."""

from __future__ import annotations

import graphlib
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
    order: list[str] = []
    ranks = rank or {}
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda node: (ranks.get(node, 0), node))
        for node in ready:
            order.append(node)
            sorter.done(node)
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
