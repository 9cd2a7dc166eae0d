"""Figure 4: reverse mode (jacrev) against forward mode (jacfwd) on wide and tall Jacobians.

f(x) = tanh(W x), float64. Wide: m = 8 outputs of n inputs; tall: the transpose shape.
Reverse mode needs m passes, forward mode n: the ratio should follow the shape. Notebook
06's `jacobian(f, x)` (Exercise 2) picks a mode; its time is set against the faster one.
"""

import math

import matplotlib.pyplot as plt
import torch

from . import loader, timing
from .report import RESULTS, Figure

NOTEBOOK = "06-torch-func"
FEW = 8
SIZES = (64, 256, 1024)


def problem(m: int, n: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    W = (torch.randn(m, n, dtype=torch.float64, generator=gen) / math.sqrt(n)).to(timing.DEVICE)
    x = torch.randn(n, dtype=torch.float64, generator=gen).to(timing.DEVICE)
    return (lambda z: torch.tanh(W @ z)), x


def run() -> Figure:
    figure = Figure("jacobians", "jacrev vs jacfwd on a wide and a tall Jacobian (06)")
    nb = loader.notebook_namespace(NOTEBOOK)
    modes = {"jacrev": nb["jacrev"], "jacfwd": nb["jacfwd"]}
    results = {"wide": {}, "tall": {}}
    for big in SIZES:
        for shape, (m, n) in (("wide", (FEW, big)), ("tall", (big, FEW))):
            f, x = problem(m, n, seed=big)
            J = modes["jacrev"](f)(x)
            torch.testing.assert_close(modes["jacfwd"](f)(x), J, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(nb["jacobian"](f, x), J, rtol=1e-12, atol=1e-12)
            fns = {name: (lambda mode=mode, f=f, x=x: mode(f)(x)) for name, mode in modes.items()}
            fns["notebook_jacobian"] = lambda f=f, x=x: nb["jacobian"](f, x)
            s = timing.side_by_side(fns, min_run_time=0.6)
            fastest = min(s["jacrev"], s["jacfwd"])
            results[shape][big] = {
                "m": m,
                "n": n,
                "seconds": s,
                "jacfwd_over_jacrev": s["jacfwd"] / s["jacrev"],
                "notebook_over_fastest": s["notebook_jacobian"] / fastest,
            }
            print(
                f"  {shape}, m = {m:4d}, n = {n:4d}: jacrev {s['jacrev'] * 1e3:7.2f} ms, "
                f"jacfwd {s['jacfwd'] * 1e3:7.2f} ms, jacfwd / jacrev "
                f"{s['jacfwd'] / s['jacrev']:6.2f}; notebook's jacobian / faster "
                f"{s['notebook_jacobian'] / fastest:.2f}",
                flush=True,
            )
    figure.data = {
        "device": str(timing.DEVICE),
        "threads": timing.threads(),
        "dtype": "float64",
        "function": "tanh(W x)",
        "few": FEW,
        "results": {shape: {str(k): v for k, v in r.items()} for shape, r in results.items()},
    }
    figure.plot = plot(results)
    return figure


def plot(results: dict) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, layout="constrained")
    for ax, shape, xlabel in (
        (axes[0], "wide", f"n inputs (m = {FEW} outputs)"),
        (axes[1], "tall", f"m outputs (n = {FEW} inputs)"),
    ):
        for name, style in (("jacrev", "o-"), ("jacfwd", "s--"), ("notebook_jacobian", "x:")):
            ax.loglog(
                SIZES,
                [results[shape][k]["seconds"][name] * 1e3 for k in SIZES],
                style,
                label=name.replace("notebook_jacobian", "notebook 06 jacobian()"),
            )
        ax.set(xlabel=xlabel, title=f"{shape} Jacobian of tanh(W x), float64")
        ax.legend()
    axes[0].set_ylabel("median ms per Jacobian")
    fig.savefig(RESULTS / "jacobians.png", dpi=120)
    plt.close(fig)
    return "jacobians.png"
