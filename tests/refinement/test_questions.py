"""Refinement questions as a user reads them: recommended answers come from the requirement's own words (its
subject, its numbers, its acceptance criteria), never from a generic template; removals read as the text they
leave, and applying one gives exactly that text."""

from __future__ import annotations

from trellis.refinement.questions import DraftQuestion, apply_answer, derive_criterion, draft_questions
from trellis.requirements.analysis import RequirementInput, analyze_project


def questions(*requirements: RequirementInput) -> dict[tuple[str, str], DraftQuestion]:
    drafted = draft_questions(analyze_project(requirements), {r.code: r for r in requirements}, limit=100)
    return {(q.requirement_code, q.category): q for q in drafted}


def recommended_label(question: DraftQuestion) -> str | None:
    return next((o.label for o in question.options if o.id == question.recommended), None)


def test_a_derived_criterion_is_phrased_from_the_requirements_own_subject_trigger_and_numbers() -> None:
    assert (
        derive_criterion("Loading a settings file with 5000 entries shall take less than 150 milliseconds.")
        == "When loading a settings file with 5000 entries, then it takes less than 150 milliseconds."
    )
    assert (
        derive_criterion("When a payment fails, the billing service shall email the account owner.")
        == "When a payment fails, then the billing service emails the account owner."
    )
    assert (
        derive_criterion("The `report export` command shall mask the values of secret columns.")
        == "When the `report export` command runs, then it masks the values of secret columns."
    )
    # What a generic subject provides is what the criterion is about.
    assert (
        derive_criterion("The library shall provide a token bucket that rejects calls above the configured rate.")
        == "When a token bucket is used, then it rejects calls above the configured rate."
    )
    assert derive_criterion("The scheduler shall not run a job twice.") == (
        "When the scheduler is used, then it does not run a job twice."
    )
    # Nothing to phrase from: a person's action with no result, or no modal verb at all.
    assert derive_criterion("Customers download an invoice for each order.") is None
    assert derive_criterion("Managers shall be able to approve expenses.") is None


def test_a_missing_criterion_is_recommended_only_when_the_derived_one_is_testable() -> None:
    clear = RequirementInput("EXP-1", "The `report export` command shall mask the values of secret columns.")
    vague = RequirementInput("LOG-1", "Logging of the sync job should be more user-friendly and easy to configure.")
    found = questions(clear, vague)
    derived = found[("EXP-1", "missing_acceptance_criteria")]
    assert derived.recommended == "derived"
    assert (
        recommended_label(derived)
        == "When the `report export` command runs, then it masks the values of secret columns."
    )
    assert apply_answer(
        {"EXP-1": {"text": clear.text, "acceptance_criteria": []}},
        {"requirement_code": "EXP-1", "free_answer_effect": "add_criterion", "finding": derived.finding},
        derived.options[0].as_dict(),
        None,
    )["EXP-1"]["acceptance_criteria"] == [recommended_label(derived)]
    # The vague one gets no made-up answer: the question names its vague words and its subject instead.
    unclear = found[("LOG-1", "missing_acceptance_criteria")]
    assert unclear.recommended is None and [o.id for o in unclear.options] == ["keep"]
    assert "“user-friendly”" in unclear.question and "“easy”" in unclear.question
    assert "about logging of the sync job" in unclear.question
    assert not any("described situation" in o.label or "Given the system" in o.label for q in found.values()
                   for o in q.options)  # fmt: skip


def test_a_vague_word_the_criteria_already_settle_is_kept_citing_the_criterion() -> None:
    upload = RequirementInput(
        "UP-1",
        "The uploader shall reject files above a maximum size.",
        ("Given a 26 MB file, when it is uploaded, then it is rejected with status 413 and the 25 MB limit is named.",),
    )
    question = questions(upload)[("UP-1", "superlative")]
    assert question.recommended == "keep"
    assert recommended_label(question) == (
        "Keep it: the acceptance criteria pin it down (“then it is rejected with status 413 and the 25 MB limit is "
        "named.”)"
    )
    # Removing "maximum" is offered, shown as what it leaves, but not recommended: it carries the meaning.
    assert "Remove “maximum”: “…shall reject files above a size.”" in [o.label for o in question.options]
    # A settled question ranks below an open one of the same severity.
    vague = RequirementInput("UP-2", "The uploader shall reject files above a maximum size.")
    assert questions(vague)[("UP-2", "superlative")].score > question.score


def test_removals_keep_the_sentence_grammatical_and_apply_as_shown() -> None:
    importer = RequirementInput("IMP-1", "The importer shall show a clear error and skip the row.")
    dashboard = RequirementInput("DSH-1", "The dashboard shall present totals in a sensible and intuitive way.")
    friendly = RequirementInput("DSH-2", "The dashboard shall be user-friendly.")
    found = questions(importer, dashboard, friendly)
    clear = found[("IMP-1", "subjective_language")]
    assert recommended_label(clear) == "Remove “clear”: “The importer shall show an error and skip the row.”"
    remove = next(o for o in clear.options if o.id == "remove")
    current = {"IMP-1": {"text": importer.text, "acceptance_criteria": []}}
    question = {"requirement_code": "IMP-1", "free_answer_effect": "replace_span", "finding": clear.finding}
    changed = apply_answer(current, question, remove.as_dict(), None)
    assert changed["IMP-1"]["text"] == "The importer shall show an error and skip the row."
    intuitive = found[("DSH-1", "subjective_language")]
    assert recommended_label(intuitive) == "Remove “intuitive”: “…totals in a sensible way.”"
    # "be user-friendly" without the word would leave "be" dangling: no removal offered.
    predicate = found[("DSH-2", "subjective_language")]
    assert [o.id for o in predicate.options] == ["keep"] and predicate.recommended is None


def test_a_compound_requirement_with_a_criterion_per_part_is_kept() -> None:
    exporter = RequirementInput(
        "EXP-2",
        "The exporter shall write the file and notify the owner.",
        (
            "Given 3 rows, when exported, then the file has 3 lines.",
            "Given an export, when it ends, then the owner gets an email.",
        ),
    )
    single = RequirementInput("EXP-3", "The exporter shall write the file and notify the owner.")
    found = questions(exporter, single)
    assert recommended_label(found[("EXP-2", "compound_requirement")]) == (
        "Keep it as one requirement: its 2 acceptance criteria test the parts separately"
    )
    assert found[("EXP-3", "compound_requirement")].recommended is None
