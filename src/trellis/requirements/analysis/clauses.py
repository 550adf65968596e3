"""Clause-level reading for the structure checks: adverbs and verbs, where a conjunction joins two behaviours,
and whether a text states a trigger."""

from __future__ import annotations

from trellis.requirements.analysis.tokens import (
    AUXILIARIES,
    BINDING_MODALS,
    DETERMINERS,
    MODALS,
    PREPOSITIONS,
    PRONOUNS,
    SUBORDINATORS,
    VERB_LEMMAS,
    Tokens,
    is_number_token,
    words,
)

# Action verbs that are as often nouns: after "and" they need a determiner or preposition to count as verbs.
_NOUN_LIKE_VERBS = words(
    "order report record request log display list filter sort check test view change release issue access update "
    "upload download export import backup back book call charge flag label mark page post print queue rank return "
    "share show sign sound start stop switch tag track transfer watch alert schedule email invoice lock copy scan set "
    "run load limit merge audit bill block build capture drop ship search pay estimate measure trigger reset hash "
    "timestamp stream store scale route retry refund rename render wipe test edit design"
)


_TRIGGER_WORDS = words(
    "when whenever if while after before upon once unless until during every each daily hourly nightly weekly "
    "monthly yearly annually periodically following whenever"
)
_EVENT_NOUNS = words(
    "login logout sign-in sign-out signup registration failure error success submit submission save timeout startup "
    "shutdown boot receipt completion request expiry expiration change update click payment checkout approval "
    "rejection cancellation disconnect reconnect arrival detection demand schedule"
)


_LY_NOT_ADVERBS = words("apply reply supply rely comply multiply assembly family anomaly italy july")


def is_adverb(word: str) -> bool:
    return word.endswith("ly") and "-" not in word and word not in _LY_NOT_ADVERBS


def lemma(word: str) -> str:
    return VERB_LEMMAS.get(word, word)


def is_verb_at(lower: list[str], position: int, first: int) -> bool:
    return lower[position] in VERB_LEMMAS and not (position > first and lower[position - 1] in DETERMINERS)


def compound_conjunction(lower: list[str], verb: int, last: int, first: int) -> int:
    """ "shall validate the input and store it": the "and" joining two verb phrases that each have an object."""
    rest = lower[verb + 1 : last]
    if "and" not in rest and "or" not in rest:
        return -1
    last_verb = verb
    for position in range(verb + 1, last):
        word = lower[position]
        if word in (";", ":") or (word in SUBORDINATORS and _opens_clause(lower, position, last)):
            return -1  # the rest is a condition or a description
        if word not in ("and", "or"):
            if is_verb_at(lower, position, first):
                last_verb = position
            continue
        if position == last_verb + 1:
            continue  # "view and edit their profile": two verbs sharing one object
        following = position + 1
        while following < last and lower[following] in ("then", "also", ",", "additionally", "subsequently"):
            following += 1
        if following >= last:
            return -1
        candidate = lower[following]
        if candidate in BINDING_MODALS:
            return position
        for ahead in range(following, min(following + 6, last)):
            if lower[ahead] in BINDING_MODALS:
                return position  # ", and the results shall appear ...": a second subject with its own "shall"
            if not lower[ahead][:1].isalnum() or lower[ahead] in SUBORDINATORS:
                break
        if candidate in VERB_LEMMAS:
            # A verb is known by what follows it: "and store it", "and notify the user", "and backed up daily".
            # Words that are as often nouns ("and report data") need that evidence; the others do not.
            after = lower[following + 1] if following + 1 < last else "."
            if after in DETERMINERS or after in PRONOUNS or after in PREPOSITIONS or after in ("up", "out", "down"):
                return position
            if lemma(candidate) not in _NOUN_LIKE_VERBS and after[:1].isalpha():
                return position
    return -1


_TRIGGER_OPENERS = frozenset({"on", "as", "in", "at", "within"})


_PREPOSITION_LIKE = words("before after until since once")


def _opens_clause(lower: list[str], position: int, last: int) -> bool:
    """ "before the order is committed" opens a clause; "before 06:00" and "before deployment" do not."""
    if lower[position] not in _PREPOSITION_LIKE:
        return True
    for ahead in range(position + 1, min(position + 7, last)):
        word = lower[ahead]
        if word in AUXILIARIES or word in MODALS:
            return True
        if word in ("and", "or") or not word[:1].isalnum():
            return False
    return False


def has_trigger(toks: Tokens) -> bool:
    lower = toks.lower
    if not _TRIGGER_WORDS.isdisjoint(lower):
        return True
    if _TRIGGER_OPENERS.isdisjoint(lower):
        return False
    for position, word in enumerate(lower):
        if word not in _TRIGGER_OPENERS:
            continue
        after = lower[position + 1] if position + 1 < len(lower) else ""
        if word == "on" and (
            after in _EVENT_NOUNS
            or (after in DETERMINERS and position + 2 < len(lower) and lower[position + 2] in _EVENT_NOUNS)
        ):
            return True
        if word == "within" and "of" in lower[position + 2 : position + 5] and is_number_token(after):
            return True  # "within 30 seconds of a crash"
        if word == "as" and lower[position + 1 : position + 3] == ["soon", "as"]:
            return True
        if word == "in" and lower[position + 1 : position + 3] in (["case", "of"], ["the", "event"]):
            return True
        if word == "at" and is_number_token(after):
            return True  # "at 02:00 UTC"
        if word == "in" and after == "response":
            return True  # "in response to ..."
    return False
