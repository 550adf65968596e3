"""Requirement-to-code tracing: BM25F over code fields, one ranked and explained list of files per requirement. Pure.

For every requirement, every code file that shares a term with it is scored, ranked, explained (which symbols,
lines, comments and words matched) and marked linked or not. Test files are ranked in their own list: they are
linked to a requirement as its tests, never as its implementation. docs/validation.md gives the formulas.

Cost is kept in proportion to what is output: the corpus statistics cover only the words some requirement uses,
every candidate is kept as a (file, score) pair, and a FileLink with its evidence is made only when it is read
(`RequirementTrace.links`, `.linked`, `.top(n)`), so storing the best 20 links of a large repository never
explains the other hundreds of thousands of candidates.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from trellis.requirements.analysis import RequirementInput
from trellis.validation import text
from trellis.validation.evidence import Evidence, FileTerms, explain, shared_terms
from trellis.validation.indexing import FIELDS, CodeIndex, SourceFile

# A word in a file's name says more than one in a comment, which says more than one deep in a body.
FIELD_WEIGHTS = {"name": 3.0, "symbols": 2.0, "path": 0.8, "doc": 1.0, "body": 0.5}
# Length normalisation per field (BM25 "b"): names are short and should not be punished for being long.
FIELD_B = {"name": 0.2, "path": 0.2, "symbols": 0.5, "doc": 0.75, "body": 0.75}
K1 = 1.2
CRITERIA_WEIGHT = 0.6  # acceptance criteria are part of the query, a little lighter than the requirement itself
BIGRAM_WEIGHT = 0.8  # "patient record" next to each other, on top of the two words
SYNONYM_WEIGHT = 0.35  # "remove" when the requirement said "delete"
GENERIC_FLOOR = 0.3  # a word used by every requirement keeps 30% of its weight
RELATIVE_THRESHOLD = 0.4  # linked when at least this fraction of the requirement's best file's score ...
ABSOLUTE_FLOOR = 0.05  # ... and the best file reaches this fraction of the best score possible (half for the rest)
FLOOR_REFERENCE_TERMS = 12  # longer requirements get a lower floor: one file rarely covers a long use case
FILLER_WEIGHT = 0.3  # "support", "user", "system": boilerplate keeps 30% of its weight (text.FILLER_WORDS)
IDENTIFIER_WEIGHT = 1.5  # `load_dotenv()` named in a requirement: the files defining that symbol
DEFINES_TF = 3.0  # a definition of the named symbol counts like a word of the file name
PRIVATE_MODULE_FACTOR = 0.85  # `_utils.py`, `_compat.py`: helpers behind the public modules that a user calls
UNKNOWN_SHARE = 0.5  # nothing is linked when words no file uses hold this share of the requirement's weight ...
UNKNOWN_SUBJECTS = 2  # ... or this many of the words it repeats are used by no file
KEY_TERMS_SHARE = 0.5  # a requirement's key terms hold this share of the weight of its words the code can judge
EVIDENCE_DEPTH = 25  # fields, symbols and passages are explained for linked files and the first N of each list;
# the others get the list of words they share with the requirement
FILE_TERMS_KEPT = 4096  # files whose symbols' and passages' term sets are kept for evidence (a file is explained
# for many requirements); past this the cache starts again, so memory stays bounded on any tree


@dataclass(frozen=True)
class QueryTerm:
    term: str  # stemmed; two words joined by a space for a bigram
    weight: float
    surface: str  # a word as the requirement wrote it, for people
    source: str  # text, criteria, bigram, synonym, filler (text.FILLER_WORDS), identifier (a code name it writes)
    named: bool = False  # the requirement's text writes it like a name: an acronym, a format, a product (iCal, PDF)
    stressed: bool = False  # the requirement uses it more than once (text and criteria together): it is the subject


@dataclass(frozen=True)
class FileLink:
    path: str
    score: float  # raw score / the best score any file could reach for this requirement, 0..1
    relative: float  # raw score / the requirement's best file's raw score, 0..1
    linked: bool
    role: str  # implementation or test
    explained_by: Callable[[], tuple[Evidence, ...]] = field(repr=False, compare=False)

    @cached_property
    def evidence(self) -> tuple[Evidence, ...]:
        """Why the file scored, worked out on first read (most candidates are never shown)."""
        return self.explained_by()


@dataclass(frozen=True)
class Ranking:
    """One requirement's candidates of one role, best first: positions in the index and their raw scores."""

    model: TraceModel
    query: tuple[QueryTerm, ...]
    positions: tuple[int, ...]  # best first, ties by path
    raw: tuple[float, ...]  # the raw score of each position above
    ceiling: float
    linked_count: int  # the linked files are the first `linked_count` (the rule is monotone in the score)
    role: str

    @property
    def best(self) -> float:
        return self.raw[0] if self.raw else 0.0

    def link(self, rank: int) -> FileLink:
        score, position, best = self.raw[rank], self.positions[rank], self.best
        source = self.model.files[position]
        relative = score / best if best else 0.0
        absolute = min(1.0, score / self.ceiling) if self.ceiling else 0.0
        linked = rank < self.linked_count
        detailed = linked or rank < EVIDENCE_DEPTH
        query, model = self.query, self.model
        idf = model.idf

        def explained() -> tuple[Evidence, ...]:
            if detailed:
                return explain(source, query, idf, model.file_terms(position))
            return (shared_terms(matched_terms(source, query), idf),)

        return FileLink(source.path, round(absolute, 4), round(relative, 4), linked, self.role, explained)

    def top(self, count: int | None = None) -> tuple[FileLink, ...]:
        end = len(self.positions) if count is None else min(count, len(self.positions))
        return tuple(self.link(rank) for rank in range(end))

    @property
    def linked_sources(self) -> list[SourceFile]:
        """The linked files themselves, best first, without making FileLinks."""
        files = self.model.files
        return [files[position] for position in self.positions[: self.linked_count]]


