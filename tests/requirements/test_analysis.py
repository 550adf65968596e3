"""The requirements analyzer: each category with exact spans, the context that must not be flagged, project
checks (cycles, duplicates, conflicts), the seed 000 scores, and precision/recall on our labelled set."""

from __future__ import annotations

import pytest

from tests.requirements.labelled import evaluate, load_labelled
from trellis.requirements.analysis import (
    Finding,
    RequirementInput,
    RequirementScores,
    analyze_project,
    analyze_requirement,
    find_dependency_cycles,
)


def findings_of(text: str, *criteria: str) -> list[Finding]:
    result = analyze_requirement(RequirementInput("REQ-1", text, tuple(criteria)))
    for finding in result.findings:
        source = text if finding.field == "text" else criteria[int(finding.field[20:-1])]
        assert finding.text == source[finding.start : finding.end], finding
        assert finding.message and finding.suggestion and finding.severity in ("high", "medium", "low")
    return list(result.findings)


def spans(text: str, category: str, *criteria: str) -> list[str]:
    return [f.text for f in findings_of(text, *criteria) if f.category == category]


def categories(text: str, *criteria: str) -> set[str]:
    return {f.category for f in findings_of(text, *criteria)}


# --- each category, with the exact span


@pytest.mark.parametrize(
    ("text", "category", "expected"),
    [
        ("The system shall respond quickly to search queries.", "missing_metric", ["quickly"]),
        ("The service shall be highly available.", "missing_metric", ["highly available"]),
        ("Secrets shall be stored securely.", "missing_metric", ["securely"]),
        (
            "The user interface shall be intuitive and user-friendly.",
            "subjective_language",
            ["intuitive", "user-friendly"],
        ),
        ("Lab results shall be displayed in a user friendly format.", "subjective_language", ["user friendly"]),
        ("The admin dashboard shall show several key metrics.", "ambiguous_adverb_adjective", ["several"]),
        ("Patient photos shall be very large.", "ambiguous_adverb_adjective", ["very large"]),
        ("The app shall display it in a timely manner.", "ambiguous_adverb_adjective", ["in a timely manner"]),
        ("Access shall be restricted to staff as appropriate.", "loophole", ["as appropriate"]),
        ("Where possible, the system shall reuse records.", "loophole", ["Where possible"]),
        ("The firmware shall boot as fast as possible.", "loophole", ["as fast as possible"]),
        ("Search shall support filters such as price, brand, etc.", "non_verifiable", ["etc."]),
        (
            "The system shall support formats including but not limited to PDF.",
            "non_verifiable",
            ["including but not limited to"],
        ),
        ("The application shall minimize the number of clicks.", "non_verifiable", ["minimize"]),
        ("The system shall support at least the following formats: PDF.", "non_verifiable", ["at least"]),
        ("Trade orders shall be executed at the best available price.", "superlative", ["best"]),
        ("The engine shall have the lowest possible latency.", "superlative", ["lowest"]),
        ("The home page shall load faster than the current version.", "comparative", ["faster"]),
        ("The device shall consume less power than the previous model.", "comparative", ["less"]),
        ("The system shall provide higher quality images.", "comparative", ["higher"]),
        ("The page shall not display advertisements.", "negative_statement", ["not"]),
        ("The ledger shall never allow a negative balance.", "negative_statement", ["never"]),
        ("The system may use a hardware watchdog.", "uncertain_verb", ["may"]),
        ("The controller should try to reconnect.", "uncertain_verb", ["try to"]),
        ("The platform should ideally support two clouds.", "uncertain_verb", ["ideally"]),
        ("This shall be configurable via the service menu.", "vague_pronoun", ["This"]),
        ("The system shall generate the invoice. It shall be emailed to the owner.", "vague_pronoun", ["It"]),
        ("If it fails, the controller shall restart.", "vague_pronoun", ["it"]),
        ("The system shall send it to the bank.", "vague_pronoun", ["it"]),
        ("The website shall follow the brand guidelines.", "incomplete_reference", ["the brand guidelines"]),
        ("Fees shall be calculated as described above.", "incomplete_reference", ["described above"]),
        (
            "The system shall comply with the hospital's data protection policy.",
            "incomplete_reference",
            ["the hospital's data protection policy"],
        ),
        ("The export shall be TBD.", "placeholder", ["TBD"]),
        ("The timeout is to be determined.", "placeholder", ["to be determined"]),
        ("TODO: define the retry policy.", "placeholder", ["TODO"]),
        ("The key length shall be ??? bits.", "placeholder", ["???"]),
        ("The response shall arrive within <N> ms.", "placeholder", ["<N>"]),
        ("The system shall store the uploaded file and compress it.", "compound_requirement", ["and"]),
        ("The checkout shall offer PayPal and/or card payment.", "compound_requirement", ["and/or"]),
        ("The search shall be updatable over the air and shall verify the signature.", "compound_requirement", ["and"]),
    ],
)
def test_each_category_is_found_with_its_exact_span(text: str, category: str, expected: list[str]) -> None:
    assert spans(text, category) == expected


