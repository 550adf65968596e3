"""What changed between two workflow versions, node by node. Pure."""

from __future__ import annotations

from typing import Any

_FIELDS = ("name", "description", "settings", "tags")


def diff_versions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    old_nodes = {node["id"]: node for node in old.get("nodes", []) if isinstance(node, dict) and "id" in node}
    new_nodes = {node["id"]: node for node in new.get("nodes", []) if isinstance(node, dict) and "id" in node}
    changed = []
    for node_id in sorted(old_nodes.keys() & new_nodes.keys()):
        fields = sorted(
            key
            for key in old_nodes[node_id].keys() | new_nodes[node_id].keys()
            if old_nodes[node_id].get(key) != new_nodes[node_id].get(key)
        )
        if fields:
            changed.append(
                {
                    "id": node_id,
                    "fields": fields,
                    "before": {key: old_nodes[node_id].get(key) for key in fields},
                    "after": {key: new_nodes[node_id].get(key) for key in fields},
                }
            )
    old_edges = {_edge_key(c) for c in old.get("connections", [])}
    new_edges = {_edge_key(c) for c in new.get("connections", [])}
    return {
        "nodes_added": [new_nodes[node_id] for node_id in sorted(new_nodes.keys() - old_nodes.keys())],
        "nodes_removed": [old_nodes[node_id] for node_id in sorted(old_nodes.keys() - new_nodes.keys())],
        "nodes_changed": changed,
        "connections_added": [_edge_dict(key) for key in sorted(new_edges - old_edges, key=str)],
        "connections_removed": [_edge_dict(key) for key in sorted(old_edges - new_edges, key=str)],
        "fields_changed": {
            field: {"before": old.get(field), "after": new.get(field)}
            for field in _FIELDS
            if old.get(field) != new.get(field)
        },
    }


def _edge_key(connection: Any) -> tuple[str, str, str | None]:
    if not isinstance(connection, dict):
        return ("?", "?", None)
    return (str(connection.get("source")), str(connection.get("target")), connection.get("source_handle"))


def _edge_dict(key: tuple[str, str, str | None]) -> dict[str, Any]:
    return {"source": key[0], "target": key[1], "source_handle": key[2]}
