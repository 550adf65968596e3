"""A requirement's first sentence in parts, from its own words: what it is about (subject), what it must do
(predicate), and when (trigger). Rule-based, no tagger, pure.

Refinement phrases derived acceptance criteria with it ("When loading a .env file with 10000 keys, then it takes
less than 200 milliseconds."); planning names files and benchmarks after the requirement's subject
(`circuit_breaker.py`, `bench_retry_decorator_overhead.py`) instead of its first four words.

parse_statement("When a payment fails, the system shall email the user.")
# Statement(subject="the system", predicate="email the user", negated=False, trigger="a payment fails")
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trellis.requirements.analysis.tokens import ACTION_VERBS, DETERMINERS, PREPOSITIONS, VERB_LEMMAS, words

_MODAL = re.compile(
    r"\b(?:shall|must|should|will|can|may)(?P<negated>\s+not)?(?P<able>\s+be\s+able\s+to)?\s+(?=\S)", re.IGNORECASE
)
_LEADING_TRIGGER = re.compile(r"^(?:when|whenever|if|once|after|while)\s+(?P<trigger>[^,]+),\s*(?P<rest>.+)$", re.I)
# Only when nothing else is joined on with a comma ("..., raising an error when X" belongs to the last clause);
# not "after"/"once", which are as often prepositions ("stop after 3 attempts").
_TRAILING_TRIGGER = re.compile(r"^(?P<rest>[^,]+?)\s+(?:when|whenever)\s+(?P<trigger>[^,]+)$", re.I)
_JOINED_VERB = re.compile(r"\b(and|or)\s+([a-z]+)\s+(a|an|the|them|it|its|their|every|each|all|any)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"“(])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|approx|incl|cf)\.$", re.IGNORECASE)
_TOKEN = re.compile(r"`[^`]*`|\.?[A-Za-z0-9][\w.'-]*|[^\w\s]")  # ".env" is a word

# Subjects that say nothing about what is built: the object of the verb names it instead.
GENERIC_SUBJECTS = words(
    "system library tool application app service module package product platform software solution component it we "
    "they code implementation framework program sdk backend frontend"
)
PEOPLE = words(
    "user users customer customers employee employees shopper shoppers member members patron patrons admin admins "
    "administrator administrators manager managers staff visitor visitors client clients developer developers "
    "operator operators people person librarian librarians owner owners author authors reader readers i"
)
# "The library shall provide a circuit breaker": the thing provided is what the requirement is about.
PROVIDE_VERBS = words("provide offer support expose include have add implement ship contain give introduce")
ENABLE_VERBS = words("let allow enable permit")
_ADVERBS = words("always never automatically only also still immediately")
_QUANTIFIERS = DETERMINERS | words("several many multiple various optional new one two three both")
_NOUN_PHRASE_END = (PREPOSITIONS - words("of")) | words(
    "that which who whom whose where when whenever if unless until while so and or but using because"
)
_NOT_TOPIC = (
    _QUANTIFIERS
    | PREPOSITIONS
    | words(
        "and or but not be is are was been shall must should will can may more less very most least than so such "
        "same other easy easily user-friendly friendly intuitive sensible good better best fast quickly simple"
    )
)
# How a thing is exercised, by its head noun, to phrase "When <it> runs / is called / is opened".
_RUNS = words("command commands cli script scripts job jobs tool task tasks worker workers pipeline pipelines build")
_CALLED = words(
    "function functions method methods decorator decorators getter getters endpoint endpoints api hook hooks "
    "callback callbacks parser loader client call calls query queries"
)
_OPENED = words("page pages screen screens view views form forms dialog dialogs window windows tab tabs report")


@dataclass(frozen=True)
class Statement:
    subject: str  # as written, lower-cased first letter unless a name: "the `dotenv list` command"
    predicate: str  # from the verb on, base form: "mask the values of keys ..."
    negated: bool  # "shall not"
    able: bool  # "shall be able to"
    trigger: str  # "a payment fails"; "" when the sentence names none

    @property
    def gerund(self) -> bool:
        """ "Loading a .env file ... shall take": the subject is itself the action."""
        first = _words(self.subject)[:1]
        return bool(first) and first[0].endswith("ing") and first[0] not in ("thing", "string", "setting")

    @property
    def head(self) -> str:
        """The subject's last word before any prepositional phrase: "command" in "the `x` command of the CLI"."""
        tokens = _words(self.subject)
        for index, token in enumerate(tokens):
            if index and token in PREPOSITIONS:
                tokens = tokens[:index]
                break
        return tokens[-1] if tokens else ""

    @property
    def plural(self) -> bool:
        if self.gerund:
            return False
        if " and " in f" {self.subject.lower()} ":
            return True
        head = self.head
        return head.endswith("s") and not head.endswith(("ss", "us", "is")) and head not in ("its", "this")

    @property
    def generic(self) -> bool:
        return not self.subject or self.head in GENERIC_SUBJECTS

    @property
    def person(self) -> bool:
        return self.head in PEOPLE


