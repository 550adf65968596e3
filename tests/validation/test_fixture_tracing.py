"""What a user checks in a report on the fixture repositories laid out like real libraries: envload (python-dotenv's
shape: public functions in main.py, re-exported by __init__, ${VAR} expansion in variables.py, a click cli.py, a
private _compat.py) and retrykit (tenacity's: the retry decorator and a private state class in __init__, wait, stop
and before_sleep modules, a private _utils.py). Their labels are answers.json (files) and statuses.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trellis.requirements.formats import parse_requirements
from trellis.validation import text
from trellis.validation.engine import validate_repository

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def envload() -> dict[str, dict[str, Any]]:
    return _report("envload")


@pytest.fixture(scope="module")
def retrykit() -> dict[str, dict[str, Any]]:
    return _report("retrykit")


def _report(name: str) -> dict[str, dict[str, Any]]:
    directory = FIXTURES / name
    requirements = parse_requirements((directory / "requirements.json").read_text(), format="json")
    report = validate_repository(directory, requirements).as_dict()
    return {item["code"]: item for item in report["requirements"]}


def _linked(requirement: dict[str, Any]) -> list[str]:
    return [link["path"] for link in requirement["links"] if link["linked"]]


def _symbols(link: dict[str, Any]) -> list[str]:
    return [item["symbol"] for item in link["evidence"] if item["kind"] == "symbol"]


def test_variable_expansion_is_traced_to_the_expansion_code_not_the_command_line(
    envload: dict[str, dict[str, Any]],
) -> None:
    expansion = envload["ENV-2"]
    assert set(_linked(expansion)) == {"src/envload/main.py", "src/envload/variables.py"}
    assert expansion["status"] == "implemented"
    assert _symbols(expansion["links"][0])[0] == "resolve_variables"


def test_the_command_line_requirement_is_traced_to_cli_py(envload: dict[str, dict[str, Any]]) -> None:
    # "cli" reads as "command line" (it used to read as "client")
    assert _linked(envload["ENV-3"])[0] == "src/envload/cli.py"
    assert envload["ENV-3"]["status"] == "implemented"


@pytest.mark.parametrize("code", ["ENV-4", "ENV-8"])
def test_features_the_library_lacks_are_missing_though_ordinary_words_match(
    envload: dict[str, dict[str, Any]], code: str
) -> None:
    """Encryption with a master key and Prometheus metrics are nowhere in envload; its files share 'values',
    'file', 'load', 'variable' with them."""
    requirement = envload[code]
    assert requirement["status"] == "missing" and not _linked(requirement)
    assert requirement["links"], "the files sharing words stay ranked, as candidates"


def test_the_advice_for_a_lacking_feature_names_the_words_the_code_lacks() -> None:
    directory = FIXTURES / "envload"
    requirements = parse_requirements((directory / "requirements.json").read_text(), format="json")
    report = validate_repository(directory, requirements)
    advice = {r.requirement: r.message for r in report.recommendations if r.kind == "implement"}
    # The words even the closest files lack, not those they have ("file", "load", "variable").
    assert advice["ENV-4"] == "Implement ENV-4: no code file matches it well enough (decrypt, encrypt, master, secret)."
    assert advice["ENV-8"].endswith("(chart, endpoint, metrics, often, operators, prometheus).")


def test_the_function_the_criteria_call_is_the_first_symbol_shown(envload: dict[str, dict[str, Any]]) -> None:
    """The criteria call load_dotenv(): it comes before DotEnv's methods and the private _load_dotenv_disabled."""
    loading = envload["ENV-1"]
    assert loading["links"][0]["path"] == "src/envload/main.py"
    symbols = _symbols(loading["links"][0])
    assert symbols[0] == "load_dotenv" and "_load_dotenv_disabled" not in symbols
    assert next(e for e in loading["links"][0]["evidence"] if e.get("symbol") == "load_dotenv")["why"].startswith(
        "function load_dotenv: the requirement names it"
    )
    # The private module is no candidate above the public ones.
    assert [link["path"] for link in loading["links"]].index("src/envload/_compat.py") > 2


