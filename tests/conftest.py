"""Shared fixtures: the assignments, and one demo course graded once per test session."""

import shutil
import subprocess
import sys

import pytest

from course import layout, release

ASSIGNMENTS = layout.assignments()


def pytest_generate_tests(metafunc):
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", ASSIGNMENTS)


def run_course(*args: str, cwd=layout.ROOT) -> subprocess.CompletedProcess:
    """Run `python -m course ARGS` as the Makefile does, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "course", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory):
    """The example class graded by `make demo` in a temporary course directory."""
    course_dir = tmp_path_factory.mktemp("demo")
    done = run_course("demo", "--course-dir", str(course_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    return course_dir, done.stdout


@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory):
    """notebooks/ regenerated from a copy of solutions/ in a temporary course directory."""
    course_dir = tmp_path_factory.mktemp("release")
    shutil.copytree(layout.ROOT / layout.SOURCE_DIR, course_dir / layout.SOURCE_DIR)
    release.release(course_dir)
    return course_dir
