"""Figure 6: notebook 07's PINN, relative L2 error against wall-clock training time, next to
the finite-difference solution of the same problem.

The problem and the training are the notebook's: -Laplace(u) = f on the unit square with
u = g on the boundary, the hard-boundary ansatz `dirichlet_ansatz(make_mlp(2, depth=3), g)`,
`pinn_loss` with `laplacian_nested` on 1024 random points, and `train_pinn` (Adam, then
L-BFGS). Before each evaluation of the loss the error on 4096 held-out points is recorded
with the training clock paused; training stops after TRAIN_SECONDS.
"""

import time

import matplotlib.pyplot as plt
import torch

from . import loader, timing
from .report import RESULTS, Figure, Target

NOTEBOOK = "07-pinn-laplacians"
TRAIN_SECONDS, TARGET_ERROR = 60.0, 1e-5
ADAM_STEPS, LBFGS_STEPS = 100, 100_000  # L-BFGS until the clock or its tolerances stop it
TRAIN_POINTS, TEST_POINTS = 1024, 4096
FD_GRIDS = (15, 31, 63, 127, 255)
TARGET_LABEL = f"PINN relative L2 error within {TRAIN_SECONDS:g} s of training"


class TimeUp(Exception):
    """Raised from the loss to stop training when the time is up."""


def train(nb: dict) -> list[tuple[float, float]]:
    """[(training seconds, relative L2 error on held-out points), ...] for one run."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x_train, x_test = (
        torch.rand(n, 2, dtype=torch.float64, generator=gen).to(timing.DEVICE)
        for n in (TRAIN_POINTS, TEST_POINTS)
    )
    net = nb["make_mlp"](2, depth=3)
    u = nb["dirichlet_ansatz"](net, nb["g_boundary"])
    target = nb["u_exact"](x_test)
    history, paused, start = [], 0.0, time.perf_counter()

    def loss_fn(x):
        nonlocal paused
        stop = time.perf_counter()
        with torch.no_grad():
            error = nb["relative_error"](u(x_test), target)
        elapsed = stop - start - paused
        history.append((elapsed, float(error)))
        paused += time.perf_counter() - stop
        if elapsed > TRAIN_SECONDS:
            raise TimeUp
        return nb["pinn_loss"](u, x, nb["f_source"], nb["laplacian_nested"])

    try:
        nb["train_pinn"](
            u,
            net.parameters(),
            loss_fn,
            x_train,
            x_test,
            nb["u_exact"],
            adam_steps=ADAM_STEPS,
            lbfgs_steps=LBFGS_STEPS,
        )
    except TimeUp:
        pass
    return history


def finite_differences(nb: dict) -> dict:
    results = {}
    for N in FD_GRIDS:
        nodes, U = nb["solve_poisson_fd"](N)
        error = float(nb["relative_error"](U, nb["u_exact"](nodes)))
        seconds = timing.median_seconds(lambda N=N: nb["solve_poisson_fd"](N))
        results[N] = {"relative_l2": error, "seconds": seconds}
        print(f"  finite differences, N = {N:3d}: relative L2 {error:.2e} in {seconds:.3f} s")
    return results


def run() -> Figure:
    figure = Figure("pinn", "PINN error vs training time, and finite differences (07)")
    if not loader.notebook_present(NOTEBOOK):
        figure.skipped = "notebook 07 not present yet (solutions/07-pinn-laplacians)"
        figure.targets.append(
            Target(TARGET_LABEL, None, TARGET_ERROR, "", note="notebook 07 not present yet")
        )
        return figure
    nb = loader.notebook_namespace(NOTEBOOK)
    with timing.using_threads(loader.THREADS[NOTEBOOK]):  # as the notebook trains it
        return measure(nb, figure)


def measure(nb: dict, figure: Figure) -> Figure:
    history = train(nb)
    best = min(e for t, e in history if t <= TRAIN_SECONDS)
    reached = next((t for t, e in history if e <= TARGET_ERROR), None)
    print(
        f"  PINN: {len(history)} loss evaluations, best relative L2 error {best:.2e} within "
        f"{TRAIN_SECONDS:g} s; "
        + (f"{TARGET_ERROR:g} reached after {reached:.1f} s" if reached else "target not reached")
    )
    fd = finite_differences(nb)
    figure.targets.append(Target(TARGET_LABEL, best, TARGET_ERROR, ""))
    figure.data = {
        "device": str(timing.DEVICE),
        "threads": timing.threads(),
        "dtype": "float64",
        "setup": f"hard BCs, make_mlp(2, depth=3), laplacian_nested, {TRAIN_POINTS} training "
        f"points, Adam {ADAM_STEPS} steps then L-BFGS, error on {TEST_POINTS} held-out points",
        "train_seconds": TRAIN_SECONDS,
        "history": history,
        "best_relative_l2": best,
        "seconds_to_target": reached,
        "finite_differences": {str(N): r for N, r in fd.items()},
    }
    figure.plot = plot(history, fd)
    return figure


def plot(history: list, fd: dict) -> str:
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    ax.loglog(*zip(*history, strict=True), "-", label="PINN, training")
    ax.loglog(
        [r["seconds"] for r in fd.values()],
        [r["relative_l2"] for r in fd.values()],
        "ks--",
        label="finite differences, N x N grid",
    )
    for N, r in fd.items():
        ax.annotate(
            f"N = {N}",
            (r["seconds"], r["relative_l2"]),
            fontsize=8,
            textcoords="offset points",
            xytext=(4, 4),
        )
    ax.axhline(TARGET_ERROR, color="C3", ls=":", label=f"target {TARGET_ERROR:g}")
    ax.axvline(TRAIN_SECONDS, color="gray", ls=":")
    ax.set(
        xlabel="wall-clock seconds (training, or one solve)",
        ylabel="relative L2 error",
        title=f"PINN vs finite differences, {timing.DEVICE}, {timing.threads_label()}",
    )
    ax.legend(fontsize=8)
    fig.savefig(RESULTS / "pinn.png", dpi=120)
    plt.close(fig)
    return "pinn.png"
