"""Words out of code and prose: identifier splitting, stop words, abbreviations, stemming, synonyms. Pure.

Requirements and code speak different dialects ("The clerk removes an order" vs `deleteOrder`), so both sides go
through the same pipeline: split identifiers on camelCase, snake_case and digits, lower-case, expand common code
abbreviations (`pwd` -> password), drop stop words and language keywords, then stem (Snowball). Synonyms are added
only on the requirement side, with a lower weight, so they can find code but never outweigh the words actually used;
filler words ("support", "user", "system") are marked there too, so that they never stand for the feature.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain, pairwise

import snowballstemmer

_WORD = re.compile(r"[^\W\d_]+[^\W_]*|\d+", re.UNICODE)  # letters, then letters or digits (no underscores)
# Split "parseHTTPResponse2x" -> parse, HTTP, Response, 2, x; works on one underscore-free word.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_A-Za-z]+", re.UNICODE)


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


ENGLISH_STOP_WORDS = _words(
    """
    a about above after again against all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each either else etc every few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just let me more most my
    myself no nor not now of off on once only or other ought our ours ourselves out over own per same shall she
    should so some such than that the their theirs them themselves then there these they this those through thus to
    too under until up upon us very via was we were what when where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves e g ie eg i.e must may might able allow allows
    allowed provide provides need needs want wants using use used one two three four five six seven eight nine ten
    twice
    """
)
# Keywords and boilerplate of the indexed languages: frequent everywhere, say nothing about a requirement.
CODE_STOP_WORDS = _words(
    """
    abstract async await bool boolean break byte case catch char class const continue def default defer del elif
    enum export extends extern final finally float fn for func function go goto implements import in instanceof int
    interface lambda long namespace nil none null override package pass private protected public raise return self
    short signed sizeof static str struct super switch synchronized template this throw throws try typedef typeof
    union unsigned var void volatile while yield true false undefined args kwargs argv argc std java javax util lang
    org com www http https html nbsp the get set
    """
)
# Frequent in other languages' requirement documents; dropping them keeps term weights meaningful when the
# requirements are not written in English (seed 000 itself mixes in Spanish).
FOREIGN_STOP_WORDS = _words(
    """
    il lo la le gli un una uno di da del della dei delle dello al alla ai alle nel nella nei nelle sul sulla con per
    tra fra che chi cui non si se ma ed o e è sono essere viene vengono deve devono può possono questo questa quello
    quella come anche più dopo prima quando el los las unos unas de en que con por para del al es son ser debe deben
    puede pueden este esta ese esa como más cuando le les des du et est sont pour dans avec une sur pas der die das
    und ist sind ein eine mit für auf von zu den dem nicht oder
    """
)
STOP_WORDS = ENGLISH_STOP_WORDS | CODE_STOP_WORDS | FOREIGN_STOP_WORDS

# Code abbreviations -> the word a requirement would use. Applied on both sides, before stemming.
ABBREVIATIONS: dict[str, str] = {
    "acct": "account", "addr": "address", "admin": "administrator", "alloc": "allocate", "app": "application",
    "arg": "argument", "attr": "attribute", "auth": "authenticate", "authn": "authenticate", "authz": "authorize",
    "avg": "average", "btn": "button", "buf": "buffer", "calc": "calculate", "cb": "callback", "cfg": "configuration",
    "cert": "certificate", "chk": "check", "cli": "command line", "cmd": "command", "cnt": "count",
    "conf": "configuration",
    "config": "configuration", "conn": "connection", "ctrl": "controller", "ctx": "context", "cur": "current",
    "db": "database", "dept": "department", "desc": "description", "dest": "destination", "dir": "directory",
    "doc": "document", "dt": "date", "env": "environment", "err": "error", "evt": "event", "exp": "expire",
    "img": "image", "impl": "implementation", "info": "information", "init": "initialize", "inv": "invoice",
    "len": "length", "lib": "library", "loc": "location", "mgr": "manager", "msg": "message", "mgmt": "management",
    "notif": "notification", "num": "number", "obj": "object", "org": "organization", "param": "parameter",
    "passwd": "password", "pwd": "password", "pkg": "package", "pos": "position",
    "pref": "preference", "prefs": "preference", "prev": "previous", "proc": "process", "prod": "product",
    "qty": "quantity", "recv": "receive", "ref": "reference", "repo": "repository", "req": "request",
    "resp": "response", "sched": "schedule", "sec": "security", "seq": "sequence",
    "sess": "session", "src": "source", "srv": "server", "stat": "statistic", "stats": "statistic", "str": "string",
    "svc": "service", "sync": "synchronize", "tmp": "temporary", "temp": "temporary", "tx": "transaction",
    "var": "variable",
    "txn": "transaction", "usr": "user", "util": "utility", "val": "value", "msgs": "message", "pw": "password",
    "qry": "query", "rpt": "report", "sel": "select", "upd": "update", "ins": "insert", "usrs": "user",
}  # fmt: skip

# Requirement boilerplate: words that say a requirement exists ("the system should support users") but not which
# feature it is. They stay in the query at a low weight (code named `user_data` is still a little closer), but are
# never a requirement's key term, never "missing" from its code, and do not count in its coverage.
FILLER_WORDS = _words(
    """
    ability across allowing application automatic automatically capability capable certain correct
    correctly data different easily easy efficient efficiently ensure enable enabled etc feature features
    functionality functionalities general given good handle handled handles handling library multiple new
    people person possible proper properly provided reliable reliably simple simply someone specific support
    supported supporting supports system systems user users various way ways well whole
    """
)

# Words a requirement may use for what code names differently. Each group is one meaning; stemmed at load.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("create", "add", "insert", "register", "make"),
    ("delete", "remove", "erase", "drop", "cancel", "destroy"),
    ("update", "modify", "edit", "change", "alter", "amend"),
    ("show", "display", "view", "list", "render", "present", "see"),
    ("search", "find", "lookup", "query", "filter", "retrieve", "locate"),
    ("login", "logon", "signin", "authenticate", "authentication", "credential"),
    ("logout", "logoff", "signout"),
    ("user", "account", "member", "profile"),
    ("email", "mail", "notify", "notification", "alert"),  # not "message": error messages are no e-mail
    ("save", "store", "persist", "write"),
    ("load", "read", "fetch", "open", "import"),
    ("export", "download", "dump"),
    ("send", "submit", "dispatch", "post"),
    ("check", "validate", "verify", "ensure", "confirm"),
    ("error", "failure", "exception", "fault"),
    ("permission", "role", "privilege", "access", "authorize", "authorization"),
    ("price", "cost", "amount", "fee", "charge"),
    ("pay", "payment", "billing", "invoice", "checkout"),
    ("order", "purchase", "booking", "reservation", "reserve", "book"),
    ("schedule", "appointment", "calendar", "timetable"),
    ("report", "summary", "statistic"),
    ("setting", "configuration", "preference", "option"),
    ("password", "passphrase", "secret"),
    ("count", "total", "number", "tally"),
    ("start", "begin", "launch", "initialize"),
    ("stop", "end", "terminate", "finish", "close"),
    ("image", "picture", "photo"),
    ("file", "document", "attachment", "upload"),
)

_ENGLISH = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower case without accents, so "Modificá" and "modifica" meet."""
    if text.isascii():  # nothing to decompose: most words of code
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball English, and the -er nouns it leaves whole stemmed as their -ing form: Snowball takes "-er" off only
    past the word's second syllable, so `logger`, `parser`, `handler`, `timer` would never meet log, parse, handle,
    time. The -ing form goes through Snowball's own undoubling and e-restoring (logging -> log, timing -> time);
    a result that is a stop word ("user" -> "use", "offer" -> "off") keeps the -er form."""
    found = str(_ENGLISH.stemWord(word))
    if len(found) > 4 and found.endswith("er"):
        verb = str(_ENGLISH.stemWord(found[:-2] + "ing"))
        if len(verb) > 2 and verb not in STOP_WORDS:
            return verb
    return found


FILLER_TERMS = frozenset(stem(word) for word in FILLER_WORDS)


IDENTIFIER_PREFIX = "="  # no word has one: the query term of a code name a requirement writes never meets a word's


def code_name_term(name: str) -> str:
    """The term of a code name (`load_dotenv`): what a requirement writing it and a file defining it share."""
    return IDENTIFIER_PREFIX + name.lower()


def split_identifier(identifier: str) -> list[str]:
    """ "parseHTTPResponse" -> ["parse", "http", "response"]; "max_retry_count" -> ["max", "retry", "count"]."""
    parts: list[str] = []
    for chunk in identifier.split("_"):
        if chunk:
            parts.extend(piece.lower() for piece in _CAMEL.findall(chunk))
    return parts


@lru_cache(maxsize=400_000)
def word_terms(word: str) -> tuple[str, ...]:
    """The index terms of one raw word (an identifier or a prose word): split, expanded, filtered, stemmed."""
    terms = []
    for piece in split_identifier(word):
        for part in fold(ABBREVIATIONS.get(piece, piece)).split():  # "cli" -> "command line"
            if len(part) < 2 or part.isdigit() or part in STOP_WORDS:
                continue
            terms.append(stem(part))
    return tuple(terms)


def raw_words(text: str) -> list[str]:
    return _WORD.findall(text)


# ASCII letters and digits and every non-ASCII byte stay, all other bytes become spaces: `translate` + `split` then
# cut a text into runs at ASCII punctuation and spaces. These never belong to a UTF-8 sequence and _WORD never
# matches across them, so _WORD over each decoded run finds the same words as over the whole decoded text; an ASCII
# run is one word (after its leading digits, which _WORD splits off and which give no term).
_RUN_BYTES = bytes(c if c >= 128 or chr(c).isalnum() else 32 for c in range(256))
_DIGITS = b"0123456789"
_RUN_CACHE_LIMIT = 500_000  # distinct runs kept; past this the cache starts again


def _run_terms(run: bytes) -> tuple[str, ...]:
    if not run.isascii():
        return tuple(chain.from_iterable(map(word_terms, _WORD.findall(run.decode("utf-8", "replace")))))
    word = run.lstrip(_DIGITS) if run[0] in _DIGITS else run  # "2fa" is "2" (no term) and "fa"
    return word_terms(word.decode("ascii")) if word else ()


class _RunTerms(dict[bytes, tuple[str, ...]]):
    """Terms by run, filled on first lookup: a run seen before costs one dict lookup, done in C by `map`."""

    def __missing__(self, run: bytes) -> tuple[str, ...]:
        if len(self) >= _RUN_CACHE_LIMIT:
            self.clear()
        found = self[run] = _run_terms(run)
        return found


_run_terms_cache = _RunTerms()


def _runs(source: str | bytes) -> list[bytes]:
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    return data.translate(_RUN_BYTES).split()


def text_terms(source: str | bytes) -> Iterator[str]:
    """All terms of a text (str, or bytes read as UTF-8), in order: the same as `word_terms` of every _WORD match,
    found by cutting the text into runs with `translate` + `split` and looking each run's terms up."""
    return chain.from_iterable(map(_run_terms_cache.__getitem__, _runs(source)))