def matched_terms(source: SourceFile, query: Sequence[QueryTerm]) -> list[QueryTerm]:
    """The query terms a file contains (in any field), in query order."""
    fields = [counts for counts in source.fields.values() if counts]
    return [item for item in query if any(item.term in counts for counts in fields)]


@dataclass(frozen=True)
class RequirementTrace:
    code: str
    query: tuple[QueryTerm, ...]
    implementation: Ranking
    test_ranking: Ranking
    key_terms: tuple[QueryTerm, ...] = ()  # its distinctive words (key_terms())
    lacks_key_terms: bool = False  # files would be linked, but none mentions a key term: so none is
    unknown_terms: tuple[str, ...] = ()  # files would be linked, but these words of it no file uses: so none is

    @cached_property
    def links(self) -> tuple[FileLink, ...]:
        """Every implementation file that shares a word with the requirement, best first."""
        return self.implementation.top()

    @cached_property
    def tests(self) -> tuple[FileLink, ...]:
        """Every test file that shares a word with the requirement, best first."""
        return self.test_ranking.top()

    @cached_property
    def linked(self) -> tuple[FileLink, ...]:
        return self.implementation.top(self.implementation.linked_count)

    @cached_property
    def linked_tests(self) -> tuple[FileLink, ...]:
        return self.test_ranking.top(self.test_ranking.linked_count)

    @property
    def candidate_count(self) -> int:
        return len(self.implementation.positions)