def test_offsets_index_the_text_and_criteria_findings_index_their_criterion() -> None:
    text = "The dashboard shall load quickly."
    criterion = "Given the feed is down, then the screen updates in real time."
    found = findings_of(text, "Given 10 orders, when it opens, then it renders within 2 s.", criterion)
    metric = [f for f in found if f.category == "missing_metric"]
    assert [(f.field, f.start, f.end, f.text) for f in metric] == [
        ("text", 25, 32, "quickly"),
        ("acceptance_criteria[1]", criterion.index("in real"), len(criterion) - 1, "in real time"),
    ]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("The system shall send a confirmation email.", "missing_trigger"),
        ("The monitoring system shall alert the on-call engineer.", "missing_trigger"),
        ("The dashboard shall refresh automatically.", "missing_trigger"),
        ("The web application shall handle errors gracefully.", "missing_outcome"),
        ("As an administrator, I want to manage user accounts.", "missing_outcome"),
        ("The system shall work.", "missing_outcome"),
        ("- Export the order history as CSV", "missing_actor"),
        ("When the door opens, shall sound the alarm.", "missing_actor"),
        ("Passwords shall be hashed with Argon2id.", "missing_actor"),
        ("The system shall support multiple currencies.", "missing_acceptance_criteria"),
        ("The system shall generate the invoice. The system shall email the invoice.", "compound_requirement"),
    ],
)
def test_whole_requirement_findings_span_the_whole_text(text: str, category: str) -> None:
    found = [f for f in findings_of(text) if f.category == category]
    assert len(found) == 1
    assert (found[0].start, found[0].end, found[0].text) == (0, len(text), text)


def test_a_passive_hides_the_actor_at_low_severity_and_a_missing_subject_is_medium() -> None:
    passive = [f for f in findings_of("Passwords shall be hashed.") if f.category == "missing_actor"]
    fragment = [f for f in findings_of("- Export the order history as CSV") if f.category == "missing_actor"]
    assert [f.severity for f in passive] == ["low"] and [f.severity for f in fragment] == ["medium"]
    assert "missing_actor" not in categories("The user shall be notified by email when the export is ready.")


# --- context: what must not be flagged


@pytest.mark.parametrize(
    "text",
    [
        "The API shall return one or more results.",
        "The system shall support more than 5 users.",
        "The password shall contain at least 3 digits.",
        "Search shall return results in no more than 2 seconds.",
        "Pages shall load in less than 200 ms.",
        "The pipeline shall fail if coverage is lower than 80%.",
        "The account balance shall not be greater than the credit limit.",
        "Rollbacks shall complete faster than 5 minutes.",
    ],
)
def test_comparatives_bounded_by_a_number_or_a_defined_value_are_not_flagged(text: str) -> None:
    assert not {"comparative", "loophole", "non_verifiable", "superlative"} & categories(text)


