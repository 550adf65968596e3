"""Checks across requirements: dependency cycles, near-duplicates and contradictions.

Each is linear or close to it in the number of requirements: cycles by Tarjan's strongly connected
components, duplicates by a prefix-filtered set-similarity join (only requirements sharing one of their
rarest words are compared), conflicts by grouping statements under a normalised subject/action key.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

from trellis.requirements.analysis.tokens import CLOSED_CLASS, PREPOSITIONS, SUBORDINATORS, words

DUPLICATE_THRESHOLD = 0.8  # Jaccard similarity of normalised word sets
_MAX_CANDIDATES = 8  # comparisons per requirement: bounds the worst case of many look-alike requirements


def strongly_connected_components(deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (10k-node chains must not hit the recursion limit). Unknown codes are ignored."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(deps):
        if root in index_of or not deps[root]:  # without dependencies a node cannot be on a cycle
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(set(deps[root]))))]
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in deps:
                    continue
                if successor not in index_of:
                    index_of[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(set(deps[successor])))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index_of[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def find_dependency_cycles(deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """One cycle per strongly connected component, e.g. ["A", "B", "C", "A"], starting at its smallest code.

    A component can hold several cycles; the shortest one through its smallest code is named, and
    breaking it may reveal the next. Self-dependencies are cycles ["A", "A"].
    """
    return cycles_of_components(deps, strongly_connected_components(deps))


def cycles_of_components(deps: Mapping[str, Sequence[str]], components: Sequence[list[str]]) -> list[list[str]]:
    cycles = []
    for component in components:
        start = component[0]
        if len(component) == 1:
            if start in deps[start]:
                cycles.append([start, start])
            continue
        members = set(component)
        previous: dict[str, str] = {}
        frontier = [start]
        found: str | None = None
        while frontier and found is None:
            next_frontier = []
            for node in frontier:
                for successor in sorted(set(deps[node])):
                    if successor == start:
                        found = node
                        break
                    if successor in members and successor not in previous:
                        previous[successor] = node
                        next_frontier.append(successor)
                if found is not None:
                    break
            frontier = next_frontier
        path = [start]
        node = found if found is not None else start
        while node != start:
            path.append(node)
            node = previous[node]
        cycles.append([start, *reversed(path[1:]), start])
    return sorted(cycles)


# --- duplicates

_STOP_WORDS = words(
    "the a an this that these those shall must will should may can be is are to of for in on at by with and or as "
    "it its their all any each every from into within system application app user users"
)


def normalised_words(lower: Sequence[str]) -> frozenset[str]:
    """Content words, plurals folded: what two wordings of one requirement share."""
    words = set(lower)
    words -= _STOP_WORDS
    return frozenset(
        [
            word[:-1] if word[-1] == "s" and len(word) > 3 and word[-2] != "s" else word
            for word in words
            if word[0].isalnum()
        ]
    )


def find_duplicate_groups(word_sets: Sequence[frozenset[str]]) -> list[tuple[list[int], float]]:
    """Groups of indexes whose word sets have Jaccard >= DUPLICATE_THRESHOLD with the group's first member.

    Greedy leader clustering: each set is compared only with earlier group leaders that share one of its
    rarest words (prefix filtering: two sets this similar must share a word among their first
    |s| - ceil(t |s|) + 1 words in rarity order), at most _MAX_CANDIDATES of them.
    """
    frequency = Counter(chain.from_iterable(word_sets))
    # one global rarity order (rarest first, then alphabetical): sorting each set is then a C-level key look-up
    by_frequency = sorted(frequency.items())
    by_frequency.sort(key=itemgetter(1))  # stable: alphabetical within one frequency
    rank = {word: position for position, (word, _) in enumerate(by_frequency)}
    by_rank = rank.__getitem__
    leaders_by_word: dict[str, list[int]] = {}
    groups: dict[int, list[int]] = {}  # leader -> members, only for leaders that got a duplicate
    lowest: dict[int, float] = {}
    exact: dict[frozenset[str], int] = {}
    for index, members in enumerate(word_sets):
        if not members:
            continue
        leader = exact.get(members, -1)
        if leader < 0:
            size = len(members)
            prefix = sorted(members, key=by_rank)[: _prefix_length(size)]
            leader = _similar_leader(members, prefix, word_sets, leaders_by_word, lowest)
            if leader < 0:
                exact[members] = index
                for word in prefix:
                    bucket = leaders_by_word.get(word)
                    if bucket is None:
                        leaders_by_word[word] = [index]
                    else:
                        bucket.append(index)
                continue
        group = groups.get(leader)
        if group is None:
            groups[leader] = [leader, index]
        else:
            group.append(index)
    return [(members, lowest.get(leader, 1.0)) for leader, members in sorted(groups.items())]


def _prefix_length(size: int) -> int:
    """How many of a set's rarest words a similar set must share one of: |s| - ceil(t |s|) + 1."""
    return size - math.ceil(DUPLICATE_THRESHOLD * size - 1e-9) + 1


