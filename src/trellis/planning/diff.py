"""What changed between two plan versions. Pure. Tasks are matched by their key (what they are for), not their id,
so a task renumbered because another was added shows as renumbered, not as removed and added."""

from __future__ import annotations

from typing import Any

from trellis.planning.types import Plan, PlannedTask


def _facts(task: PlannedTask, keys: dict[str, str]) -> dict[str, Any]:
    return {
        "title": task.title,
        "category": task.category,
        "kind": task.kind,
        "phase": task.phase,
        "requirements": [f"{r.code} v{r.version}" for r in task.requirements],
        "depends_on": sorted(keys.get(d, d) for d in task.depends_on),
        "complexity": task.complexity,
        "story_points": task.estimate.story_points,
        "p50_hours": task.estimate.p50_hours,
        "p85_hours": task.estimate.p85_hours,
        "files": [f"{f.action} {f.path}" for f in task.files],
        "dod": [d.text for d in task.dod],
        "risks": sorted(r.factor for r in task.risks),
        "on_critical_path": task.on_critical_path,
    }


def _brief(task: PlannedTask) -> dict[str, Any]:
    return {"id": task.id, "key": task.key, "title": task.title, "category": task.category}


def diff_plans(old: Plan, new: Plan) -> dict[str, Any]:
    old_by_key = {t.key: t for t in old.tasks}
    new_by_key = {t.key: t for t in new.tasks}
    old_keys = {t.id: t.key for t in old.tasks}
    new_keys = {t.id: t.key for t in new.tasks}
    added = [_brief(t) for t in new.tasks if t.key not in old_by_key]
    removed = [_brief(t) for t in old.tasks if t.key not in new_by_key]
    changed = []
    for task in new.tasks:
        before = old_by_key.get(task.key)
        if before is None:
            continue
        was, now = _facts(before, old_keys), _facts(task, new_keys)
        fields = {name: {"from": was[name], "to": now[name]} for name in now if was[name] != now[name]}
        if fields or before.id != task.id:
            changed.append({"key": task.key, "from_id": before.id, "to_id": task.id, "fields": fields})
    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": len(new.tasks) - len(added) - len(changed),
        "totals": {
            "tasks": {"from": len(old.tasks), "to": len(new.tasks)},
            "p50_hours": {"from": old.total_p50_hours, "to": new.total_p50_hours},
            "p85_hours": {"from": old.total_p85_hours, "to": new.total_p85_hours},
        },
        "critical_path": {"from": list(old.critical_path), "to": list(new.critical_path)},
        "requirements_hash": {"from": old.requirements_hash, "to": new.requirements_hash},
        "validation_hash": {"from": old.validation_hash, "to": new.validation_hash},
    }
