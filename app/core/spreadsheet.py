"""Cells of a CSV meant for spreadsheets, neutralised against formula injection."""

# A spreadsheet reads a cell that starts with one of these as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The text as a spreadsheet shows it, never run: a leading `'` before a formula start."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