def _similar_leader(
    members: frozenset[str],
    prefix: list[str],
    word_sets: Sequence[frozenset[str]],
    leaders_by_word: dict[str, list[int]],
    lowest: dict[int, float],
) -> int:
    candidates: list[int] = []
    for word in prefix:
        bucket = leaders_by_word.get(word)
        if bucket:
            candidates.extend(bucket[-_MAX_CANDIDATES:])  # the most recent leaders
            if len(candidates) >= _MAX_CANDIDATES:
                break
    if not candidates:
        return -1
    size = len(members)
    smallest, largest = DUPLICATE_THRESHOLD * size, size / DUPLICATE_THRESHOLD
    for leader in dict.fromkeys(candidates[:_MAX_CANDIDATES]):
        other = word_sets[leader]
        if smallest <= len(other) <= largest:
            shared = len(members & other)
            similarity = shared / (size + len(other) - shared)
            if similarity >= DUPLICATE_THRESHOLD:
                lowest[leader] = min(lowest.get(leader, 1.0), similarity)
                return leader
    return -1


# --- conflicts


@dataclass(frozen=True, slots=True)
class Statement:
    """One "subject shall (not) action" sentence, normalised, with its first quantity if any."""

    subject: tuple[str, ...]
    action: tuple[str, ...]
    negated: bool
    bound: str | None = None  # "upper" | "lower" | "exact"
    value: float | None = None
    dimension: str | None = None
    shown: str = ""  # the quantity as written, for the message


_UPPER = words("within under less fewer below most max maximum exceed lower shorter before")
_LOWER = words("least more greater minimum min above over higher longer after")
_UNIT_SCALE: dict[str, tuple[str, float]] = {}
for _names, _dimension, _scale in (
    ("ms msec millisecond milliseconds", "time", 0.001),
    ("s sec secs second seconds", "time", 1.0),
    ("min mins minute minutes", "time", 60.0),
    ("h hr hrs hour hours", "time", 3600.0),
    ("day days", "time", 86400.0),
    ("week weeks", "time", 604800.0),
    ("month months", "time", 2592000.0),
    ("year years", "time", 31536000.0),
    ("b byte bytes", "size", 1.0),
    ("kb", "size", 1e3),
    ("kib", "size", 1024.0),
    ("mb", "size", 1e6),
    ("mib", "size", 1024.0**2),
    ("gb", "size", 1e9),
    ("gib", "size", 1024.0**3),
    ("tb", "size", 1e12),
    ("% percent", "percent", 1.0),
):
    for _name in _names.split():
        _UNIT_SCALE[_name] = (_dimension, _scale)
_NUMBER_WORD_VALUES = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "hundred": 100,
}
_ANCHORS = words("shall must will")
_SKIP = words("not never also only always be is are")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _quantity(lower: Sequence[str], position: int) -> tuple[float, str, str] | None:
    word = lower[position].replace(",", "")
    number = word.rstrip("abcdefghijklmnopqrstuvwxyz%µ")
    suffix = word[len(number) :]
    try:
        value = float(number) if number else float(_NUMBER_WORD_VALUES[word])
    except (ValueError, KeyError):
        return None
    unit = suffix or (lower[position + 1] if position + 1 < len(lower) else "")
    if unit in _UNIT_SCALE:
        dimension, scale = _UNIT_SCALE[unit]
        return value * scale, dimension, f"{lower[position]} {unit}" if not suffix else word
    return value, _stem(unit) if unit[:1].isalpha() else "count", f"{lower[position]} {unit}".strip()