def test_the_retry_decorator_outranks_the_private_state_class(retrykit: dict[str, dict[str, Any]]) -> None:
    decorating = retrykit["RT-1"]
    assert set(_linked(decorating)) == {"retrykit/__init__.py", "retrykit/stop.py"}
    assert decorating["status"] == "implemented"
    symbols = _symbols(decorating["links"][0])
    assert symbols[0] == "retry" and "_RetryCallState" not in symbols


def test_logging_meets_a_logger_and_before_sleep_log(retrykit: dict[str, dict[str, Any]]) -> None:
    logging = retrykit["RT-3"]
    assert _linked(logging) == ["retrykit/before_sleep.py"]
    assert logging["status"] == "implemented"
    assert _symbols(logging["links"][0])[0] == "before_sleep_log"
    assert {"logging", "logger"} & set(logging["key_terms"])
    assert text.word_terms("logger") == text.word_terms("logging") == text.word_terms("log") == ("log",)


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (("parser", "parse", "parsing"), True),
        (("handler", "handle"), True),
        (("timer", "time"), True),
        (("runner", "run", "running"), True),
        (("user", "use"), False),  # "use" is a stop word: user keeps its -er
        (("renderer", "rendering", "render"), True),
    ],
)
def test_er_nouns_meet_their_verbs(words: tuple[str, ...], same: bool) -> None:
    stems = {text.word_terms(word) for word in words}
    assert (len(stems) == 1) is same


@pytest.mark.parametrize("code", ["RT-4", "RT-5"])
def test_circuit_breakers_and_persistence_are_missing_from_a_retry_library(
    retrykit: dict[str, dict[str, Any]], code: str
) -> None:
    assert retrykit[code]["status"] == "missing" and not _linked(retrykit[code])


FILLER = {"should", "support", "able", "user", "users", "system", "data", "library", "easy", "well"}


def test_key_and_missing_terms_leave_out_filler_words(
    envload: dict[str, dict[str, Any]], retrykit: dict[str, dict[str, Any]]
) -> None:
    for requirement in [*envload.values(), *retrykit.values()]:
        assert not FILLER & set(requirement["key_terms"]), requirement["code"]
        assert not FILLER & set(requirement["missing_terms"]), requirement["code"]
        # A symbol or comment is shown for a word that says something about the feature, never for filler alone.
        for link in requirement["links"]:
            for item in link["evidence"]:
                if item["kind"] in ("symbol", "passage"):
                    assert set(item["terms"]) - FILLER, (requirement["code"], item)
                if item["kind"] == "field" and requirement["code"] != "ENV-7":
                    assert not FILLER & set(item["terms"]), (requirement["code"], item)
    # A requirement made of nothing but filler traces to nothing.
    vague = envload["ENV-7"]
    assert vague["status"] == "missing" and vague["key_terms"] == [] and vague["missing_terms"] == []
    # Its candidate says why it is one: filler is all it shares, and that is shown rather than nothing.
    assert [item["why"] for item in vague["links"][0]["evidence"]] == [
        "its comments, docstrings or strings mention 'system'",
        "identifiers in its code use 'system'",
    ]
    # The words that do say what is lacking are there.
    assert {"encrypt", "decrypt", "master"} <= set(envload["ENV-4"]["missing_terms"])
    assert {"breaker", "circuit"} <= set(retrykit["RT-4"]["missing_terms"])


def test_documentation_code_is_neither_implementation_nor_unrequested() -> None:
    """envload's docs/conf.py (Sphinx) mentions variables, load_dotenv and the command line: it is skipped, as a
    documentation folder, not linked to those requirements or listed as code nobody asked for."""
    directory = FIXTURES / "envload"
    requirements = parse_requirements((directory / "requirements.json").read_text(), format="json")
    report = validate_repository(directory, requirements).as_dict()
    assert report["index"]["skipped"] == {"documentation": 1}
    every_path = {link["path"] for r in report["requirements"] for link in [*r["links"], *r["tests"]]}
    assert "docs/conf.py" not in every_path
    assert "docs/conf.py" not in [item["path"] for item in report["unrequested"]]