def first_sentence(text: str) -> str:
    """The first sentence, not cut at "e.g." or inside ".env"; without its final full stop."""
    parts = _SENTENCE_END.split(text.strip())
    sentence = ""
    for part in parts:
        sentence = f"{sentence} {part}".strip()
        if not _ABBREVIATION.search(sentence):
            break
    return sentence.rstrip(" .")


def parse_statement(text: str) -> Statement | None:
    """The first sentence as subject + modal + predicate; None when it has no modal verb ("Users export orders.")."""
    sentence = first_sentence(text)
    trigger = ""
    leading = _LEADING_TRIGGER.match(sentence)
    if leading:
        trigger, sentence = leading.group("trigger").strip(), leading.group("rest").strip()
    modal = _MODAL.search(sentence)
    if modal is None:
        return None
    subject = _lower_first(sentence[: modal.start()].strip(" ,"))
    predicate = sentence[modal.end() :].strip()
    if not trigger:
        trailing = _TRAILING_TRIGGER.match(predicate)
        if trailing and len(trailing.group("trigger").split()) >= 2:
            predicate, trigger = trailing.group("rest").strip(), trailing.group("trigger").strip()
    if not predicate:
        return None
    return Statement(subject, predicate, bool(modal.group("negated")), bool(modal.group("able")), trigger)


def third_person(statement: Statement) -> str:
    """The predicate as a present-tense statement: "mask the values" -> "masks the values", "be shown" -> "is
    shown", with "does not" for "shall not" and "can" for "shall be able to"."""
    tokens = statement.predicate.split(" ")
    adverbs: list[str] = []
    while len(tokens) > 1 and (
        tokens[0].lower() in _ADVERBS or (tokens[0].lower().endswith("ly") and len(tokens[0]) > 4)
    ):
        adverbs.append(tokens.pop(0))
    verb, rest = tokens[0], tokens[1:]
    lead = " ".join(adverbs)
    if statement.able:
        return " ".join(["can", *adverbs, verb, *rest])
    if verb.lower() == "be":
        be = "are" if statement.plural else "is"
        return " ".join([be, "not"] if statement.negated else [be]) + " " + " ".join([*adverbs, *rest]).strip()
    if statement.negated:
        helper = "do not" if statement.plural else "does not"
        return " ".join(part for part in (helper, lead, verb, *rest) if part)
    if statement.plural:
        return " ".join(part for part in (lead, verb, *rest) if part)
    # "stop retrying ... and raise a RetryError": a second verb joined on, with its own object.
    joined = _JOINED_VERB.sub(
        lambda m: (
            f"{m.group(1)} {_conjugate(m.group(2))} {m.group(3)}" if m.group(2).lower() in ACTION_VERBS else m.group(0)
        ),
        " ".join(rest),
    )
    return " ".join(part for part in (lead, _conjugate(verb), joined) if part)


def _conjugate(verb: str) -> str:
    lower = verb.lower()
    irregular = {"have": "has", "do": "does", "go": "goes"}
    if lower in irregular:
        return irregular[lower]
    if lower.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return verb[:-1] + "ies"
    return verb + "s"


def exercise_clause(statement: Statement) -> str | None:
    """ "When ..." for a criterion: the sentence's own trigger, the action a gerund subject names, or how its
    subject is exercised (a command runs, a function is called, a page is opened). None for a person ("users can
    export orders": what the user sees afterwards is not in the sentence) or a subject that names nothing."""
    if statement.trigger:
        return statement.trigger
    if statement.gerund:
        return statement.subject
    if statement.person or statement.generic:
        return None
    head = statement.head
    plural = statement.plural
    if head in _RUNS:
        verb = "run" if plural else "runs"
    elif head in _CALLED:
        verb = "are called" if plural else "is called"
    elif head in _OPENED:
        verb = "are opened" if plural else "is opened"
    else:
        verb = "are used" if plural else "is used"
    return f"{statement.subject} {verb}"


