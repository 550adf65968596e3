"""The tasks a requirement needs, before ids, estimates and the graph are settled. Pure.

One requirement gives:
- validation found it implemented: one verification task (quality assurance), nothing to build;
- otherwise one implementation task (complete it when partial, build it when missing), preceded by a research task
  when unresolved findings leave it unclear, and by a design task when three or more requirements build on it;
- a security review when its words are security-sensitive, and end-to-end tests when it integrates others being
  built in the same plan. Documentation is one task for the user-facing requirements built (API, CLI, settings).
Nothing else: no task exists only to fill a phase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from trellis.planning.docs import DocFile, documentation_files
from trellis.planning.profile import Profile, RepoLayout
from trellis.planning.types import FileRef

PHASE_ORDER = ("foundation", "core_features", "integration", "quality_assurance")
MAX_FILES = 6


@dataclass
class Draft:
    key: str
    title: str
    description: str
    category: str
    kind: str
    phase: str
    profiles: list[Profile]
    depends_on: list[str]  # keys
    files: list[FileRef]
    complexity: int = 1
    reasons: list[str] = field(default_factory=list)
    quality: str = ""  # "performance": measured against a target, not built from criteria


def assign_phase(profile: Profile, dependency_phases: Sequence[str]) -> str:
    """Seed 000's frame: what others build on first, the features, what ties them together; never before a
    dependency's phase."""
    if profile.dependencies and (len(profile.dependencies) >= 2 or profile.integration or profile.external):
        phase = "integration"
    elif not profile.dependencies and (profile.dependents or _foundation_by_words(profile)):
        phase = "foundation"
    else:
        phase = "core_features"
    latest = max((PHASE_ORDER.index(p) for p in dependency_phases), default=0)
    return PHASE_ORDER[max(PHASE_ORDER.index(phase), latest)]


def _foundation_by_words(profile: Profile) -> bool:
    """Words like "configuration" or "logging" make a requirement groundwork only when it is settled and wanted:
    nothing builds first on an optional ("could") or still unclear requirement."""
    return bool(profile.foundation) and profile.priority <= 2 and bool(profile.criteria) and not profile.unclear


def _status_line(profile: Profile) -> str:
    if profile.status is None:
        return "Code validation has not run: check the repository for existing code before writing new code."
    linked = ", ".join(f.path for f in profile.linked[:4]) or "no file"
    if profile.status == "implemented":
        return f"Code validation found it implemented (coverage {profile.coverage or 0:.0%}) in {linked}."
    if profile.status == "partial":
        missing = ", ".join(f"'{t}'" for t in profile.missing_terms[:6])
        gap = f"; not found in the linked code: {missing}" if missing else ""
        return f"Code validation found it partly implemented (coverage {profile.coverage or 0:.0%}) in {linked}{gap}."
    if profile.unclear:
        return (
            "Code validation found no code implementing it. What to build depends on the answers to its open "
            "questions: start from them, then from the related code listed."
        )
    return "Code validation found no code implementing it."


def _measure_draft(profile: Profile, phase: str, depends: list[str], layout: RepoLayout) -> Draft:
    """A performance requirement: a benchmark first, then code changes only where the figure misses the target.
    Code validation reads words, so its status says nothing about whether a target is met."""
    bench = layout.new_bench(profile)
    code = [
        FileRef(f.path, "reference", f"code the benchmark exercises: {f.why}", f.lines)
        for f in (profile.linked or profile.related)[:3]
    ]
    files = _unique(([bench] if bench else []) + code)
    where = ", ".join(f.path for f in code) or "the code path its criteria exercise"
    bench_text = f"`{bench.path}`" if bench else "a benchmark"
    description = (
        f"A performance target ({', '.join(profile.performance)}): code validation cannot tell whether it is met, a "
        f"measurement can. Write {bench_text} to reproduce the conditions of the acceptance criteria, run it before "
        f"changing anything and record the figure; change the code it exercises ({where}) only if the figure misses "
        f"the target, then measure again.\n\n{_requirement_block(profile)}"
    )
    score = 3 + min(len(depends), 2) + (not code)
    reasons = ["a performance target: measured before and after any change"]
    reasons += [f"builds on {', '.join(profile.dependencies)}"] if profile.dependencies else []
    reasons += [] if code else ["no related code found: the hot path has to be located first"]
    title = f"Measure and meet {profile.code}: {profile.title}"
    return _build_draft(profile, phase, depends, title, description, files, min(10, score), reasons, "performance")


def _build_draft(
    profile: Profile,
    phase: str,
    depends: list[str],
    title: str,
    description: str,
    files: list[FileRef],
    complexity: int,
    reasons: list[str],
    quality: str = "",
) -> Draft:
    """The one task that builds (or measures) a requirement: key `build:<code>`, so plan diffs and the tasks that
    come after it find it whichever way it was drafted."""
    key = f"build:{profile.code}"
    return Draft(key, title, description, "implementation", "build", phase, [profile], depends, files, complexity,
                 reasons, quality)  # fmt: skip


