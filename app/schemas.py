"""Building blocks shared by every API schema: strict input, codes, pages of results."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

CODE_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"


def _fold_code(value: object) -> object:
    """``TTPVHCC`` is ``ttpvhcc``: folded before the pattern is checked (pydantic's own
    ``to_lower`` runs after the pattern, so upper-case codes were refused by the API while a
    file import accepted them)."""
    return value.strip().lower() if isinstance(value, str) else value


#: Public key of a unit, domain, indicator or plan: lowercase, digits, ``-``, ``_`` and ``.``;
#: matched case-insensitively.
Code = Annotated[
    str,
    # The constraints come first so pydantic checks them in its core (and publishes the pattern
    # in the OpenAPI); the before-validator still runs first, whatever its place in the list.
    StringConstraints(pattern=CODE_PATTERN, max_length=64),
    BeforeValidator(_fold_code),
]
#: A code being created: written exactly as it will be stored (lower case), never folded, so
#: the new public key is the one the sender typed.
NewCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=CODE_PATTERN, max_length=64)
]


def _require_text(value: str) -> str:
    if not value.strip():
        raise ValueError("Không được để trống.")
    return value.strip()


NonEmptyStr = Annotated[str, AfterValidator(_require_text)]


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("Không chấp nhận NaN hoặc vô cực.")
    return value


FiniteFloat = Annotated[float, AfterValidator(_finite)]


#: C0 control characters but tab, newline and carriage return: no person types them, and
#: Word and Excel files cannot hold them (a stored one made every report a 500).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)


class StrictInput(BaseModel):
    """Input schemas refuse unknown fields (a typo must not be silently ignored) and control
    characters in any text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _no_control_characters(self) -> Self:
        for name, value in self.__dict__.items():
            kind = type(value)
            if kind is str:
                if _CONTROL.search(value) is None:
                    continue  # the common case, without a generator: imports call this per row
            elif value is None or kind in (int, float, bool):
                continue
            for text in _texts(value):
                found = _CONTROL.search(text)
                if found is not None:
                    message = (
                        f"Không được chứa ký tự điều khiển (mã U+{ord(found.group()):04X}); "
                        "hãy gõ lại hoặc dán dưới dạng văn bản thuần."
                    )
                    raise PydanticCustomError(
                        "control_character",
                        "{message_vi}",
                        {"message_vi": message, "field": name},
                    )
        return self


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A slice of a stably sorted list, with the total so clients can page through it."""

    items: list[T]
    total: int = Field(description="Number of rows matching the filters, over all pages.")
    limit: int
    offset: int
