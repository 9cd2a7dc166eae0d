"""A throw-away PostgreSQL cluster on loopback for the tests, stopped whatever happens."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

DATABASE, USER = "pytorch_course", "grader"


def bin_dir() -> Path | None:
    """Debian's PostgreSQL programs (initdb, pg_ctl), newest version first."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((v for v in versions if (v / "initdb").is_file()), None)


def as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server():
    """Yield the SQLAlchemy URL of a fresh database on a new cluster in a temporary folder
    (outside pytest's, which the `postgres` user may not enter)."""
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    try:
        with cluster(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def cluster(folder: Path):
    programs = bin_dir()
    if programs is None:
        pytest.skip("PostgreSQL is not installed: `make test-postgres` installs it (as root)")
    pytest.importorskip("psycopg", reason="psycopg is missing: `make test-postgres` installs it")
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir(parents=True)
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")

    def run(*command):
        done = subprocess.run(as_server_user(list(command)), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    run(str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", USER)
    port = free_port()
    options = f"-k {sockets} -p {port} -c listen_addresses=127.0.0.1 -c max_connections=100"
    run(
        str(programs / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-w",
        "-l",
        str(folder / "log"),
        "start",
    )
    try:
        run(str(programs / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE)
        yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{DATABASE}"
    finally:  # stopped whatever happened; a server that is already gone is fine
        stop = [str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(as_server_user(stop), capture_output=True)
