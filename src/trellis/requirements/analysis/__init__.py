"""Requirement quality analysis: pure functions over plain data (no database, HTTP or clock).

analysis = analyze_project([RequirementInput("REQ-1", "The system shall respond quickly.")])
[(f.category, f.text) for f in analysis.requirements[0].findings]
# [("missing_metric", "quickly"), ("missing_acceptance_criteria", "The system shall respond quickly.")]
"""

from trellis.requirements.analysis.analyzer import CODE_PATTERN, analyze_project, analyze_requirement
from trellis.requirements.analysis.model import (
    PROJECT_CATEGORIES,
    SEVERITY,
    TEXT_CATEGORIES,
    Finding,
    ProjectAnalysis,
    ProjectFinding,
    RequirementAnalysis,
    RequirementInput,
    RequirementScores,
)
from trellis.requirements.analysis.project import find_dependency_cycles

__all__ = [
    "CODE_PATTERN",
    "PROJECT_CATEGORIES",
    "SEVERITY",
    "TEXT_CATEGORIES",
    "Finding",
    "ProjectAnalysis",
    "ProjectFinding",
    "RequirementAnalysis",
    "RequirementInput",
    "RequirementScores",
    "analyze_project",
    "analyze_requirement",
    "find_dependency_cycles",
]
