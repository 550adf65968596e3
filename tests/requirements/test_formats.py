"""Reading and writing requirements files: Markdown, plain text, CSV, JSON and YAML."""

from __future__ import annotations

import json

import pytest

from trellis.requirements.analysis import RequirementInput
from trellis.requirements.formats import (
    RequirementsFormatError,
    detect_format,
    export_requirements,
    parse_requirements,
)

SAMPLE = [
    RequirementInput(
        code="REQ-001",
        text="The system shall lock an account after 5 failed sign-ins; an admin can unlock it.",
        acceptance_criteria=(
            "Given 4 failed sign-ins, when the 5th fails, then the account is locked.",
            "Given a locked account, when an admin unlocks it, then the user can sign in | again.",
        ),
        dependencies=("REQ-002",),
        priority="high",
        tags=("security", "auth"),
    ),
    RequirementInput(code="REQ-002", text="Passwords shall be hashed with Argon2id.", title="Password storage"),
    RequirementInput(
        code="US-7",
        text='As a user, I want to export my data as "CSV" so that I can keep a copy.',
        acceptance_criteria=("Given data; when exported; then a CSV is downloaded.",),
        tags=("gdpr",),
    ),
]


@pytest.mark.parametrize("fmt", ["json", "yaml", "csv", "markdown"])
def test_export_then_parse_round_trips(fmt: str) -> None:
    exported = export_requirements(SAMPLE, fmt)
    assert parse_requirements(exported, format=fmt) == SAMPLE
    assert detect_format(exported) == fmt  # and the format is recognised from the content alone


def test_text_export_is_one_requirement_per_line() -> None:
    exported = export_requirements(SAMPLE, "text")
    assert exported.splitlines()[1] == "REQ-002: Passwords shall be hashed with Argon2id."
    assert [r.code for r in parse_requirements(exported, format="text")] == ["REQ-001", "REQ-002", "US-7"]


def test_markdown_headings_with_body_criteria_and_metadata() -> None:
    content = """# Payments

Intro text that is not a requirement.

## REQ-001: Refunds

The system shall refund the card
used for the payment.

Acceptance criteria:

- Given a paid order, when it is refunded, then the card is credited.
- Given a refunded order, when a second refund is requested, then it is rejected.

Depends on: REQ-002, REQ-003
Priority: high
Tags: payments, refunds

### REQ-002 Payment capture

Capture the payment within 10 seconds.

### REQ-003 — Receipts
"""
    reqs = parse_requirements(content, filename="reqs.md")
    assert reqs[0] == RequirementInput(
        "REQ-001",
        "The system shall refund the card used for the payment.",
        (
            "Given a paid order, when it is refunded, then the card is credited.",
            "Given a refunded order, when a second refund is requested, then it is rejected.",
        ),
        ("REQ-002", "REQ-003"),
        "high",
        ("payments", "refunds"),
        title="Refunds",
    )
    assert (reqs[1].title, reqs[1].text) == ("Payment capture", "Capture the payment within 10 seconds.")
    assert reqs[2] == RequirementInput("REQ-003", "Receipts")  # a heading without body: the title is the text


def test_a_heading_title_is_kept_beside_the_body() -> None:
    content = """## RET-7: Circuit breaker
The library shall open a circuit after 5 consecutive failures and reject calls for 30 seconds.

## RET-8
The library shall retry a failed call up to 3 times.

## RET-9: **Jitter**

The library shall add random jitter of up to 10% to each delay.
"""
    reqs = parse_requirements(content)
    assert [(r.code, r.title) for r in reqs] == [("RET-7", "Circuit breaker"), ("RET-8", None), ("RET-9", "Jitter")]
    assert reqs[0].text.startswith("The library shall open a circuit after 5 consecutive failures")


