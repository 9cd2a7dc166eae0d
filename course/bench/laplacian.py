"""Figure 3: the Laplacian of an MLP u: R^d -> R by the methods of notebook 07.

d = 2, 8, 32 on POINTS random points, float64: the Laplacian alone (forward) and the
Laplacian followed by the gradient of mean(Laplacian^2) with respect to the weights
(forward + backward, as in PINN training). Times are reported as ratios to the fastest.

The target, the forward Laplacian's speed-up over nested autograd at d = 32 with the backward
pass, is the ratio of the two methods' fastest calls over REPEATS calls taken in turns, on the
notebook's one thread: the minimum is what the code costs, whatever else the machine does.
"""

import time

import matplotlib.pyplot as plt
import torch

from . import loader, timing
from .report import RESULTS, Figure, Target

NOTEBOOK = "07-pinn-laplacians"
# Notebook 07's methods: a field u (points (B, d) -> values (B,)) and points x -> (B,);
# forward_laplacian takes the MLP itself and returns (value, Laplacian).
METHODS = {
    "nested autograd": "laplacian_nested",
    "vmap(hessian)": "laplacian_hessian",
    "forward over reverse": "laplacian_fwd_over_rev",
    "forward Laplacian": "forward_laplacian",
}
MLP = {"width": 32, "depth": 3}  # make_mlp(d, **MLP): the network notebook 07 times
DIMS, POINTS = (2, 8, 32), 1000
TARGET_DIM, TARGET_SPEEDUP, REPEATS = 32, 3.0, 30
TARGET_LABEL = (
    f"forward Laplacian speed-up over nested autograd, fwd+bwd, d = {TARGET_DIM} "
    f"(fastest of {REPEATS} calls each, in turns)"
)


def laplacian_fn(nb: dict, method: str, mlp):
    fn = nb[METHODS[method]]
    if method == "forward Laplacian":
        return lambda x: fn(mlp, x)[1]
    field = nb["as_field"](mlp)
    return lambda x: fn(field, x)


def with_backward(laplacian, params):
    def step(x):
        loss = laplacian(x).square().mean()
        return torch.autograd.grad(loss, params, materialize_grads=True)  # 0 if unused

    return step


def fastest_in_turns(fns: dict, repeats: int = REPEATS) -> dict[str, float]:
    """Seconds of each callable's fastest call, the callables called in turns."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if timing.DEVICE.type == "cuda":
                torch.cuda.synchronize()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def measure_dim(nb: dict, d: int) -> dict:
    torch.manual_seed(d)
    mlp = nb["make_mlp"](d, **MLP).to(dtype=torch.float64, device=timing.DEVICE)
    params = [p for p in mlp.parameters() if p.requires_grad]
    x = torch.rand(POINTS, d, dtype=torch.float64, device=timing.DEVICE)
    laplacians = {m: laplacian_fn(nb, m, mlp) for m in METHODS}
    reference, seconds = timing.timed(lambda: laplacians["nested autograd"](x))
    for method, laplacian in laplacians.items():
        torch.testing.assert_close(
            laplacian(x), reference, rtol=1e-8, atol=1e-10, msg=f"{method} disagrees at d = {d}"
        )
    steps = {m: with_backward(lap, params) for m, lap in laplacians.items()}
    reference_grads, seconds_bwd = timing.timed(lambda: steps["nested autograd"](x))
    for method, step in steps.items():
        for got, want in zip(step(x), reference_grads, strict=True):
            torch.testing.assert_close(got, want, rtol=1e-8, atol=1e-10, msg=f"{method}, d = {d}")
    result = {}
    for mode, fns, estimate in (
        ("forward", laplacians, seconds),
        ("forward_backward", steps, seconds_bwd),
    ):
        s = timing.side_by_side(
            {m: (lambda fn=fn: fn(x)) for m, fn in fns.items()},
            min_run_time=1.5,
            seconds_per_call=estimate,
        )
        fastest = min(s.values())
        result[mode] = {"seconds": s, "ratio_to_fastest": {m: t / fastest for m, t in s.items()}}
        ratios = ", ".join(f"{m} {r:.2f}" for m, r in result[mode]["ratio_to_fastest"].items())
        print(f"  d = {d:2d}, {mode:<16}: fastest {fastest * 1e3:8.2f} ms; / fastest: {ratios}")
    if d == TARGET_DIM:
        pair = {m: (lambda fn=steps[m]: fn(x)) for m in ("nested autograd", "forward Laplacian")}
        result["target_fastest_seconds"] = fastest_in_turns(pair)
    return result


def run() -> Figure:
    figure = Figure("laplacian", "Laplacian of an MLP by the methods of notebook 07")
    if not loader.notebook_present(NOTEBOOK):
        figure.skipped = "notebook 07 not present yet (solutions/07-pinn-laplacians)"
        figure.targets.append(
            Target(TARGET_LABEL, None, TARGET_SPEEDUP, "x", True, "notebook 07 not present yet")
        )
        return figure
    nb = loader.notebook_namespace(NOTEBOOK)
    with timing.using_threads(loader.THREADS[NOTEBOOK]):  # as the notebook runs them
        return measure(nb, figure)


def measure(nb: dict, figure: Figure) -> Figure:
    results = {d: measure_dim(nb, d) for d in DIMS}
    s = results[TARGET_DIM]["target_fastest_seconds"]
    speedup = s["nested autograd"] / s["forward Laplacian"]
    print(
        f"  target: nested autograd {s['nested autograd'] * 1e3:.1f} ms, forward Laplacian "
        f"{s['forward Laplacian'] * 1e3:.1f} ms (fastest calls): {speedup:.2f}x"
    )
    figure.targets.append(Target(TARGET_LABEL, speedup, TARGET_SPEEDUP, "x", True))
    figure.data = {
        "device": str(timing.DEVICE),
        "threads": timing.threads(),
        "dtype": "float64",
        "points": POINTS,
        "mlp": f"make_mlp(d, width={MLP['width']}, depth={MLP['depth']}), tanh",
        "loss": "mean(Laplacian^2), gradient with respect to the MLP's weights",
        "dims": {str(d): r for d, r in results.items()},
    }
    figure.plot = plot(results)
    return figure


def plot(results: dict) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, layout="constrained")
    for ax, mode in zip(axes, ("forward", "forward_backward"), strict=True):
        for method in METHODS:
            ax.semilogy(
                DIMS, [results[d][mode]["seconds"][method] * 1e3 for d in DIMS], "o-", label=method
            )
        ax.set(
            xlabel="input dimension d",
            xticks=DIMS,
            title=f"{mode.replace('_', ' + ')}, {POINTS} points, float64, {timing.threads_label()}",
        )
        ax.legend(fontsize=8)
    axes[0].set_ylabel("median ms")
    fig.savefig(RESULTS / "laplacian.png", dpi=120)
    plt.close(fig)
    return "laplacian.png"
