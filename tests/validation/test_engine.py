"""The pure validation engine: words, symbols, indexing, tracing, scoring."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from trellis.requirements.analysis import RequirementInput
from trellis.validation import indexing, text
from trellis.validation.engine import requirements_hash, validate_repository
from trellis.validation.indexing import _index_packed, _unpack, index_repository, index_source, is_test_path
from trellis.validation.scoring import DIMENSIONS
from trellis.validation.symbols import _compiled, _python_nodes, _query_nodes, outline
from trellis.validation.tracing import build_queries


def test_identifiers_split_on_camel_snake_and_acronyms() -> None:
    assert text.split_identifier("parseHTTPResponse") == ["parse", "http", "response"]
    assert text.split_identifier("max_retry_count") == ["max", "retry", "count"]
    assert text.split_identifier("XMLHttpRequest2") == ["xml", "http", "request", "2"]
    # abbreviations expand and words stem, so code and prose meet
    assert text.word_terms("getUserPwd") == (text.stem("user"), text.stem("password"))
    assert text.terms("Users reset passwords") == [text.stem("users"), text.stem("reset"), text.stem("passwords")]
    assert text.stem("delete") in text.synonyms(text.stem("remove"))


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        (
            "python",
            b'class Cart:\n    """A cart."""\n    def add_item(self):\n        pass\n',
            [("Cart", "class"), ("Cart.add_item", "method")],
        ),
        (
            "java",
            b"/** Orders. */\nclass OrderService {\n  void placeOrder() {}\n}\n",
            [("OrderService", "class"), ("OrderService.placeOrder", "method")],
        ),
        (
            "javascript",
            b"class A { m() {} }\nconst f = () => 1;\n",
            [("A", "class"), ("A.m", "method"), ("f", "function")],
        ),
        (
            "typescript",
            b"interface Shape {}\nexport function area(s: Shape): number { return 0; }\n",
            [("Shape", "interface"), ("area", "function")],
        ),
        ("go", b"package x\ntype Cart struct{}\nfunc (c *Cart) Add() {}\n", [("Cart", "type"), ("Add", "method")]),
        (
            "c",
            b"struct point { int x; };\nint *make_point(void) { return 0; }\n",
            [("point", "struct"), ("make_point", "function")],
        ),
        (
            "cpp",
            b"namespace shop { class Cart { void add(); }; }\nvoid shop::Cart::add() {}\n",
            [("shop", "namespace"), ("shop.Cart", "class")],
        ),
    ],
)
def test_symbols_for_each_grammar(language: str, source: bytes, expected: list[tuple[str, str]]) -> None:
    found = [(symbol.qualified_name, symbol.kind) for symbol in outline(source, language).symbols]
    for item in expected:
        assert item in found


def test_docstrings_and_comments_become_passages_and_symbol_docs() -> None:
    shape = outline(b'def refund(order):\n    """Give the money back."""\n    # partial refunds too\n', "python")
    assert [(p.text, p.kind, p.start_line) for p in shape.passages] == [
        ("Give the money back.", "docstring", 2),
        ("partial refunds too", "comment", 3),
    ]
    assert shape.symbols[0].doc == "Give the money back."
    assert shape.symbols[0].start_line == 1 and shape.symbols[0].end_line == 3


def test_docstring_and_comment_markers_come_off() -> None:
    source = (
        b'def plan():\n    """Steps:\n\n    - parse the file\n    * check it\n    """\n'
        b"    # // TODO: retry   later\n    #: option\n    return 1  # done */\n"
    )
    assert [p.text for p in outline(source, "python").passages] == [
        "Steps: - parse the file check it",  # a dash is not a comment marker, a star is
        "TODO: retry later",
        ": option",
        "done",
    ]


TRICKY_PYTHON = b'''"""Module doc # not a comment."""
import re  # a comment after code
PATTERN = re.compile("#[0-9a-f]{6}")  # a "#" inside a string first
CONFIG = {
    "retries": 3,  # a comment inside an expression
    # a comment on its own line inside a literal
}


@decorator(
    option=True,  # inside the decorator's arguments
)
async def fetch(url):
    """Fetch a URL."""
    def inner():
        "single-quoted docstring"; "second", "third"
    return lambda: f"{url}#fragment"


class Shape:
    """A shape."""

    class Inner:
        pass

    def area(self):
        match self:
            case Shape():
                """doc in a case"""
            case _:
                pass
        try:
            pass
        except* ValueError:
            def handler(): pass
        else:
            "else doc"
        finally:
            for x in range(3):
                while x:
                    with open(x) as f:
                        if f: "if doc"
                        elif x: "elif doc"


