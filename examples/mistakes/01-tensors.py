# Typical wrong answers for solutions/01-tensors/01-tensors.ipynb, one per exercise.
# Each block replaces the solution cell named on its "# %%" line; the notebook's setup
# cell provides the names imported here.
import math

import torch


# %% ex1-broadcast-shape
def broadcast_shape(shape_a, shape_b):
    """Shape of the broadcast of two shapes; ValueError if they are incompatible."""
    # Mistake: "the larger size wins", so a size 1 against a size 0 gives 1 instead of 0.
    a, b = tuple(shape_a), tuple(shape_b)
    ndim = max(len(a), len(b))
    a = (1,) * (ndim - len(a)) + a
    b = (1,) * (ndim - len(b)) + b
    result = []
    for p, q in zip(a, b, strict=True):
        if p != q and 1 not in (p, q):
            raise ValueError(f"shapes {shape_a} and {shape_b} do not broadcast")
        result.append(max(p, q))
    return tuple(result)


# %% ex2-pairwise-sq-dists
def pairwise_sq_dists(X, Y):
    """Squared Euclidean distances between rows: (n, d), (m, d) -> (n, m)."""
    # Mistake: both squared norms kept as columns, so |y_j|^2 is added along the wrong axis.
    # It runs only when n == m, and is then silently wrong.
    x2 = (X * X).sum(dim=1, keepdim=True)  # (n, 1)
    y2 = (Y * Y).sum(dim=1, keepdim=True)  # (m, 1), should be (m,)
    return (x2 - 2.0 * (X @ Y.T) + y2).clamp_min(0.0)


# %% ex3-central-difference
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / (2 h), elementwise; same shape and dtype as x."""
    return (f(x + h) - f(x - h)) / (2 * h)


def optimal_central_step(dtype):
    """Minimiser of E(h) = h^2 / 6 + eps / h for the machine epsilon of dtype."""
    # Mistake: the square-root rule of the forward difference, far too small for a
    # central difference (about 1e-8 instead of 1e-5 in float64).
    return math.sqrt(torch.finfo(dtype).eps)


# %% ex4-logsumexp
def logsumexp(x, dim, keepdim=False):
    """Stable log(sum(exp(x))) along dim; -inf for a slice that is all -inf."""
    # Mistake: the formula as written, without the max shift: exp overflows for x > 88.7 in
    # float32 (x > 709.8 in float64) and underflows to log(0) = -inf for very negative x.
    return torch.log(torch.exp(x).sum(dim=dim, keepdim=keepdim))


# %% ex5-nearest-neighbors
def nearest_neighbors(X, Y, chunk_size):
    """Nearest row of Y for each row of X, streaming Y in chunks: -> (sq_dist (n,), index (n,))."""
    # Mistake: chunk_size is ignored and the full (n, m) distance matrix is built.
    D = torch.cdist(X, Y).square()  # (n, m)
    sq_dist, index = D.min(dim=1)
    return sq_dist, index
