"""`make grade JOBS=N`: grading with worker processes gives what grading one by one gives:
the same grades, the same feedback, one gradebook that nbgrader's own tools read."""

import contextlib
import csv
import io
import shutil

import pytest
from nbgrader.apps import NbGraderAPI

from course import grading, intake, parallel
from course.nbgrader_api import NbGrader

from . import fixture_course as fx
from . import test_hostile as hostile

CLASS = [
    "perfect",
    "wrong-norm",
    "exits-the-kernel",
    "patches-allclose",
    "editor-stripped-metadata",
    "deletes-a-test",
]


@pytest.fixture(scope="module")
def serial_and_parallel(tmp_path_factory):
    """The same class graded in two copies of one course directory: 1 worker, 2 workers."""
    base = fx.make_course(tmp_path_factory.mktemp("course") / "course")
    for student in CLASS:
        build, _ = hostile.GRADED[student]
        fx.submit(base, student, build(base))
    (base / "submitted" / "invalid-json" / fx.ASSIGNMENT).mkdir(parents=True)
    (base / "submitted" / "invalid-json" / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.ipynb").write_text("{")
    graded = {}
    for workers in (1, 2):
        root = shutil.copytree(base, base.parent / f"workers-{workers}")
        with contextlib.redirect_stdout(io.StringIO()):
            grading.grade(root, workers=workers)
        graded[workers] = root
    return graded[1], graded[2]


def grades_csv(root):
    with open(root / grading.GRADES_CSV) as f:
        return sorted(map(tuple, map(dict.items, csv.DictReader(f))))


def cell_grades(root):
    with grading.gradebook(root) as gb:
        return {
            (student, grade.name): (grade.auto_score, grade.max_score)
            for student in CLASS
            for grade in gb.find_submission_notebook(fx.ASSIGNMENT, fx.ASSIGNMENT, student).grades
        }


def files(root, folder):
    return {p.relative_to(root / folder): p.read_bytes() for p in (root / folder).rglob("*.*")}


def test_same_grades(serial_and_parallel):
    serial, parallel = serial_and_parallel
    assert grades_csv(serial) == grades_csv(parallel)
    assert cell_grades(serial) == cell_grades(parallel)


def test_same_feedback_and_intake_report(serial_and_parallel):
    serial, parallel = serial_and_parallel
    assert files(serial, "feedback") == files(parallel, "feedback")
    assert (serial / intake.REPORT).read_text() == (parallel / intake.REPORT).read_text()


def test_one_gradebook_that_nbgrader_reads(serial_and_parallel):
    """nbgrader's own API (what formgrader uses) sees every student's scores."""
    _, parallel = serial_and_parallel
    api = NbGraderAPI(config=NbGrader(parallel).config)
    submissions = {s["student"]: s for s in api.get_submissions(fx.ASSIGNMENT)}
    assert set(CLASS) <= set(submissions)
    for student in CLASS:
        _, expected = hostile.GRADED[student]
        assert submissions[student]["score"] == expected, student


def test_grading_again_gives_the_same_grades(serial_and_parallel):
    serial, _ = serial_and_parallel
    before = grades_csv(serial), cell_grades(serial)
    with contextlib.redirect_stdout(io.StringIO()):
        grading.grade(serial, workers=2)
    assert (grades_csv(serial), cell_grades(serial)) == before


def test_longest_first_from_the_last_gradings():
    """Its own last time, else its assignment's median, else first; ties keep their order."""
    took = {"ann/01": 10.0, "ben/01": 30.0, "cat/01": 20.0, "ann/02": 4.0, "ben/02": 90.0}
    jobs = [parallel.Job(s, a) for s, a in [("ann", "01"), ("ann", "02"), ("dan", "01")]]
    jobs += [parallel.Job("dan", "02"), parallel.Job("ann", "03"), parallel.Job("eve", "02")]
    order = [f"{j.student}/{j.assignment}" for j in parallel.longest_first(jobs, took)]
    # 03 was never graded; dan's and eve's 02 get 02's median, 47 s; dan's 01 01's, 20 s
    assert order == ["ann/03", "dan/02", "eve/02", "dan/01", "ann/01", "ann/02"]
