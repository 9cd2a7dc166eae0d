"""Figure: what a week of a semester costs. A class of CLASS_SIZE students times all the
assignments is graded once; then `make grade` is timed with nothing changed, and with one
resubmission, against grading that one submission alone in a course directory of its own.
Target: the incremental run costs at most its own grading plus SLACK_S seconds.
"""

import contextlib
import io
import os
import shutil
from pathlib import Path

from .. import cells, examples, grading, layout, release
from . import timing
from .report import Figure, Target

CLASS_SIZE = 20
SLACK_S = 10
WORK = layout.ROOT / "build" / "bench-incremental"
RESUBMITTER, RESUBMITTED = "student-01", "01-tensors"


def build_class(root: Path, assignments: list[str], size: int) -> None:
    """A released course with `size` students cycling through the example class."""
    shutil.rmtree(root, ignore_errors=True)
    for name in assignments:
        shutil.copytree(layout.source_notebook(name).parent, root / layout.SOURCE_DIR / name)
    with contextlib.redirect_stdout(io.StringIO()):
        release.release(root, assignments)
    for name in assignments:
        kinds = list(examples.submissions(name, root).values())
        for number in range(size):
            folder = root / layout.SUBMITTED_DIR / f"student-{number + 1:02d}" / name
            cells.write(kinds[number % len(kinds)], folder / f"{name}.ipynb")


def resubmit(root: Path) -> None:
    """The first student hands in the assignment again, now correct."""
    nb = examples.answered(RESUBMITTED, root, examples.answer_key(RESUBMITTED, root))
    cells.write(
        nb, root / layout.SUBMITTED_DIR / RESUBMITTER / RESUBMITTED / f"{RESUBMITTED}.ipynb"
    )


def graded(root: Path, workers: int) -> float:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status, seconds = timing.timed(lambda: grading.grade(root, workers=workers))
    if status not in (0, 1):
        raise RuntimeError(f"grading the benchmark class failed:\n{output.getvalue()[-3000:]}")
    return seconds


def run() -> Figure:
    figure = Figure("grading-incremental", "A semester's week: nothing changed, one resubmission")
    workers = os.cpu_count() or 1
    whole, alone = WORK / "class", WORK / "alone"
    build_class(whole, layout.assignments(), CLASS_SIZE)
    first = graded(whole, workers)
    print(f"  first grading: {CLASS_SIZE} x {len(layout.assignments())} in {first:.0f} s")
    unchanged = graded(whole, workers)
    resubmit(whole)
    incremental = graded(whole, workers)
    build_class(alone, [RESUBMITTED], 1)
    resubmit(alone)
    baseline = graded(alone, workers)
    print(f"  nothing changed {unchanged:.1f} s; one resubmission {incremental:.1f} s, ")
    print(f"  the same submission graded alone {baseline:.1f} s")
    figure.data = {
        "students": CLASS_SIZE,
        "assignments": len(layout.assignments()),
        "jobs": workers,
        "first_grading_s": first,
        "nothing_changed_s": unchanged,
        "one_resubmission_s": incremental,
        "that_submission_alone_s": baseline,
    }
    figure.targets = [
        Target("one resubmission - it graded alone", incremental - baseline, SLACK_S, "s")
    ]
    return figure