class TraceModel:
    """Corpus statistics of an index: per term, the files containing it and their BM25F contribution.

    With a `vocabulary` (the requirements' query terms) only those terms get postings and an idf: every number
    the engine computes is the same, and the millions of (file, word) pairs no requirement uses are skipped.
    """

    def __init__(self, index: CodeIndex, vocabulary: Iterable[str] | None = None) -> None:
        self.index = index
        self.files = index.files
        count = len(self.files) or 1
        wanted = None if vocabulary is None else frozenset(vocabulary)
        averages = {name: (sum(f.lengths.get(name, 0) for f in self.files) / count) or 1.0 for name in FIELDS}
        pseudo: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for position, source in enumerate(self.files):
            for term, weighted in _weighted_frequencies(source, averages, wanted).items():
                pseudo[term].append((position, weighted))
        names = {term for term in wanted or () if term.startswith(text.IDENTIFIER_PREFIX)}
        if names:  # the files that define a symbol a requirement names
            for position, source in enumerate(self.files):
                defined = {text.code_name_term(symbol.name) for symbol in source.symbols} & names
                for term in sorted(defined):
                    pseudo[term].append((position, DEFINES_TF))
        self.idf: dict[str, float] = {}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        # A private module's factor is in its postings: scoring a query costs nothing more for it.
        factors = [PRIVATE_MODULE_FACTOR if is_private_module(f.path) else 1.0 for f in self.files]
        for term, entries in pseudo.items():
            idf = math.log(1 + (count - len(entries) + 0.5) / (len(entries) + 0.5))
            self.idf[term] = idf
            self.postings[term] = [(position, factors[position] * idf * tf / (K1 + tf)) for position, tf in entries]
        # Positions in path order, per role: ranking sorts these by score (stable), so ties stay in path order.
        by_path = sorted(range(len(self.files)), key=lambda position: self.files[position].path)
        self.implementation_order = [p for p in by_path if not self.files[p].is_test]
        self.test_order = [p for p in by_path if self.files[p].is_test]
        self._file_terms: dict[int, FileTerms] = {}
        self.rarest_idf = math.log(1 + (len(self.files) + 0.5) / 0.5)  # the idf of a word no file contains

    def knows(self, term: str) -> bool:
        """Whether some indexed file has the term or one of its synonyms."""
        return term in self.idf or any(synonym in self.idf for synonym in text.synonyms(term))

    def file_terms(self, position: int) -> FileTerms:
        """A file's symbols and passages with their term sets, for evidence; kept for the files explained lately."""
        found = self._file_terms.get(position)
        if found is None:
            if len(self._file_terms) >= FILE_TERMS_KEPT:
                self._file_terms.clear()
            found = self._file_terms[position] = FileTerms(self.files[position])
        return found

    def score(self, query: Sequence[QueryTerm]) -> list[float]:
        """Raw score per file position (0.0 for files sharing no term with the query)."""
        scores = [0.0] * len(self.files)
        for item in query:
            weight = item.weight
            for position, contribution in self.postings.get(item.term, ()):
                scores[position] += weight * contribution
        return scores

    def ceiling(self, query: Sequence[QueryTerm]) -> float:
        """The score of a file that contained every query term infinitely often (tf/(k1+tf) -> 1).

        A word found nowhere in the code counts at the rarest word's weight: a requirement whose words the code
        does not use cannot reach the absolute floor just because the few words it shares are rare. A code name
        nothing defines counts for nothing: `datetime(...)` in an example is no part of the feature.
        """
        rarest = self.rarest_idf
        return sum(
            item.weight * self.idf.get(item.term, rarest)
            for item in query
            if item.source != "synonym" and (item.source != "identifier" or item.term in self.idf)
        )


def _weighted_frequencies(
    source: SourceFile, averages: dict[str, float], wanted: frozenset[str] | None
) -> dict[str, float]:
    combined: dict[str, float] = defaultdict(float)
    for name in FIELDS:
        counts = source.fields.get(name)
        if not counts:
            continue
        b = FIELD_B[name]
        norm = FIELD_WEIGHTS[name] / (1 - b + b * source.lengths.get(name, 0) / averages[name])
        for term in counts.keys() & wanted if wanted is not None else counts:
            combined[term] += counts[term] * norm
    return combined


def query_vocabulary(queries: dict[str, tuple[QueryTerm, ...]]) -> set[str]:
    return {item.term for query in queries.values() for item in query}


