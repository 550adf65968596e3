"""A validation report as Markdown, for people. Pure: the dictionary of `ValidationReport.as_dict()` in, text out."""

from __future__ import annotations

from typing import Any

_STATUS = {"implemented": "implemented", "partial": "PARTIAL", "missing": "MISSING"}


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def render_markdown(report: dict[str, Any], *, links_shown: int = 5) -> str:
    scores = report["scores"]
    lines = [
        "# Code validation report",
        "",
        f"**Compliance score: {_percent(scores['compliance_score'])}** "
        f"({'passes' if scores['passed'] else 'does not pass'} the {_percent(scores['threshold'])} threshold)",
        "",
        "| dimension | score | weight | pass above | result |",
        "|---|---|---|---|---|",
    ]
    for name, dimension in scores["dimensions"].items():
        lines.append(
            f"| {name.replace('_', ' ')} | {_percent(dimension['score'])} | {_percent(dimension['weight'])} "
            f"| {_percent(dimension['threshold'])} | {'pass' if dimension['passed'] else 'FAIL'} |"
        )
    index = report.get("index", {})
    if index:
        languages = ", ".join(f"{name} {count}" for name, count in index.get("languages", {}).items()) or "none"
        lines += ["", f"Indexed {index.get('files', 0)} code files ({languages})."]
    lines += ["", "## Requirements", ""]
    for requirement in report["requirements"]:
        linked = [link for link in requirement["links"] if link["linked"]]
        lines.append(
            f"### {requirement['code']} - {_STATUS.get(requirement['status'], requirement['status'])} "
            f"(coverage {_percent(requirement.get('coverage', 0.0))}, "
            f"criteria {requirement.get('criteria_met', 0)}/{requirement.get('criteria_total', 0)})"
        )
        lines.append("")
        if not linked:
            lines.append("No file is linked.")
        for link in linked[:links_shown]:
            lines.append(f"- `{link['path']}` score {link['score']:.2f}")
            for item in link["evidence"]:
                if item["kind"] != "field":
                    where = f" (lines {item['lines'][0]}-{item['lines'][1]})" if "lines" in item else ""
                    lines.append(f"  - {item['why']}{where}")
        if len(linked) > links_shown:
            lines.append(f"- ... and {len(linked) - links_shown} more linked files")
        tests = [link["path"] for link in requirement.get("tests", []) if link["linked"]]
        if tests:
            lines.append("- tests: " + ", ".join(f"`{path}`" for path in tests[:links_shown]))
        if requirement.get("missing_terms"):
            lines.append("- not found in linked code: " + ", ".join(requirement["missing_terms"]))
        lines.append("")
    unrequested = report.get("unrequested", [])
    lines += ["## Unrequested code", ""]
    if unrequested:
        lines += [f"- `{item['path']}`" for item in unrequested[:50]]
        if len(unrequested) > 50:
            lines.append(f"- ... and {len(unrequested) - 50} more")
    else:
        lines.append("Every implementation file traces to a requirement.")
    lines += ["", "## Recommendations", ""]
    lines += [f"- [{item['priority']}] {item['message']}" for item in report.get("recommendations", [])] or ["None."]
    return "\n".join(lines) + "\n"