@pytest.mark.parametrize(
    ("fmt", "content"),
    [
        ("json", '[{"code": "RET-7", "title": "Circuit breaker", "text": "The library shall open a circuit."}]'),
        ("yaml", "requirements:\n- code: RET-7\n  title: Circuit breaker\n  text: The library shall open a circuit.\n"),
        ("csv", "code,title,text\nRET-7,Circuit breaker,The library shall open a circuit.\n"),
    ],
)
def test_a_title_field_or_column_is_read(fmt: str, content: str) -> None:
    assert parse_requirements(content, format=fmt) == [
        RequirementInput("RET-7", "The library shall open a circuit.", title="Circuit breaker")
    ]


def test_a_title_alone_is_the_text_not_a_title() -> None:
    assert parse_requirements('[{"code": "RET-7", "title": "Retry failed calls"}]') == [
        RequirementInput("RET-7", "Retry failed calls")
    ]
    with pytest.raises(RequirementsFormatError, match="title must be text"):
        parse_requirements('[{"code": "RET-7", "title": ["a"], "text": "Retry."}]')


def test_markdown_metadata_as_list_items_bold_labels_and_none() -> None:
    content = """## REQ-001: Next fire time
The library shall compute the next fire time.

**Acceptance criteria**
- Given `*/5 * * * *` at 10:02, the next time is 10:05.
- Acceptance tests cover leap years.

**Depends on:** none

## REQ-002: Previous fire time
The library shall compute the previous fire time.

- Depends on: REQ-001
- Priority: high

### Acceptance Criteria
1. Given `0 * * * *` at 10:30 the previous time is 10:00.

## REQ-003 - Validation
The library should reject invalid expressions.
Depends on: `REQ-001`, REQ-002
Acceptance: `croniter("61 * * * *")` raises an error.
"""
    reqs = parse_requirements(content)
    assert [(r.code, r.text, r.dependencies, r.priority) for r in reqs] == [
        ("REQ-001", "The library shall compute the next fire time.", (), None),
        ("REQ-002", "The library shall compute the previous fire time.", ("REQ-001",), "high"),
        ("REQ-003", "The library should reject invalid expressions.", ("REQ-001", "REQ-002"), None),
    ]
    assert [r.acceptance_criteria for r in reqs] == [
        ("Given `*/5 * * * *` at 10:02, the next time is 10:05.", "Acceptance tests cover leap years."),
        ("Given `0 * * * *` at 10:30 the previous time is 10:00.",),
        ('`croniter("61 * * * *")` raises an error.',),
    ]


def test_markdown_lists_with_codes_auto_codes_and_nested_criteria() -> None:
    content = """- [REQ-7] The system shall export reports. Depends on: REQ-1
- The system shall import reports.
  - Given a CSV file, when imported, then every row becomes a report.
- [ ] REQ-1: Reports shall be stored for 30 days.
1. Numbered items work too.
"""
    reqs = parse_requirements(content)
    assert [(r.code, r.text, r.dependencies) for r in reqs] == [
        ("REQ-7", "The system shall export reports.", ("REQ-1",)),
        ("REQ-001", "The system shall import reports.", ()),
        ("REQ-1", "Reports shall be stored for 30 days.", ()),
        ("REQ-002", "Numbered items work too.", ()),
    ]
    assert reqs[1].acceptance_criteria == ("Given a CSV file, when imported, then every row becomes a report.",)


def test_plain_text_skips_blank_lines_and_comments() -> None:
    content = "# exported 2024-01-01\n\nThe system shall export reports.\n   \nREQ-9: Reports shall load within 2 s.\n"
    reqs = parse_requirements(content, filename="reqs.txt")
    assert [(r.code, r.text) for r in reqs] == [
        ("REQ-001", "The system shall export reports."),
        ("REQ-9", "Reports shall load within 2 s."),
    ]
    assert parse_requirements("Note: this line is text, not a code.\n", format="text")[0].code == "REQ-001"


