"""Figure 2: notebook 05's differentiable sparse solve against SciPy doing the same by hand.

2D Poisson, N x N interior grid. SparseSolve (forward: splu + solve; backward: a
transposed solve with the same factors) against the same calls made directly on NumPy
arrays; the CG loop of SparseSolveCG against a SciPy CSR loop, per iteration; and a dense
torch.linalg.solve on the small grids where it still fits, for the crossover.
"""

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch

from . import loader, timing
from .report import RESULTS, Figure, Target

NOTEBOOK = "05-sparse-solves"
GRIDS = (128, 256, 512)  # issue 10
DENSE_GRIDS = (16, 32, 64)  # dense A still fits: n <= 4096, 128 MiB in float64
CG_ITERATIONS = 50  # a fixed count: the same arithmetic in both loops
TARGET_GRID, TARGET_RATIO = 512, 1.15


def by_hand(row, col, values, b, n):
    """SciPy directly: factorise, solve; backward = one transposed solve, dL/dvalues."""

    def forward():
        lu = spla.splu(sp.csc_matrix((values, (row, col)), shape=(n, n)))
        return lu, lu.solve(b)

    def forward_backward():  # L = |x|^2 / 2, so dL/dx = x
        lu, x = forward()
        lam = lu.solve(x, trans="T")
        return -lam[row] * x[col], lam

    return (lambda: forward()[1]), forward_backward


def with_autograd(solve, row, col, values, b):
    """The notebook's autograd Function: forward only, and forward + backward."""

    def forward():
        with torch.no_grad():
            return solve(row, col, values, b)

    def forward_backward():
        values_leaf = values.clone().requires_grad_(True)
        b_leaf = b.clone().requires_grad_(True)
        (0.5 * solve(row, col, values_leaf, b_leaf).square().sum()).backward()
        return values_leaf.grad, b_leaf.grad

    return forward, forward_backward


def measure_grid(nb, N: int) -> dict:
    n = N * N
    row, col, values = nb["csr_triplets"](nb["poisson_2d"](N))
    b = nb["random_rhs"](n, seed=N)
    arrays = [t.cpu().numpy() for t in (row, col, values, b)]
    hand_fwd, hand_fwd_bwd = by_hand(*arrays, n)
    auto_fwd, auto_fwd_bwd = with_autograd(nb["SparseSolve"].apply, row, col, values, b)
    # One checked run of each, which also gives the peak memory and the Timer's estimate
    (expected, hand_bytes), seconds = timing.timed(lambda: timing.peak_memory(hand_fwd_bwd))
    got, auto_bytes = timing.peak_memory(auto_fwd_bwd)
    for tensor, array in zip(got, expected, strict=True):
        np.testing.assert_allclose(tensor.cpu().numpy(), array, rtol=1e-9, atol=1e-14)
    fwd = timing.side_by_side(
        {"scipy": hand_fwd, "sparse_solve": auto_fwd}, seconds_per_call=seconds
    )
    fwd_bwd = timing.side_by_side(
        {"scipy": hand_fwd_bwd, "sparse_solve": auto_fwd_bwd}, seconds_per_call=seconds
    )
    result = {
        "n": n,
        "nnz": int(values.numel()),
        "forward_s": fwd,
        "forward_backward_s": fwd_bwd,
        "forward_ratio": fwd["sparse_solve"] / fwd["scipy"],
        "forward_backward_ratio": fwd_bwd["sparse_solve"] / fwd_bwd["scipy"],
        "peak_memory_bytes": {"scipy": hand_bytes, "sparse_solve": auto_bytes},
    }
    if N in DENSE_GRIDS:
        A = nb["poisson_2d"](N).to_dense()
        result["dense_forward_s"] = timing.median_seconds(lambda: torch.linalg.solve(A, b))
    return result


def measure_cg(nb, N: int) -> dict:
    """Seconds per CG iteration: the notebook's loop (spmv and CSR products) vs SciPy's."""
    n = N * N
    A = nb["poisson_2d"](N)
    row, col, values = nb["csr_triplets"](A)
    b = nb["random_rhs"](n, seed=N)
    A_np, b_np = nb["csr_to_scipy"](A), b.cpu().numpy()
    cg, spmv = nb["conjugate_gradient"], nb["spmv"]

    def loop(matvec):
        return lambda: cg(matvec, b, rtol=0.0, max_iter=CG_ITERATIONS)

    fns = {
        "spmv": loop(lambda v: spmv(row, col, values, v, n)),
        "torch_csr": loop(lambda v: A @ v),
        "scipy_csr": lambda: nb["cg_numpy"](A_np, b_np, rtol=0.0, max_iter=CG_ITERATIONS),
    }
    x_torch, x_np = fns["spmv"]()[0], fns["scipy_csr"]()[0]
    np.testing.assert_allclose(x_torch.cpu().numpy(), x_np, rtol=1e-8, atol=1e-12)
    seconds = timing.side_by_side(fns, min_run_time=1.0)
    per_iteration = {name: s / CG_ITERATIONS for name, s in seconds.items()}
    return {
        "per_iteration_s": per_iteration,
        "ratio_spmv_to_scipy": per_iteration["spmv"] / per_iteration["scipy_csr"],
        "ratio_csr_to_scipy": per_iteration["torch_csr"] / per_iteration["scipy_csr"],
    }


