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

from .. import cells, examples, grading, layout, release, state
from . import timing
from .report import Figure, Target

CLASS_SIZE = 20
SLACK_S = 10
WORK = layout.ROOT / "build" / "bench-incremental"
# student-02 hands in the blank notebook (the class cycles perfect, blank, ...), then the
# correct one: a real change, which must be graded again.
RESUBMITTER, RESUBMITTED = "student-02", "01-tensors"


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
    """RESUBMITTER hands in RESUBMITTED again, now correct."""
    nb = examples.answered(RESUBMITTED, root, examples.answer_key(RESUBMITTED, root))
    cells.write(
        nb, root / layout.SUBMITTED_DIR / RESUBMITTER / RESUBMITTED / f"{RESUBMITTED}.ipynb"
    )


def graded(root: Path, workers: int, expected: int) -> float:
    """Seconds of one `make grade` of root, which must autograde `expected` submissions."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status, seconds = timing.timed(lambda: grading.grade(root, workers=workers))
    text = output.getvalue()
    if status not in (0, 1) or f"Autograding {expected} submission(s)" not in text:
        raise RuntimeError(f"grading {root.name}: expected {expected} graded\n{text[-3000:]}")
    return seconds


def score(root: Path) -> float | None:
    record = state.State(root).get(RESUBMITTER, RESUBMITTED)
    return sum(record.scores.values()) if record and record.scores else None


def run() -> Figure:
    figure = Figure("grading-incremental", "A semester's week: nothing changed, one resubmission")
    workers = os.cpu_count() or 1
    whole, alone = WORK / "class", WORK / "alone"
    assignments = layout.assignments()
    build_class(whole, assignments, CLASS_SIZE)
    first = graded(whole, workers, CLASS_SIZE * len(assignments))
    print(f"  first grading: {CLASS_SIZE} x {len(assignments)} in {first:.0f} s")
    unchanged = graded(whole, workers, 0)
    before = score(whole)
    resubmit(whole)
    incremental = graded(whole, workers, 1)
    after = score(whole)
    if not (after and after > (before or 0)):
        raise RuntimeError(f"the resubmission scored {after}, before {before}: not regraded?")
    build_class(alone, [RESUBMITTED], 0)  # that assignment released, no class
    resubmit(alone)
    baseline = graded(alone, workers, 1)
    print(
        f"  nothing changed {unchanged:.1f} s; one resubmission {incremental:.1f} s (score "
        f"{before or 0:g} -> {after:g}),"
    )
    print(f"  the same submission graded alone {baseline:.1f} s")
    figure.data = {
        "students": CLASS_SIZE,
        "assignments": len(layout.assignments()),
        "jobs": workers,
        "first_grading_s": first,
        "nothing_changed_s": unchanged,
        "one_resubmission_s": incremental,
        "that_submission_alone_s": baseline,
        "resubmission_score": {"before": before, "after": after},
    }
    figure.targets = [
        Target("one resubmission - it graded alone", incremental - baseline, SLACK_S, "s")
    ]
    return figure
