"""Why a file was scored for a requirement: the fields, symbols (with line spans) and comments that matched. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from trellis.validation import text

if TYPE_CHECKING:
    from trellis.validation.indexing import SourceFile
    from trellis.validation.symbols import Passage, Symbol
    from trellis.validation.tracing import QueryTerm

_FIELD_REASONS = {
    "name": "the file name says",
    "path": "its folder names say",
    "symbols": "symbols in it are named after",
    "doc": "its comments, docstrings or strings mention",
    "body": "identifiers in its code use",
}
MAX_SYMBOLS = 3
MAX_TERMS = 8
PASSAGE_CHARS = 240


@dataclass(frozen=True)
class Evidence:
    kind: str  # field, symbol, passage, terms
    why: str
    terms: tuple[str, ...]  # the requirement's own words that matched
    field: str | None = None
    symbol: str | None = None
    symbol_kind: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    passage: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "why": self.why, "terms": list(self.terms)}
        if self.field:
            data["field"] = self.field
        if self.symbol:
            data["symbol"] = self.symbol
            data["symbol_kind"] = self.symbol_kind
        if self.start_line is not None:
            data["lines"] = [self.start_line, self.end_line]
        if self.passage:
            data["passage"] = self.passage
        return data


def _matched(
    terms: Sequence[str] | frozenset[str], query: Mapping[str, QueryTerm], idf: Mapping[str, float]
) -> list[str]:
    """Surface words of the query terms in `terms`, most telling first."""
    hits = [query[t] for t in set(terms) if t in query]
    hits.sort(key=lambda q: (-q.weight * idf.get(q.term, 0.0), q.surface))
    return list(dict.fromkeys(q.surface for q in hits))[:MAX_TERMS]


def _weight(terms: frozenset[str], weights: Mapping[str, float]) -> float:
    """The summed q * idf of the query terms among `terms` (`weights`: q * idf by query term).
    Summed in sorted order: a set's order follows string hashes, which change between processes, and a different
    float rounding would let two equally good symbols or passages swap from one run to the next."""
    return sum([weights[term] for term in sorted(weights.keys() & terms)])


@lru_cache(maxsize=100_000)
def _name_terms(name: str) -> frozenset[str]:
    return frozenset(text.identifier_terms(name))


def _name_coverage(name: str, query: Mapping[str, QueryTerm]) -> float:
    """Share of the name's words that are the requirement's: 1.0 for a name made only of them."""
    words = set(text.word_terms(name))
    return len(words & query.keys()) / len(words) if words else 0.0


def is_private(qualified_name: str) -> bool:
    """`_helper`, `_Foo.run`: kept to its module by convention (dunders like `__init__` are public)."""
    return "_" in qualified_name and any(
        part.startswith("_") and not part.endswith("__") for part in qualified_name.split(".")
    )


def shared_terms(matched: Sequence[QueryTerm], idf: Mapping[str, float]) -> Evidence:
    """The cheap explanation, for files far down a list: the requirement's words the file contains (filler words
    only when they are all it shares)."""
    matched = [q for q in matched if q.source != "filler"] or matched
    ordered = sorted(matched, key=lambda q: (-q.weight * idf.get(q.term, 0.0), q.surface))
    words = list(dict.fromkeys(q.surface for q in ordered))[:MAX_TERMS]
    return Evidence(
        "terms", "shares " + ", ".join(f"'{word}'" for word in words) + " with the requirement", tuple(words)
    )


class FileTerms:
    """A file's symbols and passages with their terms, worked out once per file and kept by the trace model: one
    file is explained for many requirements, and then only a set test per symbol and passage remains."""

    def __init__(self, source: SourceFile) -> None:
        self.symbols: list[tuple[Symbol, frozenset[str], frozenset[str], frozenset[str]]] = []
        for symbol in source.symbols:
            name_terms = _name_terms(symbol.name)
            doc_terms = text.term_set(symbol.doc) if symbol.doc else frozenset()
            self.symbols.append((symbol, name_terms, doc_terms, name_terms | doc_terms))
        self.passages = [(passage, text.term_set(passage.text)) for passage in source.passages]

    def symbols_with(self, wanted: frozenset[str]) -> list[tuple[Symbol, frozenset[str], frozenset[str]]]:
        """The symbols whose name or doc has any of the terms, in file order."""
        return [(symbol, name, doc) for symbol, name, doc, both in self.symbols if not wanted.isdisjoint(both)]

    def passages_with(self, wanted: frozenset[str]) -> list[tuple[Passage, frozenset[str]]]:
        """The passages that have any of the terms, in file order."""
        return [(passage, terms) for passage, terms in self.passages if not wanted.isdisjoint(terms)]


def explain(
    source: SourceFile, query: Sequence[QueryTerm], idf: Mapping[str, float], terms: FileTerms | None = None
) -> tuple[Evidence, ...]:
    """Which fields matched which words, the best matching symbols (with line spans) and the best comment.
    `terms`: the file's FileTerms, when the caller keeps them (they are made here otherwise)."""
    by_term = {item.term: item for item in query}
    # Symbols and comments are shown for what they say about the feature: not for a filler word ("system").
    weights = {term: item.weight * idf.get(term, 0.0) for term, item in by_term.items() if item.source != "filler"}
    terms = terms or FileTerms(source)
    evidence: list[Evidence] = []
    fields = [
        (field, counts) for field in ("name", "symbols", "doc", "path", "body") if (counts := source.fields.get(field))
    ]
    # The fields' words leave filler out too, unless filler is all the file shares with the requirement.
    informative = any(term in counts for _, counts in fields for term in weights)
    shown = list(weights) if informative else list(by_term)
    for field, counts in fields:
        matched = _matched([t for t in shown if t in counts], by_term, idf)
        if matched:
            why = f"{_FIELD_REASONS[field]} " + ", ".join(f"'{word}'" for word in matched)
            evidence.append(Evidence("field", why, tuple(matched), field=field))
    ranked_symbols = []
    wanted = frozenset(weights)
    written = {term for term, item in by_term.items() if item.source == "identifier"}
    for symbol, name_terms, doc_terms in terms.symbols_with(wanted):
        in_name_weight = _weight(name_terms, weights)
        in_doc_weight = _weight(doc_terms - name_terms, weights)
        if in_name_weight or in_doc_weight:
            exact = bool(written) and text.code_name_term(symbol.name) in written
            rank = (not exact, not in_name_weight, is_private(symbol.qualified_name))
            ranked_symbols.append(
                (
                    (rank, -in_name_weight, -_name_coverage(symbol.name, by_term), -in_doc_weight, symbol.start_line),
                    symbol,
                    name_terms,
                    doc_terms,
                )
            )
    # The symbol the requirement names (`load_dotenv()`) first; then one named after the requirement's words before
    # one whose (often long) docstring merely mentions them, a public one before a private helper, and `get_next`
    # before `get_next_nearest_diff`: that is the code a reader, or a coding agent given these lines, should look at.
    ranked_symbols.sort(key=lambda item: item[0])
    for _, symbol, name_terms, doc_terms in ranked_symbols[:MAX_SYMBOLS]:
        in_name = _matched(name_terms, by_term, idf)
        in_doc = _matched(doc_terms - name_terms, by_term, idf)
        reasons = []
        if written and text.code_name_term(symbol.name) in written:
            reasons.append("the requirement names it")
        if in_name:
            reasons.append("its name matches " + ", ".join(f"'{w}'" for w in in_name))
        if in_doc:
            reasons.append("its documentation mentions " + ", ".join(f"'{w}'" for w in in_doc))
        evidence.append(
            Evidence(
                "symbol",
                f"{symbol.kind} {symbol.qualified_name}: " + "; ".join(reasons),
                tuple(dict.fromkeys(in_name + in_doc)),
                symbol=symbol.qualified_name,
                symbol_kind=symbol.kind,
                start_line=symbol.start_line,
                end_line=symbol.end_line,
            )
        )
    best_passage = None
    for passage, passage_terms in terms.passages_with(wanted):
        weight = _weight(passage_terms, weights)
        if weight > 0 and (best_passage is None or weight > best_passage[0]):
            best_passage = (weight, passage, passage_terms)
    if best_passage:
        _, passage, passage_terms = best_passage
        matched = _matched(passage_terms, by_term, idf)
        evidence.append(
            Evidence(
                "passage",
                f"a {passage.kind} mentions " + ", ".join(f"'{w}'" for w in matched),
                tuple(matched),
                start_line=passage.start_line,
                end_line=passage.end_line,
                passage=passage.text[:PASSAGE_CHARS],
            )
        )
    return tuple(evidence)
