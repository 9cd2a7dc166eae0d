"""A semester of grading on one small class, with the real nbgrader, kernels and SQLite:
nothing changed, a resubmission, a subset, a manual score that went stale, a folder that
disappeared, an assignment edited after grading. The tests run in file order on one
course directory, each leaving it as a later week would find it."""

import csv
import hashlib
import sqlite3

import pytest

from course import cells, grading, layout, state

from . import fixture_course as fx

# Excel's "CSV UTF-8" in a locale with ';': the folder bob is roster id BOB; erin dropped.
ROSTER = "SIS Login ID;Last name;Status\r\nalice;A;\r\nBOB;Builder;\r\ncarol;C;\r\n"
ROSTER += "dave;D;active\r\nerin;E;Dropped\r\n"
WRONG_NORM = {"ex2_norm": "def norm(v):\n    return float(sum(v))"}


def grade(course, capsys, **kwargs) -> tuple[int, str]:
    status = grading.grade(course, workers=2, **kwargs)
    return status, capsys.readouterr().out


def grades(course) -> dict[str, dict]:
    with open(course / grading.GRADES_CSV) as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def snapshot(course) -> dict[str, str]:
    """Hash of every file the grading produces, by path."""
    folders = ["autograded", "feedback", state.STATE_DIR]
    paths = [p for f in folders for p in (course / f).rglob("*") if p.is_file()]
    paths.append(course / grading.GRADES_CSV)
    return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def changed(before: dict, after: dict) -> set[str]:
    """Students whose autograded notebook or feedback changed."""
    paths = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    return {p.split("/")[1] for p in paths if p.startswith(("autograded/", "feedback/"))}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = fx.make_course(tmp_path_factory.mktemp("semester"))
    fx.submit(root, "alice", fx.submission(root), name=f"Copy of {fx.ASSIGNMENT}.ipynb")
    fx.submit(root, "bob", fx.submission(root, **WRONG_NORM))
    fx.submit(root, "carol", fx.submission(root))
    fx.submit(root, "erin", fx.submission(root))
    (root / "roster.csv").write_bytes(ROSTER.encode("utf-8-sig"))  # as Excel saves it
    assert grading.grade(root, workers=2) == 0
    return root


def test_first_grading(course):
    rows = grades(course)
    scores = {s: float(r["score"]) for s, r in rows.items()}
    assert scores == {"alice": 10, "BOB": 7, "carol": 10, "dave": 0}  # erin left the course
    assert "repair" in rows["alice"]["note"]  # the renamed notebook was taken in
    assert rows["BOB"]["last_name"] == "Builder" and rows["dave"]["note"] == "not submitted"


def test_nothing_changed_grades_nothing_and_changes_nothing(course, capsys):
    before = snapshot(course)
    status, out = grade(course, capsys)
    assert status == 0
    assert "Autograding 0 submission(s)" in out and "(3 unchanged)" in out
    assert snapshot(course) == before


def test_a_resubmission_regrades_only_it(course, capsys):
    before = snapshot(course)
    fx.submit(course, "bob", fx.submission(course))
    status, out = grade(course, capsys)
    assert status == 0 and "Autograding 1 submission(s)" in out
    assert changed(before, snapshot(course)) == {"BOB"}
    assert float(grades(course)["BOB"]["score"]) == 10


def test_one_student_is_regraded_through_intake(course, capsys):
    before = snapshot(course)
    status, out = grade(course, capsys, students=["ALICE"])  # ids match case-blind
    assert status == 0 and "Autograding 1 submission(s)" in out
    assert changed(before, snapshot(course)) == {"alice"}
    row = grades(course)["alice"]
    assert float(row["score"]) == 10 and "repair" in row["note"]


def test_a_manual_score_older_than_the_resubmission_is_flagged(course, capsys):
    with grading.gradebook(course) as gb:
        sub = gb.find_submission_notebook(fx.ASSIGNMENT, fx.ASSIGNMENT, "carol")
        grade_cell = next(g for g in sub.grades if g.name == "ex3-mean-tests")
        grade_cell.manual_score = 1.0  # as an instructor would in formgrader
        gb.db.commit()
    fx.submit(course, "carol", fx.submission(course, ex3_mean="def mean(x):\n    return x.mean()"))
    status, out = grade(course, capsys)
    assert status == 0
    row = grades(course)["carol"]
    assert "earlier version" in row["note"] and "ex3-mean-tests" in row["note"]
    assert float(row["score"]) == 6  # the stale manual score still counts, and says so
    summary = out[out.index("Summary") :]
    assert summary.split("\n")[2].split()[-1] == "1"  # "check" counts it


def test_a_vanished_submission_is_not_exported_as_current(course, capsys):
    folder = course / layout.SUBMITTED_DIR / "carol"
    moved = course / "carol-elsewhere"
    folder.rename(moved)
    try:
        grade(course, capsys)
        row = grades(course)["carol"]
        assert float(row["score"]) == 0 and "is gone" in row["note"]
        assert not list((course / "feedback" / "carol").rglob("*.html"))
    finally:
        moved.rename(folder)
    status, out = grade(course, capsys)
    assert status == 0 and "Autograding 1 submission(s)" in out
    assert "is gone" not in grades(course)["carol"]["note"]


def test_adding_a_cell_after_grading_is_refused_with_the_reason(course, capsys):
    source = layout.source_notebook(fx.ASSIGNMENT, course)
    original = source.read_bytes()
    released = layout.release_notebook(fx.ASSIGNMENT, course)
    student_version = released.read_bytes()
    nb = cells.read(source)
    nb.cells.insert(1, fx.cell("markdown", "erratum", "Erratum: the mean of a tensor."))
    cells.write(nb, source)
    try:
        with pytest.raises(RuntimeError) as raised:
            grading.grade(course, workers=2)
        message = str(raised.value)
        assert "Cannot add or remove cells" in message and "RESET=" in message
        assert "Please see the" not in message
        log = message.split("nbgrader's log: ")[1].split(")")[0]
        assert "Traceback" in open(log).read()
        assert released.read_bytes() == student_version  # the failed release deleted nothing
    finally:
        source.write_bytes(original)


def test_editing_a_released_assignment_regrades_it(course, capsys):
    source = layout.source_notebook(fx.ASSIGNMENT, course)
    nb = cells.read(source)
    title = next(c for c in nb.cells if cells.grade_id(c) == "title")
    title.source += "\n\nErratum: norms are Euclidean."
    cells.write(nb, source)
    status, out = grade(course, capsys)
    assert status == 0 and "Released 1 changed assignment" in out
    assert "Autograding 3 submission(s)" in out
    assert "Erratum" in layout.release_notebook(fx.ASSIGNMENT, course).read_text()


def test_the_gradebook_stays_consistent(course):
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
