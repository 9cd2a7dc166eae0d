"""Figure 1: how long each solution notebook runs top to bottom, and how long `make test` ran.

The suite is not run here: tests/conftest.py appends one line per pytest session to
build/test-runs.jsonl, and the latest session that ran the whole suite is reported.
"""

import json
import statistics
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from .. import execute, layout
from .report import RESULTS, Figure, Target

RUNS = 3
NOTEBOOK_LIMIT_S = 60.0
TEST_LIMIT_MIN = 15.0
TEST_RUNS = layout.ROOT / "build" / "test-runs.jsonl"  # written by tests/conftest.py


def notebook_runs(assignment: str) -> list[float]:
    """Wall-clock seconds of RUNS executions in fresh kernels (kernel start-up included)."""
    with tempfile.TemporaryDirectory() as scratch:
        return [
            execute.execute(layout.source_notebook(assignment), cwd=Path(scratch))[1]
            for _ in range(RUNS)
        ]


def last_whole_suite() -> dict | None:
    """The latest pytest session recorded that ran the whole suite, or None."""
    if not TEST_RUNS.is_file():
        return None
    records = [json.loads(line) for line in TEST_RUNS.read_text().splitlines() if line.strip()]
    whole = [r for r in records if r.get("whole_suite")]
    return whole[-1] if whole else None


def run() -> Figure:
    figure = Figure("notebooks", "Execution time of every solution notebook, and of make test")
    seconds = {}
    for assignment in layout.assignments():
        runs = notebook_runs(assignment)
        seconds[assignment] = {"median_s": statistics.median(runs), "runs_s": runs}
        print(f"  {assignment:<24} {statistics.median(runs):6.1f} s  (median of {RUNS})")
        figure.targets.append(
            Target(f"notebook {assignment}", statistics.median(runs), NOTEBOOK_LIMIT_S, "s")
        )
    tests = last_whole_suite()
    if tests:
        minutes = tests["seconds"] / 60
        print(
            f"  make test (recorded {tests['date']}): {minutes:.1f} min, "
            f"{tests['passed']} passed, {tests['failed']} failed"
        )
        figure.targets.append(Target("make test", minutes, TEST_LIMIT_MIN, "min"))
    else:
        print(f"  make test: not recorded (no whole-suite session in {TEST_RUNS})")
        figure.targets.append(
            Target("make test", None, TEST_LIMIT_MIN, "min", note="not recorded: run make test")
        )
    figure.data = {"runs": RUNS, "notebooks": seconds, "make_test": tests or "not recorded"}
    figure.plot = plot(seconds)
    return figure


def plot(seconds: dict) -> str:
    names = list(seconds)
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.5), layout="constrained")
    ax.barh(names, [seconds[n]["median_s"] for n in names], color="C0")
    ax.axvline(NOTEBOOK_LIMIT_S, color="k", ls="--", label=f"target {NOTEBOOK_LIMIT_S:g} s")
    ax.invert_yaxis()
    ax.set(
        xlabel="seconds, top to bottom in a fresh kernel (median of 3)",
        title="Solution notebooks: execution time",
    )
    ax.legend()
    fig.savefig(RESULTS / "notebooks.png", dpi=120)
    plt.close(fig)
    return "notebooks.png"
