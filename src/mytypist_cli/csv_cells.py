"""CSV cells a spreadsheet will not run as formulas: shared by ``stats --csv`` and the ``--report`` CSV.

File names and template names come from data; opened in Excel or LibreOffice,
a cell such as ``=1+2.docx`` or ``@SUM(1)`` would be evaluated. Stdlib only, so
a fill can use it without loading the database layer.
"""

from __future__ import annotations

# Cells a spreadsheet would evaluate as a formula (OWASP CSV injection): = + - @, plus tab and
# carriage return, which some applications strip first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Defuse a spreadsheet formula: a string starting with = + - @ (or tab/CR) gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