def test_a_pronoun_with_an_antecedent_in_its_sentence_is_not_vague() -> None:
    assert spans("The system shall store the file and compress it.", "vague_pronoun") == []
    assert spans("Users shall be able to reset their password.", "vague_pronoun") == []
    assert spans("It is mandatory that all API calls are authenticated.", "vague_pronoun") == []
    assert spans("It shall be possible to upload files of up to 25 MB.", "vague_pronoun") == []


def test_words_inside_other_words_and_terms_of_art_are_not_flagged() -> None:
    assert categories("Breakfast orders placed before 10:00 shall be delivered by 10:30.") == set()
    assert "superlative" not in categories("The service shall provide best-effort delivery of notifications.")
    assert "superlative" not in categories("Access shall follow the principle of least privilege.")
    assert "superlative" not in categories("The system shall display the 10 most recent orders.")
    assert "missing_metric" not in categories("The real-time clock shall be synchronised with NTP daily.")
    assert "missing_metric" not in categories("The firmware shall use secure boot.")
    assert "subjective_language" not in categories("Simple interest shall be calculated on the principal.")
    assert "missing_metric" not in categories("The Fast Track release process shall be used for patches.")
    assert "subjective_language" not in categories("The user shall be able to clear the cart.")
    assert "comparative" not in categories('The page shall show a "Learn more" link.')


def test_may_as_a_month_and_can_as_a_noun_are_not_uncertain_verbs() -> None:
    assert "uncertain_verb" not in categories("In May, the firmware team shall release version 2.0.")
    assert "uncertain_verb" not in categories("The May 2025 release shall include dark mode.")
    assert "uncertain_verb" not in categories("The trash can icon shall be shown on each row.")
    assert "uncertain_verb" not in categories("As a user, I want to save items so that I can buy them later.")
    assert spans("The operator can override the setpoint.", "uncertain_verb") == ["can"]


def test_a_negated_limit_is_a_precise_constraint_not_a_negative_statement() -> None:
    assert "negative_statement" not in categories("The motor shall not exceed 120 °C.")
    assert "negative_statement" not in categories("The system shall not allow more than 3 sessions per user.")
    assert "negative_statement" not in categories("If the payment does not succeed, the system shall retry twice.")
    assert "negative_statement" not in categories("Invoices shall be numbered sequentially with no gaps.")
    assert spans("The system shall not store card numbers.", "negative_statement") == ["not"]


def test_quantities_and_standards_satisfy_metrics() -> None:
    assert "missing_metric" not in categories("The API shall respond quickly, within 200 ms at p95.")
    assert "missing_metric" not in categories("Data shall be transmitted securely using TLS 1.3.")
    assert "missing_metric" not in categories("The app shall be responsive on screens from 320 px wide.")


def test_references_with_an_identifier_or_version_are_complete() -> None:
    assert "incomplete_reference" not in categories(
        "All screens shall follow the layout defined in the style guide v2."
    )
    assert "incomplete_reference" not in categories("The API shall comply with the specification in RFC 9110.")
    assert "incomplete_reference" not in categories("The system shall comply with HIPAA.")


def test_capabilities_and_conditions_need_no_trigger_and_coordinated_verbs_are_one_requirement() -> None:
    assert "missing_trigger" not in categories("Admins can deactivate users.")
    assert "missing_trigger" not in categories("The user shall be able to reset the account.")
    assert "missing_trigger" not in categories("If the watchdog expires, the MCU shall reset.")
    assert "missing_trigger" not in categories("The scheduler shall retry failed jobs with backoff.")
    assert "missing_trigger" not in categories("The system shall restart failed services within 30 s of a crash.")
    assert "compound_requirement" not in categories("Users shall be able to view and edit their profile.")
    assert "compound_requirement" not in categories("The system shall validate the email and password fields.")
    assert "compound_requirement" not in categories(
        "When the door opens and the alarm is armed, the controller shall sound the siren."
    )


def test_findings_in_criteria_skip_idioms_of_given_when_then() -> None:
    criterion = "Given a user, when they try to export it, then the report can be downloaded and no error is shown."
    assert categories("The system shall export reports within 5 s.", criterion) == set()


