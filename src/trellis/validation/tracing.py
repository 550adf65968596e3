"""Requirement-to-code tracing: BM25F over code fields, one ranked and explained list of files per requirement. Pure.

For every requirement, every code file that shares a term with it is scored, ranked, explained (which symbols,
lines, comments and words matched) and marked linked or not. Test files are ranked in their own list: they are
linked to a requirement as its tests, never as its implementation. docs/validation.md gives the formulas.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from trellis.requirements.analysis import RequirementInput
from trellis.validation import text
from trellis.validation.evidence import Evidence, explain, shared_terms
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
EVIDENCE_DEPTH = 25  # fields, symbols and passages are explained for linked files and the first N of each list;
# the others get the list of words they share with the requirement


@dataclass(frozen=True)
class QueryTerm:
    term: str  # stemmed; two words joined by a space for a bigram
    weight: float
    surface: str  # a word as the requirement wrote it, for people
    source: str  # text, criteria, bigram, synonym


@dataclass(frozen=True)
class FileLink:
    path: str
    score: float  # raw score / the best score any file could reach for this requirement, 0..1
    relative: float  # raw score / the requirement's best file's raw score, 0..1
    linked: bool
    role: str  # implementation or test
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class RequirementTrace:
    code: str
    query: tuple[QueryTerm, ...]
    links: tuple[FileLink, ...]  # implementation files, best first
    tests: tuple[FileLink, ...]  # test files, best first

    @property
    def linked(self) -> tuple[FileLink, ...]:
        return tuple(link for link in self.links if link.linked)

    @property
    def linked_tests(self) -> tuple[FileLink, ...]:
        return tuple(link for link in self.tests if link.linked)


class TraceModel:
    """Corpus statistics of an index: per term, the files containing it and their BM25F contribution."""

    def __init__(self, index: CodeIndex) -> None:
        self.index = index
        self.files = index.files
        count = len(self.files) or 1
        averages = {name: (sum(f.lengths.get(name, 0) for f in self.files) / count) or 1.0 for name in FIELDS}
        pseudo: dict[str, dict[int, float]] = defaultdict(dict)
        for position, source in enumerate(self.files):
            for term, weighted in _weighted_frequencies(source, averages).items():
                pseudo[term][position] = weighted
        self.idf: dict[str, float] = {}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for term, by_file in pseudo.items():
            idf = math.log(1 + (count - len(by_file) + 0.5) / (len(by_file) + 0.5))
            self.idf[term] = idf
            self.postings[term] = [(position, idf * tf / (K1 + tf)) for position, tf in by_file.items()]

    def score(self, query: Sequence[QueryTerm]) -> tuple[dict[int, float], dict[int, list[QueryTerm]]]:
        """Score per file position, and the query terms each file matched (for evidence)."""
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, list[QueryTerm]] = defaultdict(list)
        for item in query:
            for position, contribution in self.postings.get(item.term, ()):
                scores[position] += item.weight * contribution
                matched[position].append(item)
        return scores, matched

    def ceiling(self, query: Sequence[QueryTerm]) -> float:
        """The score of a file that contained every query term infinitely often (tf/(k1+tf) -> 1).

        A word found nowhere in the code counts at the rarest word's weight: a requirement whose words the code
        does not use cannot reach the absolute floor just because the few words it shares are rare.
        """
        rarest = math.log(1 + (len(self.files) + 0.5) / 0.5)
        return sum(item.weight * self.idf.get(item.term, rarest) for item in query if item.source != "synonym")


def _weighted_frequencies(source: SourceFile, averages: dict[str, float]) -> dict[str, float]:
    combined: dict[str, float] = defaultdict(float)
    for name in FIELDS:
        counts = source.fields.get(name)
        if not counts:
            continue
        b = FIELD_B[name]
        norm = FIELD_WEIGHTS[name] / (1 - b + b * source.lengths.get(name, 0) / averages[name])
        for term, times in counts.items():
            combined[term] += times * norm
    return combined


def build_queries(requirements: Sequence[RequirementInput]) -> dict[str, tuple[QueryTerm, ...]]:
    """Weighted terms per requirement; words every requirement uses ("system", "user") count for less."""
    raw: dict[str, tuple[Counter[str], Counter[str], dict[str, str]]] = {}
    document_frequency: Counter[str] = Counter()
    for requirement in requirements:
        own: Counter[str] = Counter()
        criteria: Counter[str] = Counter()
        surfaces: dict[str, str] = {}
        for target, passages in ((own, [requirement.text]), (criteria, list(requirement.acceptance_criteria))):
            for passage in passages:
                sequence = []
                for word in text.raw_words(passage):
                    for term in text.word_terms(word):
                        sequence.append(term)
                        surfaces.setdefault(term, word.lower())
                target.update(sequence)
                for pair in text.bigrams(sequence):
                    target[pair] += 1
        raw[requirement.code] = (own, criteria, surfaces)
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
                kind = "bigram" if " " in term else source
                if kind == "bigram":
                    weight *= BIGRAM_WEIGHT
                if weight > weights.get(term, (0.0, ""))[0]:
                    weights[term] = (weight, kind)
        for term, (weight, kind) in list(weights.items()):
            if kind == "bigram":
                continue
            for synonym in text.synonyms(term):
                if weight * SYNONYM_WEIGHT > weights.get(synonym, (0.0, ""))[0]:
                    weights[synonym] = (weight * SYNONYM_WEIGHT, "synonym")
        queries[code] = tuple(
            QueryTerm(term, weight, _surface(term, surfaces), kind) for term, (weight, kind) in sorted(weights.items())
        )
    return queries


def _surface(term: str, surfaces: dict[str, str]) -> str:
    return " ".join(surfaces.get(part, part) for part in term.split(" "))


def absolute_floor(query: Sequence[QueryTerm]) -> float:
    """ABSOLUTE_FLOOR, lowered by sqrt(reference / words) for requirements longer than the reference."""
    words = sum(1 for item in query if item.source == "text" and " " not in item.term)
    return ABSOLUTE_FLOOR * min(1.0, math.sqrt(FLOOR_REFERENCE_TERMS / words)) if words else ABSOLUTE_FLOOR


def _rank(
    model: TraceModel,
    query: tuple[QueryTerm, ...],
    scores: dict[int, float],
    matched: dict[int, list[QueryTerm]],
    *,
    tests: bool,
    ceiling: float,
) -> tuple[FileLink, ...]:
    candidates = [(score, position) for position, score in scores.items() if model.files[position].is_test == tests]
    # Best first; ties by path so the order never depends on dictionary order.
    candidates.sort(key=lambda item: (-item[0], model.files[item[1]].path))
    best = candidates[0][0] if candidates else 0.0
    floor = absolute_floor(query)
    best_clears_floor = bool(ceiling) and best / ceiling >= floor
    links = []
    for rank, (score, position) in enumerate(candidates):
        relative = score / best if best else 0.0
        absolute = min(1.0, score / ceiling) if ceiling else 0.0
        linked = best_clears_floor and relative >= RELATIVE_THRESHOLD and absolute >= floor / 2
        source = model.files[position]
        detailed = linked or rank < EVIDENCE_DEPTH
        links.append(
            FileLink(
                path=source.path,
                score=round(absolute, 4),
                relative=round(relative, 4),
                linked=linked,
                role="test" if tests else "implementation",
                evidence=explain(source, query, model.idf)
                if detailed
                else (shared_terms(matched[position], model.idf),),
            )
        )
    return tuple(links)


def trace(
    index: CodeIndex, requirements: Sequence[RequirementInput], model: TraceModel | None = None
) -> list[RequirementTrace]:
    """Every requirement's ranked implementation files and test files, with evidence and a linked decision."""
    model = model or TraceModel(index)
    queries = build_queries(requirements)
    traces = []
    for requirement in requirements:
        query = queries[requirement.code]
        scores, matched = model.score(query)
        ceiling = model.ceiling(query)
        traces.append(
            RequirementTrace(
                code=requirement.code,
                query=query,
                links=_rank(model, query, scores, matched, tests=False, ceiling=ceiling),
                tests=_rank(model, query, scores, matched, tests=True, ceiling=ceiling),
            )
        )
    return traces
