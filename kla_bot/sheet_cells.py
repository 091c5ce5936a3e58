"""What a workbook cell may hold when its value comes from data (names, titles, reasons…).

Every workbook the bot writes passes each value through ``cell_value``: a text never becomes a
live formula (OWASP "CSV injection": a leading ``=``, ``+``, ``-``, ``@``, tab or carriage
return gets a leading apostrophe, which survives a later save as CSV), characters XML cannot
hold (bell, NUL…) are dropped instead of crashing the writer, and a text is cut at Excel's
32,767-character cell limit. Numbers and dates stay numbers and dates.
"""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32_767


def cell_value(value: object) -> object:
    """``value`` as it may go into a cell (texts made inert; other values unchanged)."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[:EXCEL_CELL_LIMIT - 1] + "…"
    return text
