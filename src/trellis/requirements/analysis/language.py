"""Span findings of weak wording: each lexicon term is reported only after its context rule agrees.

One left-to-right pass over the tokens: at each token the longest lexicon phrase starting there is
tried first; when no term applies, incomplete references and negative statements are checked.
"""

from __future__ import annotations

from collections.abc import Callable

from trellis.requirements.analysis.lexicon import (
    CONTRACTED_NEGATIONS,
    DEFAULT_SUGGESTIONS,
    DOCUMENT_NOUNS,
    LIMIT_WORDS,
    NEGATIONS,
    REFERENCE_TRIGGERS,
    SECURITY_STANDARDS,
    TERMS,
    Term,
)
from trellis.requirements.analysis.model import SEVERITY, Finding
from trellis.requirements.analysis.tokens import (
    AUXILIARIES,
    CLOSED_CLASS,
    DETERMINERS,
    MODALS,
    NUMBER_WORDS,
    PARTICIPLES,
    PREPOSITIONS,
    SUBORDINATORS,
    UNIT_NOUNS_AFTER_A,
    VERB_LEMMAS,
    Tokens,
    is_noun_compound_modal,
    is_number_token,
    words,
)

# first word -> terms starting with it, longest first, so "highly available" wins over "highly".
_TERMS_BY_FIRST_WORD: dict[str, list[Term]] = {}
for _term in TERMS:
    _TERMS_BY_FIRST_WORD.setdefault(_term.words[0], []).append(_term)
for _candidates in _TERMS_BY_FIRST_WORD.values():
    _candidates.sort(key=lambda term: -len(term.words))
_TRIGGERS_BY_FIRST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _trigger in sorted(REFERENCE_TRIGGERS, key=lambda words: -len(words)):
    _TRIGGERS_BY_FIRST_WORD.setdefault(_trigger[0], []).append(_trigger)

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
    "negative_statement": '"{t}" states what must not happen; say what the system does instead, or bound it with a limit.',
}
_NEGATION_SUGGESTION = (
    'State the required behaviour positively (e.g. "shall reject ..." or "shall store only ..."), '
    "or keep the prohibition and name how it is verified."
)
# Laws are cited by name; their version is rarely what a reader needs.
_NAMED_LAWS = words("gdpr hipaa ccpa sox pipeda glba ferpa coppa psd2 mifid dora nis2 lgpd")
_OBJECT_WORDS = DETERMINERS | words("up out it them him her us")
_CRITERIA_SKIP = frozenset({"vague_pronoun"})  # Given/When/Then steps refer back to earlier steps by design


_FIRST_WORDS = frozenset(_TERMS_BY_FIRST_WORD) | frozenset(_TRIGGERS_BY_FIRST_WORD) | NEGATIONS


def find_language_findings(toks: Tokens, field: str) -> list[Finding]:
    in_criterion = field != "text"
    findings: list[Finding] = []
    lower = toks.lower
    count = len(lower)
    covered_until = 0
    # Only tokens that can start something are visited: a set look-up per token, in C.
    for index in [position for position, word in enumerate(lower) if word in _FIRST_WORDS or word[0] == "<"]:
        if index < covered_until:
            continue
        word = lower[index]
        matched = 0
        if word[0] == "<" and len(word) > 2:
            # a template slot left in: "within <N> ms"
            findings.append(_finding(toks, "placeholder", index, index + 1, field))
            continue
        for term in _TERMS_BY_FIRST_WORD.get(word, ()):
            size = len(term.words)
            if size > 1 and tuple(lower[index + 1 : index + size]) != term.words[1:]:
                continue
            if in_criterion and term.category in _CRITERIA_SKIP:
                continue
            if _accepts(toks, index, size, term, in_criterion):
                end_token = index + size
                if term.words[-1] == "etc" and end_token < count and lower[end_token] == ".":
                    end_token += 1  # "etc." reads as one word
                findings.append(_finding(toks, term.category, index, end_token, field, term.suggestion))
                matched = end_token - index
            break
        if not matched and word in _TRIGGERS_BY_FIRST_WORD:
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
    return Finding(category, start, end, span, SEVERITY[category], _MESSAGES[category].format(t=span), suggestion, field)


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


def _accepts(toks: Tokens, index: int, size: int, term: Term, in_criterion: bool) -> bool:
    lower = toks.lower
    after = index + size
    if after < len(lower) and lower[after] in term.not_before:
        return False
    if index and lower[index - 1] in term.not_after:
        return False
    if term.category != "placeholder" and _looks_like_proper_noun(toks, index):
        return False
    return _RULES[term.rule](toks, index, size, in_criterion)


