"""`trellis validate` on a use-case folder (one requirement per text file, as legacy and benchmark document sets
are kept), with its ranked trace links as CSV: what a trace-link evaluation reads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.validation.test_cli_validate import _run
from trellis.requirements.files import RequirementsLoadError, load_requirements

HOTEL = {
    "src/hotel/GuestRegistry.java": """package hotel;
/** Registers guests at check-in: name, passport number and nationality. */
public class GuestRegistry {
    public Guest registerGuest(String name, String passportNumber, String nationality) {
        return new Guest(name, passportNumber, nationality);
    }
}
""",
    "src/hotel/RoomBooking.java": """package hotel;
/** Books a free room for a stay; refuses overlapping bookings of the same room. */
public class RoomBooking {
    public Booking bookRoom(Room room, Stay stay) {
        if (room.isBookedDuring(stay)) throw new IllegalStateException("room already booked");
        return new Booking(room, stay);
    }
}
""",
    "src/hotel/InvoicePrinter.java": """package hotel;
/** Prints the invoice of a stay: nights, room rate, minibar, tourist tax. */
public class InvoicePrinter {
    public String printInvoice(Stay stay) { return "nights: " + stay.nights(); }
}
""",
}

# Windows-1252, as older tools save them: the apostrophes are byte 0x92, which is not UTF-8.
USE_CASES = {
    "UC1.txt": "Use case: register guest.\n"
    "The receptionist records the guest\u2019s name, passport number and nationality.",
    "UC2.txt": "Use case: book room.\n"
    "The receptionist books a free room for the guest\u2019s stay; a room cannot be booked twice.",
    "UC10.txt": "Use case: print invoice.\n"
    "At check-out the invoice lists the nights, the room rate and the tourist tax.",
}


def use_case_folder(root: Path) -> Path:
    folder = root / "usecases"
    folder.mkdir()
    for name, text in USE_CASES.items():
        (folder / name).write_bytes(text.encode("cp1252"))
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden: skipped
    (folder / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")  # binary: skipped
    return folder


def test_a_folder_is_one_requirement_per_file_in_natural_order_whatever_the_encoding(tmp_path: Path) -> None:
    folder = use_case_folder(tmp_path)
    (folder / "extra.json").write_text('[{"code": "NFR-1", "text": "An invoice is printed in under 2 seconds."}]')
    loaded = load_requirements(folder)
    # Files in natural order ("extra.json" first, then UC2 before UC10); the JSON file is a list of its own.
    assert [r.code for r in loaded] == ["NFR-1", "UC1", "UC2", "UC10"]
    assert loaded[1].text == (
        "Use case: register guest. The receptionist records the guest\u2019s name, passport number and nationality."
    )


def test_the_same_code_twice_is_refused_with_both_files_named(tmp_path: Path) -> None:
    folder = use_case_folder(tmp_path)
    (folder / "more.csv").write_text("code,text\nUC2,The receptionist can cancel a booking.\n")
    with pytest.raises(RequirementsLoadError, match=r"UC2\.txt: requirement UC2 is also given by .*more\.csv"):
        load_requirements(folder)


def test_ranked_trace_links_as_csv(tmp_path: Path) -> None:
    repo = tmp_path / "hotel"
    for path, source in HOTEL.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(source)
    result = _run(tmp_path, "--repo", str(repo), "--requirements", str(use_case_folder(tmp_path)), "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["requirement", "rank", "path", "score", "linked", "role"]
    best = {row["requirement"]: row["path"] for row in rows if row["rank"] == "1"}
    assert best == {
        "UC1": "src/hotel/GuestRegistry.java",
        "UC2": "src/hotel/RoomBooking.java",
        "UC10": "src/hotel/InvoicePrinter.java",
    }
    for code in best:
        ranked = [row for row in rows if row["requirement"] == code]
        assert [int(row["rank"]) for row in ranked] == list(range(1, len(ranked) + 1))
        scores = [float(row["score"]) for row in ranked]
        assert scores == sorted(scores, reverse=True)
        assert ranked[0]["linked"] == "true"


def test_a_missing_folder_or_a_duplicate_code_is_a_clear_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    missing = _run(tmp_path, "--repo", str(repo), "--requirements", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "No such file" in missing.stderr
    folder = use_case_folder(tmp_path)
    (folder / "UC1.md").write_text("# UC1: Register guest\nThe receptionist records the guest's name.\n")
    duplicate = _run(tmp_path, "--repo", str(repo), "--requirements", str(folder))
    assert duplicate.returncode == 2 and "requirement UC1 is also given by" in duplicate.stderr


def test_notepad_unicode_files_are_text_and_binary_files_are_not(tmp_path: Path) -> None:
    saved = tmp_path / "reqs.txt"
    saved.write_bytes("REQ-1: Le système enregistre l\u2019arrivée du client.\n".encode("utf-16"))  # with a BOM
    assert [(r.code, r.text) for r in load_requirements(saved)] == [
        ("REQ-1", "Le système enregistre l\u2019arrivée du client.")
    ]
    saved.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00")  # a zip archive named .txt
    with pytest.raises(RequirementsLoadError, match=r"cannot read .*reqs\.txt: not a text file"):
        load_requirements(saved)