def build_queries(requirements: Sequence[RequirementInput]) -> dict[str, tuple[QueryTerm, ...]]:
    """Weighted terms per requirement; words every requirement uses ("system", "user") count for less."""
    raw: dict[str, tuple[Counter[str], Counter[str], dict[str, str]]] = {}
    named: dict[str, frozenset[str]] = {}
    identifiers: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    document_frequency: Counter[str] = Counter()
    for requirement in requirements:
        own: Counter[str] = Counter()
        criteria: Counter[str] = Counter()
        surfaces: dict[str, str] = {}
        for target, passages in ((own, [requirement.text]), (criteria, list(requirement.acceptance_criteria))):
            for passage in passages:
                sequence: list[str] = []
                for word in text.raw_words(passage):
                    found = text.word_terms(word)
                    sequence.extend(found)
                    for term, surface in _surfaces(word, found):
                        surfaces.setdefault(term, surface)
                target.update(sequence)
                for pair in text.bigrams(sequence):
                    target[pair] += 1
        raw[requirement.code] = (own, criteria, surfaces)
        named[requirement.code] = _named_terms(requirement.text)
        criteria_text = " ".join(requirement.acceptance_criteria)
        identifiers[requirement.code] = code_names(requirement.text), code_names(criteria_text)
        document_frequency.update(set(own) | set(criteria))
    total = len(requirements)
    queries = {}
    for code, (own, criteria, surfaces) in raw.items():
        weights: dict[str, tuple[float, str]] = {}
        for counts, factor, source in ((own, 1.0, "text"), (criteria, CRITERIA_WEIGHT, "criteria")):
            for term, times in counts.items():
                specificity = 1.0
                if total > 1:
                    specificity = math.log(1 + total / document_frequency[term]) / math.log(1 + total)
                weight = factor * (1 + math.log(times)) * (GENERIC_FLOOR + (1 - GENERIC_FLOOR) * specificity)
                kind = "bigram" if " " in term else "filler" if term in text.FILLER_TERMS else source
                if kind == "bigram":
                    weight *= BIGRAM_WEIGHT
                elif kind == "filler":
                    weight *= FILLER_WEIGHT
                if weight > weights.get(term, (0.0, ""))[0]:
                    weights[term] = (weight, kind)
        # A word of the requirement's own text stays a text word when its criteria repeat it (and so weigh more):
        # "decrypting ... DecryptionError ... decrypted" is what the requirement is about, not criteria detail.
        for term, (weight, kind) in list(weights.items()):
            if kind == "criteria" and own[term]:
                weights[term] = (weight, "text")
        for term, (weight, kind) in list(weights.items()):
            if kind in ("bigram", "filler"):
                continue
            for synonym in text.synonyms(term):
                if weight * SYNONYM_WEIGHT > weights.get(synonym, (0.0, ""))[0]:
                    weights[synonym] = (weight * SYNONYM_WEIGHT, "synonym")
        for names, factor in zip(identifiers[code], (1.0, CRITERIA_WEIGHT), strict=True):
            for term, name in names.items():
                if IDENTIFIER_WEIGHT * factor > weights.get(term, (0.0, ""))[0]:
                    weights[term] = (IDENTIFIER_WEIGHT * factor, "identifier")
                    surfaces[term] = name
        queries[code] = tuple(
            QueryTerm(
                term,
                weight,
                _surface(term, surfaces),
                kind,
                kind == "text" and term in named[code],
                kind == "text" and raw[code][0][term] + raw[code][1][term] > 1,
            )
            for term, (weight, kind) in sorted(weights.items())
        )
    return queries


# `name`, name( or name(...), snake_case, camelCase and dotted.names: a requirement naming the code it means.
_CODE_NAME = re.compile(
    r"`(?:[\w.]+\.)?([A-Za-z_]\w*)(?:\(.*?\))?`"
    r"|(?:\b[A-Za-z_]\w*\.)*\b([A-Za-z_]\w*)\((?!s\))"
    r"|\b([A-Za-z][a-z0-9]*(?:_[A-Za-z0-9]+)+|[a-z]+[A-Z]\w*|[A-Z][a-z0-9]+[A-Z]\w*)\b"
)


