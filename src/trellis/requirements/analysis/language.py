"""Span findings of weak wording: each lexicon term is reported only after its context rule agrees.

One left-to-right pass over the tokens: at each token the longest lexicon phrase starting there is
tried first; when no term applies, incomplete references and negative statements are checked.
"""

from __future__ import annotations

from trellis.requirements.analysis.context import accepts, in_subordinate_clause
from trellis.requirements.analysis.lexicon import (
    CONTRACTED_NEGATIONS,
    DEFAULT_SUGGESTIONS,
    DOCUMENT_NOUNS,
    LIMIT_WORDS,
    NEGATIONS,
    REFERENCE_TRIGGERS,
    TERMS,
    Term,
)
from trellis.requirements.analysis.model import SEVERITY, Finding
from trellis.requirements.analysis.tokens import (
    PREPOSITIONS,
    Tokens,
    words,
)

# One-word terms by word; longer phrases by their first two words, longest first ("highly available" before
# "highly" is automatic: the pair look-up happens first). Two dictionary look-ups per token, whatever the lexicon size.
_SINGLE_TERMS: dict[str, Term] = {}
_PHRASES: dict[tuple[str, str], list[Term]] = {}
for _term in TERMS:
    if len(_term.words) == 1:
        _SINGLE_TERMS[_term.words[0]] = _term
    else:
        _PHRASES.setdefault((_term.words[0], _term.words[1]), []).append(_term)
for _candidates in _PHRASES.values():
    _candidates.sort(key=lambda term: -len(term.words))
_PHRASE_FIRST_WORDS = frozenset(pair[0] for pair in _PHRASES)
_TRIGGERS_BY_FIRST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _trigger in sorted(REFERENCE_TRIGGERS, key=lambda words: -len(words)):
    _TRIGGERS_BY_FIRST_WORD.setdefault(_trigger[0], []).append(_trigger)
_SINGLE_TRIGGERS = frozenset(trigger[0] for trigger in REFERENCE_TRIGGERS if len(trigger) == 1)
_TRIGGER_PAIRS = frozenset((trigger[0], trigger[1]) for trigger in REFERENCE_TRIGGERS if len(trigger) > 1)

_MESSAGES = {
    "placeholder": '"{t}" leaves a value undecided: the requirement cannot be built or tested until it is filled in.',
    "missing_metric": '"{t}" claims a quality without a measurable threshold or unit.',
    "non_verifiable": '"{t}" leaves the requirement open-ended, so no test can show it is fully met.',
    "loophole": '"{t}" lets an implementation skip the requirement without failing it.',
    "subjective_language": '"{t}" depends on who judges it; two testers can disagree on whether it is met.',
    "ambiguous_adverb_adjective": '"{t}" can be read in more than one way; it needs a number or a defined meaning.',
    "superlative": '"{t}" sets a target that no test can confirm.',
    "comparative": '"{t}" compares without a stated reference and amount.',
    "uncertain_verb": '"{t}" makes the behaviour optional or uncertain, so it is unclear whether it is required.',
    "vague_pronoun": '"{t}" does not point to a clear noun in its sentence; a reader has to guess what it means.',
    "incomplete_reference": '"{t}" is referenced without an identifier, version or date, so it can change unseen.',
    "negative_statement": '"{t}" states what must not happen; say what the system does instead, or give a limit.',
}
_NEGATION_SUGGESTION = (
    'State the required behaviour positively (e.g. "shall reject ..." or "shall store only ..."), '
    "or keep the prohibition and name how it is verified."
)
# Laws are cited by name; their version is rarely what a reader needs.
_NAMED_LAWS = words("gdpr hipaa ccpa sox pipeda glba ferpa coppa psd2 mifid dora nis2 lgpd")
_CRITERIA_SKIP = frozenset({"vague_pronoun"})  # Given/When/Then steps refer back to earlier steps by design


_FIRST_WORDS = frozenset(_SINGLE_TERMS) | _PHRASE_FIRST_WORDS | frozenset(_TRIGGERS_BY_FIRST_WORD) | NEGATIONS


def _term_at(lower: list[str], index: int) -> Term | None:
    word = lower[index]
    if word in _PHRASE_FIRST_WORDS and index + 1 < len(lower):
        for term in _PHRASES.get((word, lower[index + 1]), ()):
            size = len(term.words)
            if size == 2 or tuple(lower[index + 2 : index + size]) == term.words[2:]:
                return term
    return _SINGLE_TERMS.get(word)


