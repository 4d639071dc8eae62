"""A real PostgreSQL server for the store tests (never a mock), and the SQLite/PostgreSQL parametrised fixtures.

The server is a throwaway cluster: ``initdb`` + ``pg_ctl`` in a temporary directory on a free localhost port
(as an unprivileged user when the tests run as root, since initdb refuses root). Set
``SCORECARD_TEST_PG_URL`` (postgresql+psycopg://user@host:port/db of a server you may create databases on) to
use an existing server instead. PostgreSQL parameters are skipped only when no server binaries exist locally;
``SCORECARD_TEST_REQUIRE_PG=1`` (set by .ci/run) turns that skip into a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

REQUIRE_PG = os.environ.get("SCORECARD_TEST_REQUIRE_PG") == "1"


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, admin_url: str, stop=None):
        self.admin_url = admin_url  # a libpq URL to a maintenance database
        self._stop = stop

    def create_database(self) -> str:
        import psycopg
        from sqlalchemy.engine import make_url

        name = "sc_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        u = make_url(self.admin_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
        return u.render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self._stop:
            self._stop()


def start_cluster() -> PgServer | None:
    """Start a throwaway cluster; None when no PostgreSQL server binaries are installed."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    base = Path(tempfile.mkdtemp(prefix="scorecard-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        if user is None:
            raise RuntimeError("no unprivileged user (postgres or nobody) to run the PostgreSQL test server")
        info = pwd.getpwnam(user)
        os.chmod(base, 0o755)
        for p in (base, sock):
            os.chown(p, info.pw_uid, info.pw_gid)
        runuser = shutil.which("runuser")
        prefix = [runuser, "-u", user, "--"] if runuser else ["su", user, "-s", "/bin/sh", "-c"]
    port = _free_port()

    def run(args: list[str]) -> None:
        cmd = prefix + args if not prefix or prefix[0] != "su" else prefix + [" ".join(map(_quote, args))]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=str(base))
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {proc.stdout}\n{proc.stderr}\n"
                               + (log.read_text(errors="replace") if log.exists() else ""))

    run([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run([pg_ctl, "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start"])

    def stop() -> None:
        try:
            run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(base, ignore_errors=True)

    return PgServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", stop)


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("SCORECARD_TEST_PG_URL")
    if url:
        yield PgServer(url.replace("postgresql+psycopg://", "postgresql://", 1))
        return
    server = start_cluster()
    if server is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found, and SCORECARD_TEST_REQUIRE_PG=1")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: an SQLite file, or a new database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "scorecard.db")
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def store_env(db_url, tmp_path, monkeypatch):
    """SCORECARD_DB / SCORECARD_ARCHIVE set for the CLI; returns (db, archive dir)."""
    archive = tmp_path / "archive"
    monkeypatch.setenv("SCORECARD_DB", db_url)
    monkeypatch.setenv("SCORECARD_ARCHIVE", str(archive))
    return db_url, archive
