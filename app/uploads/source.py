"""A file's rows as an import reads them: our fields, Excel's cells made plain, a profile applied.

The header is matched to our fields (or mapped by a mapping profile, named or recognised from
the header row); each row's values are then what the importer's schema reads, or the row carries
the error that kept it from being so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from app.errors import AppError
from app.uploads.cells import coerce
from app.uploads.files import ParsedRow, Upload, open_table, resolve_columns
from app.uploads.headers import RowProfile

#: Given the file's header row, the profile to read it with (or None: our own columns).
ProfileFinder = Callable[[Sequence[str]], RowProfile | None]


class RowSource:
    """The file's rows as our fields: header matched (or mapped by a profile), Excel's cells
    made plain, the profile's value mapping applied. A row that cannot be made plain carries
    its error in ``problem``."""

    def __init__(
        self,
        upload: Upload,
        importer: Any,
        profile: RowProfile | None,
        find_profile: ProfileFinder | None = None,
    ) -> None:
        self.table = open_table(upload, fields=importer.columns)
        if profile is None and find_profile is not None and self.table.headers is not None:
            profile = find_profile(list(self.table.headers))
        self.profile = profile
        self.typed = upload.kind == "xlsx"
        self.rename: dict[str, str] | None = None
        if self.table.headers is not None:
            self.rename = resolve_columns(
                self.table.headers,
                allowed=importer.columns,
                required=importer.required,
                profile=profile,
            )
            if hasattr(importer, "carried"):
                # A flag column the file carries: an empty cell is "no"; one it lacks, unknown.
                importer.carried = frozenset(self.rename.values())

    def rows(self) -> Iterator[tuple[ParsedRow, AppError | None]]:
        profile, typed = self.profile, self.typed
        for parsed in self.table.rows(self.rename):
            if parsed.problem is not None:
                yield parsed, None
                continue
            try:
                values = coerce(parsed.values, typed=typed)
                if profile is not None:
                    values = profile.transform(values)
                parsed.values = values
            except AppError as exc:
                yield parsed, exc
                continue
            yield parsed, None

    def close(self) -> None:
        close = getattr(self.table, "close", None)
        if close is not None:
            close()
