"""Cells for files people open in spreadsheet programs (CSV and XLSX exports).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (formula injection, OWASP "CSV injection").
Such text gets a leading apostrophe, which those programs show as plain text. Numbers are
left as numbers: "-12" stays a negative number, not text.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def safe_cell(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.match(value):
        return value
    return "'" + value
