# Correct answers for solutions/01-tensors/01-tensors.ipynb written another way (format:
# course/examples.py): each must get full marks and trigger no diagnosis.
import math

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


# %% ex3-central-difference measured-eps
def central_difference(f, x, h):
    """Central difference written with a product by 1 / (2h)."""
    return (f(x + h) - f(x - h)) * (0.5 / h)


def optimal_central_step(dtype):
    """h^3 = 3 eps, with eps found by halving until 1 + eps/2 rounds to 1."""
    one = eps = torch.tensor(1.0, dtype=dtype)
    while one + eps / 2 > one:
        eps = eps / 2
    return math.cbrt(3.0 * eps.item())


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
