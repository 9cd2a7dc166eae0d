"""Figure 7: what grading costs. Seconds per graded submission, serial against parallel
autograding, and grading set against plain execution of the same notebooks.

A course directory is built the way `make demo` builds one, with one fast assignment and a
class of CLASS_SIZE submissions cycling through the example class (perfect, blank, and the
two students with typical mistakes). The whole `grade()` is timed: intake, autograde,
export and feedback.

The sandbox's cost (course/sandbox.py): the same few submissions graded again and again,
serially, with the sandbox on and off in alternating rounds (A B B A ...), so that a change
in the machine's load falls on both alike; medians of seconds per submission. And what the
sandbox adds to one kernel (set-up, start, a cell, shut-down, clean-up), measured the same
way on a kernel that runs `pass`.

The target (the sandbox costs under 5% per submission) is read from the second: the sandbox
changes only how a submission's one kernel starts, talks (ipc instead of tcp) and stops, so
what it adds per kernel, over the seconds of an unsandboxed submission, is its cost. On a
shared machine this is the steadier figure: a submission takes seconds and varies with the
load by more than the sandbox costs. (CPU time cannot settle it: a sandboxed kernel's CPU
time is not passed up to the grader, which waits for bwrap, not for the kernel.)
"""

import contextlib
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import nbclient
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from .. import cells, examples, execute, grading, layout, release, sandbox
from . import timing
from .report import RESULTS, Figure, Target

ASSIGNMENT = "01-tensors"  # the fastest notebook
CLASS_SIZE, PARALLEL = 10, 2
SANDBOX_CLASS, SANDBOX_ROUNDS, KERNEL_ROUNDS = 4, 3, 20  # submissions, rounds per mode
SANDBOX_TARGET = 5.0  # percent per submission (issue 16)
MODES = ("sandboxed", "unsandboxed")
WORK = layout.ROOT / "build" / "bench-grading"


def build_class(root: Path, size: int = CLASS_SIZE) -> dict[str, int]:
    """Release ASSIGNMENT in a fresh course directory and hand in a class of `size`; return
    how many submissions of each kind (perfect, blank, mistakes) the class holds."""
    shutil.rmtree(root, ignore_errors=True)
    source = layout.source_notebook(ASSIGNMENT).parent
    shutil.copytree(source, root / layout.SOURCE_DIR / ASSIGNMENT)
    with contextlib.redirect_stdout(io.StringIO()):
        release.release(root, [ASSIGNMENT])
    kinds = list(examples.submissions(ASSIGNMENT, root).items())
    count = dict.fromkeys((kind for kind, _ in kinds), 0)
    for number in range(size):
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


def use_sandbox(root: Path, on: bool) -> None:
    """Give the course directory `root` the repository's grading.toml, sandbox on or off."""
    text = (layout.ROOT / layout.GRADING_TOML).read_text()
    start = text.find("\n[sandbox]")
    end = text.find("\n[", start + 1) if start >= 0 else -1
    text = text if start < 0 else text[:start] + (text[end:] if end >= 0 else "")
    (root / layout.GRADING_TOML).write_text(f"{text}\n[sandbox]\nenabled = {str(on).lower()}\n")


def turns(rounds: int) -> list[str]:
    """A B B A A B ...: each mode first as often as second."""
    return [MODES[(turn + turn // 2) % 2] for turn in range(2 * rounds)]


def sandbox_cost() -> dict:
    """Median seconds per graded submission, sandboxed and not, and per bare kernel."""
    root = WORK / "sandbox"
    build_class(root, SANDBOX_CLASS)
    graded = {mode: [] for mode in MODES}
    for mode in turns(SANDBOX_ROUNDS):
        use_sandbox(root, mode == "sandboxed")
        graded[mode].append(graded_seconds(root, workers=1) / SANDBOX_CLASS)
        print(f"  {mode:<12} {graded[mode][-1]:5.2f} s per submission", flush=True)
    kernel = {mode: [] for mode in MODES}
    for mode in turns(KERNEL_ROUNDS):
        use_sandbox(root, mode == "sandboxed")
        kernel[mode].append(bare_kernel_seconds(root))
    data = {f"{mode}_s_per_submission": statistics.median(graded[mode]) for mode in MODES}
    data |= {f"{mode}_s_per_kernel": statistics.median(kernel[mode]) for mode in MODES}
    data["sandbox_cost"] = (
        data["sandboxed_s_per_submission"] / data["unsandboxed_s_per_submission"] - 1
    )
    data["sandbox_s_per_kernel"] = data["sandboxed_s_per_kernel"] - data["unsandboxed_s_per_kernel"]
    data["sandbox_kernel_cost"] = (
        data["sandbox_s_per_kernel"] / data["unsandboxed_s_per_submission"]
    )
    data |= {"sandbox_runs": graded, "kernel_runs": kernel}
    print(
        f"  sandbox: {data['sandboxed_s_per_submission']:.2f} vs "
        f"{data['unsandboxed_s_per_submission']:.2f} s per submission "
        f"({100 * data['sandbox_cost']:+.1f}%); {1000 * data['sandbox_s_per_kernel']:+.0f} ms "
        f"per kernel ({data['sandboxed_s_per_kernel']:.2f} vs "
        f"{data['unsandboxed_s_per_kernel']:.2f} s) = "
        f"{100 * data['sandbox_kernel_cost']:+.1f}% of an unsandboxed submission",
        flush=True,
    )
    return data


def bare_kernel_seconds(root: Path) -> float:
    """Seconds to start a kernel as grading does (sandboxed if `root` says so), run `pass`
    in it, stop it and clean up."""
    config = Config()
    config.CourseDirectory.root = str(root)
    with tempfile.TemporaryDirectory() as folder:
        client = nbclient.NotebookClient(
            new_notebook(cells=[new_code_cell("pass")]),
            config=config,
            kernel_name="python3",
            kernel_manager_class=sandbox.SandboxedKernelManager,
            resources={"metadata": {"path": folder}},
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start


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
    data |= sandbox_cost()
    figure.data = data
    cost = 100 * data["sandbox_kernel_cost"]
    label = "sandbox: added seconds per kernel / seconds per submission"
    figure.targets.append(Target(label, cost, SANDBOX_TARGET, "%"))
    figure.plot = plot(data)
    return figure


def plot(data: dict) -> str:
    bars = {
        "plain execution": data["plain_execution_s"],
        "graded, serial": data["seconds_per_submission"],
    }
    if isinstance(data["parallel_s"], float):
        bars[f"graded, {PARALLEL} at a time"] = data["parallel_s"] / data["submissions"]
    for mode in MODES if "sandboxed_s_per_submission" in data else ():
        bars[f"graded, {mode} ({SANDBOX_CLASS}, median)"] = data[f"{mode}_s_per_submission"]
    fig, ax = plt.subplots(figsize=(6.5, 3.2), layout="constrained")
    ax.barh(list(bars), list(bars.values()), color=["C2", "C0", "C1", "C3", "C4"][: len(bars)])
    ax.invert_yaxis()
    ax.set(
        xlabel="wall-clock seconds per submission",
        title=f"Grading a class of {data['submissions']} ({data['assignment']})",
    )
    fig.savefig(RESULTS / "grading.png", dpi=120)
    plt.close(fig)
    return "grading.png"
