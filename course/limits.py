"""Cell limits that a busy grading machine cannot turn into zeros.

A wall-clock limit per cell is unfair on a shared machine: with 3 busy processes per core
a kernel gets about a quarter of a core, so a correct answer that needs 10 s on an idle
machine needs 40 s, passes its limit and scores 0. What a cell does costs the same CPU time
however busy the machine is, so the limit that decides a score counts CPU seconds (user +
system) of the kernel and every process it started (`CpuClock`); `CpuWatch` interrupts
the kernel when a cell has used its budget, the way nbclient interrupts on a timeout, and
kills the kernel if the cell ignores the interrupt. A genuinely endless loop uses CPU, so
it is still stopped, after budget / (its share of a core) seconds; only its cell is lost.

Code that waits without using CPU (time.sleep in a loop, input(), a blocked pipe) is
stopped by nbclient's own wall-clock timeout, kept as a backstop and set several times the
CPU limit, so that load alone cannot reach it. The kernel's start-up timeout is generous
for the same reason: a kernel that starts slowly on a busy machine is not the student's
fault. When grading fails for a reason of the machine's and not of the submission's (the
kernel did not start, it stopped answering the grader), the error says INFRASTRUCTURE, so
that such a submission can be graded again.

No calibration: the limits are per assignment in grading.toml, set from the reference
solutions' measured CPU cost with a wide margin (CPU time varies little from one run or
machine load to another; thread count matters, see README).

The process tree is read from /proc (psutil), which also works for a kernel in a sandbox
with its own PID namespace or user: the grader sees the sandbox's processes under their
outer process ids. Processes that left the tree (daemons re-parented to init) are not
counted; the sandbox's PID namespace ends them with the submission.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from . import layout

INFRASTRUCTURE = "grading infrastructure failure"  # in every error that is not the student's
POLL_S = 0.25  # how often a cell's CPU time is read
IOPUB_S = 30  # for a kernel's last messages after its reply (nbclient's iopub_timeout)


@dataclass(frozen=True)
class Limits:
    """What one cell of an assignment may use while it is autograded."""

    cpu_s: float  # CPU seconds of the kernel's process tree: over it, the cell is interrupted
    wall_s: int  # wall-clock backstop for a cell that waits without using CPU
    kernel_start_s: int  # for the kernel to start and answer
    grace_cpu_s: float  # CPU seconds an interrupted cell may still use before the kernel is killed

    @classmethod
    def of(cls, assignment: str | None, root: Path = layout.ROOT) -> "Limits":
        cpu = layout.cell_cpu_seconds(assignment, root)
        return cls(
            cpu_s=cpu,
            wall_s=layout.cell_timeout(assignment, root),
            kernel_start_s=layout.kernel_start_seconds(root),
            grace_cpu_s=max(5.0, cpu / 4),
        )


class InfrastructureError(RuntimeError):
    """Grading failed for a reason of the grading machine's, not of the submission's."""

    def __init__(self, what: str):
        super().__init__(f"{INFRASTRUCTURE}: {what}; grade this submission again")


class CpuClock:
    """CPU seconds used by a process and its descendants: the live ones, and those that
    ended and were waited for (their time is added to their parent's)."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)

    def seconds(self) -> float:
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:  # the kernel is gone: nothing more to count
            return 0.0
        total = 0.0
        for process in tree:
            try:
                t = process.cpu_times()
            except psutil.Error:  # ended while we looked
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total


class CpuWatch:
    """Watches one cell: interrupts the kernel when the cell has used `limits.cpu_s` CPU
    seconds, kills it if the cell then goes on using CPU for `limits.grace_cpu_s`.

    `run()` is meant to run as an asyncio task beside the cell's execution and to be
    cancelled when the cell finishes. `exceeded` and `killed` say what it did.
    """

    def __init__(
        self,
        clock: CpuClock,
        limits: Limits,
        interrupt: Callable[[], Awaitable[object]],
        kill: Callable[[], Awaitable[object]],
    ):
        self.clock, self.limits = clock, limits
        self.interrupt, self.kill = interrupt, kill
        self.start = clock.seconds()
        self.exceeded = self.killed = False

    def used(self) -> float:
        return self.clock.seconds() - self.start

    async def run(self) -> None:
        await self.wait_until(self.limits.cpu_s)
        self.exceeded = True
        await self.interrupt()
        await self.wait_until(self.limits.cpu_s + self.limits.grace_cpu_s)
        self.killed = True
        await self.kill()

    async def wait_until(self, cpu_s: float) -> None:
        while self.used() < cpu_s:
            await asyncio.sleep(POLL_S)


def kernel_pid(km) -> int | None:
    """The process id of the kernel a jupyter_client KernelManager started (for a sandboxed
    kernel: of the sandbox's outer process), or None if it runs elsewhere."""
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        pid = getattr(getattr(provisioner, "process", None), "pid", None)
    return pid


def cpu_limit_message(limits: Limits) -> str:
    return (
        f"this cell was stopped after {limits.cpu_s:g} s of CPU time, its limit "
        "(an endless loop, or far more work than the exercise needs); the cells after it still ran"
    )


def wall_limit_message(limits: Limits, cpu_used: float | None = None) -> str:
    used = "" if cpu_used is None else f", having used {cpu_used:.1f} s of CPU time,"
    return (
        f"this cell was stopped after {limits.wall_s} s of wall-clock time{used} without "
        "finishing: is it waiting or sleeping (time.sleep in a loop, input())?"
    )
