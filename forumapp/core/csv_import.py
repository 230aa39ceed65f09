"""Reading a CSV file exported from a spreadsheet, for the imports (team rosters, topic
suggestions).

An import checks the whole file before it writes anything and reports every problem with the
line it is on, so an organizer fixes the spreadsheet and uploads it again instead of cleaning
up half an import. This module does the part every import shares: the upload field, decoding
what spreadsheets save, splitting rows and naming what is wrong.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize

MAX_CSV_BYTES = 1024 * 1024
SAVE_AS_CSV = "In your spreadsheet, choose Save As → “CSV UTF-8 (Comma delimited)” and upload that."


@dataclass(frozen=True)
class RowError:
    """What is wrong on one line of an uploaded file (line 1 is the header row)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


class CsvImportError(Exception):
    """Nothing was imported; ``errors`` lists every problem found, in line order."""

    def __init__(self, errors: list[RowError]):
        listed = " ".join(str(error) for error in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"Nothing was imported. {listed}{more}")
        self.message = str(self)
        self.errors = errors


class UnreadableLine(Exception):
    """The CSV reader cannot go past this line (e.g. an unclosed quotation mark)."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


def csv_file_field(label: str, too_big: str = "The file must be 1 MB or smaller.") -> FileField:
    """The form field for a CSV upload: required, a .csv (.txt, .tsv) file, at most 1 MB."""
    return FileField(
        label,
        validators=[
            FileRequired("Choose the CSV file to upload."),
            FileAllowed(
                ["csv", "txt", "tsv"],
                "Choose a .csv file. In your spreadsheet, use Save As → “CSV UTF-8”.",
            ),
            FileSize(MAX_CSV_BYTES, message=too_big),
        ],
    )


def decode_csv(raw: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without a byte-order mark), or UTF-16
    with one. Raises ``CsvImportError`` for a binary or differently encoded file."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in raw:
        message = f"This is not a CSV text file (it may be an Excel workbook). {SAVE_AS_CSV}"
        raise CsvImportError([RowError(1, message)])
    else:
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        message = (
            f"The file is not UTF-8 text, so names with accents would come out wrong. {SAVE_AS_CSV}"
        )
        raise CsvImportError([RowError(1, message)]) from None


def _delimiter(header_line: str) -> str:
    # Spreadsheets in some locales separate with semicolons; tab-separated text also happens.
    if "," in header_line:
        return ","
    for candidate in (";", "\t"):
        if candidate in header_line:
            return candidate
    return ","


def csv_rows(csv_text: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of ``csv_text`` that are not blank, each with the line it starts on (a quoted
    cell may span lines). Commas, semicolons or tabs, as the first line uses. Raises
    ``UnreadableLine`` where the text stops being CSV."""
    csv_text = csv_text.removeprefix("\ufeff")
    first = next((line for line in csv_text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(csv_text, newline=""), delimiter=_delimiter(first))
    next_line = 1
    try:
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as exc:
        message = f"This line cannot be read as CSV ({exc}). Check for a stray quotation mark."
        raise UnreadableLine(RowError(next_line, message)) from None


def header_key(text: str) -> str:
    """A header or keyword reduced to its letters, so " E-mail " matches "email"."""
    return re.sub(r"[^a-z]", "", text.lower())


def tidy(text: str | None) -> str:
    """``text`` with runs of whitespace made one space and none at either end."""
    return " ".join((text or "").split())


def cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    """The tidied value of column ``name`` in a row ("" when the file has no such column or the
    row is short)."""
    index = columns.get(name)
    return tidy(cells[index]) if index is not None and index < len(cells) else ""