def code_names(passage: str) -> dict[str, str]:
    """Code names a text writes (`load_dotenv()`, `retry(`, `stop_after_attempt`, `RetryError`): query term ->
    the name as written. Names of fewer than three letters and plain words followed by a bracket ("(s)") are left
    out unless the text quotes them."""
    found: dict[str, str] = {}
    for quoted, called, shaped in _CODE_NAME.findall(passage):
        name = quoted or called or shaped
        if len(name) < 3 or (called and not text.word_terms(name)):
            continue
        found.setdefault(text.code_name_term(name), name)
    return found


def is_private_module(path: str) -> bool:
    """`pkg/_utils.py`: a module its package keeps to itself (not `__init__`, `__main__`)."""
    name = path.rpartition("/")[2]
    return name.startswith("_") and not name.startswith("__")


def _looks_like_a_name(word: str) -> bool:
    """iCal, PDF, OAuth, EUR: upper case after the first letter."""
    return len(word) > 1 and any(character.isupper() for character in word[1:])


def _named_terms(passage: str) -> frozenset[str]:
    """The terms of the words a text writes like names; none when it is mostly in capitals (nothing stands out)."""
    words = text.raw_words(passage)
    names = [word for word in words if _looks_like_a_name(word)]
    if len(names) * 2 > len(words):
        return frozenset()
    return frozenset(term for word in names for term in text.word_terms(word))


def _surfaces(word: str, found: tuple[str, ...]) -> list[tuple[str, str]]:
    """The word people are shown for each of a written word's terms: the word itself, or for an identifier that
    splits into several terms (`DecryptionError` -> decrypt, error) the part each term came from, so evidence says
    a file mentions 'error' rather than 'decryptionerror'."""
    if len(found) <= 1:
        return [(term, word.lower()) for term in found]
    return [(term, part.lower()) for part in text.split_identifier(word) for term in text.word_terms(part)]


def _surface(term: str, surfaces: dict[str, str]) -> str:
    return " ".join(surfaces.get(part, part) for part in term.split(" "))


def absolute_floor(query: Sequence[QueryTerm]) -> float:
    """ABSOLUTE_FLOOR, lowered by sqrt(reference / words) for requirements longer than the reference."""
    words = sum(1 for item in query if item.source == "text" and " " not in item.term)
    return ABSOLUTE_FLOOR * min(1.0, math.sqrt(FLOOR_REFERENCE_TERMS / words)) if words else ABSOLUTE_FLOOR


def _rank(
    model: TraceModel, query: tuple[QueryTerm, ...], scores: list[float], *, tests: bool, ceiling: float
) -> Ranking:
    candidates = [
        position for position in (model.test_order if tests else model.implementation_order) if scores[position]
    ]
    # Best first; a stable sort of path-ordered positions keeps ties in path order (never dictionary order).
    candidates.sort(key=scores.__getitem__, reverse=True)
    raw = tuple(scores[position] for position in candidates)
    best = raw[0] if raw else 0.0
    floor = absolute_floor(query)
    best_clears_floor = bool(ceiling) and best / ceiling >= floor
    linked_count = 0
    if best_clears_floor:
        for score in raw:
            relative = score / best if best else 0.0
            absolute = min(1.0, score / ceiling) if ceiling else 0.0
            if not (relative >= RELATIVE_THRESHOLD and absolute >= floor / 2):
                break  # scores only fall from here, and both ratios with them
            linked_count += 1
    role = "test" if tests else "implementation"
    return Ranking(model, query, tuple(candidates), raw, ceiling, linked_count, role)


def key_terms(query: Sequence[QueryTerm], model: TraceModel) -> tuple[QueryTerm, ...]:
    """The requirement's distinctive words: the rarest in the code (by q * idf) of the words of its text that the
    code uses somewhere or that the text writes like names, heaviest first, until they hold KEY_TERMS_SHARE of
    those words' weight. An ordinary word the code never uses ("told", "people") is left out: its absence says
    nothing about the feature, while a name the code never mentions (iCal) does."""
    rarest = model.rarest_idf
    weighted = sorted(
        (
            (item.weight * model.idf.get(item.term, rarest), item)
            for item in query
            if item.source == "text" and " " not in item.term and (item.term in model.idf or item.named)
        ),
        key=lambda pair: (-pair[0], pair[1].term),
    )
    total = sum(weight for weight, _ in weighted)
    chosen: list[QueryTerm] = []
    held = 0.0
    for weight, item in weighted:
        chosen.append(item)
        held += weight
        if held >= KEY_TERMS_SHARE * total:
            break
    return tuple(chosen)