def run() -> Figure:
    figure = Figure("sparse-solve", "Differentiable sparse solve (05) vs SciPy by hand")
    nb = loader.notebook_namespace(NOTEBOOK)
    grids, cg = {}, {}
    print(
        f"  {'N':>4} {'n':>7} | forward: SparseSolve / SciPy | fwd+bwd: SparseSolve / SciPy"
        f" | peak memory fwd+bwd | dense solve"
    )
    for N in DENSE_GRIDS + GRIDS:
        r = grids[N] = measure_grid(nb, N)
        f, fb = r["forward_s"], r["forward_backward_s"]
        memory = r["peak_memory_bytes"]
        memory = f"{memory['sparse_solve'] / 2**20:6.1f} / {memory['scipy'] / 2**20:6.1f} MiB"
        dense = f"{r['dense_forward_s'] * 1e3:8.1f} ms" if "dense_forward_s" in r else ""
        print(
            f"  {N:4d} {r['n']:7d} | {f['sparse_solve'] * 1e3:8.1f} / {f['scipy'] * 1e3:8.1f} ms"
            f" = {r['forward_ratio']:.2f} | {fb['sparse_solve'] * 1e3:8.1f} / "
            f"{fb['scipy'] * 1e3:8.1f} ms = {r['forward_backward_ratio']:.2f} | {memory} | "
            f"{dense}",
            flush=True,
        )
    for N in GRIDS:
        c = cg[N] = measure_cg(nb, N)
        us = {name: s * 1e6 for name, s in c["per_iteration_s"].items()}
        print(
            f"  CG per iteration, N = {N}: spmv {us['spmv']:.0f} us, torch CSR "
            f"{us['torch_csr']:.0f} us, SciPy CSR loop {us['scipy_csr']:.0f} us "
            f"(ratios {c['ratio_spmv_to_scipy']:.2f}, {c['ratio_csr_to_scipy']:.2f})",
            flush=True,
        )
    crossover = next(
        (
            grids[N]["n"]
            for N in DENSE_GRIDS
            if grids[N]["forward_s"]["sparse_solve"] < grids[N]["dense_forward_s"]
        ),
        None,
    )
    figure.data = {
        "device": str(timing.DEVICE),
        "threads": timing.threads(),
        "dtype": "float64",
        "loss": "L = |x|^2 / 2",
        "cg_iterations_timed": CG_ITERATIONS,
        "memory_method": timing.MEMORY_METHOD,
        "grids": {str(N): r for N, r in grids.items()},
        "cg": {str(N): c for N, c in cg.items()},
        "dense_slower_than_sparse_from_n": crossover,
    }
    figure.targets.append(
        Target(
            f"SparseSolve fwd+bwd / SciPy by hand, N = {TARGET_GRID}",
            grids[TARGET_GRID]["forward_backward_ratio"],
            TARGET_RATIO,
            "x",
        )
    )
    figure.plot = plot(grids, cg)
    return figure


def plot(grids: dict, cg: dict) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    n = [r["n"] for r in grids.values()]
    for key, label, style in (
        ("forward_s", "forward", "-"),
        ("forward_backward_s", "forward + backward", "--"),
    ):
        for name, color in (("sparse_solve", "C0"), ("scipy", "C1")):
            who = "SparseSolve" if name == "sparse_solve" else "SciPy by hand"
            axes[0].loglog(
                n,
                [r[key][name] for r in grids.values()],
                style,
                color=color,
                marker="o",
                label=f"{who}, {label}",
            )
    dense = [(r["n"], r["dense_forward_s"]) for r in grids.values() if "dense_forward_s" in r]
    axes[0].loglog(*zip(*dense, strict=True), "k:", marker="s", label="dense torch.linalg.solve")
    axes[0].set(
        xlabel="unknowns n = N^2",
        ylabel="median seconds",
        title=f"2D Poisson solves, float64, {timing.DEVICE}, {timing.threads_label()}",
    )
    axes[0].legend(fontsize=8)
    names = {
        "spmv": "CG, spmv (SparseSolveCG)",
        "torch_csr": "CG, torch CSR A @ v",
        "scipy_csr": "CG, SciPy CSR loop",
    }
    n_cg = [N * N for N in cg]
    for name, label in names.items():
        axes[1].loglog(
            n_cg, [c["per_iteration_s"][name] * 1e6 for c in cg.values()], "o-", label=label
        )
    axes[1].set(
        xlabel="unknowns n = N^2",
        ylabel="microseconds per iteration",
        title="Conjugate gradients: time per iteration",
    )
    axes[1].legend(fontsize=8)
    fig.savefig(RESULTS / "sparse-solve.png", dpi=120)
    plt.close(fig)
    return "sparse-solve.png"
