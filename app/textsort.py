"""Vietnamese alphabetical order: ``Đ`` after ``D``, ``Ă Â`` after ``A``, tones compared last.

Python's default order puts every accented letter after ``z``, which scatters unit names in a
list; a collation library (ICU) is a heavy native dependency for this one need.
"""

from __future__ import annotations

import unicodedata

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_POSITION = {ch: i for i, ch in enumerate(_ALPHABET)}
#: Tone marks in the order Vietnamese dictionaries use: none, grave, hook, tilde, acute, dot.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_SHAPE = {"\u0306": "ă", "\u0302": "â", "\u031b": "ơ"}


def _letters(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    bases: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", text.lower()):
        if char in _TONES:
            if tones:
                tones[-1] = _TONES[char]
            continue
        if char in _SHAPE and bases:
            previous = _ALPHABET[bases[-1]] if bases[-1] < len(_ALPHABET) else ""
            shaped = {"aă": "ă", "aâ": "â", "eâ": "ê", "oâ": "ô", "oơ": "ơ", "uơ": "ư"}.get(
                previous + _SHAPE[char]
            )
            if shaped:
                bases[-1] = _POSITION[shaped]
            continue
        bases.append(_POSITION.get(char, len(_ALPHABET) + ord(char)))
        tones.append(0)
    return tuple(bases), tuple(tones)


def vi_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A key for ``sorted`` that orders Vietnamese words as a Vietnamese reader expects."""
    return _letters(text)