def test_severities_are_consistent() -> None:
    found = {f.category: f.severity for f in findings_of("It shall be fast, TBD, if possible, and not noisy, etc.")}
    assert found["placeholder"] == found["missing_metric"] == found["loophole"] == found["non_verifiable"] == "high"
    assert found["vague_pronoun"] == "medium" and found["negative_statement"] == "low"


# --- project findings


def test_a_dependency_cycle_is_named() -> None:
    assert find_dependency_cycles({"A": ["B"], "B": ["C"], "C": ["A"]}) == [["A", "B", "C", "A"]]
    assert find_dependency_cycles({"A": ["A"], "B": []}) == [["A", "A"]]
    assert find_dependency_cycles({"A": ["B", "X"], "B": []}) == []
    two = find_dependency_cycles({"A": ["B"], "B": ["A"], "C": ["D"], "D": ["E"], "E": ["C"]})
    assert two == [["A", "B", "A"], ["C", "D", "E", "C"]]


def test_long_dependency_chains_do_not_hit_the_recursion_limit() -> None:
    deps = {f"R{i}": [f"R{i + 1}"] for i in range(5000)}
    deps["R5000"] = ["R0"]
    (cycle,) = find_dependency_cycles(deps)
    assert len(cycle) == 5002 and cycle[0] == cycle[-1] == "R0"


def requirement(code: str, text: str, *dependencies: str) -> RequirementInput:
    return RequirementInput(code, text, ("Given x, when y fails, then an error is shown.",), tuple(dependencies))


def test_project_findings_name_unknown_dependencies_and_cycles() -> None:
    analysis = analyze_project(
        [
            requirement("A", "The system shall export reports as CSV.", "B"),
            requirement("B", "The system shall import reports from CSV files.", "C", "REQ-999"),
            requirement("C", "The system shall archive reports older than 90 days.", "A"),
        ]
    )
    by_category = {f.category: f for f in analysis.findings}
    assert by_category["dependency_cycle"].details == {"cycle": ["A", "B", "C", "A"]}
    assert by_category["dependency_cycle"].codes == ("A", "B", "C")
    assert "A → B → C → A" in by_category["dependency_cycle"].message
    assert by_category["unknown_dependency"].codes == ("B",)
    assert by_category["unknown_dependency"].details == {"missing": ["REQ-999"]}
    assert all(f.severity == "high" for f in analysis.findings)
    assert [r.scores.dependencies for r in analysis.requirements] == [0.0, 0.0, 0.0]
    assert analysis.scores.dependencies == 0.0 and not analysis.meets_thresholds


def test_duplicates_are_found_by_wording_not_by_exact_text() -> None:
    analysis = analyze_project(
        [
            requirement("R1", "The system shall export monthly sales reports as CSV files."),
            requirement("R2", "The system shall send a weekly digest email to every subscriber."),
            requirement("R3", "The application shall export the monthly sales report as a CSV file for finance."),
            requirement("R4", "The system shall export monthly sales reports as CSV files."),
        ]
    )
    duplicates = [f for f in analysis.findings if f.category == "duplicate_requirement"]
    assert [f.codes for f in duplicates] == [("R1", "R3", "R4")]
    assert 0.8 <= duplicates[0].details["similarity"] < 1.0


def test_duplicate_codes_are_reported() -> None:
    analysis = analyze_project([requirement("R1", "The system shall log in users."), requirement("R1", "Other text.")])
    assert [(f.category, f.codes, f.details["reason"]) for f in analysis.findings] == [
        ("duplicate_requirement", ("R1",), "same_code")
    ]


