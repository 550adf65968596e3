"""Context rules: whether a lexicon term, where it stands, really is weak wording.

Each rule looks at the words around the match ("at least 3" is bounded, "shall clear the cache" is a verb,
"It is mandatory that" refers to nothing). The lexicon names the rule for each term.
"""

from __future__ import annotations

from collections.abc import Callable

from trellis.requirements.analysis.lexicon import SECURITY_STANDARDS, Term
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

_OBJECT_WORDS = DETERMINERS | words("up out it them him her us")


def accepts(toks: Tokens, index: int, size: int, term: Term, in_criterion: bool) -> bool:
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


_DEMONSTRATIVE_PREDICATES = (
    MODALS | AUXILIARIES | words(". , ; means includes requires applies allows ensures happens covers")
)


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
    return not in_criterion and not in_subordinate_clause(toks, index)


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


def in_subordinate_clause(toks: Tokens, index: int) -> bool:
    lower = toks.lower
    first = toks.sentences[toks.sentence_of[index]][0]
    for position in range(index - 1, first - 1, -1):
        word = lower[position]
        if word in (",", ";") or word in MODALS:
            return False
        if word in SUBORDINATORS:
            return True
    return False