def _requirement_block(profile: Profile) -> str:
    lines = [f"{profile.code} v{profile.version}: {profile.text}"]
    lines += [f"- {criterion}" for criterion in profile.criteria]
    return "\n".join(lines)


def _build_files(profile: Profile, layout: RepoLayout) -> list[FileRef]:
    if profile.status == "partial":
        files = [FileRef(f.path, "modify", f.why, f.lines) for f in profile.linked if f.path in profile.strong][:3]
        files += [f for f in profile.linked if f.path not in profile.strong][:2]
        files += [FileRef(t, "modify", f"the test linked to {profile.code}") for t in profile.tests[:1]]
    elif profile.unclear:
        # What to create depends on the answers: name the code to start from, not a file named after vague words.
        files = [FileRef(f.path, "reference", f.why, f.lines) for f in profile.related[:3]]
    else:
        created = layout.new_source(profile)
        files = [created] if created else []
        files += list(profile.related[:2])
    if not profile.tests:
        test = layout.new_test(profile)
        if test is not None:
            files.append(test)
    return _unique(files)[:MAX_FILES]


def _unique(files: Sequence[FileRef]) -> list[FileRef]:
    seen: dict[str, FileRef] = {}
    for item in files:
        seen.setdefault(item.path, item)
    return list(seen.values())


def _build_complexity(profile: Profile, files: Sequence[FileRef], depends_on: int) -> tuple[int, list[str]]:
    score, reasons = 2, []
    if len(profile.criteria) >= 3:
        score += 1 if len(profile.criteria) < 6 else 2
        reasons.append(f"{len(profile.criteria)} acceptance criteria to satisfy")
    edges = max(len(profile.dependencies), depends_on)
    if edges:
        score += min(edges, 2)
        reasons.append(f"builds on {', '.join(profile.dependencies) or f'{edges} tasks'}")
    if len(profile.dependents) >= 2:
        score += 1
        reasons.append(f"{len(profile.dependents)} requirements build on it ({', '.join(profile.dependents[:4])})")
    words = len(profile.text.split())
    if words > 60:
        score += 1
        reasons.append(f"long requirement ({words} words)")
    if profile.unclear:
        score += 1
        reasons.append(f"unresolved findings: {', '.join(profile.unclear)}")
    for label, found in (("integrates other parts", profile.integration), ("outside service", profile.external)):
        if found and (label != "integrates other parts" or profile.dependencies):
            score += 1
            reasons.append(f"{label}: {', '.join(found[:3])}")
    if profile.security:
        score += 1
        reasons.append(f"security-sensitive: {', '.join(profile.security[:3])}")
    if profile.status == "partial":
        score -= 1
        reasons.append(f"partly implemented already (coverage {profile.coverage or 0:.0%})")
    elif profile.status == "missing" and not profile.related:
        score += 1
        reasons.append("no related code in the repository to start from")
    touched = sum(f.action != "reference" for f in files)
    if touched >= 4:
        score += 1
        reasons.append(f"changes {touched} files")
    if not reasons:
        reasons.append("a single, self-contained change")
    return max(1, min(10, score)), reasons


def _verify_draft(profile: Profile, layout: RepoLayout, block: str, depends_on: list[str]) -> Draft:
    files = [FileRef(f.path, "reference", f.why, f.lines) for f in profile.linked[:4]]
    files += [FileRef(t, "reference", f"the test linked to {profile.code}") for t in profile.tests[:2]]
    test = None if profile.tests else layout.new_test(profile)
    files += [test] if test else []
    complexity = 1 + (len(profile.criteria) >= 3) + (not profile.tests)
    reasons = ["already implemented: confirm, do not rebuild"]
    reasons += [] if profile.tests else ["no linked test: one has to be written"]
    against = "the criteria its research task records" if depends_on else "that code"
    description = (
        f"{_status_line(profile)} Check each acceptance criterion against {against}"
        + ("" if profile.tests else " and add the missing test")
        + f"; change code only where a criterion is not met.\n\n{block}"
    )
    return Draft(
        f"verify:{profile.code}",
        f"Verify {profile.code} is implemented: {profile.title}",
        description,
        "review" if profile.tests else "testing",
        "verify",
        "quality_assurance",
        [profile],
        depends_on,
        _unique(files)[:MAX_FILES],
        complexity,
        reasons,
    )


