"""Documentation tasks name the repository's own documentation files: the README section or docs page that covers
each requirement (modify), a new page beside the others when none does (create), the changelog; and requirement
titles name the tasks."""

from __future__ import annotations

from pathlib import Path

from trellis.planning.docs import DocFile, read_doc_files
from trellis.planning.planner import PlanInput, plan_project, validation_hash
from trellis.planning.types import Plan, PlannedTask

BREAKER = PlanInput(
    "RET-7",
    "The library shall provide a circuit breaker that opens after 5 consecutive failures.",
    ("Given 5 failures, when a sixth call is made, then CircuitOpen is raised.",),
    title="Circuit breaker",
)
RETRIES = PlanInput(
    "RET-9",
    "The CLI shall offer a --retries option.",
    ("Given `retrykit --retries 2 cmd`, when cmd fails, then it runs 3 times.",),
    title="Command line retries",
)
UNTITLED = PlanInput("RET-8", "The library shall provide retry jitter of up to 10% of each delay.")

README = """# retrykit

Retry helpers.

## Usage

```python
# retry(fn) - a comment in a code block, not a heading
```

## Command line

Run `retrykit cmd`.
"""


def docs_task(plan: Plan) -> PlannedTask:
    return next(t for t in plan.tasks if t.category == "documentation")


def test_read_doc_files_keeps_readme_changelog_and_docs_pages_with_their_sections(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(README)
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## 1.0\n- first\n")
    (tmp_path / "CONTRIBUTING.md").write_text("# Contributing\n")
    (tmp_path / "docs" / "guides").mkdir(parents=True)
    (tmp_path / "docs" / "guides" / "retrying.md").write_text("# Retrying calls\n\n## Backoff\n\ntext\n\n## Jitter\n")
    (tmp_path / "docs" / "cli.rst").write_text("Command line\n============\n\nOptions\n-------\n\n--retries N\n")
    (tmp_path / "docs" / "_build").mkdir()
    (tmp_path / "docs" / "_build" / "cli.md").write_text("# Built copy\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.md").write_text("# Not documentation\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Outside the repository\n")
    (tmp_path / "doc").symlink_to(outside, target_is_directory=True)

    found = {doc.path: doc for doc in read_doc_files(tmp_path)}
    assert sorted(found) == ["CHANGELOG.md", "README.md", "docs/cli.rst", "docs/guides/retrying.md"]
    assert [(d.path, d.kind) for d in found.values() if d.kind != "page"] == [
        ("CHANGELOG.md", "changelog"),
        ("README.md", "readme"),
    ]
    # A "#" line inside a code block is not a heading; a section runs to the next heading of its level or above.
    assert found["README.md"].headings == ((1, 13, "retrykit"), (5, 10, "Usage"), (11, 13, "Command line"))
    assert found["docs/guides/retrying.md"].headings == ((1, 7, "Retrying calls"), (3, 6, "Backoff"), (7, 7, "Jitter"))
    assert found["docs/cli.rst"].headings == ((1, 7, "Command line"), (4, 7, "Options"))


def test_documentation_task_names_the_sections_to_change_the_pages_to_create_and_the_changelog() -> None:
    docs = [
        DocFile("CHANGELOG.md", ((1, 4, "Changelog"),)),
        DocFile("README.md", ((1, 14, "retrykit"), (5, 10, "Usage"), (11, 14, "Command line"))),
        DocFile("docs/cli.rst", ((1, 7, "Command line"), (4, 7, "Options"))),
        DocFile("docs/guides/retrying.md", ((1, 9, "Retrying calls"), (3, 6, "Backoff"), (7, 9, "Jitter"))),
    ]
    plan = plan_project([BREAKER, UNTITLED, RETRIES], None, None, doc_files=docs)
    task = docs_task(plan)
    assert [(f.path, f.action, f.lines) for f in task.files] == [
        ("docs/guides/retrying.md", "modify", (7, 9)),  # the narrower of two matching headings
        ("docs/cli.rst", "modify", (1, 7)),  # a docs page before the README section of the same name
        ("docs/circuit_breaker.md", "create", None),  # nothing covers it: beside the other pages
        ("CHANGELOG.md", "modify", None),
    ]
    assert task.files[1].why == "section 'Command line' covers RET-9 (Command line retries)"
    assert task.files[2].why == "no page in the docs covers RET-7 (Circuit breaker) yet"
    assert "in the files listed" in task.description
    checks = [d.check for d in task.dod if d.checkable]
    assert "file_exists:docs/circuit_breaker.md" in checks
    # The documentation files read are part of what the plan was made from.
    assert plan.validation_hash == validation_hash(None, docs) and plan.validation_hash is not None


def test_without_a_docs_folder_the_readme_and_without_any_documentation_a_new_readme() -> None:
    readme_only = [DocFile("README.md", ((1, 14, "retrykit"), (5, 10, "Usage"), (11, 14, "Command line")))]
    files = docs_task(plan_project([BREAKER, RETRIES], None, None, doc_files=readme_only)).files
    assert [(f.path, f.action, f.lines) for f in files] == [("README.md", "modify", (11, 14))]
    assert files[0].why == (
        "the README is the repository's documentation: describe RET-7 (Circuit breaker) there; "
        "section 'Command line' covers RET-9 (Command line retries)"
    )
    files = docs_task(plan_project([BREAKER], None, None, doc_files=[])).files
    assert [(f.path, f.action) for f in files] == [("README.md", "create")]
    # The repository was not read (no clone): no file is guessed.
    plan = plan_project([BREAKER], None, None)
    assert docs_task(plan).files == () and plan.validation_hash is None


def test_a_requirement_title_names_its_tasks_and_without_one_a_short_title_is_derived() -> None:
    plan = plan_project([BREAKER, UNTITLED], None, None)
    titles = {t.key: t.title for t in plan.tasks}
    assert titles["build:RET-7"] == "Implement RET-7: Circuit breaker"
    assert titles["build:RET-8"] == "Implement RET-8: The library shall provide retry jitter of up to 10% of each delay"
    refs = {r.code: r.title for t in plan.tasks for r in t.requirements}
    assert refs == {"RET-7": "Circuit breaker", "RET-8": None}


def test_a_settings_requirement_belongs_under_a_configuration_heading() -> None:
    timeout = PlanInput(
        "RET-11",
        "The library shall read the default timeout from the settings file.",
        ("Given timeout = 5 in the settings file, when a call starts, then it times out after 5 seconds.",),
        title="Default timeout setting",
    )
    readme = DocFile("README.md", ((1, 20, "retrykit"), (5, 12, "Usage"), (13, 20, "Configuration")))
    files = docs_task(plan_project([timeout], None, None, doc_files=[readme])).files
    assert [(f.path, f.action, f.lines, f.why) for f in files] == [
        ("README.md", "modify", (13, 20), "section 'Configuration' covers RET-11 (Default timeout setting)")
    ]
