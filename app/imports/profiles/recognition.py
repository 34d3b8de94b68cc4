"""Which profile reads an import: the one it names, or the one its header row shows it to be."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlmodel import Session

from app.errors import Invalid
from app.imports.profiles.mapping import Profile, known_names
from app.imports.profiles.models import FIELDS, fold
from app.imports.profiles.service import list_profiles, load
from app.uploads.headers import RowProfile


def resolve(
    db_session: Session, code: str | None, headers: Sequence[str], *, kind: str | None = None
) -> Profile | None:
    """The profile an import names, or the one its header row shows it to be.

    Recognised means: every required field is found among the headers (or defaulted) and more
    headers are the profile's own than any other profile's. partrack's own files (headers that
    are our field names) are never claimed by a profile. ``kind`` (the import's: dossiers,
    feedback) keeps a profile to the data it was made for.
    """
    if code:
        found = load(db_session=db_session, code=code)
        if kind is not None and found.kind != kind:
            raise Invalid.one(
                "profile",
                "profile_kind",
                f"Hồ sơ ánh xạ “{code}” dành cho dữ liệu “{found.kind}”, không dùng được để "
                f"nhập “{kind}”.",
            )
        return found
    if kind is not None and kind not in FIELDS:
        return None  # readings and progress are partrack's own files: no profile to recognise
    if all(fold(h) in {fold(f) for fields in FIELDS.values() for f in fields} for h in headers):
        return None
    names = known_names(db_session)
    scored: list[tuple[int, Profile]] = []
    for read in list_profiles(db_session=db_session):
        if kind is not None and read.spec.kind != kind:
            continue
        profile = Profile(read, names)
        mapped, _ = profile.header_map(list(headers))
        if mapped and not profile.missing(mapped.values()) and not profile.duplicates(mapped):
            scored.append((len(mapped), profile))
    scored.sort(key=lambda pair: -pair[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def finder(
    db_session: Session, code: str | None, kind: str
) -> Callable[[Sequence[str]], RowProfile | None]:
    """The profile an import names (``?profile=``), or the one its header row is recognised as:
    what the import runner asks once it has read the header row."""

    def find(headers: Sequence[str]) -> RowProfile | None:
        return resolve(db_session, code, headers, kind=kind)

    return find
