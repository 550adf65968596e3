"""A Definition of Done per task: its requirements' acceptance criteria plus quality gates. Pure.

Each item says whether Trellis can check it itself when the task is reported done (`checkable`, and `check` says
how): re-validation of the requirement against the repository, a file the task creates exists, a test linked to
the requirement exists, every dependency is done. The acceptance criteria themselves are for people and tests to
judge; re-validation covers them only as far as the code mentions what they ask for. Files a task suggests
creating are suggestions (the agent may put the code where it fits better), so they are not DoD items.
"""

from __future__ import annotations

from collections.abc import Sequence

from trellis.planning.profile import Profile
from trellis.planning.types import DodItem


def _criteria(profiles: Sequence[Profile], *, researched: bool = False) -> list[DodItem]:
    """The acceptance criteria; `researched`: a research task before this one records the missing ones."""
    items = []
    for profile in profiles:
        for criterion in profile.criteria:
            items.append(DodItem(f"{profile.code}: {criterion}", "acceptance_criterion", False))
        if not profile.criteria and researched and profile.unclear:
            items.append(
                DodItem(
                    f"The acceptance criteria its research task recorded for {profile.code} are met.",
                    "quality_gate",
                    False,
                )
            )
        elif not profile.criteria:
            items.append(
                DodItem(
                    f"{profile.code} has no acceptance criteria: agree them with the requirement's owner and record "
                    "them before closing the task.",
                    "quality_gate",
                    False,
                )
            )
    return items


def _depends(depends_on: Sequence[str]) -> list[DodItem]:
    if not depends_on:
        return []
    return [DodItem(f"Its dependencies ({', '.join(depends_on)}) are done.", "quality_gate", True, "dependencies_done")]


def build_dod(profiles: Sequence[Profile], depends_on: Sequence[str]) -> tuple[DodItem, ...]:
    items = _criteria(profiles, researched=True)
    for profile in profiles:
        items.append(
            DodItem(
                f"Code validation finds {profile.code} implemented in the repository.",
                "quality_gate",
                True,
                f"implemented:{profile.code}",
            )
        )
        items.append(
            DodItem(
                f"A test linked to {profile.code} exercises its acceptance criteria.",
                "quality_gate",
                True,
                f"test_linked:{profile.code}",
            )
        )
    items += _depends(depends_on)
    if any(p.security for p in profiles):
        items.append(DodItem("A second person reviewed the change for security.", "quality_gate", False))
    return tuple(items)


def verify_dod(profile: Profile, *, researched: bool = False) -> tuple[DodItem, ...]:
    items = _criteria([profile], researched=researched)
    items.append(
        DodItem(
            f"Code validation still finds {profile.code} implemented in the repository.",
            "quality_gate",
            True,
            f"implemented:{profile.code}",
        )
    )
    items.append(
        DodItem(
            f"A test linked to {profile.code} covers each acceptance criterion.",
            "quality_gate",
            True,
            f"test_linked:{profile.code}",
        )
    )
    return tuple(items)


def testing_dod(profiles: Sequence[Profile], depends_on: Sequence[str]) -> tuple[DodItem, ...]:
    """End-to-end tests of the first requirement with the ones it ties together (the rest of `profiles`)."""
    first = profiles[0]
    together = ", ".join(p.code for p in profiles[1:]) or ", ".join(first.dependencies)
    items = [
        DodItem(f"A test linked to {first.code} exercises it together with {together}.", "quality_gate", True,
                f"test_linked:{first.code}")
    ]  # fmt: skip
    items.append(DodItem("The new tests pass in CI.", "quality_gate", False))
    return tuple(items + _depends(depends_on))


def review_dod(profiles: Sequence[Profile], depends_on: Sequence[str]) -> tuple[DodItem, ...]:
    words = sorted({w for p in profiles for w in p.security})
    items = [
        DodItem(
            f"Reviewed for {', '.join(words)} handling: secrets never logged or returned, access checked on "
            "every path.",
            "quality_gate",
            False,
        ),
        DodItem("Every review comment is resolved or answered.", "quality_gate", False),
    ]
    return tuple(items + _depends(depends_on))


def research_dod(profile: Profile) -> tuple[DodItem, ...]:
    return (
        DodItem(
            f"Each open question in {profile.code} ({', '.join(profile.unclear)}) is answered and the requirement "
            "updated to a new version.",
            "quality_gate",
            True,
            f"findings_resolved:{profile.code}",
        ),
    )


def documentation_dod(
    profiles: Sequence[Profile], depends_on: Sequence[str], created: Sequence[str] = ()
) -> tuple[DodItem, ...]:
    items = [
        DodItem(f"The documentation describes {p.code} ({p.title}) as built, with an example.", "quality_gate", False)
        for p in profiles
    ]
    items += [DodItem(f"The page {path} exists.", "quality_gate", True, f"file_exists:{path}") for path in created]
    return tuple(items + _depends(depends_on))


def design_dod(profile: Profile) -> tuple[DodItem, ...]:
    return (
        DodItem(
            f"The interface {', '.join(profile.dependents)} will use is written down (names, inputs, outputs, errors) "
            "and agreed with whoever builds them.",
            "quality_gate",
            False,
        ),
    )


def measure_dod(profile: Profile, bench: str | None, depends_on: Sequence[str]) -> tuple[DodItem, ...]:
    """A performance target: the criteria, a benchmark that exists, and the figure recorded. No re-validation
    item: code validation reads words and cannot tell whether a target is met."""
    items = _criteria([profile])
    if bench:
        items.append(
            DodItem(f"The benchmark {bench} exists and measures {profile.code}'s target.", "quality_gate", True,
                    f"file_exists:{bench}")
        )  # fmt: skip
    items.append(
        DodItem(
            "The measured figure (median of repeated runs) meets the target; the command and the figures before and "
            "after any change are recorded in the commit message.",
            "quality_gate",
            False,
        )
    )
    return tuple(items + _depends(depends_on))