def test_conflicts_of_modality_and_of_numbers() -> None:
    analysis = analyze_project(
        [
            requirement("R1", "The system shall store card numbers for refunds."),
            requirement("R2", "The system shall not store card numbers."),
            requirement("R3", "The session timeout shall be 15 minutes."),
            requirement("R4", "The session timeout shall be 30 minutes."),
            requirement("R5", "The API shall respond within 200 ms."),
            requirement("R6", "The API shall respond within 0.2 s."),
            requirement("R7", "Passwords shall be at least 12 characters."),
            requirement("R8", "Passwords shall be at most 8 characters."),
        ]
    )
    conflicts = {f.codes: f for f in analysis.findings if f.category == "conflicting_requirements"}
    assert set(conflicts) == {("R1", "R2"), ("R3", "R4"), ("R7", "R8")}  # 200 ms == 0.2 s is consistent
    assert conflicts["R3", "R4"].details["values"] == {"R3": "exact 15 minutes", "R4": "exact 30 minutes"}
    assert all(f.severity == "high" for f in conflicts.values())


def test_project_analysis_of_ten_thousand_near_identical_requirements_stays_bounded() -> None:
    reqs = [requirement(f"R{i}", f"The system shall export report {i % 7} as CSV within 5 s.") for i in range(10_000)]
    analysis = analyze_project(reqs)
    duplicates = [f for f in analysis.findings if f.category == "duplicate_requirement"]
    assert sum(len(f.codes) for f in duplicates) == 10_000 and len(duplicates) <= 7


# --- scores


def test_scores_follow_the_seed_thresholds() -> None:
    good = analyze_requirement(
        RequirementInput(
            "REQ-1",
            "When a user submits the form, the system shall save the order within 2 seconds.",
            (
                "Given a valid cart, when the user submits, then the order is saved within 2 seconds.",
                "Given an expired session, when the user submits, then an error asks them to sign in again.",
            ),
        )
    )
    assert good.findings == ()
    assert good.scores == RequirementScores(testability=100.0, ambiguity=0, dependencies=100.0, completeness=100.0)
    assert good.scores.meets_thresholds

    poor = analyze_requirement(
        RequirementInput("REQ-2", "It shall be fast and user-friendly, if possible.", (), ("REQ-2",)),
        known_codes=frozenset({"REQ-2"}),
    )
    assert poor.scores.testability == 0.0
    assert poor.scores.ambiguity == 3  # it, user-friendly, if possible ("fast" counts against testability)
    assert poor.scores.dependencies == 0.0  # depends on itself
    assert poor.scores.completeness == 60.0  # no criteria, no edge case covered
    assert poor.scores.passed() == {
        "testability": False,
        "ambiguity": False,
        "dependencies": False,
        "completeness": False,
    }


def test_testability_counts_measurable_criteria() -> None:
    result = analyze_requirement(
        RequirementInput(
            "REQ-1",
            "The system shall export the report.",
            ("The export is fast.", "The file is a valid CSV.", "An invalid filter shows an error.", "It looks nice."),
        )
    )
    assert result.scores.testability == 50.0


def test_known_codes_make_unknown_dependencies_invalid() -> None:
    req = RequirementInput("A", "The system shall export the report within 5 s.", (), ("B", "C"))
    assert analyze_requirement(req).scores.dependencies == 100.0
    assert analyze_requirement(req, known_codes=frozenset({"A", "B"})).scores.dependencies == 50.0


def test_project_scores_aggregate() -> None:
    analysis = analyze_project([requirement("A", "The system shall export the report within 5 s.")])
    assert analysis.scores == analysis.requirements[0].scores
    assert analyze_project([]).scores.meets_thresholds


# --- precision and recall on our own labelled set


def test_precision_and_recall_on_the_labelled_set() -> None:
    entries = load_labelled()
    assert len(entries) >= 150
    tally = evaluate(entries)
    for split in ("dev", "check"):
        part = evaluate([e for e in entries if e.get("split", "dev") == split])
        print(f"\n{split} ({sum(1 for e in entries if e.get('split', 'dev') == split)} requirements)\n{part.table()}")
    print("\nall\n" + tally.table())
    print("\n".join(tally.mistakes))
    assert tally.precision() >= 0.80 and tally.recall() >= 0.80
    assert tally.precision("span categories") >= 0.80 and tally.recall("span categories") >= 0.80
