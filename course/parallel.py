"""Autograde many submissions (and write their feedback): one after another, or with N
worker processes.

Each worker is a process with its own nbgrader (its own kernels); they share the course
directory and its one gradebook, which nbgrader opens only briefly per submission, so
SQLite's locking is enough on one machine (the database is switched to WAL mode so that
readers never wait for a writer). Results come back as they finish, with progress lines.
"""

import multiprocessing
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .nbgrader_api import NbGrader, failure


@dataclass(frozen=True)
class Job:
    student: str
    assignment: str


@dataclass(frozen=True)
class Done:
    job: Job
    seconds: float
    error: str | None  # why nbgrader produced no grade; None when it did


_nbgrader: NbGrader | None = None  # one per worker process


def _start_worker(root: Path, threads: int | None = None) -> None:
    global _nbgrader
    _nbgrader = NbGrader(root)
    if threads:  # kernels inherit it: N kernels on N cores, not N x cores threads
        os.environ["OMP_NUM_THREADS"] = str(threads)


def _autograde(job: Job) -> Done:
    """Autograde one submission, then write its feedback."""
    start = time.perf_counter()
    try:
        result = _nbgrader.autograde(job.assignment, job.student)
        if result["success"]:
            result = _nbgrader.generate_feedback(job.assignment, job.student)
        error = None if result["success"] else failure(result)
    except Exception as err:  # a worker must report, never take the run down
        error = f"{type(err).__name__}: {err}"
    return Done(job, time.perf_counter() - start, error)


def use_wal(db_url: str) -> None:
    """Let readers and one writer of a SQLite gradebook work at once (a setting stored in
    the database file). Other databases (PostgreSQL ...) handle concurrency themselves."""
    if db_url.startswith("sqlite:///"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as db:
            db.execute("PRAGMA journal_mode=WAL")


def autograde_all(root: Path, jobs: list[Job], workers: int = 1) -> Iterator[Done]:
    """Autograde every job; yields each result as it finishes, printing progress."""
    progress = Progress(len(jobs))
    if workers <= 1:
        _start_worker(root)
        for job in jobs:
            done = _autograde(job)
            progress.update(done)
            yield done
        return
    use_wal(NbGrader(root).db_url)
    context = multiprocessing.get_context("spawn")  # no forked kernels or database handles
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, context, _start_worker, (root, threads)) as pool:
        for future in as_completed([pool.submit(_autograde, job) for job in jobs]):
            done = future.result()
            progress.update(done)
            yield done


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
