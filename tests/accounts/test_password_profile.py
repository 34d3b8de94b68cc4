"""The argon2 profile of production: one of OWASP's equal-strength settings, the one with the
least memory (issue #17), and the hashes made before it still open and are upgraded at login."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher, extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts import passwords
from app.accounts.models import User
from app.accounts.passwords import OWASP_2023, OWASP_2023_19MIB
from app.clock import FixedClock
from tests.conftest import make_user

API = "/api/v1"
PASSWORD = "mat-khau-cu-2025"

#: OWASP Password Storage Cheat Sheet (2023), argon2id, "an equal level of defense":
#: (memory KiB, passes), all with 1 lane.
OWASP_EQUAL = {(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)}


def test_production_parameters_are_one_of_owasps_equal_settings() -> None:
    assert OWASP_2023.type.name == "ID"
    assert OWASP_2023.parallelism == 1
    assert (OWASP_2023.memory_cost, OWASP_2023.time_cost) in OWASP_EQUAL
    assert OWASP_2023.memory_cost <= 8 * 1024, "the low-memory setting: 7 MiB while hashing"
    assert (OWASP_2023.salt_len, OWASP_2023.hash_len) == (16, 32)


@pytest.fixture
def production_profile() -> Iterator[None]:
    passwords.use_profile("owasp_2023")
    yield
    passwords.use_profile("cheapest")  # what the rest of the run hashes with


def test_a_hash_of_the_earlier_profile_verifies_and_is_marked_for_rehash(
    production_profile: None,
) -> None:
    old = PasswordHasher.from_parameters(OWASP_2023_19MIB).hash(PASSWORD)
    assert passwords.verify_password(old, PASSWORD)
    assert not passwords.verify_password(old, PASSWORD + "x")
    assert passwords.needs_rehash(old)
    assert not passwords.needs_rehash(passwords.hash_password(PASSWORD))


def test_logging_in_with_an_earlier_hash_upgrades_it(
    production_profile: None, app_factory: Any, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="cu.19mib", role="viewer")
    old = PasswordHasher.from_parameters(OWASP_2023_19MIB).hash(PASSWORD)
    with Session(clean_db) as session:
        user = session.exec(
            select(User).where(User.username == "cu.19mib").execution_options(all_wards=True)
        ).one()
        user.password_hash = old
        session.add(user)
        session.commit()
    app = app_factory(password_hash_profile="owasp_2023")
    with TestClient(app) as anon:
        resp = anon.post(f"{API}/auth/token", json={"username": "cu.19mib", "password": PASSWORD})
        assert resp.status_code == 200, resp.text
    with Session(clean_db) as session:
        stored = session.exec(
            select(User.password_hash)
            .where(User.username == "cu.19mib")
            .execution_options(all_wards=True)
        ).one()
    assert stored != old
    upgraded = extract_parameters(stored)
    assert (upgraded.memory_cost, upgraded.time_cost) == (7168, 5)
    with TestClient(app) as anon:
        again = anon.post(f"{API}/auth/token", json={"username": "cu.19mib", "password": PASSWORD})
        assert again.status_code == 200