def draft_requirement(
    profile: Profile,
    phase: str,
    built: Mapping[str, str],
    layout: RepoLayout,
    profiles: Mapping[str, Profile] | None = None,
) -> list[Draft]:
    """The drafts for one requirement. `built` maps the codes already drafted for building to their build key;
    `profiles` (all requirements by code) lets end-to-end tests carry the criteria of what they tie together."""
    block = _requirement_block(profile)
    drafts: list[Draft] = []
    before: list[str] = []
    if profile.unclear:
        research = Draft(
            f"research:{profile.code}",
            f"Resolve the open questions in {profile.code}",
            f"{profile.code} has unresolved findings ({', '.join(profile.unclear)}) that decide what gets built. "
            "Answer them (Trellis refinement, or a new version of the requirement) so the build starts from a "
            f"testable requirement{':' if profile.open_points else '.'}"
            + "".join(f"\n- {point}" for point in profile.open_points)
            + f"\n\n{block}",
            "research",
            "build",
            phase,
            [profile],
            [],
            [],
            min(3, 1 + len(profile.unclear)),
            [f"{len(profile.unclear)} open question(s): {', '.join(profile.unclear)}"],
        )
        drafts.append(research)
        before.append(research.key)
    if profile.status == "implemented" and not profile.quality:
        # Verified against the answers when it is unclear: "better error messages" cannot be confirmed as written.
        return [*drafts, _verify_draft(profile, layout, block, before)]
    if len(profile.dependents) >= 3:
        design = Draft(
            f"design:{profile.code}",
            f"Design what {', '.join(profile.dependents[:3])}{'…' if len(profile.dependents) > 3 else ''} "
            f"build on: {profile.title}",
            f"{len(profile.dependents)} requirements depend on {profile.code}. Write down the interface they will use "
            f"(names, inputs, outputs, errors) before building it, so they can be built in parallel.\n\n{block}",
            "design",
            "build",
            phase,
            [profile],
            list(before),
            [FileRef(f.path, "reference", f.why, f.lines) for f in (profile.linked or profile.related)[:3]],
            3 + (len(profile.dependents) >= 5),
            [f"{len(profile.dependents)} requirements depend on it"],
        )
        drafts.append(design)
        before = [design.key]
    depends = before + [built[code] for code in profile.dependencies if code in built]
    if profile.quality == "performance":
        return [*drafts, _measure_draft(profile, phase, depends, layout)]
    files = _build_files(profile, layout)
    complexity, reasons = _build_complexity(profile, files, len(depends))
    verb = "Complete" if profile.status == "partial" else "Implement"
    title, description = f"{verb} {profile.code}: {profile.title}", f"{_status_line(profile)}\n\n{block}"
    build = _build_draft(profile, phase, depends, title, description, files, complexity, reasons)
    drafts.append(build)
    if profile.security:
        drafts.append(
            Draft(
                f"review:{profile.code}",
                f"Security review of {profile.code}: {profile.title}",
                f"{profile.code} handles {', '.join(profile.security[:4])}. Review the change for secrets in logs or "
                f"responses, missing authorization checks and unsafe defaults before it ships.\n\n{block}",
                "review",
                "build",
                "quality_assurance",
                [profile],
                [build.key],
                [
                    FileRef(f.path, "reference", "changed by the implementation task")
                    for f in files
                    if f.action != "reference"
                ],
                1 + (len(profile.security) >= 3) + (complexity >= 7),
                [f"security-sensitive: {', '.join(profile.security[:3])}"],
            )
        )
    integrated = [code for code in profile.dependencies if code in built]
    if phase == "integration" and integrated:
        test = layout.new_test(profile, suffix="end_to_end")
        drafts.append(
            Draft(
                f"test:{profile.code}",
                f"End-to-end tests: {profile.code} with {', '.join(integrated)}",
                f"{profile.code} ties together {', '.join(integrated)}, all built in this plan. Test them together "
                f"through {profile.code}'s entry point, with the acceptance criteria as the assertions.\n\n{block}",
                "testing",
                "build",
                "quality_assurance",
                [profile, *(profiles[code] for code in integrated if profiles and code in profiles)],
                [build.key],
                [test] if test else [],
                min(8, 3 + len(integrated)),
                [f"exercises {len(integrated) + 1} requirements together"],
            )
        )
    return drafts


MAX_DOCUMENTED = 8  # requirements per documentation task: its prompt carries each one's text and criteria


def documentation_drafts(
    profiles: Sequence[Profile], built: Mapping[str, str], docs: Sequence[DocFile] | None = None
) -> list[Draft]:
    """One documentation task per MAX_DOCUMENTED user-facing requirements built (API, CLI, settings, public
    functions), in plan order; keys `docs`, `docs:2`, ... so a plan diff matches them. With the repository's
    documentation files (`docs`; None when the repository was not read) each names the files it changes."""
    documented = [p for p in profiles if p.docs and p.code in built and not p.quality]
    chunks = [documented[i : i + MAX_DOCUMENTED] for i in range(0, len(documented), MAX_DOCUMENTED)]
    drafts = []
    for number, chunk in enumerate(chunks, start=1):
        codes = ", ".join(p.code for p in chunk)
        part = f" (part {number} of {len(chunks)})" if len(chunks) > 1 else ""
        lines = "\n".join(f"- {p.code}: {p.title} (mentions {', '.join(p.docs[:3])})" for p in chunk)
        drafts.append(
            Draft(
                "docs" if number == 1 else f"docs:{number}",
                f"Document the user-facing changes{part}: {codes}",
                "These requirements change what users call or configure. Describe each as built, with an example "
                f"taken from its tests{', in the files listed' if docs is not None else ''}:\n{lines}",
                "documentation",
                "build",
                "quality_assurance",
                list(chunk),
                [built[p.code] for p in chunk],
                [] if docs is None else documentation_files(chunk, docs),
                min(5, 1 + len(chunk) // 3),
                [f"{len(chunk)} user-facing requirement(s) to describe"],
            )
        )
    return drafts
