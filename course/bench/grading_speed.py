"""Figure 7: what grading costs. Seconds per graded submission, serial against parallel
autograding, and grading set against plain execution of the same notebooks.

A course directory is built the way `make demo` builds one, with one fast assignment and a
class of CLASS_SIZE submissions cycling through the example class (perfect, blank, and the
two students with typical mistakes). The whole `grade()` is timed: intake, autograde,
export and feedback.
"""

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from .. import cells, examples, execute, grading, layout, release
from . import timing
from .report import RESULTS, Figure

ASSIGNMENT = "01-tensors"  # the fastest notebook
CLASS_SIZE, PARALLEL = 10, 2
WORK = layout.ROOT / "build" / "bench-grading"


def build_class(root: Path) -> dict[str, int]:
    """Release ASSIGNMENT in a fresh course directory and hand in the class; return how many
    submissions of each kind (perfect, blank, mistakes) the class holds."""
    shutil.rmtree(root, ignore_errors=True)
    source = layout.source_notebook(ASSIGNMENT).parent
    shutil.copytree(source, root / layout.SOURCE_DIR / ASSIGNMENT)
    with contextlib.redirect_stdout(io.StringIO()):
        release.release(root, [ASSIGNMENT])
    kinds = list(examples.submissions(ASSIGNMENT, root).items())
    count = dict.fromkeys((kind for kind, _ in kinds), 0)
    for number in range(CLASS_SIZE):
        kind, nb = kinds[number % len(kinds)]
        folder = root / layout.SUBMITTED_DIR / f"student-{number + 1:02d}" / ASSIGNMENT
        cells.write(nb, folder / f"{ASSIGNMENT}.ipynb")
        count[kind] += 1
    return count


def graded_seconds(root: Path, workers: int) -> float:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        grade = lambda: grading.grade(root, workers=workers, force=True)  # noqa: E731
        status, seconds = timing.timed(grade)
    if status != 0:
        raise RuntimeError(f"grading the benchmark class failed:\n{output.getvalue()[-3000:]}")
    return seconds


def plain_seconds(root: Path, count: dict[str, int]) -> float:
    """Mean seconds to run one submission of the class top to bottom in a fresh kernel."""
    notebooks, total = examples.submissions(ASSIGNMENT, root), 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for kind, times in count.items():
            path = Path(scratch) / kind / f"{ASSIGNMENT}.ipynb"
            cells.write(notebooks[kind], path)
            seconds = execute.execute(path, cwd=path.parent, allow_errors=True)[1]
            print(f"  plain execution, {kind:<22} {seconds:5.1f} s", flush=True)
            total += times * seconds
    return total / sum(count.values())


def run() -> Figure:
    figure = Figure("grading", "Seconds per graded submission; serial vs parallel grading")
    serial_dir, parallel_dir = WORK / "serial", WORK / "parallel"
    count = build_class(serial_dir)
    shutil.rmtree(parallel_dir, ignore_errors=True)
    shutil.copytree(serial_dir, parallel_dir)  # the same released, ungraded class
    serial = graded_seconds(serial_dir, workers=1)
    print(
        f"  serial: {CLASS_SIZE} submissions of {ASSIGNMENT} in {serial:.1f} s = "
        f"{serial / CLASS_SIZE:.1f} s each",
        flush=True,
    )
    data = {
        "assignment": ASSIGNMENT,
        "class": count,
        "submissions": CLASS_SIZE,
        "serial_s": serial,
        "seconds_per_submission": serial / CLASS_SIZE,
    }
    parallel = graded_seconds(parallel_dir, workers=PARALLEL)
    data |= {"parallel_jobs": PARALLEL, "parallel_s": parallel}
    data["parallel_speedup"] = serial / parallel
    print(f"  {PARALLEL} at a time: {parallel:.1f} s, speed-up {serial / parallel:.2f}", flush=True)
    plain = plain_seconds(serial_dir, count)
    data |= {
        "plain_execution_s": plain,
        "grading_over_plain": serial / CLASS_SIZE / plain,
    }
    print(
        f"  grading / plain execution per submission: {data['grading_over_plain']:.2f} "
        f"({serial / CLASS_SIZE:.1f} s vs {plain:.1f} s)"
    )
    figure.data = data
    figure.plot = plot(data)
    return figure


def plot(data: dict) -> str:
    bars = {
        "plain execution": data["plain_execution_s"],
        "graded, serial": data["seconds_per_submission"],
    }
    if isinstance(data["parallel_s"], float):
        bars[f"graded, {PARALLEL} at a time"] = data["parallel_s"] / data["submissions"]
    fig, ax = plt.subplots(figsize=(6.5, 3.2), layout="constrained")
    ax.barh(list(bars), list(bars.values()), color=["C2", "C0", "C1"][: len(bars)])
    ax.invert_yaxis()
    ax.set(
        xlabel="wall-clock seconds per submission",
        title=f"Grading a class of {data['submissions']} ({data['assignment']})",
    )
    fig.savefig(RESULTS / "grading.png", dpi=120)
    plt.close(fig)
    return "grading.png"
