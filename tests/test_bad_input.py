"""Bad input gets a message a person can act on; everything else is still graded."""

import csv
import shutil

import pytest

from course import cells, examples, grading, layout, release

from .conftest import ASSIGNMENTS, run_course

FIRST = ASSIGNMENTS[0]


@pytest.fixture(scope="module")
def messy_class(tmp_path_factory):
    """One good submission beside a broken notebook, a typo'd folder and a missing file."""
    root = tmp_path_factory.mktemp("messy")
    shutil.copytree(layout.source_notebook(FIRST).parent, root / layout.SOURCE_DIR / FIRST)
    release.release(root, [FIRST])
    submitted = root / layout.SUBMITTED_DIR
    good = examples.submissions(FIRST, root)[examples.PERFECT]
    cells.write(good, submitted / "good" / FIRST / f"{FIRST}.ipynb")
    broken = submitted / "broken" / FIRST / f"{FIRST}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ this is not JSON')
    cells.write(good, submitted / "typo" / (FIRST + "x") / f"{FIRST}.ipynb")
    (submitted / "renamed" / FIRST).mkdir(parents=True)
    (submitted / "renamed" / FIRST / "my work.ipynb").write_text("{}")
    done = run_course("grade", "--course-dir", str(root))
    return root, done


def test_problems_are_named_with_what_to_do(messy_class):
    _, done = messy_class
    assert done.returncode == 1, "something could not be graded: the exit status says so"
    out = done.stdout
    assert "broken/" in out and "not a readable notebook" in out and "download" in out
    assert "unknown assignment" in out and "rename the folder" in out
    assert "no " + FIRST + ".ipynb" in out and "my work.ipynb" in out
    assert "Traceback" not in out + done.stderr


def test_everything_else_is_graded(messy_class):
    root, _ = messy_class
    with open(root / grading.GRADES_CSV) as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(rows["good"]["score"]) == float(rows["good"]["max_score"]) > 0
    for student in ("broken", "typo", "renamed"):
        assert float(rows[student]["score"]) == 0, f"{student} must still be in the export"
    assert (root / "feedback" / "good" / FIRST / f"{FIRST}.html").is_file()


def test_missing_submitted_folder(tmp_path):
    shutil.copytree(layout.ROOT / layout.SOURCE_DIR, tmp_path / layout.SOURCE_DIR)
    done = run_course("grade", "--course-dir", str(tmp_path))
    assert done.returncode == 1
    assert "Nothing to grade" in done.stdout and "submitted/<student>/<assignment>" in done.stdout


def test_not_a_course_directory(tmp_path):
    done = run_course("grade", "--course-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "Not a course directory" in done.stdout
