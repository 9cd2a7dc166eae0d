"""Figure 5: einsum vs bmm vs @ on batched products; sparse vs dense products (notebook 04).

Batched products at one compute-bound and one overhead-bound shape, float32, each time
as a ratio to the fastest of the three. Then (n x n sparse) @ (n x k dense) against the
dense product over a range of densities, with notebook 04's `random_sparse` matrices
(distinct positions, coalesced), to find where sparse stops paying off.
"""

import math

import matplotlib.pyplot as plt
import torch

from . import loader, timing
from .report import RESULTS, Figure

NOTEBOOK = "04-einops"
BATCHED = {"large": (32, 128, 512, 128), "small": (256, 8, 8, 8)}  # (batch, i, k, j)
SPARSE_N, SPARSE_K = 1024, 32
DENSITIES = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)


def batched(batch: int, i: int, k: int, j: int) -> dict:
    gen = torch.Generator().manual_seed(batch * i)
    A = torch.randn(batch, i, k, generator=gen).to(timing.DEVICE)
    B = torch.randn(batch, k, j, generator=gen).to(timing.DEVICE)
    fns = {
        "einsum": lambda: torch.einsum("bik,bkj->bij", A, B),
        "bmm": lambda: torch.bmm(A, B),
        "@": lambda: A @ B,
    }
    for fn in fns.values():
        torch.testing.assert_close(fn(), fns["bmm"]())
    seconds = timing.side_by_side(fns, min_run_time=0.9)
    fastest = min(seconds.values())
    return {
        "shape": [batch, i, k, j],
        "seconds": seconds,
        "ratio_to_fastest": {name: s / fastest for name, s in seconds.items()},
        "gflop_per_s": {name: 2 * batch * i * k * j / s / 1e9 for name, s in seconds.items()},
    }


def sparse_vs_dense(random_sparse) -> dict:
    gen = torch.Generator().manual_seed(6)
    X = torch.randn(SPARSE_N, SPARSE_K, generator=gen).to(timing.DEVICE)
    results = {}
    for density in DENSITIES:
        coo, csr = random_sparse(SPARSE_N, density, gen)
        dense = coo.to_dense()
        torch.testing.assert_close(csr @ X, dense @ X, rtol=1e-4, atol=1e-4)
        seconds = timing.side_by_side(
            {
                "coo": lambda A=coo: A @ X,
                "csr": lambda A=csr: A @ X,
                "dense": lambda A=dense: A @ X,
            },
            min_run_time=0.6,
        )
        results[density] = {
            "seconds": seconds,
            "dense_over_csr": seconds["dense"] / seconds["csr"],
            "dense_over_coo": seconds["dense"] / seconds["coo"],
        }
        print(
            f"  density {density:6.3f}: COO {seconds['coo'] * 1e3:7.3f} ms, CSR "
            f"{seconds['csr'] * 1e3:7.3f} ms, dense {seconds['dense'] * 1e3:7.3f} ms, "
            f"dense / CSR {results[density]['dense_over_csr']:6.2f}",
            flush=True,
        )
    return results


def crossover(results: dict, key: str) -> float | None:
    """Density where dense / sparse time falls through 1 (log-linear between measurements)."""
    points = [(d, r[key]) for d, r in results.items()]
    for (d0, r0), (d1, r1) in zip(points, points[1:], strict=False):
        if r0 > 1 >= r1:
            w = math.log(r0) / (math.log(r0) - math.log(r1))
            return math.exp(math.log(d0) + w * (math.log(d1) - math.log(d0)))
    return None


def run() -> Figure:
    figure = Figure("contractions", "einsum vs bmm vs @; sparse vs dense crossover (04)")
    nb = loader.notebook_namespace(NOTEBOOK)
    products = {}
    for name, shape in BATCHED.items():
        r = products[name] = batched(*shape)
        ratios = ", ".join(f"{k} {v:.2f}" for k, v in r["ratio_to_fastest"].items())
        print(
            f"  {name} ({'x'.join(map(str, shape))}): fastest "
            f"{min(r['seconds'].values()) * 1e6:.0f} us; time / fastest: {ratios}",
            flush=True,
        )
    sparse = sparse_vs_dense(nb["random_sparse"])
    found = {fmt: crossover(sparse, f"dense_over_{fmt}") for fmt in ("csr", "coo")}
    for fmt, density in found.items():
        print(
            f"  {fmt.upper()} @ dense stops beating dense @ dense at density "
            + (f"about {density:.3f}" if density else "(no crossover in the range measured)")
        )
    figure.data = {
        "device": str(timing.DEVICE),
        "threads": timing.threads(),
        "dtype": "float32",
        "batched": products,
        "sparse": {
            "n": SPARSE_N,
            "k": SPARSE_K,
            "densities": {str(d): r for d, r in sparse.items()},
            "crossover_density": found,
        },
    }
    figure.plot = plot(products, sparse)
    return figure


def plot(products: dict, sparse: dict) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    names = list(next(iter(products.values()))["ratio_to_fastest"])
    width = 0.8 / len(products)
    for index, (label, r) in enumerate(products.items()):
        positions = [p + index * width for p in range(len(names))]
        axes[0].bar(
            positions,
            [r["ratio_to_fastest"][n] for n in names],
            width,
            label=f"{label}: {'x'.join(map(str, r['shape']))}",
        )
    axes[0].set_xticks([p + width / 2 for p in range(len(names))], names)
    axes[0].axhline(1.0, color="k", lw=0.8)
    axes[0].set(ylabel="median time / fastest", title="Batched products (b,i,k) x (b,k,j)")
    axes[0].legend(fontsize=8)
    densities = list(sparse)
    for fmt, style in (("coo", "o-"), ("csr", "s-"), ("dense", "k--")):
        axes[1].loglog(
            densities,
            [sparse[d]["seconds"][fmt] * 1e3 for d in densities],
            style,
            label=f"{fmt.upper() if fmt != 'dense' else 'dense'} @ dense",
        )
    axes[1].set(
        xlabel="density nnz / n^2",
        ylabel="median ms per product",
        title=f"({SPARSE_N} x {SPARSE_N}) @ ({SPARSE_N} x {SPARSE_K}), float32, "
        f"{timing.threads_label()}",
    )
    axes[1].legend(fontsize=8)
    fig.savefig(RESULTS / "contractions.png", dpi=120)
    plt.close(fig)
    return "contractions.png"
