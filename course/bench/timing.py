"""How the benchmark measures: Timer medians, side-by-side comparisons, peak memory."""

import contextlib
import ctypes
import ctypes.util
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils import benchmark

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
PROC_STATUS, CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def threads() -> int:
    """Threads every Timer uses: PyTorch's own setting (one per core unless changed)."""
    return torch.get_num_threads()


@contextlib.contextmanager
def using_threads(n: int):
    """Run the block, and every Timer in it, on n threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def threads_label() -> str:
    return f"{threads()} thread{'s' if threads() != 1 else ''}"


def timer(fn: Callable[[], object]) -> benchmark.Timer:
    return benchmark.Timer("fn()", globals={"fn": fn}, num_threads=threads())


def median_seconds(fn: Callable[[], object], min_run_time: float = 0.2) -> float:
    """Median seconds of one call (torch.utils.benchmark, blocked_autorange)."""
    return timer(fn).blocked_autorange(min_run_time=min_run_time).median


def side_by_side(
    fns: dict[str, Callable[[], object]], min_run_time: float = 0.6, seconds_per_call=None
) -> dict[str, float]:
    """Median seconds of each callable, measured in turns in the same process.

    The turns go forward and back (A B, B A, A B), so that a change in the machine's load
    falls on every callable alike. Quick calls get three turns of min_run_time / 3 each.
    Calls that take seconds (pass `seconds_per_call`, e.g. from a first checked run) get
    two turns of two runs each, since every turn also spends one run warming up.
    """
    slow = seconds_per_call is not None and seconds_per_call > min_run_time / 6
    turns, per_turn = (2, 1.5 * seconds_per_call) if slow else (3, min_run_time / 3)
    runs = {name: [] for name in fns}
    timers = {name: timer(fn) for name, fn in fns.items()}
    for turn in range(turns):
        for name in list(timers)[:: 1 if turn % 2 == 0 else -1]:
            runs[name] += timers[name].blocked_autorange(min_run_time=per_turn).times
    return {name: statistics.median(times) for name, times in runs.items()}


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """(result, seconds) of one call by the wall clock, e.g. a first run that is checked."""
    start = time.perf_counter()
    result = fn()
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


def glibc():
    """The C library, if it is glibc (it has malloc_trim), else None."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return libc if hasattr(libc, "malloc_trim") else None


LIBC = glibc() if CLEAR_REFS.exists() else None  # None: fall back on tracemalloc
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
if LIBC:
    # Blocks of 128 KiB and more get mappings of their own, returned to the OS when freed.
    # (A fixed threshold: glibc would otherwise raise it and keep freed arrays resident.)
    LIBC.mallopt(M_MMAP_THRESHOLD, 128 * 1024)
MEMORY_METHOD = (
    "peak resident set size above the size before the call (Linux VmHWM, reset through "
    "/proc/self/clear_refs; glibc mmap threshold fixed at 128 KiB, free memory trimmed first)"
    if LIBC
    else "tracemalloc peak (Python-level allocations only: not Linux with glibc)"
)


def peak_memory(fn: Callable[[], object]) -> tuple[object, int]:
    """(result, bytes by which the peak memory during the call exceeds the size before)."""
    gc.collect()
    if not LIBC:
        tracemalloc.start()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return result, peak
    LIBC.malloc_trim(0)
    CLEAR_REFS.write_text("5")  # resets VmHWM, the peak resident set size, to the current size
    before = status_bytes("VmRSS")
    result = fn()
    return result, status_bytes("VmHWM") - before


def status_bytes(field: str) -> int:
    for line in PROC_STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # reported in kB
    raise RuntimeError(f"{PROC_STATUS} has no {field}")