def broken(:
    """Broken signature."""
    x = [1, 2  # unclosed
def after_error():
    pass
'''


def test_the_python_walk_finds_exactly_what_the_python_query_finds() -> None:
    compiled = _compiled("python")
    tree = compiled.parser.parse(TRICKY_PYTHON)
    assert tree.root_node.has_error  # the error branch is exercised too

    def spans(found: tuple[list[Any], list[Any], list[Any]]) -> tuple[list[Any], ...]:
        definitions, comments, docstrings = found
        return (
            sorted((node.start_byte, name.text, kind) for node, name, kind in definitions),
            [node.text for node in comments],
            [node.text for node in docstrings],
        )

    by_walk = spans(_python_nodes(tree.root_node, TRICKY_PYTHON))
    assert by_walk == spans(_query_nodes(compiled, tree.root_node))
    assert len(by_walk[0]) == 7 and len(by_walk[1]) == 6 and b'"""doc in a case"""' in by_walk[2]


def test_words_of_any_text_are_those_of_the_word_pattern() -> None:
    """The fast run-based tokeniser finds exactly the words of the regular expression, in order, for ASCII,
    accented and non-Latin text, words starting with digits, and bytes that are not valid UTF-8."""
    samples = [
        "parseHTTPResponse(max_retry_count=3); 2fa_token x9 __init__",
        "Modificá la facturación — naïve café, Größe ändern: 日本語のテキスト and 2ème prix",
        "emoji 🚀launch, user\u2019s passwords, ΑΒΓ δέλτα",
    ]
    for sample in samples:
        expected = [term for word in text.raw_words(sample) for term in text.word_terms(word)]
        assert text.terms(sample) == expected
        assert list(text.text_terms(sample.encode())) == expected
        assert text.term_counts(sample.encode()) == Counter(expected)
    broken = b"caf\xe9 ol\xc3 order\xffItems \xe2\x82total"
    decoded = broken.decode("utf-8", "replace")
    expected = [term for word in text.raw_words(decoded) for term in text.word_terms(word)]
    assert list(text.text_terms(broken)) == expected and text.stem("total") in expected


def test_worker_results_unpack_to_the_same_file() -> None:
    source = b'class Cart:\n    """Items to buy."""\n    def add_item(self):  # add one\n        return "tea bag"\n'
    item = ("shop/cart.py", "python", source)
    assert _unpack(_index_packed([item])[0]) == index_source(*item)


def test_test_files_are_recognised() -> None:
    for path in (
        "tests/test_x.py",
        "pkg/x_test.go",
        "src/test/java/FooTest.java",
        "web/a.spec.ts",
        "src/__tests__/b.js",
    ):
        assert is_test_path(path), path
    for path in ("src/testimony.py", "app/contest.py", "src/Tester.java"):
        assert not is_test_path(path), path


def test_index_skips_binaries_vendored_huge_and_links_leaving_the_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text("def main():\n    pass\n")
    (repo / "src" / "blob.py").write_bytes(b"\0\1\2binary")
    (repo / "src" / "big.py").write_text("x = 1\n" * 300_000)
    (repo / "node_modules" / "lib").mkdir(parents=True)
    (repo / "node_modules" / "lib" / "index.js").write_text("function vendored() {}\n")
    (repo / "src" / "_vendor" / "six").mkdir(parents=True)  # pip's and setuptools' copies of other packages
    (repo / "src" / "_vendor" / "six" / "__init__.py").write_text("def vendored():\n    pass\n")
    (repo / "README.md").write_text("# not code\n")
    outside = tmp_path / "secret.py"
    outside.write_text("API_KEY = 'outside the repository'\n")
    os.symlink(outside, repo / "src" / "escape.py")
    os.symlink(tmp_path, repo / "loop")  # a directory link: never followed
    os.symlink(repo / "src" / "app.py", repo / "src" / "alias.py")  # inside the root: read
    index = index_repository(repo, max_file_bytes=1_000_000)
    assert sorted(f.path for f in index.files) == ["src/alias.py", "src/app.py"]
    assert index.skipped["binary"] == 1
    assert index.skipped["too_large"] == 1
    assert index.skipped["outside_root"] == 1
    assert index.skipped["linked_directory"] == 1
    assert index.skipped["vendored"] == 2


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


SHOP = {
    "shop/cart.py": (
        "class ShoppingCart:\n"
        '    """Items a customer intends to buy."""\n'
        "    def add_item(self, product, quantity):\n"
        "        self.items.append((product, quantity))\n"
        "    def remove_item(self, product):\n"
        "        self.items = [i for i in self.items if i[0] != product]\n"
    ),
    "shop/invoice.py": (
        "# Invoices are rendered as PDF for the accounting team.\ndef render_invoice_pdf(order):\n    return b'%PDF'\n"
    ),
    "shop/logging_setup.py": (
        "def configure_logging(level):\n    import logging\n    logging.basicConfig(level=level)\n"
    ),
    "tests/test_cart.py": (
        "from shop.cart import ShoppingCart\n\ndef test_add_item_to_cart():\n    ShoppingCart().add_item('tea', 2)\n"
    ),
}
SHOP_REQUIREMENTS = [
    RequirementInput("SHOP-1", "Customers add products to their shopping cart and can remove them again."),
    RequirementInput("SHOP-2", "An invoice is produced as a PDF document for accounting."),
    RequirementInput("SHOP-3", "Customers pay with a gift voucher at checkout."),
]


def test_tracing_links_ranks_and_explains(tmp_path: Path) -> None:
    report = validate_repository(_write(tmp_path, SHOP), SHOP_REQUIREMENTS).as_dict()
    cart, invoice, voucher = report["requirements"]

    assert (cart["links"][0]["path"], cart["links"][0]["linked"]) == ("shop/cart.py", True)
    scores = [link["score"] for link in cart["links"]]
    assert scores == sorted(scores, reverse=True)
    symbol_evidence = [e for e in cart["links"][0]["evidence"] if e["kind"] == "symbol"]
    assert symbol_evidence[0]["symbol"] == "ShoppingCart"
    assert symbol_evidence[0]["lines"] == [1, 6]
    assert {"shopping", "cart"} <= set(symbol_evidence[0]["terms"])
    # the test file is linked as a test of SHOP-1, never as its implementation
    assert [link["path"] for link in cart["tests"] if link["linked"]] == ["tests/test_cart.py"]
    assert all(link["role"] == "implementation" for link in cart["links"])
    assert cart["status"] == "implemented"

    assert [link["path"] for link in invoice["links"] if link["linked"]] == ["shop/invoice.py"]
    passage = next(e for e in invoice["links"][0]["evidence"] if e["kind"] == "passage")
    assert passage["lines"] == [1, 1] and "PDF" in passage["passage"]

    assert voucher["status"] == "missing"
    assert not any(link["linked"] for link in voucher["links"])
    assert [item["path"] for item in report["unrequested"]] == ["shop/logging_setup.py"]
    assert report["gaps"]["missing"] == ["SHOP-3"]
    kinds = {(r["kind"], r["requirement"]) for r in report["recommendations"]}
    assert ("implement", "SHOP-3") in kinds
    assert ("add_tests", "SHOP-2") in kinds
    assert ("review_unrequested", None) in kinds


def test_scores_follow_the_documented_formulas(tmp_path: Path) -> None:
    report = validate_repository(_write(tmp_path, SHOP), SHOP_REQUIREMENTS).as_dict()
    scores = report["scores"]
    dimensions = scores["dimensions"]
    # two of three requirements have a linked file
    assert dimensions["structural_alignment"]["score"] == pytest.approx(2 / 3, abs=1e-4)
    statuses = [r["status"] for r in report["requirements"]]
    expected_functional = sum({"implemented": 1.0, "partial": 0.5, "missing": 0.0}[s] for s in statuses) / 3
    assert dimensions["functional_coverage"]["score"] == pytest.approx(expected_functional, abs=1e-4)
    weighted = sum(DIMENSIONS[name][0] * value["score"] for name, value in dimensions.items())
    assert scores["compliance_score"] == pytest.approx(weighted, abs=1e-4)
    assert {name: value["weight"] for name, value in dimensions.items()} == {
        "structural_alignment": 0.30,
        "pattern_compliance": 0.25,
        "functional_coverage": 0.35,
        "quality_indicators": 0.10,
    }
    assert scores["passed"] is (scores["compliance_score"] > 0.70)


def test_results_are_deterministic_and_hash_ignores_order(tmp_path: Path) -> None:
    root = _write(tmp_path, SHOP)
    assert (
        validate_repository(root, SHOP_REQUIREMENTS).as_dict() == validate_repository(root, SHOP_REQUIREMENTS).as_dict()
    )
    assert requirements_hash(SHOP_REQUIREMENTS) == requirements_hash(list(reversed(SHOP_REQUIREMENTS)))
    changed = [*SHOP_REQUIREMENTS[:2], RequirementInput("SHOP-3", "Customers pay by card.")]
    assert requirements_hash(changed) != requirements_hash(SHOP_REQUIREMENTS)


def test_parallel_indexing_gives_the_same_index_as_one_process() -> None:
    fixture = Path(__file__).parent / "fixtures" / "taskboard"
    serial = index_repository(fixture, workers=1)
    parallel = index_repository(fixture, workers=2, parallel_min_bytes=0)
    assert [f.path for f in parallel.files] == [f.path for f in serial.files] and len(serial.files) > 5
    assert parallel.files == serial.files and parallel.languages == serial.languages


def test_a_worker_and_this_process_share_the_batches_in_walk_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexing, "BATCH_BYTES", 1)  # one file per batch
    fixture = Path(__file__).parent / "fixtures" / "taskboard"
    items = list(indexing._code_files(fixture, indexing.DEFAULT_MAX_FILE_BYTES, Counter()))
    with indexing._Batches(2, 0) as batches:
        for item in items:
            batches.add(item)
        assert len(batches.futures) == len(items) - 1  # every full batch went to the pool
        batches.futures[0].result(timeout=120)  # the worker has done the first; this process takes from the back
        files = batches.finish()
    assert files == [index_source(*item) for item in items]


TICK = {
    "tick/schedule.py": (
        '"""Schedules: when a job runs next, read from a crontab-like schedule file."""\n'
        "from tick.cron import parse_expression\n\n\n"
        "class Schedule:\n"
        '    """A cron expression and the time zone it is read in."""\n\n'
        "    def __init__(self, expression, zone):\n"
        "        self.fields = parse_expression(expression)\n"
        "        self.zone = zone\n\n"
        "    def next_run(self, after):\n"
        '        """The next run time of the cron expression after `after`."""\n'
        "        return self.fields.first_match(after, self.zone)\n\n"
        "    def previous_run(self, before):\n"
        "        return self.fields.last_match(before, self.zone)\n\n\n"
        "def load_schedule_file(path):\n"
        '    """One schedule per line of the file."""\n'
        "    with open(path) as handle:\n"
        "        return [Schedule(line, 'UTC') for line in handle if line.strip()]\n"
    ),
    "tick/cron.py": (
        '"""Cron expressions: minute, hour, day of month, month, weekday."""\n\n\n'
        "def parse_expression(expression):\n"
        "    minute, hour, day, month, weekday = expression.split()\n"
        "    return CronFields(minute, hour, day, month, weekday)\n\n\n"
        "class CronFields:\n"
        "    def __init__(self, *fields):\n"
        "        self.fields = fields\n"
    ),
    "tests/test_schedule.py": (
        "from tick.schedule import Schedule\n\n\n"
        "def test_next_run_of_an_hourly_schedule():\n"
        "    assert Schedule('0 * * * *', 'UTC').next_run(0) is not None\n"
    ),
}
TICK_REQUIREMENTS = [
    RequirementInput("TICK-1", "Compute the next run time of a cron expression."),
    RequirementInput("TICK-2", "Export the schedule as an iCal file."),
    RequirementInput("TICK-3", "Schedules can be loaded from a file, one per line."),
]


def test_a_requirement_whose_key_terms_no_code_mentions_is_missing(tmp_path: Path) -> None:
    """iCal export is not implemented at all: the schedule code shares 'schedule' and 'file' with it, but not
    'iCal', its distinctive word, so nothing is linked and it is missing rather than partial."""
    report = validate_repository(_write(tmp_path, TICK), TICK_REQUIREMENTS)
    results = {result.code: result for result in report.requirements}
    ical = results["TICK-2"]
    assert ical.status == "missing" and not ical.trace.linked
    assert ical.trace.lacks_key_terms and "ical" in [item.surface for item in ical.trace.key_terms]
    assert ical.trace.links and ical.trace.links[0].path == "tick/schedule.py"  # still ranked, as a candidate
    advice = [r.message for r in report.recommendations if r.requirement == "TICK-2" and r.kind == "implement"]
    assert advice and "ical" in advice[0]
    # the implemented ones keep their links: their key words are in the code
    assert results["TICK-1"].status == "implemented"
    assert results["TICK-1"].trace.linked[0].path in ("tick/schedule.py", "tick/cron.py")
    assert results["TICK-3"].status != "missing"
    assert "tick/schedule.py" in [link.path for link in results["TICK-3"].trace.linked]
    stored = report.as_dict()
    assert "TICK-2" in stored["gaps"]["missing"]
    assert "ical" in next(r for r in stored["requirements"] if r["code"] == "TICK-2")["key_terms"]


def test_words_written_like_names_are_key_candidates_unless_the_text_shouts() -> None:
    queries = build_queries(
        [
            RequirementInput("A", "Invoices are sent as PDF or through the OAuth-protected iCal feed."),
            RequirementInput("B", "THE SYSTEM SHALL SEND INVOICES AS PDF."),
        ]
    )
    named = {item.surface for item in queries["A"] if item.named}
    assert named == {"pdf", "oauth", "ical"}
    assert not [item for item in queries["B"] if item.named]
