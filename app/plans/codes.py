"""Task codes as the plan writes them (``II.1.10``): their section, position and sort order."""

from __future__ import annotations

_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10}


def roman_value(numeral: str) -> int:
    """``IV`` → 4, ``XIV`` → 14: the value of a section numeral the code pattern accepted."""
    total = 0
    for i, char in enumerate(numeral):
        value = _ROMAN_DIGITS[char]
        following = _ROMAN_DIGITS[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


def sort_key_for(code: str) -> str:
    """``II.1.10`` → ``002.001.010`` so that SQL ordering follows the plan's order."""
    head, *rest = code.split(".")
    return ".".join([f"{roman_value(head):03d}", *(f"{int(p):03d}" for p in rest)])


def split_code(code: str) -> tuple[str, int]:
    """The section and 1-based position a task code names (``II.2.3.7`` → ``II.2.3``, 7)."""
    section, _, position = code.rpartition(".")
    return section, int(position)
