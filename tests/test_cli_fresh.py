"""The commands ``make run`` uses, run as a new user runs them: separate processes on a fresh
database (each command imports only what it needs, so a rule that needs every table must load
them itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _partrack(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def test_seed_a_second_ward_and_create_its_admin_on_a_fresh_database(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PARTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "PARTRACK_SECRET_KEY": "k" * 48,
        "PARTRACK_PASSWORD_HASH_PROFILE": "cheapest",
    }
    for args in (("db", "upgrade"), ("seed", "--if-empty")):
        done = _partrack(*args, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    second = _partrack("seed", "--ward", "binh-dong", "--ward-name", "Phường Bình Đông", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    made = _partrack(
        "user", "create", "--username", "qt.binhdong", "--full-name", "Quản trị",
        "--role", "admin", "--ward", "binh-dong", "--password-stdin", env=env,
        stdin="mat-khau-quan-tri-2026\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert "qt.binhdong" in made.stdout
