"""Whole-requirement checks: is there an actor, a trigger where one is needed, an outcome, one requirement only,
and acceptance criteria?

Each sentence is read around its *anchor*: the first modal ("shall", "must", ...) or, in a user story, the
"I want". The subject is what comes before it in the same clause, the main verb what comes after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trellis.requirements.analysis.clauses import compound_conjunction, has_trigger, is_adverb, lemma
from trellis.requirements.analysis.model import SEVERITY, Finding
from trellis.requirements.analysis.tokens import (
    ACTION_VERBS,
    BINDING_MODALS,
    CLOSED_CLASS,
    DETERMINERS,
    PARTICIPLES,
    PRONOUNS,
    Tokens,
    is_noun_compound_modal,
    is_number_token,
    words,
)

_DIGIT = re.compile(r"\d")
_CLAUSE_ENDS = words(". ! ; , : )")
_ANCHOR_MODALS = BINDING_MODALS | frozenset({"can", "may"})
_NOT_SUBJECT = CLOSED_CLASS - PRONOUNS
_STORY_ANCHORS = words("want need wish like would can")
_SKIP_AFTER_ANCHOR = words(
    "not also only automatically always never immediately still then optionally further additionally"
)
# Verbs that say something will be dealt with without saying what the result is (Rupp's "process verbs").
_VAGUE_VERBS = words("handle manage deal cope")
# Verbs that need a complement to say anything: "shall work", "shall respond".
_EMPTY_VERBS = words("work function behave operate perform respond react act do")
_RESULT_CUES = words("by so such returning resulting including using : showing displaying")
# Behaviours that happen in response to something: without a trigger nobody can tell when to expect them.
_REACTIVE_VERBS = words(
    "send notify alert email warn lock unlock block suspend disable redirect retry escalate sound trigger raise "
    "emit shut switch activate deactivate reset restart reboot revoke expire terminate invalidate page prompt "
    "remind purge archive wipe"
)
# "retry failed jobs", "delete inactive accounts": the object's state is the condition that triggers the behaviour.
_STATE_WORDS = words(
    "failed expired inactive overdue unpaid stale idle unused abandoned rejected invalid unverified dormant "
    "outdated unacknowledged unresolved"
)
_CAPABILITY_WORDS = words("able capable allow allows let lets enable enables permit permits")
_EDGE_CASE_WORDS = words(
    "invalid error errors fail fails failed failure reject rejected rejects denied deny unauthorized unauthorised "
    "forbidden timeout expired empty missing exceed exceeds exceeded beyond limit duplicate not no without cannot "
    "wrong incorrect malformed unavailable offline lost retry negative zero maximum minimum boundary locked "
    "insufficient declined over"
)


@dataclass(frozen=True, slots=True)
class StructureFacts:
    """What the completeness score needs to know."""

    has_actor: bool
    has_outcome: bool
    trigger_expected: bool
    has_trigger: bool
    has_criteria: bool
    has_edge_case: bool


def _whole(text: str, category: str, message: str, suggestion: str, severity: str | None = None) -> Finding:
    return Finding(category, 0, len(text), text, severity or SEVERITY[category], message, suggestion)


def _story_anchor(lower: list[str], first: int, last: int) -> int:
    """Index of "want"/"need" in "As a <role>, I want ...", or -1."""
    if not (last - first > 4 and "as" in lower[first : first + 2]):
        return -1
    for position in range(first + 2, last - 1):
        if lower[position] == "i" and lower[position + 1] in _STORY_ANCHORS:
            return position + 1 if lower[position + 1] != "would" else position + 2
    return -1


def _main_verb(lower: list[str], anchor: int, last: int) -> int:
    """First content verb after the anchor, past "be able to", "allow <actor> to", "want to", adverbs."""
    position = anchor + 1
    while position < last:
        word = lower[position]
        if word in _SKIP_AFTER_ANCHOR or is_adverb(word) or word in ("be", "to", "able", "capable", "of"):
            position += 1
            continue
        if word == "," and "," in lower[position + 1 : last]:
            position = lower.index(",", position + 1, last) + 1  # "shall, within 5 s, notify": skip the aside
            continue
        if word in ("allow", "allows", "enable", "enables", "let", "permit") and position + 1 < last:
            # "allow users to export": the verb after "to" is the behaviour
            for ahead in range(position + 1, min(position + 5, last)):
                if lower[ahead] == "to":
                    return ahead + 1 if ahead + 1 < last else ahead
            return position
        return position
    return last


def find_structure_findings(toks: Tokens, criteria: list[Tokens]) -> tuple[list[Finding], StructureFacts]:
    text, lower = toks.text, toks.lower
    findings: list[Finding] = []
    has_actor = has_outcome = True
    trigger_expected = condition_in_subject = False
    binding_sentences = 0
    compound_found = False
    modal_positions = [position for position, word in enumerate(lower) if word in _ANCHOR_MODALS]
    maybe_story = "i" in lower
    for first, last in toks.sentences:
        anchor = -1
        story = _story_anchor(lower, first, last) if maybe_story else -1
        if story >= 0:
            anchor = story
        else:
            for position in modal_positions:
                if first <= position < last and not _is_modal_noun(lower, position, first, last):
                    anchor = position
                    break
        imperative = anchor < 0 and _is_imperative(toks, first, last)
        if anchor < 0 and not imperative:
            continue
        if anchor >= 0 and lower[anchor] in BINDING_MODALS:
            binding_sentences += 1
        verb = first if imperative else _main_verb(lower, anchor, last)
        while imperative and verb < last and not lower[verb][:1].isalpha():
            verb += 1  # skip a bullet
        # --- actor
        if imperative:
            has_actor = False
        elif story < 0:
            clause_start = first
            for position in range(anchor - 1, first - 1, -1):
                if lower[position] in (",", ";", ":"):
                    clause_start = position + 1
                    break
            if not any(w[:1].isalpha() and w not in _NOT_SUBJECT for w in lower[clause_start:anchor]):
                has_actor = False
            elif _is_agentless_passive(lower, anchor, last) and not any(
                f.category == "missing_actor" for f in findings
            ):
                findings.append(
                    _whole(
                        text,
                        "missing_actor",
                        "The passive voice hides who performs the action.",
                        'Name the actor: "The <system/role> shall <verb> <object>".',
                        severity="low",
                    )
                )
        # --- outcome
        if verb >= last or lower[verb] in _CLAUSE_ENDS:
            has_outcome = False  # "The system shall."
        else:
            base = lemma(lower[verb])
            if (base in _VAGUE_VERBS or base in _EMPTY_VERBS) and not _states_result(toks, verb, last, base):
                has_outcome = False
            automatic = "automatically" in lower[first:last]  # "shall refresh automatically": on what?
            if (base in _REACTIVE_VERBS or automatic) and not _is_capability(lower, first, anchor, verb, story):
                trigger_expected = True
                # "Users with more than 5 failed logins in 10 minutes shall be locked": the subject holds the condition
                condition_in_subject = condition_in_subject or any(first <= q < anchor for q in toks.quantities)
                condition_in_subject = condition_in_subject or not _STATE_WORDS.isdisjoint(lower[first:last])
        # --- compound
        if not compound_found:
            conjunction = compound_conjunction(lower, verb, last, first)
            if conjunction >= 0:
                compound_found = True
                findings.append(
                    Finding(
                        "compound_requirement",
                        toks.starts[conjunction],
                        toks.ends[conjunction],
                        toks.word(conjunction),
                        SEVERITY["compound_requirement"],
                        f'"{toks.word(conjunction)}" joins two separate behaviours into one requirement.',
                        "Split into separate requirements, one behaviour each, so each can be traced and tested.",
                    )
                )
    if "and/or" in lower and not compound_found:
        position = lower.index("and/or")
        compound_found = True
        findings.append(
            Finding(
                "compound_requirement",
                toks.starts[position],
                toks.ends[position],
                toks.word(position),
                SEVERITY["compound_requirement"],
                '"and/or" leaves open whether one or both behaviours are required.',
                'Split into separate requirements, or say "both" or "either".',
            )
        )
    if binding_sentences > 1 and not compound_found:
        findings.append(
            _whole(
                text,
                "compound_requirement",
                "The text states more than one requirement (several sentences with shall/must).",
                "Split into separate requirements, one behaviour each.",
            )
        )
    if not has_actor:
        findings = [f for f in findings if f.category != "missing_actor"]
        findings.append(
            _whole(
                text,
                "missing_actor",
                "No actor: nothing says who or what performs this behaviour.",
                'Start with the actor: "The <system/role> shall <verb> <object>".',
            )
        )
    if not has_outcome:
        findings.append(
            _whole(
                text,
                "missing_outcome",
                "No observable outcome: the verb says something is dealt with, not what the result is.",
                'Say what happens: "shall <verb> <object> so that <observable result>", e.g. "shall show <message> '
                'and keep the entered data".',
            )
        )
    triggered = trigger_expected and (
        condition_in_subject or has_trigger(toks) or any(has_trigger(criterion) for criterion in criteria)
    )
    if trigger_expected and not triggered:
        findings.append(
            _whole(
                text,
                "missing_trigger",
                "This behaviour happens in response to something, but no trigger says when.",
                'Add the trigger in EARS form: "When <event>, the <system> shall <response>".',
            )
        )
    # A number of any kind ("TLS 1.3", "AES-256", "WCAG 2.1") usually pins down what to check.
    if not criteria and not toks.quantities and not _DIGIT.search(text) and not ("given" in lower and "then" in lower):
        findings.append(
            _whole(
                text,
                "missing_acceptance_criteria",
                "No acceptance criteria and no measurable value: nothing says how to check this is done.",
                'Add criteria: "Given <context>, when <action>, then <observable result>", including one failure case.',
            )
        )
    has_edge_case = any(not _EDGE_CASE_WORDS.isdisjoint(criterion.lower) for criterion in criteria)
    facts = StructureFacts(has_actor, has_outcome, trigger_expected, triggered, bool(criteria), has_edge_case)
    return findings, facts


def _states_result(toks: Tokens, verb: int, last: int, base: str) -> bool:
    """ "handle errors by showing ...", "operate at -40 C": the vague verb is completed by a result or a number."""
    rest = toks.lower[verb + 1 : last]
    if not _RESULT_CUES.isdisjoint(rest) or any(verb < p < last for p in toks.quantities):
        return True
    if base in _VAGUE_VERBS:
        return False
    if base in ("respond", "react"):
        return any(w[:1].isalpha() for w in rest)  # "respond quickly" promises a response; "shall respond." does not
    return any(w[:1].isalpha() and w not in CLOSED_CLASS and not is_adverb(w) for w in rest)


def _is_modal_noun(lower: list[str], position: int, first: int, last: int) -> bool:
    before = lower[position - 1] if position > first else ""
    after = lower[position + 1] if position + 1 < len(lower) else "."
    if before in DETERMINERS or is_number_token(after) or not after[:1].isalpha():
        return True  # "the May release", "May 2025", "In May,"
    return lower[position] in ("can", "may") and is_noun_compound_modal(lower, position, last)


def _is_imperative(toks: Tokens, first: int, last: int) -> bool:
    """A bullet fragment that starts with a bare verb: "Export the report as PDF"."""
    position = first
    while position < last and not toks.lower[position][:1].isalpha():
        position += 1
    if position + 1 >= last:
        return False
    word, after = toks.lower[position], toks.lower[position + 1]
    return word in ACTION_VERBS and (after in DETERMINERS or after in ("all", "it", "them", "each", "every"))


def _is_agentless_passive(lower: list[str], anchor: int, last: int) -> bool:
    position = anchor + 1
    while position < last and lower[position] in _SKIP_AFTER_ANCHOR:
        position += 1
    if position >= last or lower[position] != "be":
        return False
    position += 1
    while position < last and (is_adverb(lower[position]) or lower[position] in _SKIP_AFTER_ANCHOR):
        position += 1
    return position < last and lower[position] in PARTICIPLES and "by" not in lower[position + 1 : last]


def _is_capability(lower: list[str], first: int, anchor: int, verb: int, story: int) -> bool:
    """ "allow users to lock", "be able to reset", user stories: the actor decides when, no trigger is expected."""
    if story >= 0 or (anchor >= 0 and lower[anchor] in ("can", "may")):
        return True
    return any(word in _CAPABILITY_WORDS for word in lower[max(anchor, first) : verb])
