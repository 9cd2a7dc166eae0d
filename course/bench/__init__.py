"""`make bench`: the course measured against its references, one figure at a time.

Each figure is a module of this package with a `run() -> Figure`; comparisons are measured
side by side in one process and reported as ratios. Results go to benchmarks/results/:
latest.json (machine, versions, date, one key per figure), runs/<date>.json for every run,
and a PNG per figure.
"""

import argparse
import importlib
import time
import traceback
from datetime import UTC, datetime

import matplotlib
import torch

matplotlib.use("Agg")  # before any figure module imports pyplot

from . import report, timing  # noqa: E402

FIGURES = {  # name -> (module, what it measures), in the order of issue 10
    "notebooks": ("notebooks", "run time of each solution notebook, and of make test"),
    "sparse-solve": ("sparse_solve", "differentiable sparse solve (05) vs SciPy by hand"),
    "laplacian": ("laplacian", "Laplacian of an MLP by the methods of notebook 07"),
    "jacobians": ("jacobians", "jacrev vs jacfwd on wide and tall Jacobians (06)"),
    "contractions": ("contractions", "einsum vs bmm vs @; sparse vs dense products (04)"),
    "pinn": ("pinn", "PINN error vs training time, and finite differences (07)"),
    "grading": ("grading_speed", "seconds per graded submission, serial vs parallel"),
    "grading-incremental": ("grading_incremental", "nothing changed, one resubmission (20 x 7)"),
    "grading-load": ("grading_load", "perfect class graded idle vs with 3 busy processes a core"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(FIGURES),
        metavar="FIGURE",
        help=f"run only these figures: {', '.join(FIGURES)}",
    )


def bench(only: list[str] | None = None) -> int:
    names = [name for name in FIGURES if not only or name in only]
    env = report.environment(datetime.now(UTC).isoformat(timespec="seconds"))
    print(
        f"Benchmark on {timing.DEVICE} with {timing.threads_label()}, torch "
        f"{torch.__version__}, load average {env['machine']['load_average_at_start']}: "
        f"{', '.join(names)}"
    )
    load, cpus = env["machine"]["load_average_at_start"], env["machine"]["cpus_available"]
    if load > cpus / 2:
        print(f"Note: load average {load} on {cpus} CPUs: others' work will make times noisy.")
    figures, failed = [], []
    for number, name in enumerate(names, 1):
        module, what = FIGURES[name]
        print(f"\n[{number}/{len(names)}] {name}: {what}", flush=True)
        start = time.perf_counter()
        try:
            figure = importlib.import_module(f"{__name__}.{module}").run()
        except Exception:  # one broken figure must not lose the others' results
            traceback.print_exc()
            failed.append(name)
            continue
        figure.seconds = round(time.perf_counter() - start, 1)
        print(f"  skipped: {figure.skipped}" if figure.skipped else f"  ({figure.seconds:.0f} s)")
        figures.append(figure)
    latest, previous = report.save(figures, env)
    report.print_targets(figures, previous)
    print(
        f"\nResults: {latest.relative_to(report.RESULTS.parents[1])} "
        f"(this run also in {report.RUNS.relative_to(report.RESULTS.parents[1])}/)"
    )
    plots = [f.plot for f in figures if f.plot]
    if plots:
        print(f"Plots:   {', '.join(str(report.RESULTS / p) for p in plots)}")
    if failed:
        print(f"\nFailed (see the tracebacks above): {', '.join(failed)}")
    return 1 if failed else 0
