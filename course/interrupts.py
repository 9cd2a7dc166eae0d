"""Stopping a grading run: Ctrl-C, SIGTERM, or SIGINT sent to `make` alone.

The grading run's main process turns each of them into KeyboardInterrupt, then stops its
worker processes, which kill the kernels they started (kernels run in sessions of their
own, so a terminal's Ctrl-C never reaches them). GNU make, when it alone receives SIGINT,
waits for its children without telling them; it does reset its SIGINT handler first, so a
grader started by make (directly or through the shell of its recipe) watches for that and
stops as if it had been interrupted.
"""

import _thread
import os
import signal
import threading
from contextlib import contextmanager

import psutil

SIGINT_BIT = 1 << (signal.SIGINT - 1)
GRACE_S = 5  # how long a worker may take to stop its kernels before it is killed


def catches_sigint(pid: int) -> bool | None:
    """Whether process `pid` has a handler for SIGINT (None: it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            caught = next(line for line in f if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return None
    return bool(int(caught.split()[1], 16) & SIGINT_BIT)


def make_above() -> psutil.Process | None:
    """The `make` that started us: our parent, or the shell make ran our recipe in."""
    try:
        process = psutil.Process().parent()
        for _ in range(2):
            if process is None or process.name() == "make":
                return process
            process = process.parent()
    except psutil.Error:
        pass
    return None


def watch_make(stop: threading.Event) -> None:
    """Interrupt the main thread when the `make` above us got SIGINT or went away."""
    make = make_above()
    if make is None or not catches_sigint(make.pid):
        return
    while not stop.wait(0.5):
        if not catches_sigint(make.pid):
            _thread.interrupt_main()
            return


@contextmanager
def interruptible():
    """SIGTERM and make's SIGINT raise KeyboardInterrupt in the main thread, as Ctrl-C does."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    threading.Thread(target=watch_make, args=(stop,), daemon=True).start()
    try:
        yield
    finally:
        stop.set()
        signal.signal(signal.SIGTERM, previous)


def children() -> set[int]:
    return {child.pid for child in psutil.Process().children()}


def stop_children(keep: set[int], grace_s: float = GRACE_S) -> None:
    """SIGTERM the child processes not in `keep` (each worker stops its kernels), then
    SIGKILL those still there."""
    children = [c for c in psutil.Process().children() if c.pid not in keep]
    for child in children:
        with _gone():
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace_s)
    for child in alive:
        with _gone():
            child.kill()


def kill_descendants() -> None:
    """SIGKILL every process this one started (a worker's kernels, and theirs)."""
    for child in psutil.Process().children(recursive=True):
        with _gone():
            child.kill()


def exit_on_sigterm() -> None:
    """In a worker: on SIGTERM, kill its kernels and exit at once."""

    def stop(signum, frame):
        kill_descendants()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides


@contextmanager
def _gone():
    try:
        yield
    except psutil.NoSuchProcess:
        pass
