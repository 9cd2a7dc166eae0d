"""A course directory that cannot be graded gets a message a person can act on.

Bad submissions beside good ones: tests/test_hostile.py."""

import shutil

from course import layout

from .conftest import ASSIGNMENTS, run_course

FIRST = ASSIGNMENTS[0]


def test_missing_submitted_folder(tmp_path):
    shutil.copytree(layout.ROOT / layout.SOURCE_DIR, tmp_path / layout.SOURCE_DIR)
    done = run_course("grade", "--course-dir", str(tmp_path))
    assert done.returncode == 1
    assert "Nothing to grade" in done.stdout and "submitted/<student>/<assignment>" in done.stdout


def test_not_a_course_directory(tmp_path):
    done = run_course("grade", "--course-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "Not a course directory" in done.stdout
