"""Figure 8: grading on an oversubscribed machine. The bundled perfect student hands in
every assignment; the class is graded once on the machine as it is and once while
BURNERS_PER_CORE CPU-bound busy processes per core run throughout. Reported: the perfect
student's score under load (the target: full marks on every notebook) and seconds per
submission, idle vs loaded.

Cell limits count CPU seconds (course/limits.py), so load makes grading slower, never
costlier for the student.
"""

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from .. import examples, grading, layout, release, state
from . import timing
from .report import RESULTS, Figure, Target

BURNERS_PER_CORE = 3
CORES = len(os.sched_getaffinity(0))
WORK = layout.ROOT / "build" / "bench-grading-load"


@contextlib.contextmanager
def busy_machine(per_core: int = BURNERS_PER_CORE):
    """`per_core` CPU-bound processes per core while the block runs, killed on the way out
    whatever happens. Yields a function that says whether they all still run."""
    burners = []
    try:
        for _ in range(per_core * CORES):
            burners.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        yield lambda: all(b.poll() is None for b in burners)
    finally:
        for b in burners:
            b.kill()
        for b in burners:
            b.wait()


def perfect_class(root: Path, assignments: list[str]) -> None:
    """A fresh course directory with `assignments` released and the perfect student's
    submission of each."""
    shutil.rmtree(root, ignore_errors=True)
    for assignment in assignments:
        source = layout.source_notebook(assignment).parent
        shutil.copytree(source, root / layout.SOURCE_DIR / assignment)
    with contextlib.redirect_stdout(io.StringIO()):
        release.release(root, assignments)
    for assignment in assignments:
        key = examples.answer_key(assignment, root)
        nb = examples.answered(assignment, root, key)
        examples.submit(root, examples.PERFECT, assignment, nb)


def graded(root: Path, workers: int = 1) -> tuple[int, float, dict, str]:
    """Grade `root`: exit status, seconds, assignment -> (score, max score, seconds, note),
    and what grading printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        status, seconds = timing.timed(lambda: grading.grade(root, workers=workers))
    records = state.State(root)
    results = {}
    with grading.gradebook(root) as gb:
        for assignment in layout.assignments(root):
            sub = gb.find_submission(assignment, examples.PERFECT)
            record = records.get(examples.PERFECT, assignment)
            results[assignment] = (
                sub.score,
                gb.find_assignment(assignment).max_score,
                record.seconds if record else None,
                record.note if record else "",
            )
    return status, seconds, results, printed.getvalue()


def run() -> Figure:
    figure = Figure(
        "grading-load", "The perfect class graded idle and with 3 busy processes a core"
    )
    assignments = layout.assignments()
    idle_dir, loaded_dir = WORK / "idle", WORK / "loaded"
    perfect_class(idle_dir, assignments)
    shutil.rmtree(loaded_dir, ignore_errors=True)
    shutil.copytree(idle_dir, loaded_dir)
    _, idle_s, idle, _ = graded(idle_dir)
    print(f"  idle: {len(assignments)} submissions in {idle_s:.0f} s", flush=True)
    with busy_machine() as still_busy:
        status, loaded_s, loaded, printed = graded(loaded_dir)
        busy_throughout = still_busy()
    print(f"  loaded ({BURNERS_PER_CORE * CORES} burners): {loaded_s:.0f} s", flush=True)
    score = sum(r[0] for r in loaded.values())
    max_score = sum(r[1] for r in loaded.values())
    figure.data = {
        "burners": BURNERS_PER_CORE * CORES,
        "cores": CORES,
        "busy_throughout": busy_throughout,
        "exit_status_loaded": status,
        "per_assignment": {
            a: {
                "score_loaded": loaded[a][0],
                "max_score": loaded[a][1],
                "seconds_idle": idle[a][2],
                "seconds_loaded": loaded[a][2],
                "note_loaded": loaded[a][3],
            }
            for a in assignments
        },
        "score_loaded": score,
        "max_score": max_score,
        "seconds_per_submission_idle": idle_s / len(assignments),
        "seconds_per_submission_loaded": loaded_s / len(assignments),
        "slowdown": loaded_s / idle_s,
    }
    figure.targets = [
        Target("perfect class under load", 100 * score / max_score, 100, "%", True),
    ]
    figure.plot = plot(figure.data)
    return figure


def plot(data: dict) -> str:
    names = list(data["per_assignment"])
    idle = [data["per_assignment"][a]["seconds_idle"] or 0 for a in names]
    loaded = [data["per_assignment"][a]["seconds_loaded"] or 0 for a in names]
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    y = range(len(names))
    ax.barh([i - 0.2 for i in y], idle, height=0.4, label="idle", color="C0")
    ax.barh([i + 0.2 for i in y], loaded, height=0.4, label="3 busy processes per core", color="C3")
    for i, a in enumerate(names):
        r = data["per_assignment"][a]
        ax.text(loaded[i], i + 0.2, f" {r['score_loaded']:g}/{r['max_score']:g}", va="center")
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set(xlabel="wall-clock seconds to grade the perfect submission (score under load)")
    ax.legend(loc="lower right")
    fig.savefig(RESULTS / "grading-load.png", dpi=120)
    plt.close(fig)
    return "grading-load.png"
