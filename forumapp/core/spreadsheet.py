"""CSV files that open safely in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV injection). Excel in many European locales reads a comma-separated
file as ``;``-separated, so a cell holding ``Raleigh;=HYPERLINK(…)`` becomes two cells there,
the second a formula: a dangerous start after any separator is defused as well.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a new cell: the comma of the file, the semicolon of locales
# with a decimal comma, and the tab of a file read as tab-separated.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t])(?=[=+\-@\t\r])")


def spreadsheet_safe(value) -> str:
    """``value`` as text, with a ``'`` before any formula a spreadsheet would run: at the
    start, and after each separator a spreadsheet might split the cell at."""
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text line by line (for streaming), every cell of ``rows`` defused."""
    out = io.StringIO()
    writer = csv.writer(out)

    def line(cells) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(cells)
        return out.getvalue()

    yield line(header)
    for row in rows:
        yield line([spreadsheet_safe(cell) for cell in row])


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """The whole CSV text of ``csv_lines``."""
    return "".join(csv_lines(header, rows))
