# Correct answers for solutions/01-tensors/01-tensors.ipynb written another way (format:
# course/examples.py): each must get full marks and trigger no diagnosis.
import math

import numpy as np
import torch


# %% ex1-broadcast-shape zip-longest
import itertools


def broadcast_shape(shape_a, shape_b):
    """Walk both shapes from the right; a missing dimension counts as 1."""
    result = []
    pairs = itertools.zip_longest(reversed(list(shape_a)), reversed(list(shape_b)), fillvalue=1)
    for p, q in pairs:
        if p == q or q == 1:
            result.append(int(p))
        elif p == 1:
            result.append(int(q))
        else:
            raise ValueError(f"{list(shape_a)} and {list(shape_b)} are incompatible ({p} vs {q})")
    return tuple(result[::-1])


# %% ex2-pairwise-sq-dists broadcast-differences
def pairwise_sq_dists(X, Y):
    """Squared distances from the differences: (n, 1, d) - (1, m, d) -> (n, m)."""
    return ((X.unsqueeze(1) - Y.unsqueeze(0)) ** 2).sum(dim=-1)


# %% ex3-central-difference symmetric-step-polyfit
def central_difference(f, x, h):
    """Make the step representable first (h_taken = (x + h) - x), then step both ways by it."""
    h_taken = (x + h) - x
    return (f(x + h_taken) - f(x - h_taken)) / (2 * h_taken)


def fit_error_model(steps, errors, max_error=0.1):
    """E h = a h^3 + b is a line in u = h^3; np.polyfit with weights 1 / (E h) is relative."""
    h, E = steps.numpy(), errors.numpy()
    ok = np.isfinite(E) & (E > 0) & (E < max_error)
    a, b = np.polyfit(h[ok] ** 3, E[ok] * h[ok], deg=1, w=1 / (E[ok] * h[ok]))
    return float(a), float(b), float(np.cbrt(b / (2 * a)))


# %% ex3-central-difference log-residuals-gauss-newton
def central_difference(f, x, h):
    """One call of f on both points, stacked; the quotient over the step between them."""
    points = torch.stack([x + h, x - h])  # (2, *x.shape), rounded in x's dtype
    values = f(points)
    return (values[0] - values[1]) / (points[0] - points[1])


def fit_error_model(steps, errors, max_error=0.1):
    """Least squares on log residuals, by Gauss-Newton in log a, log b (QR, no truncation)."""
    ok = errors.isfinite() & (errors > 0) & (errors < max_error)
    h, log_E = steps[ok], errors[ok].log()
    basis = torch.stack([h**2, 1 / h], dim=1)  # (k, 2)
    log_ab = torch.tensor([0.0, math.log(errors[ok].min().item() * h.min().item())],
                          dtype=torch.float64)
    for _ in range(100):
        terms = basis * log_ab.exp()  # (k, 2): a h^2 and b / h
        model = terms.sum(dim=1)
        J = terms / model[:, None]  # d log(model) / d log(a), d log(b)
        Q, R = torch.linalg.qr(J)
        step = torch.linalg.solve_triangular(R, -(Q.T @ (model.log() - log_E))[:, None],
                                             upper=True)[:, 0]
        log_ab = log_ab + step
        if step.abs().max() < 1e-13:
            break
    a, b = log_ab.exp().tolist()
    return a, b, math.cbrt(b / (2 * a))


# %% ex4-logsumexp masked-fill
def logsumexp(x, dim, keepdim=False):
    """Shift by the slice maximum, by 0 where that maximum is -inf."""
    c = x.detach().amax(dim=dim, keepdim=True)
    c = c.masked_fill(c == -math.inf, 0.0)
    out = (x - c).exp().sum(dim=dim, keepdim=True).log() + c
    return out if keepdim else out.squeeze(dim)


# %% ex5-nearest-neighbors broadcast-chunks
def nearest_neighbors(X, Y, chunk_size):
    """Chunks of Y by broadcasting the differences, merged with torch.minimum."""
    best = index = None
    for start in range(0, Y.shape[0], chunk_size):
        block = Y[start : start + chunk_size]
        d_min, j = ((X[:, None, :] - block[None, :, :]) ** 2).sum(dim=-1).min(dim=1)
        if best is None:
            best, index = d_min, j + start
        else:
            index = torch.where(d_min < best, j + start, index)
            best = torch.minimum(best, d_min)
    return best, index
