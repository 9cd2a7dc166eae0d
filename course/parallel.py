"""Autograde many submissions (and write their feedback) in N worker processes (one
when JOBS=1, so that an interrupt can always stop the grading and its kernels).

Each worker is a process with its own nbgrader (its own kernels); they share the course
directory and its one gradebook, which nbgrader opens only briefly per submission, so
SQLite's locking is enough on one machine (the database is switched to WAL mode so that
readers never wait for a writer). Results come back as they finish, with progress lines.
"""

import dataclasses
import math
import multiprocessing
import os
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry

from . import interrupts, state
from .nbgrader_api import NbGrader, failure, log_text

ATTEMPTS = 2  # a submission whose failure is the infrastructure's is graded once more
# Failures that say nothing about the submission: the kernel did not start or answer.
INFRASTRUCTURE = ["grading infrastructure failure"]  # course.limits.INFRASTRUCTURE says so
INFRASTRUCTURE += ["Kernel didn't respond", "Kernel died before replying to kernel_info"]
INFRASTRUCTURE += ["Timeout waiting for", "TimeoutError: Kernel", "database is locked"]


@dataclass(frozen=True)
class Job:
    student: str
    assignment: str
    attempt: int = 1


@dataclass(frozen=True)
class Done:
    job: Job
    seconds: float
    error: str | None  # why nbgrader produced no grade; None when it did
    log: str = ""  # where nbgrader's own account of the failure was saved
    scores: dict = field(default_factory=dict)  # test cell -> auto score, as just graded
    manual_before: dict = field(default_factory=dict)  # manual scores found before grading
    retried: str = ""  # the infrastructure failure of an earlier attempt


_nbgrader: NbGrader | None = None  # one per worker process


def _start_worker(root: Path, threads: int, slots) -> None:
    global _nbgrader
    interrupts.exit_on_sigterm()
    with slots.get_lock():  # each worker its number, e.g. for a sandbox user of its own
        os.environ["COURSE_WORKER_SLOT"] = str(slots.value)
        slots.value += 1
    _nbgrader = NbGrader(root)
    os.environ["OMP_NUM_THREADS"] = str(threads)  # N kernels on N cores, not N x cores


def _autograde(job: Job) -> Done:
    """Autograde one submission, then write its feedback; keep nbgrader's log of a failure."""
    start = time.perf_counter()
    manual = cell_scores(_nbgrader, job, "manual_score")
    try:
        result = _nbgrader.autograde(job.assignment, job.student)
        if result["success"]:
            result = _nbgrader.generate_feedback(job.assignment, job.student)
        error = None if result["success"] else failure(result)
        text = "" if result["success"] else log_text(result)
    except Exception as err:  # a worker must report, never take the run down
        error, text = f"{type(err).__name__}: {err}", repr(err)
    log = save_log(_nbgrader.root, job, text) if error else ""
    scores = {} if error else cell_scores(_nbgrader, job, "auto_score")
    return Done(job, time.perf_counter() - start, error, log, scores, manual)


def longest_first(jobs: list[Job], took: dict[str, float]) -> list[Job]:
    """The jobs, those expected to take longest first, so that the last to start are short
    and no worker finishes long after the others. `took`: seconds of each submission's last
    grading (state.key -> s). A job's estimate is its own last time, else its assignment's
    median; one with neither goes first (nothing is known of it); ties keep their order."""

    of_assignment = defaultdict(list)
    for where, seconds in took.items():
        of_assignment[where.split("/", 1)[1]].append(seconds)
    medians = {assignment: statistics.median(s) for assignment, s in of_assignment.items()}

    def estimate(job: Job) -> float:
        own = took.get(state.key(job.student, job.assignment))
        return own or medians.get(job.assignment, math.inf)

    return sorted(jobs, key=estimate, reverse=True)


def cell_scores(nbgrader: NbGrader, job: Job, kind: str) -> dict[str, float]:
    """Test cell -> its auto_score or manual_score (those set) in the gradebook."""
    try:
        with nbgrader.gradebook() as gb:
            sub = gb.find_submission_notebook(job.assignment, job.assignment, job.student)
            values = {g.name: getattr(g, kind) for g in sub.grades}
    except MissingEntry:
        return {}
    return {name: value for name, value in values.items() if value is not None}


def save_log(root: Path, job: Job, text: str) -> str:
    """Write nbgrader's log of a failed submission; return its path in the course directory."""
    path = state.log_path(root, job.student, job.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"{job.student}/{job.assignment}, attempt {job.attempt}, {state.now()}\n\n"
    path.write_text(header + (text or "nbgrader gave no output") + "\n")
    return path.relative_to(root).as_posix()


def infrastructure(error: str | None) -> bool:
    return bool(error) and any(sign in error for sign in INFRASTRUCTURE)


def use_wal(db_url: str) -> None:
    """Let readers and one writer of a SQLite gradebook work at once (a setting stored in
    the database file). Other databases (PostgreSQL ...) handle concurrency themselves."""
    if db_url.startswith("sqlite:///"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
            db.execute("PRAGMA journal_mode=WAL")


def autograde_all(root: Path, jobs: list[Job], workers: int = 1) -> Iterator[Done]:
    """Autograde every job in `workers` processes; yield each result as it finishes. A
    submission that failed for the infrastructure's reasons (the
    kernel did not start) is graded once more. KeyboardInterrupt stops the workers and
    their kernels within seconds and propagates."""
    if not jobs:
        return
    use_wal(NbGrader(root).db_url)
    context = multiprocessing.get_context("spawn")  # no forked kernels or database handles
    threads = max(1, (os.cpu_count() or 1) // workers)
    slots = context.Value("i", 0)
    others = interrupts.children()
    pool = ProcessPoolExecutor(workers, context, _start_worker, (root, threads, slots))
    try:
        running = {pool.submit(_autograde, job): job for job in jobs}
        while running:
            finished, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                done = future.result() if not future.exception() else worker_died(job, future)
                if infrastructure(done.error) and job.attempt < ATTEMPTS:
                    retry = Job(job.student, job.assignment, job.attempt + 1)
                    running[pool.submit(_autograde_again, retry, done.error)] = retry
                    continue
                yield done
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        interrupts.stop_children(keep=others)
        raise
    pool.shutdown()


def worker_died(job: Job, future) -> Done:
    """A worker process that ended abruptly (killed, out of memory) takes its job along."""
    return Done(job, 0.0, f"the grading worker process died ({future.exception()!r})")


def _autograde_again(job: Job, why: str) -> Done:
    return dataclasses.replace(_autograde(job), retried=why)


class Progress:
    """'[k/N] student / assignment (t s)  elapsed, about T left, F failed': one line per
    submission; on a terminal the line is rewritten in place."""

    def __init__(self, total: int):
        self.total, self.count, self.failed = total, 0, 0
        self.start = time.perf_counter()
        self.terminal = sys.stdout.isatty()

    def update(self, done: Done) -> None:
        self.count += 1
        self.failed += done.error is not None
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.count * (self.total - self.count)
        line = (
            f"[{self.count}/{self.total}] {done.job.student} / {done.job.assignment} "
            f"({done.seconds:.1f} s)  elapsed {clock(elapsed)}, about {clock(left)} left"
            + (f", {self.failed} failed" if self.failed else "")
        )
        if self.terminal:
            end = "\n" if self.count == self.total else ""
            print(f"\r\033[K{line}", end=end, flush=True)
        else:
            print(line, flush=True)


def clock(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}:{seconds:02d}"