def provided_object(statement: Statement) -> tuple[str, str] | None:
    """ "provide a circuit breaker that stops ..." -> ("a circuit breaker", "stops ..."): what a provide-verb
    brings and what is said of it in a relative clause; None otherwise."""
    verb, _, rest = statement.predicate.partition(" ")
    if verb.lower() not in PROVIDE_VERBS:
        return None
    match = re.match(r"^(?P<object>.+?)\s+(?:that|which)\s+(?P<clause>.+)$", rest)
    if not match or "," in match.group("object"):
        return None
    return match.group("object"), match.group("clause")


def topic_words(text: str, limit: int = 3) -> list[str]:
    """The few words that name what a requirement is about, for a file name: the subject ("retry decorator"),
    the action a gerund subject names ("loading env file"), or, when the subject is generic ("the library") or a
    person, what the verb brings ("circuit breaker") or does ("record statistics")."""
    statement = parse_statement(text)
    if statement is None:  # "Customers download an invoice for each order."
        return [w for w in _content(_words(first_sentence(text))) if w not in PEOPLE][:limit]
    if statement.gerund:
        found = _content(_noun_phrase(_words(statement.subject)))
    elif statement.generic or statement.person:
        found = _predicate_topic(_words(statement.predicate))
    else:
        found = _content(_noun_phrase(_words(statement.subject), stop_at_verb=False))
        if len(found) == 1:  # "the loader" alone names too little: "loader_expand_references"
            found += [word for word in _predicate_topic(_words(statement.predicate)) if word not in found]
    return (found or _content(_words(first_sentence(text))))[:limit]


def _predicate_topic(tokens: list[str]) -> list[str]:
    if not tokens:
        return []
    verb, rest = VERB_LEMMAS.get(tokens[0], tokens[0]), tokens[1:]
    if verb in ENABLE_VERBS:  # "let several functions share a budget" -> "share budget"
        for index, word in enumerate(rest):
            if word == "to" or (index and word in VERB_LEMMAS):
                return _predicate_topic(rest[index + (word == "to") :])
        return _content(_noun_phrase(rest))
    if verb in PROVIDE_VERBS:
        return _content(_noun_phrase(rest))
    return _content([verb, *_noun_phrase(rest)])


def _noun_phrase(tokens: list[str], *, stop_at_verb: bool = True) -> list[str]:
    """The words of the noun phrase the tokens start with, up to a preposition, clause or (after a noun) a verb."""
    phrase: list[str] = []
    for token in tokens:
        if not phrase and token in _QUANTIFIERS:
            continue
        if token in _NOUN_PHRASE_END or not token[:1].isalnum():
            if phrase:
                break
            continue
        # "functions share a budget": a verb after a plural noun starts a clause (but "retry budget" is a noun).
        if (
            stop_at_verb
            and phrase
            and phrase[-1].endswith("s")
            and token in VERB_LEMMAS
            and not token.endswith(("ed", "ing"))
        ):
            break
        phrase.append(token)
    return phrase


def _words(text: str) -> list[str]:
    """Lower-case tokens; a `code span` becomes its words ("dotenv list")."""
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if token.startswith("`"):
            tokens += re.findall(r"[a-z0-9]+", token.lower())
        else:
            tokens.append(token.lower().strip(".'-"))
    return [t for t in tokens if t]


def _content(tokens: list[str]) -> list[str]:
    found: list[str] = []
    for token in tokens:
        for part in re.findall(r"[a-z0-9]+", token):
            # a number names a test case, not a module: "Computing 10000 fire times" -> computing_fire_times
            if part not in _NOT_TOPIC and part not in found and len(part) > 1 and not part.isdigit():
                found.append(part)
    return found


def _lower_first(text: str) -> str:
    """ "The system" -> "the system"; names and code ("CSV export", "`dotenv list`") stay as written."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and (first.lower() in DETERMINERS or first.endswith("ing")):
        return text[:1].lower() + text[1:]
    return text
