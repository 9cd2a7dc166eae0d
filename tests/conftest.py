"""Shared fixtures: the assignments, and one demo course graded once per test session."""

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime

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
    done = run_course("demo", "--course-dir", str(course_dir), "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    return course_dir, done.stdout


@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory):
    """notebooks/ regenerated from a copy of solutions/ in a temporary course directory."""
    course_dir = tmp_path_factory.mktemp("release")
    shutil.copytree(layout.ROOT / layout.SOURCE_DIR, course_dir / layout.SOURCE_DIR)
    release.release(course_dir)
    return course_dir


TEST_RUNS = layout.ROOT / "build" / "test-runs.jsonl"  # read by `make bench` (figure 1)
SESSION_START = pytest.StashKey[float]()
OUTCOMES = ("passed", "failed", "error", "skipped")


def pytest_sessionstart(session):
    session.stash[SESSION_START] = time.perf_counter()


def pytest_sessionfinish(session, exitstatus):
    """Append this session's duration and outcome to build/test-runs.jsonl for `make bench`."""
    config = session.config
    if hasattr(config, "workerinput") or SESSION_START not in session.stash:
        return  # a pytest-xdist worker: the controlling process records the session
    stats = getattr(config.pluginmanager.get_plugin("terminalreporter"), "stats", {})
    option = config.option
    narrowed = option.keyword or option.markexpr or option.deselect or getattr(option, "lf", 0)
    narrowed = narrowed or option.collectonly or option.setuponly or option.setupplan
    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - session.stash[SESSION_START], 1),
        **{outcome: len(stats.get(outcome, [])) for outcome in OUTCOMES},
        "exitstatus": int(exitstatus),
        "whole_suite": config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not narrowed
        and not session.shouldstop
        and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED),
    }
    TEST_RUNS.parent.mkdir(exist_ok=True)
    with TEST_RUNS.open("a") as f:
        f.write(json.dumps(record) + "\n")
