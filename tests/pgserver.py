"""A real PostgreSQL server for the tests: initdb into a temporary directory, a free port, a password.

Debian's `postgresql` package provides the binaries (the README's test command installs
it). As root, the server runs as the `postgres` user, as initdb requires. Authentication
is scram-sha-256 over TCP on 127.0.0.1, as a clinic group's server would ask for.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .webserver import free_port

USER = "clinic"
PASSWORD = "a long secret for the group"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class PgServer:
    port: int
    data: Path

    def url(self, dbname: str = "handouts") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    def env(self) -> dict[str, str]:
        return {"PGPASSWORD": PASSWORD, "PGCONNECT_TIMEOUT": "5"}

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), password=PASSWORD, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _pg(*command: str, check: bool = True) -> None:
    """A server command, as the postgres user when we are root (initdb and the server refuse root)."""
    owner: dict[str, str] = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
    subprocess.run(list(command), check=check, capture_output=True, **owner)  # type: ignore[call-overload]


def _start(data: Path, port: int) -> None:
    root = data.parent
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    _pg(str(bin_dir() / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")  # type: ignore[operator]


@contextmanager
def running() -> Iterator[PgServer]:
    bindir = bin_dir()
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="handouts-pg-"))
    (root / "pw").write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "pw", "postgres", "postgres")
    data = root / "data"
    _pg(str(bindir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={root / 'pw'}", "--auth=scram-sha-256", "-E", "UTF8")
    server = PgServer(free_port(), data)
    _start(data, server.port)
    try:
        yield server
    finally:
        _pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


def stop(server: PgServer) -> None:
    _pg(str(bin_dir() / "pg_ctl"), "-D", str(server.data), "-m", "fast", "stop")  # type: ignore[operator]


def start(server: PgServer) -> None:
    _start(server.data, server.port)
