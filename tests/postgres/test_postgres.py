"""Several graders on one PostgreSQL gradebook (`make test-postgres`).

A real PostgreSQL server on loopback, in a throw-away cluster, grades a fixture class as
two machines would: two course-directory copies, each with a disjoint share of submitted/
and the same database URL, both grading at once with two workers each. grades.csv, every
cell's score and every feedback file must be what the SQLite default gives; a second run
grades nothing; the export is made once, on either machine.
"""

import csv
import os
import shutil
import subprocess
import sys
import time

import pytest

from course import grading, layout

from .. import fixture_course as fx
from .server import postgres_server

WRONG = {
    "ex1_double": "def double(x):\n    return x",
    "ex3_mean": "def mean(x):\n    return x.sum()",
}
CLASS = {f"s{n:02d}": {} if n % 3 else WRONG for n in range(1, 9)}  # 8 students


def make_course(root, url: str | None = None):
    """The fixture course, its gradebook at `url` (SQLite in `root` when None)."""
    return fx.make_course(root, f'[gradebook]\nurl = "{url}"\n' if url else "")


def hand_in(root, students):
    for student in students:
        fx.submit(root, student, fx.submission(root, **CLASS[student]))


def grade(root, *args) -> subprocess.Popen:
    command = [sys.executable, "-m", "course", "grade", "--course-dir", str(root), "--jobs", "2"]
    return subprocess.Popen(
        command + list(args),
        cwd=layout.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen) -> str:
    out, _ = process.communicate(timeout=900)
    assert process.returncode == 0, out
    return out


def results(root) -> tuple[list[dict], dict]:
    with open(root / grading.GRADES_CSV) as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["student_id"])
    with grading.gradebook(root) as gb:
        scores = {
            (s, g.name): (g.auto_score, g.max_score)
            for s in CLASS
            for g in gb.find_submission_notebook(fx.ASSIGNMENT, fx.ASSIGNMENT, s).grades
        }
    return rows, scores


def feedback(*roots) -> dict[str, bytes]:
    pages = {}
    for root in roots:
        for page in (root / "feedback").rglob("*.html"):
            pages[str(page.relative_to(root))] = page.read_bytes()
    return pages


@pytest.fixture(scope="module")
def database_url():
    if not os.environ.get("COURSE_TEST_POSTGRES"):
        pytest.skip("needs a PostgreSQL server: run by `make test-postgres` (CI runs it too)")
    with postgres_server() as url:
        yield url


def test_two_graders_on_postgres_give_what_sqlite_gives(tmp_path, database_url, capsys):
    sqlite = make_course(tmp_path / "sqlite")
    hand_in(sqlite, CLASS)
    start = time.perf_counter()
    finished(grade(sqlite))
    sqlite_s = time.perf_counter() - start

    first = make_course(tmp_path / "machine-1", database_url)
    second = tmp_path / "machine-2"
    shutil.copytree(first, second)  # the released course directory, as a second machine has it
    shares = {k: [s for s in CLASS if grading.machine(s, 2) == k] for k in (1, 2)}
    assert shares[1] and shares[2], "the hash split left a machine idle"
    hand_in(first, shares[1])
    hand_in(second, shares[2])
    start = time.perf_counter()
    graders = [grade(first, "--share", "1/2"), grade(second, "--share", "2/2")]
    outputs = [finished(g) for g in graders]
    both_s = time.perf_counter() - start
    assert all("Autograding" in out for out in outputs)

    assert grading.export(first) == 0
    assert results(first) == results(sqlite)
    assert feedback(first, second) == feedback(sqlite)
    with capsys.disabled():
        n = len(CLASS)
        print(
            f"\n  SQLite, one machine: {n} submissions in {sqlite_s:.0f} s; PostgreSQL, two "
            f"graders at once: {both_s:.0f} s ({both_s / n:.1f} s per submission overall)"
        )

    again = finished(grade(first, "--share", "1/2"))
    assert f"Autograding 0 submission(s), 2 at a time ({len(shares[1])} unchanged)" in again