def test_csv_with_separators_and_optional_columns() -> None:
    content = (
        "Code,Text,Acceptance Criteria,Priority,Dependencies,Tags\n"
        'A-1,"The system shall export, then email, the report.",first; second,low,"B-1, B-2",x|y\n'
        "B-1,The system shall import reports.,,,,\n"
        ",,,,,\n"
        "B-2,Reports shall be stored.,only one,,B-1,\n"
    )
    reqs = parse_requirements(content, filename="r.csv")
    assert reqs[0] == RequirementInput(
        "A-1",
        "The system shall export, then email, the report.",
        ("first", "second"),
        ("B-1", "B-2"),
        "low",
        ("x", "y"),
    )
    assert reqs[1] == RequirementInput("B-1", "The system shall import reports.")
    assert reqs[2].acceptance_criteria == ("only one",) and reqs[2].dependencies == ("B-1",)
    no_codes = parse_requirements("text\nFirst one.\nSecond one.\n", format="csv")
    assert [r.code for r in no_codes] == ["REQ-001", "REQ-002"]


def test_json_and_yaml_accept_a_list_or_an_object_and_plain_strings() -> None:
    as_list = parse_requirements('[{"code": "A", "text": "One.", "acceptance_criteria": "x|y"}, "Two."]')
    as_object = parse_requirements(
        json.dumps({"requirements": [{"code": "A", "text": "One.", "acceptance_criteria": ["x", "y"]}, "Two."]})
    )
    assert as_list == as_object == [RequirementInput("A", "One.", ("x", "y")), RequirementInput("REQ-001", "Two.")]
    yaml_content = (
        "requirements:\n  - code: A\n    text: One.\n    dependencies: [B]\n    priority: 1\n"
        "  - code: B\n    text: Two.\n"
    )
    assert parse_requirements(yaml_content, filename="r.yml") == [
        RequirementInput("A", "One.", (), ("B",), "1"),
        RequirementInput("B", "Two."),
    ]


@pytest.mark.parametrize(
    ("content", "fmt", "line", "fragment"),
    [
        ("## REQ_001: Bad code\n\nText.\n", "markdown", 1, "invalid requirement code 'REQ_001'"),
        ("- [REQ 7] text\n", "markdown", 1, "invalid requirement code 'REQ 7'"),
        ("text\n[BAD CODE] The system shall work.\n", "text", 2, "invalid requirement code 'BAD CODE'"),
        ("code,text\nA,One.\nA,Two.\n", "csv", 3, "duplicate requirement code A (first on line 2)"),
        ("code,text\nA-1,\n", "csv", 2, "requirement A-1 has no text"),
        ("code,text,dependencies\nA,One.,B_2\n", "csv", 2, "invalid requirement code 'B_2'"),
        ("summary\nNo text column.\n", "csv", 1, "needs a text column"),
        ('[\n  {"code": "ok-1", "text": "One."},\n  {"code": "-bad", "text": "Two."}\n]', "json", 3, "'-bad'"),
        ('{"requirements": [1, 2', "json", 1, "not valid JSON"),
        ('{"requirements": [{"code": "A"}]}', "json", 1, "needs a text"),
        ("requirements:\n  - code: A\n    text: [unclosed\n", "yaml", 3, "not valid YAML"),
        (
            "requirements:\n  - code: " + "X" * 51 + "\n    text: Too long a code.\n",
            "yaml",
            2,
            "invalid requirement code",
        ),
    ],
)
def test_bad_input_is_an_error_naming_the_line(content: str, fmt: str, line: int, fragment: str) -> None:
    with pytest.raises(RequirementsFormatError) as caught:
        parse_requirements(content, format=fmt)
    assert caught.value.line == line
    assert fragment in caught.value.message and str(caught.value).startswith(f"line {line}: ")


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(RequirementsFormatError, match="unknown format 'docx'"):
        parse_requirements("x", format="docx")
    with pytest.raises(RequirementsFormatError):
        export_requirements(SAMPLE, "docx")


def test_format_detection() -> None:
    assert detect_format("anything", "REQS.YAML") == "yaml"
    assert detect_format('  {"requirements": []}') == "json"
    assert detect_format("code,text\nA,B\n") == "csv"
    assert detect_format("requirements:\n  - code: A\n") == "yaml"
    assert detect_format("## REQ-1\n\nText\n") == "markdown"
    assert detect_format("The system shall work.\nThe system shall log.\n") == "text"
    assert parse_requirements("\ufeffThe system shall export reports.\n")[0].text == "The system shall export reports."