def _looks_like_proper_noun(toks: Tokens, index: int) -> bool:
    """A capitalised word inside a sentence is a name ("Fast Track", "Simple Storage Service")."""
    word = toks.word(index)
    if not word[:1].isupper() or toks.title_case or toks.is_sentence_start(index):
        return False
    return toks.lower[index - 1] not in (":", "(", '"', "“", "-", "*")


def _always(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    return True


def _placeholder_upper(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    return toks.word(index).isupper()  # "TODO:" is a placeholder; a "todo list" is a feature


def _is_verb_use(toks: Tokens, index: int, size: int) -> bool:
    """ "shall clear the cache", "to secure the API": the adjective's spelling used as a verb."""
    before = toks.lower[index - 1] if index else ""
    after = toks.lower[index + size] if index + size < len(toks) else ""
    return before in MODALS or before == "to" or after in _OBJECT_WORDS


def _metric(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    return not toks.quantity_near(index) and not (index and toks.lower[index - 1] == "fail")


def _security(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    if _is_verb_use(toks, index, size) or toks.quantity_near(index):
        return False
    first, last = toks.sentences[toks.sentence_of[index]]
    return not any(toks.lower[position] in SECURITY_STANDARDS for position in range(first, last))


def _adjective(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    return not _is_verb_use(toks, index, size) and not toks.quantity_near(index, 8)


def _bounded(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    return not toks.quantity_near(index, 8)


def _number_follows(toks: Tokens, index: int, limit: int = 4) -> bool:
    """A number within `limit` tokens: "than 5", "than or equal to 10", "than a second"."""
    lower = toks.lower
    for position in range(index, min(index + limit, len(lower))):
        word = lower[position]
        if is_number_token(word):
            return True
        if word in ("a", "an") and position + 1 < len(lower) and lower[position + 1] in UNIT_NOUNS_AFTER_A:
            return True
        if word not in ("or", "equal", "to", "the", "than", "of", "a", "an", "about", "approximately"):
            return False
    return False


def _bounded_after(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    return not _number_follows(toks, index + size, 3)


_RELATIONAL = words("greater less fewer higher lower larger smaller longer shorter more")


def _comparative(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    lower = toks.lower
    word = lower[index]
    before = lower[index - 1] if index else ""
    if is_number_token(before) or (before == "or" and index > 1 and is_number_token(lower[index - 2])):
        return False  # "2 more attempts", "one or more", "5 or fewer"
    after = lower[index + 1] if index + 1 < len(lower) else ""
    if after == "than":
        if _number_follows(toks, index + 2):
            return False
        # "greater than the account balance" compares two defined values; "better than the old one" does not.
        return word not in _RELATIONAL or lower[index + 2 : index + 3] in (["before"], ["previous"], ["current"])
    if after in ("or", "and") and index + 3 < len(lower) and lower[index + 2] == "equal":
        return False  # "greater or equal to 5"
    return not toks.quantity_near(index, 6)


def _superlative(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    if toks.lower[index] in ("maximum", "minimum", "maximal", "optimal", "optimum"):
        return not toks.quantity_near(index, 8)
    return True


def _modal(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    """Modal use only: "the user may export" yes; "in May", "a trash can", "so that I can" no."""
    lower = toks.lower
    if in_criterion and lower[index] == "can":
        return False  # "Then the user can see ..." is how Given/When/Then states an observable result
    before = lower[index - 1] if index else ""
    if before in DETERMINERS or is_number_token(before) or before in ("i", "we"):
        return False
    position = index + 1
    while position < len(lower) and lower[position] in ("not", "also", "only", "optionally", "still", "then"):
        position += 1
    if position >= len(lower):
        return False
    after = lower[position]
    if not after[:1].isalpha() or after in DETERMINERS or after in PREPOSITIONS or after in NUMBER_WORDS:
        return False
    first, last = toks.sentences[toks.sentence_of[index]]
    if any(lower[p] == "that" and lower[p - 1] == "so" for p in range(first + 1, index)):
        return False  # the benefit clause of a user story: "so that I can ..."
    return not is_noun_compound_modal(lower, index, last)


def _pronoun(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    """it/its/they/them/their with no noun before them in the same sentence.

    An object pronoun after the modal ("shall send it") must find its noun after the modal too: the subject
    ("the system") is not what is being sent.
    """
    lower = toks.lower
    word = lower[index]
    if word == "it" and _is_expletive(lower, index):
        return False  # "It is mandatory that ...", "It shall be possible to ...": nothing is referred to
    first = toks.sentences[toks.sentence_of[index]][0]
    before = lower[index - 1] if index > first else ""
    if word in ("it", "them") and (before in VERB_LEMMAS or before in PREPOSITIONS):
        modal = next((p for p in range(first, index) if lower[p] in MODALS), -1)
        if modal >= 0:
            first = modal + 1
    for position in range(first, index):
        candidate = lower[position]
        if not candidate[:1].isalpha() or candidate in CLOSED_CLASS:
            continue
        if candidate in VERB_LEMMAS and not (position > first and lower[position - 1] in DETERMINERS):
            continue
        return False
    return True


def _is_expletive(lower: list[str], index: int) -> bool:
    """ "it (shall) be/is <adjective> that/to ...", where the adjective is not a participle ("emailed to")."""
    position = index + 1
    if position < len(lower) and lower[position] in MODALS:
        position += 1
    if position >= len(lower) or lower[position] not in ("is", "be", "was", "are"):
        return False
    position += 1
    while position < len(lower) and lower[position] in ("not", "also", "always"):
        position += 1
    if position + 1 >= len(lower) or lower[position] in PARTICIPLES:
        return False
    return lower[position + 1] in ("that", "to", "for")


_DEMONSTRATIVE_PREDICATES = MODALS | AUXILIARIES | words(". , ; means includes requires applies allows ensures happens covers")


def _demonstrative(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    """ "This shall be configurable." yes; "this feature", "files that exceed", "that is," no."""
    lower = toks.lower
    after = lower[index + 1] if index + 1 < len(lower) else "."
    if after not in _DEMONSTRATIVE_PREDICATES or after == ",":
        return False
    if toks.is_sentence_start(index):
        return True
    before = lower[index - 1]
    return lower[index] != "that" and before in (";", "and", "but", "so") and after != "."


def _weak_intent(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    """ "The controller shall try to reconnect" yes; "when the user tries to export" describes an action, no."""
    return not in_criterion and not _in_subordinate_clause(toks, index)


def _loophole(toks: Tokens, index: int, size: int, in_criterion: bool) -> bool:
    after = toks.lower[index + size] if index + size < len(toks) else ""
    return after != "by"  # "as required by PCI DSS 4.0" cites a rule, it is not an escape clause


_RULES: dict[str, Callable[[Tokens, int, int, bool], bool]] = {
    "always": _always,
    "placeholder": _always,
    "placeholder_upper": _placeholder_upper,
    "metric": _metric,
    "security": _security,
    "adjective": _adjective,
    "bounded": _bounded,
    "bounded_after": _bounded_after,
    "comparative": _comparative,
    "superlative": _superlative,
    "modal": _modal,
    "pronoun": _pronoun,
    "demonstrative": _demonstrative,
    "loophole": _loophole,
    "weak_intent": _weak_intent,
}


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
            elif last_document >= 0 or not (word[:1].isalpha() or word in ("'s", "’s")):
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


def _in_subordinate_clause(toks: Tokens, index: int) -> bool:
    lower = toks.lower
    first = toks.sentences[toks.sentence_of[index]][0]
    for position in range(index - 1, first - 1, -1):
        word = lower[position]
        if word in (",", ";") or word in MODALS:
            return False
        if word in SUBORDINATORS:
            return True
    return False


def _is_negative_statement(toks: Tokens, index: int) -> bool:
    """A negated obligation ("shall not store"), not a limit ("shall not exceed 2 s") or a condition ("if not")."""
    lower = toks.lower
    word = lower[index]
    before = lower[index - 1] if index else ""
    after = lower[index + 1] if index + 1 < len(lower) else ""
    if word == "not" and (before in ("or", "if", "whether") or after in ("only", "applicable")):
        return False
    if word == "no" and (after == "." or before == "." or before in PREPOSITIONS):
        return False  # "No. 5"; "with no gaps" describes a property, it does not withhold a capability
    if word not in CONTRACTED_NEGATIONS and word not in ("not", "never", "no", "none", "nor", "neither"):
        return False
    if _in_subordinate_clause(toks, index):
        return False
    if any(following in LIMIT_WORDS for following in lower[index + 1 : index + 6]) and toks.quantity_near(index, 8):
        return False  # a bounded constraint: measurable as it stands
    return True