def find_language_findings(toks: Tokens, field: str) -> list[Finding]:
    in_criterion = field != "text"
    findings: list[Finding] = []
    lower = toks.lower
    count = len(lower)
    covered_until = 0
    # Only tokens that can start something are visited: a set look-up per token, in C.
    if "<" in toks.text:
        visit = [position for position, word in enumerate(lower) if word in _FIRST_WORDS or word[0] == "<"]
    else:
        visit = [position for position, word in enumerate(lower) if word in _FIRST_WORDS]
    for index in visit:
        if index < covered_until:
            continue
        word = lower[index]
        matched = 0
        if word[0] == "<":
            if len(word) > 2:  # a template slot left in: "within <N> ms"
                findings.append(_finding(toks, "placeholder", index, index + 1, field))
            continue
        term = _term_at(lower, index)
        # The longest phrase decides: when its context rule says no ("at least 3"), no shorter term is tried.
        if term is not None and not (in_criterion and term.category in _CRITERIA_SKIP):
            size = len(term.words)
            if accepts(toks, index, size, term, in_criterion):
                end_token = index + size
                if term.words[-1] == "etc" and end_token < count and lower[end_token] == ".":
                    end_token += 1  # "etc." reads as one word
                findings.append(_finding(toks, term.category, index, end_token, field, term.suggestion))
                matched = end_token - index
        if not matched and (
            word in _SINGLE_TRIGGERS or (index + 1 < count and (word, lower[index + 1]) in _TRIGGER_PAIRS)
        ):
            reference = _incomplete_reference(toks, index)
            if reference is not None:
                findings.append(_finding(toks, "incomplete_reference", reference[0], reference[1], field))
                matched = reference[1] - index
        if not matched and not in_criterion and word in NEGATIONS and _is_negative_statement(toks, index):
            findings.append(_finding(toks, "negative_statement", index, index + 1, field, _NEGATION_SUGGESTION))
            matched = 1
        if matched:
            covered_until = index + matched
    return _merge_adjacent(toks, findings) if len(findings) > 1 else findings


def _finding(toks: Tokens, category: str, first: int, last: int, field: str, suggestion: str = "") -> Finding:
    start, end = toks.starts[first], toks.ends[last - 1]
    span = toks.text[start:end]
    if not suggestion:
        suggestion = DEFAULT_SUGGESTIONS[category].format(t=span)
    return Finding(
        category, start, end, span, SEVERITY[category], _MESSAGES[category].format(t=span), suggestion, field
    )


def _merge_adjacent(toks: Tokens, findings: list[Finding]) -> list[Finding]:
    """ "very large" is one vague phrase, not two findings."""
    merged: list[Finding] = []
    for finding in findings:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.category == finding.category
            and finding.category in ("ambiguous_adverb_adjective", "subjective_language")
            and toks.text[previous.end : finding.start].isspace()
        ):
            span = toks.text[previous.start : finding.end]
            merged[-1] = Finding(
                previous.category,
                previous.start,
                finding.end,
                span,
                previous.severity,
                _MESSAGES[previous.category].format(t=span),
                previous.suggestion.replace(f'"{previous.text}"', f'"{span}"'),
                previous.field,
            )
        else:
            merged.append(finding)
    return merged


def _incomplete_reference(toks: Tokens, index: int) -> tuple[int, int] | None:
    """ "according to the style guide" -> the span of "the style guide" when no identifier or version follows."""
    lower = toks.lower
    for trigger in _TRIGGERS_BY_FIRST_WORD[lower[index]]:
        size = len(trigger)
        if tuple(lower[index : index + size]) != trigger:
            continue
        if trigger in (("see",), ("refer", "to")) and index and lower[index - 1][:1].isalpha():
            return None  # "users can see the table": not a cross-reference
        first = index + size
        position = first
        last_document = -1
        while position < len(lower) and position < first + 7:
            word = lower[position]
            if word in DOCUMENT_NOUNS:
                last_document = position
            elif last_document >= 0 or not (word[:1].isalpha() or word in ("'s", "’s")):  # noqa: RUF001
                break
            position += 1
        if last_document < 0:
            return None
        window_end = min(len(lower), last_document + 5)
        sentence = toks.sentence_of[index]
        for position in range(first, window_end):
            word = lower[position]
            if toks.sentence_of[position] != sentence:
                break
            if any(character.isdigit() for character in word) or word in _NAMED_LAWS:
                return None  # "RFC 7231", "v2.3", "SEC-POL-12", "(2024-03-01)", "HIPAA"
        return first, last_document + 1
    return None


def _is_negative_statement(toks: Tokens, index: int) -> bool:
    """A negated obligation ("shall not store"), not a limit ("shall not exceed 2 s") or a condition ("if not")."""
    lower = toks.lower
    word = lower[index]
    before = lower[index - 1] if index else ""
    after = lower[index + 1] if index + 1 < len(lower) else ""
    if word == "not" and (before in ("or", "if", "whether", ",") or after in ("only", "applicable")):
        return False  # "whether or not", "if not", "not only", and the contrast in "PostgreSQL, not MySQL"
    if word == "no" and (after == "." or before == "." or before in PREPOSITIONS):
        return False  # "No. 5"; "with no gaps" describes a property, it does not withhold a capability
    if word not in CONTRACTED_NEGATIONS and word not in ("not", "never", "no", "none", "nor", "neither"):
        return False
    if in_subordinate_clause(toks, index):
        return False
    # a bounded constraint ("shall not exceed 2 s") is measurable as it stands
    return not (
        any(following in LIMIT_WORDS for following in lower[index + 1 : index + 6]) and toks.quantity_near(index, 8)
    )
