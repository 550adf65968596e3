"""What the planner knows about one requirement: its text, its place in the dependency graph, what code validation
found for it, its unresolved findings, and the kinds of work its words point at. Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol

from trellis.planning.types import FileRef
from trellis.requirements.analysis.phrases import topic_words

# Words that say what kind of work a requirement is. Matched on word boundaries, lower case.
SECURITY_WORDS = (
    "auth", "authenticate", "authentication", "authorization", "login", "log in", "sign in", "password", "token",
    "permission", "permissions", "role", "roles", "encrypt", "encrypted", "encryption", "secret", "secrets",
    "credential", "credentials", "payment", "payments", "credit card", "pii", "gdpr", "oauth", "session", "sessions",
)  # fmt: skip
EXTERNAL_WORDS = (
    "third-party", "third party", "external", "provider", "webhook", "webhooks", "smtp", "email", "e-mail", "sms",
    "stripe", "paypal", "github", "gitlab", "slack", "s3", "payment gateway", "api key", "llm", "openai",
)  # fmt: skip
INTEGRATION_WORDS = (
    "integrate", "integrates", "integration", "sync", "synchronize", "synchronise", "import", "imports", "export",
    "exports", "webhook", "api", "endpoint", "endpoints", "queue", "notify", "notification", "notifications",
)  # fmt: skip
FOUNDATION_WORDS = (
    "data model", "schema", "database", "table", "tables", "storage", "persist", "persisted", "configuration",
    "config", "setup", "infrastructure", "migration", "migrations", "account", "accounts", "logging",
)  # fmt: skip
DOCS_WORDS = (
    "api", "endpoint", "endpoints", "cli", "command", "commands", "configuration", "setting", "settings", "option",
    "options", "flag", "flags", "public", "user guide", "documented", "documentation",
)  # fmt: skip
# Finding categories that leave a requirement unclear enough to need an answer before it is built.
UNCLEAR_CATEGORIES = frozenset(
    {"placeholder", "missing_metric", "non_verifiable", "loophole", "missing_outcome", "conflicting_requirements"}
)
# Vague wording that acceptance criteria can settle ("a maximum wait" with a criterion saying "at most 10 s"); with
# no criteria it is all a builder has, so it blocks building too, as does vague wording in a criterion itself.
VAGUE_CATEGORIES = frozenset(
    {"subjective_language", "ambiguous_adverb_adjective", "superlative", "comparative", "uncertain_verb"}
)


def blocking_categories(findings: Sequence[tuple[str, str]], *, has_criteria: bool) -> list[str]:
    """The categories among one requirement's findings, as (category, field) pairs, that need an answer before it
    is built: the unclear ones (a missing outcome only when no criterion states one), vague wording in a criterion,
    and vague wording in the text when no criterion settles it (then `missing_acceptance_criteria` too)."""
    blocking = []
    for category, field in findings:
        if category == "missing_outcome":
            blocked = not has_criteria
        elif category in UNCLEAR_CATEGORIES:
            blocked = True
        elif category in VAGUE_CATEGORIES:
            blocked = field.startswith("acceptance_criteria") or not has_criteria
        else:
            blocked = False
        if blocked:
            blocking.append(category)
    if blocking and any(category == "missing_acceptance_criteria" for category, _ in findings):
        blocking.append("missing_acceptance_criteria")
    return list(dict.fromkeys(blocking))


# A performance target: a quality word, or a time limit on an action ("shall take less than 200 milliseconds").
PERFORMANCE_WORDS = (
    "latency", "overhead", "throughput", "response time", "response times", "performance", "memory usage",
    "memory footprint", "cpu usage", "requests per second", "p95", "p99", "percentile",
)  # fmt: skip
_TIME_LIMIT = re.compile(
    r"\b(?:take|takes|complete|completes|respond|responds|load|loads|run|runs|finish|finishes|return|returns|"
    r"start|starts|render|renders|parse|parses|process|processes)\b[^.;]{0,60}?\b(?:less than|under|within|at most|"
    r"below|no more than|in under)\s+\d[\d,.]*\s*"
    r"(?:ms|milliseconds?|microseconds?|µs|us|ns|nanoseconds?|seconds?|s|sec)\b",
    re.IGNORECASE,
)
# Names that contain a security word but are not about security: a rate limiter's token bucket, a UI's design tokens.
_NOT_SECURITY = re.compile(r"\btokens? buckets?\b|\bdesign tokens?\b")
# A call in backticks or with arguments ("`get_int`", get_int("PORT")) in a criterion: a public function.
_CALL = re.compile(r"\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\((?!\))", re.IGNORECASE)
_PUBLIC_VERBS = re.compile(r"\b(?:shall|must|should|will)\s+(?:provide|offer|expose)\b", re.IGNORECASE)
PRIORITY_RANK = {
    "critical": 1, "must": 1, "high": 1, "p0": 1, "p1": 1, "blocker": 1,
    "should": 2, "medium": 2, "normal": 2, "p2": 2,
    "could": 3, "low": 3, "p3": 3, "nice to have": 3,
    "won't": 4, "wont": 4, "later": 4,
}  # fmt: skip
STRONG_LINK = 0.8  # a linked file scoring at least this share of the best one is changed too, not only read
_TEST_PATH = re.compile(r"(^|/)(tests?|spec|__tests__)/|(^|/)test_[^/]+$|_test\.[a-z]+$|\.(test|spec)\.[a-z]+$")


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b")


_SECURITY, _EXTERNAL, _INTEGRATION = _pattern(SECURITY_WORDS), _pattern(EXTERNAL_WORDS), _pattern(INTEGRATION_WORDS)
_FOUNDATION, _DOCS, _PERFORMANCE = _pattern(FOUNDATION_WORDS), _pattern(DOCS_WORDS), _pattern(PERFORMANCE_WORDS)


class RequirementLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def acceptance_criteria(self) -> tuple[str, ...]: ...
    @property
    def dependencies(self) -> tuple[str, ...]: ...
    @property
    def priority(self) -> str | None: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class PlanInput:
    """A requirement as the planner takes it; `trellis.requirements.analysis.RequirementInput` works too
    (version 1)."""

    code: str
    text: str
    acceptance_criteria: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    priority: str | None = None
    tags: tuple[str, ...] = ()
    version: int = 1
    title: str | None = None


@dataclass(frozen=True)
class Profile:
    code: str
    version: int
    title: str  # its own title, else a short one from its first sentence: what task titles and file names use
    text: str
    criteria: tuple[str, ...]
    dependencies: tuple[str, ...]
    dependents: tuple[str, ...]
    priority: int
    status: str | None  # implemented | partial | missing; None without a validation report
    coverage: float | None
    missing_terms: tuple[str, ...]
    linked: tuple[FileRef, ...]  # files validation linked (reference actions; the planner picks the action)
    strong: tuple[str, ...]  # the linked files that carry most of the evidence: the best, and any close to it
    related: tuple[FileRef, ...]  # files that share words with it but were not linked
    tests: tuple[str, ...]  # test files validation linked to it
    unclear: tuple[str, ...]  # categories of unresolved findings that block building it as written
    findings: int
    security: tuple[str, ...]  # the words that matched, for the reasons
    external: tuple[str, ...]
    integration: tuple[str, ...]
    foundation: tuple[str, ...]
    docs: tuple[str, ...]
    # The performance target it sets ("overhead", "less than 200 milliseconds"): measured, not read from code.
    performance: tuple[str, ...] = ()
    # What each blocking finding says ('"intuitive" depends on who judges it; ...'): the research task's agenda.
    open_points: tuple[str, ...] = ()
    own_title: str | None = None  # the title the requirement was written with, if any

    @property
    def quality(self) -> str:
        """The non-functional quality the requirement sets ("performance"), or "" for a feature."""
        return "performance" if self.performance else ""


_ABBREVIATION = re.compile(r"\b(e\.g|i\.e|etc|vs|approx|incl|cf)\.$", re.IGNORECASE)


def short_title(text: str, limit: int = 70) -> str:
    """The first sentence (not cut at "e.g." or "i.e."), shortened on a word boundary."""
    first, rest = "", text.strip()
    while rest:
        head, _, rest = rest.partition(" ")
        first = f"{first} {head}".strip()
        if head.endswith((".", "!", "?")) and not _ABBREVIATION.search(head) and rest[:1].isupper():
            break
    first = first.rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def slug_words(text: str, words: int = 3) -> list[str]:
    """What a requirement is about, for a file name: its subject or what it provides, never the actor or the
    modal ("The library shall provide a circuit breaker that ..." -> circuit, breaker)."""
    return topic_words(text, words) or ["feature"]


def slug(text: str, words: int = 3) -> str:
    return "_".join(slug_words(text, words))


def file_name(text: str, extension: str, *, test: bool = False, bench: bool = False, suffix: str = "") -> str:
    """A new file's name in the language's own convention (PascalCase classes in Java, test_x.py, x_test.go,
    bench_x.py, XBenchmark.java...)."""
    parts = slug_words(text) + ([suffix] if suffix else [])
    if extension in (".java", ".kt", ".cs", ".scala", ".swift"):
        stem = "".join(part.capitalize() for part in parts)
        return f"{stem}{'Benchmark' if bench else 'Test' if test else ''}{extension}"
    if extension in (".js", ".jsx", ".ts", ".tsx", ".mjs", ".vue"):
        stem = "-".join(parts)
        return f"{stem}{'.bench' if bench else '.test' if test else ''}{extension}"
    stem = "_".join(parts)
    if bench:
        return f"{stem}_bench_test.go" if extension == ".go" else f"bench_{stem}{extension}"
    if not test:
        return f"{stem}{extension}"
    if extension == ".py":
        return f"test_{stem}.py"
    if extension == ".rb":
        return f"{stem}_spec.rb"
    return f"{stem}_test{extension}"


def _matches(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.group(0) for m in pattern.finditer(text.lower())))


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path.lower()))


def _file_ref(link: Mapping[str, Any]) -> FileRef:
    evidence = list(link.get("evidence") or [])
    best = next((e for e in evidence if e.get("kind") == "symbol"), None) or next(
        (e for e in evidence if e.get("kind") != "field"), None
    )
    best = best or (evidence[0] if evidence else None)
    why = str(best["why"]) if best else f"validation scored it {link.get('score', 0):.2f}"
    lines = best.get("lines") if best else None
    return FileRef(str(link["path"]), "reference", why, (int(lines[0]), int(lines[1])) if lines else None)


def build_profiles(
    requirements: Sequence[RequirementLike],
    unclear_by_code: Mapping[str, Sequence[str]],
    findings_by_code: Mapping[str, int],
    report: Mapping[str, Any] | None,
    open_points: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Profile]:
    by_code = {r["code"]: r for r in (report or {}).get("requirements", [])}
    dependents: dict[str, list[str]] = {r.code: [] for r in requirements}
    for requirement in requirements:
        for dependency in requirement.dependencies:
            dependents.setdefault(dependency, []).append(requirement.code)
    profiles = {}
    for requirement in requirements:
        result = by_code.get(requirement.code)
        links = list(result.get("links", [])) if result else []
        own_title = " ".join(str(getattr(requirement, "title", None) or "").split()) or None
        title = own_title or short_title(requirement.text)
        words = " ".join([title, requirement.text, *requirement.acceptance_criteria, *requirement.tags])
        profiles[requirement.code] = Profile(
            code=requirement.code,
            version=int(getattr(requirement, "version", 1) or 1),
            title=title,
            text=requirement.text,
            criteria=tuple(requirement.acceptance_criteria),
            dependencies=tuple(requirement.dependencies),
            dependents=tuple(dependents.get(requirement.code, ())),
            priority=PRIORITY_RANK.get((requirement.priority or "").strip().lower(), 2),
            status=str(result["status"]) if result else None,
            coverage=float(result.get("coverage", 0.0)) if result else None,
            missing_terms=tuple(result.get("missing_terms", ())) if result else (),
            linked=tuple(_file_ref(link) for link in links if link.get("linked")),
            strong=tuple(
                str(link["path"])
                for index, link in enumerate(item for item in links if item.get("linked"))
                if index == 0 or float(link.get("relative", 0.0)) >= STRONG_LINK
            ),
            related=tuple(_file_ref(link) for link in links if not link.get("linked"))[:3],
            tests=tuple(str(t["path"]) for t in (result or {}).get("tests", []) if t.get("linked")),
            unclear=tuple(dict.fromkeys(unclear_by_code.get(requirement.code, ()))),
            open_points=tuple((open_points or {}).get(requirement.code, ())),
            findings=findings_by_code.get(requirement.code, 0),
            security=_matches(_SECURITY, _NOT_SECURITY.sub(" ", words.lower())),
            external=_matches(_EXTERNAL, words),
            integration=_matches(_INTEGRATION, words),
            foundation=_matches(_FOUNDATION, words),
            docs=_matches(_DOCS, words) + _public_api(requirement),
            performance=performance_target(requirement.text),
            own_title=own_title,
        )
    return profiles


def performance_target(text: str) -> tuple[str, ...]:
    """The words of a requirement's statement that set a performance target; () for a feature. Only the statement:
    criteria often bound a functional outcome in time ("then the email arrives within 5 minutes")."""
    found = _matches(_PERFORMANCE, text)
    limit = _TIME_LIMIT.search(text)
    return found + ((limit.group(0),) if limit else ())


def _public_api(requirement: RequirementLike) -> tuple[str, ...]:
    """What makes a requirement part of a library's public surface: functions its criteria call
    (get_int("PORT")), or a statement that the product provides / offers / exposes something."""
    calls = [f"{m.group(1)}()" for c in requirement.acceptance_criteria for m in _CALL.finditer(c)]
    if _PUBLIC_VERBS.search(requirement.text):
        calls.append("public API")
    return tuple(dict.fromkeys(calls))


_BENCH_DIRS = frozenset({"bench", "benches", "benchmark", "benchmarks", "perf", "performance"})


@dataclass(frozen=True)
class RepoLayout:
    """Where code, tests and benchmarks live in the validated repository, to name files that do not exist yet."""

    source_dir: str | None
    test_dir: str | None
    extension: str | None
    bench_dir: str | None = None

    @classmethod
    def from_report(cls, report: Mapping[str, Any] | None) -> RepoLayout:
        if not report:
            return cls(None, None, None)
        sources: Counter[str] = Counter()
        tests: Counter[str] = Counter()
        benches: Counter[str] = Counter()
        extensions: Counter[str] = Counter()
        paths: list[PurePosixPath] = []
        for requirement in report.get("requirements", []):
            for link in requirement.get("links", []):
                path = PurePosixPath(str(link["path"]))
                sources[str(path.parent)] += 1
                extensions[path.suffix] += 1
                paths.append(path)
            for link in requirement.get("tests", []):
                tests[str(PurePosixPath(str(link["path"])).parent)] += 1
        for item in report.get("unrequested", []):
            path = PurePosixPath(str(item["path"]))
            (tests if is_test_path(str(path)) else sources)[str(path.parent)] += 1
            extensions[path.suffix] += 1
            paths.append(path)
        for path in paths:
            parts = path.parent.parts
            for index, part in enumerate(parts):
                if part.lower() in _BENCH_DIRS:
                    benches[str(PurePosixPath(*parts[: index + 1]))] += 1
                    break
        ext = next((e for e, _ in extensions.most_common() if e), None)
        source = next(
            (d for d, _ in sources.most_common() if not is_test_path(d + "/") and d not in benches),
            None,
        )
        return cls(
            source,
            next((d for d, _ in tests.most_common()), None),
            ext,
            next((d for d, _ in benches.most_common()), None),
        )

    def new_source(self, profile: Profile) -> FileRef | None:
        """A file to create for a requirement nothing implements: beside the code its nearest related file is in."""
        anchor = profile.related[0].path if profile.related else None
        directory = str(PurePosixPath(anchor).parent) if anchor else self.source_dir
        suffix = PurePosixPath(anchor).suffix if anchor else self.extension
        if directory is None or not suffix:
            return None
        path = str(PurePosixPath(directory) / file_name(profile.title, suffix)).removeprefix("./")
        near = f"beside {anchor}, the closest related code" if anchor else "where most of the code lives"
        return FileRef(path, "create", f"no code implements {profile.code} yet; placed {near}")

    def new_test(self, profile: Profile, *, suffix: str = "") -> FileRef | None:
        """A test file named after what the requirement is about, where the repository keeps its tests (Go: beside
        the code; a repository without tests: tests/)."""
        extension = self.extension
        if not extension or (self.source_dir is None and self.test_dir is None):
            return None
        name = file_name(profile.title, extension, test=True, suffix=suffix)
        if self.test_dir is not None:
            directory, where = self.test_dir, f"the repository's tests live in {self.test_dir}"
        elif extension == ".go":
            directory = str(PurePosixPath(profile.linked[0].path).parent) if profile.linked else str(self.source_dir)
            where = "Go tests live beside the code"
        else:
            directory, where = "tests", "the repository has no tests yet: this starts tests/"
        path = str(PurePosixPath(directory) / name).removeprefix("./")
        return FileRef(path, "create", f"no test covers {profile.code} yet; {where}")

    def new_bench(self, profile: Profile) -> FileRef | None:
        """The benchmark that measures a performance requirement, named after its subject: in the repository's
        benchmark directory, or benchmarks/ (Go: a _bench_test.go beside the code)."""
        extension = self.extension
        if not extension:
            return None
        metric = [w for w in ("overhead", "latency", "throughput") if w in profile.performance]
        suffix = metric[0] if metric and metric[0] not in slug_words(profile.title) else ""
        name = file_name(profile.title, extension, bench=True, suffix=suffix)
        if self.bench_dir is not None:
            directory, where = self.bench_dir, f"beside the repository's benchmarks in {self.bench_dir}"
        elif extension == ".go" and profile.linked:
            directory, where = str(PurePosixPath(profile.linked[0].path).parent), "Go benchmarks live beside the code"
        else:
            directory, where = "benchmarks", "the repository has no benchmarks yet: this starts benchmarks/"
        path = str(PurePosixPath(directory) / name).removeprefix("./")
        target = profile.performance[-1]
        return FileRef(path, "create", f"measures {profile.code}'s target ({target}); {where}")