def term_counts(source: str | bytes) -> Counter[str]:
    """Counter(text_terms(source)), faster for long texts: runs are counted first, and each distinct run's terms
    are added once (code repeats its identifiers a lot)."""
    counts: Counter[str] = Counter()
    get = counts.get
    for run, times in Counter(_runs(source)).items():
        for term in _run_terms_cache[run]:
            counts[term] = get(term, 0) + times
    return counts


def terms(text: str) -> list[str]:
    """All terms of a text, in order (duplicates kept: counts matter)."""
    return list(text_terms(text))


@lru_cache(maxsize=100_000)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a short text (a comment, a docstring), cached: evidence asks for the same ones often."""
    return frozenset(terms(text))


def bigrams(sequence: Iterable[str]) -> list[str]:
    """Adjacent term pairs as one term ("patient record" and `PatientRecord` both give "patient record")."""
    return [f"{first} {second}" for first, second in pairwise(sequence) if first != second]


@lru_cache(maxsize=200_000)
def identifier_terms(identifier: str) -> tuple[str, ...]:
    """The terms of a name and its adjacent term pairs ("addItem" -> add, item, "add item"): a symbol's words."""
    parts = word_terms(identifier)
    return (*parts, *bigrams(parts)) if len(parts) > 1 else parts


def _stemmed_groups() -> dict[str, frozenset[str]]:
    by_term: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        stems = {stem(fold(ABBREVIATIONS.get(word, word))) for word in group}
        for term in stems:
            by_term.setdefault(term, set()).update(stems - {term})
    return {term: frozenset(others) for term, others in by_term.items()}


SYNONYMS: dict[str, frozenset[str]] = _stemmed_groups()


def synonyms(term: str) -> frozenset[str]:
    return SYNONYMS.get(term, frozenset())
