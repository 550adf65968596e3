"""An analysis as JSON, Markdown or a terminal table. Pure: plain data in, a string out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from trellis.requirements.analysis import (
    Finding,
    ProjectAnalysis,
    ProjectFinding,
    RequirementInput,
    RequirementScores,
)

REPORT_FORMATS = ("table", "json", "md")
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def scores_to_dict(scores: RequirementScores) -> dict[str, Any]:
    return {
        "testability": scores.testability,
        "ambiguity": scores.ambiguity,
        "dependencies": scores.dependencies,
        "completeness": scores.completeness,
        "passed": scores.passed(),
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    # "field" says which text the offsets index: the requirement's text or one of its acceptance criteria.
    return {
        "category": finding.category,
        "start": finding.start,
        "end": finding.end,
        "text": finding.text,
        "severity": finding.severity,
        "message": finding.message,
        "suggestion": finding.suggestion,
        "field": finding.field,
    }


def project_finding_to_dict(finding: ProjectFinding) -> dict[str, Any]:
    return {
        "category": finding.category,
        "codes": list(finding.codes),
        "severity": finding.severity,
        "message": finding.message,
        "suggestion": finding.suggestion,
        "details": finding.details,
    }


def analysis_to_dict(requirements: Sequence[RequirementInput], analysis: ProjectAnalysis) -> dict[str, Any]:
    return {
        "requirements": [
            {
                "code": requirement.code,
                "text": requirement.text,
                "scores": scores_to_dict(result.scores),
                "findings": [finding_to_dict(finding) for finding in result.findings],
            }
            for requirement, result in zip(requirements, analysis.requirements, strict=True)
        ],
        "project_findings": [project_finding_to_dict(finding) for finding in analysis.findings],
    }


def render_json(requirements: Sequence[RequirementInput], analysis: ProjectAnalysis) -> str:
    return json.dumps(analysis_to_dict(requirements, analysis), indent=2, ensure_ascii=False)


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _score_line(scores: RequirementScores) -> str:
    passed = scores.passed()
    return (
        f"testability {scores.testability:g}% ({_verdict(passed['testability'])}), "
        f"ambiguity {scores.ambiguity} ({_verdict(passed['ambiguity'])}), "
        f"dependencies {scores.dependencies:g}% ({_verdict(passed['dependencies'])}), "
        f"completeness {scores.completeness:g}% ({_verdict(passed['completeness'])})"
    )


def _where(finding: Finding) -> str:
    if finding.field == "text" and finding.start == 0 and finding.end == len(finding.text) and " " in finding.text:
        return "whole requirement"
    place = "" if finding.field == "text" else f"{finding.field} "
    return f'{place}"{finding.text}" ({finding.start}-{finding.end})'


def _counts(analysis: ProjectAnalysis) -> str:
    total = sum(len(r.findings) for r in analysis.requirements)
    passing = sum(1 for r in analysis.requirements if r.scores.meets_thresholds)
    return (
        f"{len(analysis.requirements)} requirements, {passing} meet every threshold; "
        f"{total} findings, {len(analysis.findings)} project findings"
    )


def render_markdown(requirements: Sequence[RequirementInput], analysis: ProjectAnalysis) -> str:
    lines = ["# Requirements quality report", "", _counts(analysis) + ".", ""]
    lines += [f"**Project:** {_score_line(analysis.scores)}.", ""]
    if analysis.findings:
        lines += ["## Project findings", ""]
        for project_finding in sorted(analysis.findings, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3)):
            codes = ", ".join(project_finding.codes)
            lines.append(
                f"- **{project_finding.severity}** `{project_finding.category}` ({codes}): {project_finding.message}"
            )
            lines.append(f"  - Suggestion: {project_finding.suggestion}")
        lines.append("")
    lines += ["## Requirements", ""]
    for requirement, result in zip(requirements, analysis.requirements, strict=True):
        heading = f"{requirement.code}: {requirement.title}" if requirement.title else requirement.code
        lines += [f"### {heading}", "", f"> {' '.join(requirement.text.split())}", ""]
        lines += [f"Scores: {_score_line(result.scores)}.", ""]
        if not result.findings:
            lines += ["No findings.", ""]
            continue
        for finding in result.findings:
            lines.append(f"- **{finding.severity}** `{finding.category}` {_where(finding)}: {finding.message}")
            lines.append(f"  - Suggestion: {finding.suggestion}")
        lines.append("")
    return "\n".join(lines)


def _clip(value: str, width: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 1] + "…"


def render_table(requirements: Sequence[RequirementInput], analysis: ProjectAnalysis) -> str:
    code_width = max([4, *(len(r.code) for r in requirements)])
    header = f"{'CODE':<{code_width}}  {'TEST':>5}  {'AMB':>3}  {'DEPS':>5}  {'COMPL':>5}  {'OK':<4}  FINDINGS"
    lines = [header, "-" * len(header)]
    for requirement, result in zip(requirements, analysis.requirements, strict=True):
        s = result.scores
        lines.append(
            f"{requirement.code:<{code_width}}  {s.testability:>5.0f}  {s.ambiguity:>3}  {s.dependencies:>5.0f}  "
            f"{s.completeness:>5.0f}  {'yes' if s.meets_thresholds else 'no':<4}  {len(result.findings)}"
        )
        for finding in result.findings:
            lines.append(
                f"{'':<{code_width}}    [{finding.severity:<6}] {finding.category}: {_clip(_where(finding), 60)}"
            )
    if analysis.findings:
        lines += ["", "Project findings:"]
        for project_finding in analysis.findings:
            lines.append(
                f"  [{project_finding.severity:<6}] {project_finding.category} ({', '.join(project_finding.codes)}): "
                f"{_clip(project_finding.message, 100)}"
            )
    lines += ["", f"Project: {_score_line(analysis.scores)}", _counts(analysis)]
    return "\n".join(lines)


def render(requirements: Sequence[RequirementInput], analysis: ProjectAnalysis, report_format: str) -> str:
    if report_format == "json":
        return render_json(requirements, analysis)
    if report_format == "md":
        return render_markdown(requirements, analysis)
    return render_table(requirements, analysis)
