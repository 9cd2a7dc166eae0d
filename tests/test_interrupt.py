"""Ctrl-C during grading: a prompt stop at any JOBS, no kernel left behind, nothing stale
shown as current, and the next run grades exactly what is left."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from course import grading, layout

from . import fixture_course as fx

SLOW_MEAN = "import time\n\ntime.sleep(6)\n\n\ndef mean(x):\n    return x.sum() / len(x)"
STUDENTS = ["ann", "ben", "cat"]


def start(course, command: list[str]) -> subprocess.Popen:
    """The grader in a process group of its own, as a terminal would run it."""
    return subprocess.Popen(
        command,
        cwd=layout.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for(process: subprocess.Popen, text: str, timeout: float = 600) -> str:
    """Read the grader's output until a line contains `text`."""
    seen, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, f"the grader ended before printing {text!r}:\n{seen}"
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"no {text!r} within {timeout} s:\n{seen}")


def kernels_of(course) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if "ipykernel" in " ".join(p.info["cmdline"] or []) and str(course) in (p.cwd() or ""):
                found.append(p)
        except psutil.Error:
            continue
    return found


@pytest.fixture
def course(tmp_path):
    root = fx.make_course(tmp_path)
    for student in STUDENTS:  # each takes several seconds, so a run can be caught half-way
        fx.submit(root, student, fx.submission(root, ex3_mean=SLOW_MEAN))
    return root


@pytest.mark.parametrize("jobs, via_make", [(1, False), (2, False), (1, True)])
def test_interrupt_is_prompt_and_resumable(course, jobs, via_make):
    grade = [sys.executable, "-m", "course", "grade", "--course-dir", str(course)]
    command = grade + ["--jobs", str(jobs)]
    if via_make:
        command = ["make", "--no-print-directory", "grade", f"COURSE_DIR={course}", f"JOBS={jobs}"]
    process = start(course, command)
    wait_for(process, f"[1/{len(STUDENTS)}]")
    stopped_at = time.monotonic()
    # Ctrl-C in a terminal signals the whole group; `kill -INT <make>` reaches make alone.
    if via_make:
        os.kill(process.pid, signal.SIGINT)
    else:
        os.killpg(process.pid, signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    assert time.monotonic() - stopped_at < 20, out
    assert process.returncode != 0
    assert f"of {len(STUDENTS)} graded; run make grade again to finish" in out, out
    finished = int(out.split("interrupted: ")[1].split()[0])
    assert 1 <= finished < len(STUDENTS)
    time.sleep(1)
    assert not kernels_of(course), "a kernel outlived the interrupted run"

    with open(course / grading.GRADES_CSV) as f:
        rows = list(csv.DictReader(f))
    unfinished = [r for r in rows if "did not finish" in r["note"]]
    assert len(unfinished) == len(STUDENTS) - finished
    for row in unfinished:
        assert float(row["score"]) == 0
        assert not list((course / "feedback" / row["student_id"]).rglob("*.html"))
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    resumed = subprocess.run(grade + ["--jobs", "2"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"Autograding {len(STUDENTS) - finished} submission(s)" in resumed.stdout
    with open(course / grading.GRADES_CSV) as f:
        assert [float(r["score"]) for r in csv.DictReader(f)] == [10.0] * len(STUDENTS)


def test_results_in_flight_at_the_interrupt_leave_no_feedback(course):
    """A worker can finish a submission (and write its feedback) that the main process has
    not recorded yet. Stop the main process once a kernel runs, let a worker finish, then
    interrupt: nothing was recorded, so no feedback may remain."""
    grade = [sys.executable, "-m", "course", "grade", "--course-dir", str(course), "--jobs", "2"]
    process = start(course, grade)
    feedback = lambda: list((course / "feedback").rglob("*.html"))  # noqa: E731
    assert until(lambda: kernels_of(course)), "no grading kernel started"
    os.kill(process.pid, signal.SIGSTOP)  # the workers go on; nothing records their results
    try:
        assert until(feedback), "no worker finished a submission"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        os.kill(process.pid, signal.SIGCONT)
    out, _ = process.communicate(timeout=60)
    assert f"interrupted: 0 of {len(STUDENTS)} graded" in out, out
    assert not feedback(), "feedback of a submission whose grading was never recorded"


def until(condition, timeout: float = 120):
    """Poll `condition` until it is true (returned) or `timeout` seconds pass (falsy)."""
    deadline = time.monotonic() + timeout
    while not (found := condition()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_interrupt_while_planning_loses_no_feedback(tmp_path, monkeypatch):
    """Ctrl-C after the first old feedback page was removed, before grading started: the
    next run must grade again what lost its page, although its submission is unchanged."""
    root = fx.make_course(tmp_path)
    for student in STUDENTS:
        fx.submit(root, student, fx.submission(root))
    assert grading.grade(root, workers=2) == 0

    def interrupted(*args, remove=grading.remove_feedback):
        remove(*args)  # the first page goes, then Ctrl-C
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(grading, "remove_feedback", interrupted)
        with pytest.raises(KeyboardInterrupt):
            grading.grade(root, force=True)
    assert grading.grade(root, workers=2) == 0
    for student in STUDENTS:
        assert (root / "feedback" / student / fx.ASSIGNMENT / f"{fx.ASSIGNMENT}.html").exists()