def extract_statements(
    lower: Sequence[str], sentences: Sequence[tuple[int, int]], quantities: Sequence[int]
) -> list[Statement]:
    statements: list[Statement] = []
    anchors = [position for position, word in enumerate(lower) if word in _ANCHORS]
    if not anchors:
        return statements
    for first, last in sentences:
        anchor = next((p for p in anchors if first <= p < last), -1)
        if anchor < 0:
            continue
        clause_start = first
        for position in range(anchor - 1, first - 1, -1):
            if lower[position] in (",", ";", ":"):
                clause_start = position + 1
                break
        subject = tuple(_stem(w) for w in lower[clause_start:anchor] if w[:1].isalnum() and w not in CLOSED_CLASS)
        if not subject:
            continue
        negated = anchor + 1 < last and lower[anchor + 1] in ("not", "never")
        quantity_at = next((q for q in quantities if anchor < q < last), -1)
        action: list[str] = []
        bound = None
        open_action = True  # the action is the verb and its object; a prepositional phrase ("for refunds") ends it
        for position in range(anchor + 1, quantity_at if quantity_at >= 0 else last):
            word = lower[position]
            if word in SUBORDINATORS or not word[:1].isalnum() or (not open_action and quantity_at < 0):
                break
            if word in _UPPER or word in _LOWER:
                if quantity_at >= 0 and position < quantity_at:
                    bound = "upper" if word in _UPPER else "lower"
                    if word in ("more", "less", "fewer") and lower[position - 1] in ("no", "not"):
                        bound = "upper" if word == "more" else "lower"
                continue
            if word in PREPOSITIONS and action:
                open_action = False
            if open_action and word not in CLOSED_CLASS and word not in _SKIP and len(action) < 6:
                action.append(_stem(word))
        if quantity_at >= 0:
            parsed = _quantity(lower, quantity_at)
            if parsed is not None:
                value, dimension, shown = parsed
                statements.append(Statement(subject, tuple(action), negated, bound or "exact", value, dimension, shown))
                continue
        if action:
            statements.append(Statement(subject, tuple(action), negated))
    return statements


def _contradicts(a: Statement, b: Statement) -> bool:
    assert a.value is not None and b.value is not None
    if a.bound == b.bound:
        return not math.isclose(a.value, b.value)
    kinds = {a.bound: a.value, b.bound: b.value}
    upper, lower, exact = kinds.get("upper"), kinds.get("lower"), kinds.get("exact")
    if upper is not None and lower is not None:
        return lower > upper
    if exact is not None and upper is not None:
        return exact > upper
    return exact is not None and lower is not None and exact < lower


def find_conflicts(
    statements_by_requirement: Sequence[tuple[str, list[Statement]]],
) -> list[tuple[list[str], dict[str, object]]]:
    """Pairs of requirements that say opposite things about one subject and action, or give it incompatible numbers."""
    polarity: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[bool, list[str]]] = {}
    numeric: dict[tuple[tuple[str, ...], tuple[str, ...], str], list[tuple[str, Statement]]] = {}
    for code, statements in statements_by_requirement:
        for statement in statements:
            if statement.value is None:
                polarity.setdefault((statement.subject, statement.action), {}).setdefault(statement.negated, []).append(
                    code
                )
            elif not statement.negated:
                key = (statement.subject, statement.action, statement.dimension or "")
                numeric.setdefault(key, []).append((code, statement))
    conflicts: list[tuple[list[str], dict[str, object]]] = []
    for (subject, action), sides in polarity.items():
        if True in sides and False in sides:
            codes = sorted(set(sides[False]) | set(sides[True]))
            if len(codes) > 1:
                conflicts.append(
                    (codes, {"subject": " ".join(subject), "action": " ".join(action), "kind": "modality"})
                )
    for (subject, action, _dimension), entries in numeric.items():
        if len(entries) < 2:
            continue
        # Compare distinct (bound, value) pairs, not requirements: a thousand requirements with one limit are one value.
        distinct: dict[tuple[str | None, float | None], tuple[Statement, list[str]]] = {}
        for code, statement in entries:
            distinct.setdefault((statement.bound, statement.value), (statement, []))[1].append(code)
        values = list(distinct.values())[:50]
        involved: dict[str, str] = {}
        for position, (statement, codes) in enumerate(values):
            for other, other_codes in values[position + 1 :]:
                if _contradicts(statement, other):
                    for code in codes:
                        involved.setdefault(code, f"{statement.bound} {statement.shown}")
                    for code in other_codes:
                        involved.setdefault(code, f"{other.bound} {other.shown}")
        if len(involved) > 1:
            metric = " ".join(subject + action)
            conflicts.append((sorted(involved), {"metric": metric, "values": involved, "kind": "numeric"}))
    return conflicts
