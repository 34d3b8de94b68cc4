"""The docs' curl examples run as an integrator runs them, against a real ``partrack serve``.

A fresh SQLite database is made the way a new installation is (``partrack db upgrade``,
``partrack seed``, ``partrack user create``, ``partrack token create``), a real server is started
on it, and every ``sh``/``bash`` block of the documents below that calls curl is run with bash,
literally, with ``BASE`` and ``TOKEN`` set (and ``PARTRACK_USER``/``PARTRACK_PASSWORD`` for
``scripts/api-token.sh``). curl is replaced by ``curl --fail-with-body -sS`` through a shell
function and the block runs under ``set -e``, so any answer that is not 2xx fails the test with
the answer's body. Each block runs in its own empty directory: what it downloads or writes stays
there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.workers_helpers import ROOT, free_port

DOCS = ("par-index.md", "registers.md")
PASSWORD = "mat-khau-tich-hop-2025"
_BLOCK = re.compile(r"^```(?:sh|bash)\n(.*?)^```", re.MULTILINE | re.DOTALL)

#: Blocks known to fail, by (document, block number from 1) → why. The lead removes an entry once
#: the document is fixed; the test then runs the block.
SKIPPED: dict[tuple[str, int], str] = {}

#: Files a block sends that an integrator has in hand (their own export or spreadsheet): name →
#: content, written into the block's directory before it runs.
FILES: dict[str, str] = {
    # the conclusions register as its own export names the columns (docs/registers.md)
    "ket-luan.csv": (
        "code,unit,kind,document,issued_on,content,deadline,state,tasks\n"
        "kl-2025-050,vp,conclusion,Thông báo số 50/TB-UBND,05/11/2025,Rà soát TTHC,"
        "30/12/2025,open,II.2.2.5\n"
    ),
}


@dataclass(frozen=True)
class Block:
    doc: str
    number: int
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.doc}#{self.number}"


def curl_blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
        blocks = [m for m in _BLOCK.finditer(text) if "curl " in m.group(1)]
        for number, match in enumerate(blocks, start=1):
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(doc, number, line, match.group(1)))
    return found


def test_each_document_has_curl_examples() -> None:
    assert {b.doc for b in curl_blocks()} == set(DOCS)


def _partrack(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@dataclass(frozen=True)
class Installation:
    base: str
    token: str


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    """A new one-ward installation with Plan 84 and an admin, served by ``partrack serve``."""
    home = tmp_path_factory.mktemp("curl-docs")
    database_url = f"sqlite:///{home / 'partrack.db'}"
    env = {
        **os.environ,
        "PARTRACK_DATABASE_URL": database_url,
        "PARTRACK_SECRET_KEY": TEST_SECRET,
        "PARTRACK_ENVIRONMENT": "test",
        "PARTRACK_PASSWORD_HASH_PROFILE": "cheapest",
        "PARTRACK_TODAY": "2025-11-20",  # the day the server below runs on
        "PARTRACK_EVIDENCE_DIR": str(home / "evidence"),
    }
    _partrack(env, "db", "upgrade")
    _partrack(env, "seed", "--if-empty")
    _partrack(
        env, "user", "create", "--username", "admin", "--full-name", "Quản trị",
        "--role", "admin", "--no-temporary", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    token = _partrack(env, "token", "create", "--username", "admin", "--name", "Ví dụ curl")
    port = free_port()
    log = (home / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, home / "serve.log")
        yield Installation(base, token.strip().splitlines()[-1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the server answers its health check (a minute at most)."""
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(log.read_text(encoding="utf-8", errors="replace"))
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(log.read_text(encoding="utf-8", errors="replace"))


_PRELUDE = """set -e -o pipefail
curl() { command curl --fail-with-body -sS "$@"; }
"""


@pytest.mark.parametrize("block", curl_blocks(), ids=str)
def test_the_curl_examples_answer_2xx(
    block: Block, installation: Installation, tmp_path: Path
) -> None:
    if (block.doc, block.number) in SKIPPED:
        pytest.skip(SKIPPED[(block.doc, block.number)])
    (tmp_path / "scripts").symlink_to(ROOT / "scripts")
    for name, content in FILES.items():
        if f"@{name}" in block.text:
            (tmp_path / name).write_text(content, encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "BASE": installation.base,
        "TOKEN": installation.token,
        "PARTRACK_USER": "admin",
        "PARTRACK_PASSWORD": PASSWORD,
    }
    done = subprocess.run(
        ["bash", "-c", _PRELUDE + block.text],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (
        f"docs/{block.doc}, block at line {block.line} failed ({done.returncode}):\n"
        f"{done.stderr}\n--- output ---\n{done.stdout[-3000:]}"
    )