def mentions(files: Sequence[SourceFile], term: str, fields: Sequence[str] = FIELDS) -> bool:
    """Whether any of the files has the term, or one of its synonyms, in any of the fields."""
    variants = {term, *text.synonyms(term)}
    return any(variant in source.fields.get(name, ()) for source in files for name in fields for variant in variants)


def _unknown_words(query: Sequence[QueryTerm], model: TraceModel) -> tuple[str, ...]:
    """The words of the requirement's text no file uses, when they make the feature: they hold UNKNOWN_SHARE of the
    text's weight (q, without idf: in a small repository every word the code uses is common, and one word it does
    not use, "quickly", would outweigh the rest), or UNKNOWN_SUBJECTS of them are words it repeats (its subject:
    "encrypt ... Encrypted values"). Empty otherwise."""
    words = [item for item in query if item.source == "text" and " " not in item.term]
    unknown = [item for item in words if not model.knows(item.term)]
    total = sum(item.weight for item in words)
    share = sum(item.weight for item in unknown) / total if total else 0.0
    if share >= UNKNOWN_SHARE or sum(item.stressed for item in unknown) >= UNKNOWN_SUBJECTS:
        return tuple(dict.fromkeys(item.surface for item in unknown))
    return ()


def _needs_key_terms(
    ranking: Ranking, key: Sequence[QueryTerm], query: Sequence[QueryTerm]
) -> tuple[Ranking, tuple[str, ...]]:
    """No implementation file is linked when none of those that would be mentions a key term: they share only
    ordinary words with the requirement ("the schedule", "a file"), which says nothing about whether its feature
    exists. Nor when the repository does not use the words that make the feature: words no file uses hold half the
    weight of the requirement's text ("publish usage metrics to a Prometheus endpoint"), or two words it repeats
    are used by no file ("encrypt ... Encrypted values ... master key ... wrong master key"); those words are
    returned. A linked file that defines a code name the requirement writes (`load_dotenv()`) keeps the links
    either way. (Test files keep the plain rule: a test of a neighbouring feature still says something.)"""
    if not ranking.linked_count:
        return ranking, ()
    model = ranking.model
    linked = set(ranking.positions[: ranking.linked_count])
    for item in query:
        if item.source == "identifier" and any(position in linked for position, _ in model.postings.get(item.term, ())):
            return ranking, ()
    if key and not any(mentions(ranking.linked_sources, item.term) for item in key):
        return replace(ranking, linked_count=0), ()
    unknown = _unknown_words(query, model)
    return (replace(ranking, linked_count=0), unknown) if unknown else (ranking, ())


def trace(
    index: CodeIndex, requirements: Sequence[RequirementInput], model: TraceModel | None = None
) -> list[RequirementTrace]:
    """Every requirement's ranked implementation files and test files, with evidence and a linked decision."""
    queries = build_queries(requirements)
    model = model or TraceModel(index, query_vocabulary(queries))
    traces = []
    for requirement in requirements:
        query = queries[requirement.code]
        scores = model.score(query)
        ceiling = model.ceiling(query)
        key = key_terms(query, model)
        ranked = _rank(model, query, scores, tests=False, ceiling=ceiling)
        implementation, unknown = _needs_key_terms(ranked, key, query)
        traces.append(
            RequirementTrace(
                code=requirement.code,
                query=query,
                implementation=implementation,
                test_ranking=_rank(model, query, scores, tests=True, ceiling=ceiling),
                key_terms=key,
                lacks_key_terms=implementation.linked_count < ranked.linked_count and not unknown,
                unknown_terms=unknown,
            )
        )
    return traces
