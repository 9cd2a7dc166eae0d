# Typical wrong answers for solutions/01-tensors/01-tensors.ipynb (format: course/examples.py).
# Each block replaces the solution cell named on its "# %%" line and must fail its test with
# the Diagnosis words; the first block per exercise is the demo's typical mistake. The
# notebook's setup cell provides the names imported here.
import math

import torch


# %% ex1-broadcast-shape max-size
# Diagnosis: A size 1 against a size 0 gives 0, not the larger size
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


# %% ex2-pairwise-sq-dists y-norms-as-column
# Diagnosis: |y_j|^2 is added along the wrong axis
def pairwise_sq_dists(X, Y):
    """Squared Euclidean distances between rows: (n, d), (m, d) -> (n, m)."""
    # Mistake: both squared norms kept as columns, so |y_j|^2 is added along the wrong axis.
    # It runs only when n == m, and is then silently wrong.
    x2 = (X * X).sum(dim=1, keepdim=True)  # (n, 1)
    y2 = (Y * Y).sum(dim=1, keepdim=True)  # (m, 1), should be (m,)
    return (x2 - 2.0 * (X @ Y.T) + y2).clamp_min(0.0)


# %% ex3-central-difference divide-by-2h
# Diagnosis: Dividing by 2h: x + h and x - h were rounded
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / (2 h), elementwise; same shape and dtype as x."""
    # Mistake: the textbook formula; x + h and x - h are rounded in x's dtype, so the
    # step actually taken is not 2h (by up to 1e-3 relative at x = 1000 in float32).
    return (f(x + h) - f(x - h)) / (2 * h)


def fit_error_model(steps, errors, max_error=0.1):
    """Fit E(h) = a h^2 + b / h by relative least squares: -> (a, b, h_star)."""
    keep = torch.isfinite(errors) & (errors > 0) & (errors < max_error)
    h, E = steps[keep], errors[keep]
    A = torch.stack([h**2 / E, 1 / (h * E)], dim=1)
    scale = A.norm(dim=0)
    coef = torch.linalg.lstsq(A / scale, torch.ones_like(E)[:, None]).solution[:, 0] / scale
    a, b = coef.tolist()
    return a, b, (b / (2 * a)) ** (1 / 3)


# %% ex4-logsumexp no-shift
# Diagnosis: exp overflowed: shift by the maximum of each slice first
def logsumexp(x, dim, keepdim=False):
    """Stable log(sum(exp(x))) along dim; -inf for a slice that is all -inf."""
    # Mistake: the formula as written, without the max shift: exp overflows for x > 88.7 in
    # float32 (x > 709.8 in float64) and underflows to log(0) = -inf for very negative x.
    return torch.log(torch.exp(x).sum(dim=dim, keepdim=keepdim))


# %% ex5-nearest-neighbors full-matrix
# Diagnosis: An (n, m) matrix was built
def nearest_neighbors(X, Y, chunk_size):
    """Nearest row of Y for each row of X, streaming Y in chunks: -> (sq_dist (n,), index (n,))."""
    # Mistake: chunk_size is ignored and the full (n, m) distance matrix is built.
    D = torch.cdist(X, Y).square()  # (n, m)
    sq_dist, index = D.min(dim=1)
    return sq_dist, index


# More typical mistakes, each recognised by its test (issue 22).

# %% ex1-broadcast-shape right-padded
# Diagnosis: pad the shorter one on the left, not the right
def broadcast_shape(shape_a, shape_b):
    """Shape of the broadcast of two shapes; ValueError if they are incompatible."""
    a, b = list(shape_a), list(shape_b)
    ndim = max(len(a), len(b))
    a, b = a + [1] * (ndim - len(a)), b + [1] * (ndim - len(b))  # padded on the wrong side
    result = []
    for p, q in zip(a, b, strict=True):
        if p != q and 1 not in (p, q):
            raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast")
        result.append(int(q if p == 1 else p))
    return tuple(result)


# %% ex1-broadcast-shape no-error
# Diagnosis: Sizes must be equal or one of them 1
def broadcast_shape(shape_a, shape_b):
    """Shape of the broadcast of two shapes (never checks that they are compatible)."""
    a, b = tuple(shape_a), tuple(shape_b)
    ndim = max(len(a), len(b))
    a = (1,) * (ndim - len(a)) + a
    b = (1,) * (ndim - len(b)) + b
    return tuple(int(q if p == 1 else p) for p, q in zip(a, b, strict=True))


# %% ex1-broadcast-shape zip-without-padding
# Diagnosis: Did you zip the shapes without padding the shorter one?
def broadcast_shape(shape_a, shape_b):
    """Shape of the broadcast of two shapes; ValueError if they are incompatible."""
    result = []
    for p, q in zip(reversed(tuple(shape_a)), reversed(tuple(shape_b))):  # stops at the shorter
        if p != q and 1 not in (p, q):
            raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast")
        result.append(int(q if p == 1 else p))
    return tuple(reversed(result))


# %% ex1-broadcast-shape library-call
# Diagnosis: compute the shape in plain Python
def broadcast_shape(shape_a, shape_b):
    """Shape of the broadcast of two shapes, by asking PyTorch."""
    try:
        return tuple(torch.broadcast_shapes(tuple(shape_a), tuple(shape_b)))
    except RuntimeError as err:
        raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)}: {err}") from None


# %% ex2-pairwise-sq-dists not-centred
# Diagnosis: cancels for points far from the origin
def pairwise_sq_dists(X, Y):
    """Squared Euclidean distances between rows: (n, d), (m, d) -> (n, m)."""
    x2 = (X * X).sum(dim=1, keepdim=True)  # (n, 1)
    y2 = (Y * Y).sum(dim=1)  # (m,)
    return (x2 - 2.0 * (X @ Y.T) + y2).clamp_min(0.0)


# %% ex2-pairwise-sq-dists no-clamp
# Diagnosis: clamp it at 0
def pairwise_sq_dists(X, Y):
    """Squared Euclidean distances between rows: (n, d), (m, d) -> (n, m)."""
    center = Y.mean(dim=0)
    Xs, Ys = X - center, Y - center
    x2 = (Xs * Xs).sum(dim=1, keepdim=True)
    y2 = (Ys * Ys).sum(dim=1)
    return x2 - 2.0 * (Xs @ Ys.T) + y2  # can be slightly negative


# %% ex2-pairwise-sq-dists cdist
# Diagnosis: write it yourself
def pairwise_sq_dists(X, Y):
    """Squared Euclidean distances between rows: (n, d), (m, d) -> (n, m)."""
    return torch.cdist(X, Y, compute_mode="donot_use_mm_for_euclid_dist").square()


# %% ex2-pairwise-sq-dists distances-not-squared
# Diagnosis: These are the distances, not their squares
def pairwise_sq_dists(X, Y):
    """Euclidean distances between rows: (n, d), (m, d) -> (n, m)."""
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(dim=-1).sqrt()


# %% ex3-central-difference unweighted-fit
# Diagnosis: A fit of the absolute errors is dominated by the largest errors
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / ((x + h) - (x - h)), x + h and x - h rounded in x's dtype."""
    x_plus, x_minus = x + h, x - h
    return (f(x_plus) - f(x_minus)) / (x_plus - x_minus)


def fit_error_model(steps, errors, max_error=0.1):
    """Fit E(h) = a h^2 + b / h to the errors themselves (absolute residuals)."""
    keep = torch.isfinite(errors) & (errors > 0) & (errors < max_error)
    h, E = steps[keep], errors[keep]
    A = torch.stack([h**2, 1 / h], dim=1)  # unweighted: the largest errors dominate
    scale = A.norm(dim=0)
    coef = torch.linalg.lstsq(A / scale, E[:, None]).solution[:, 0] / scale
    a, b = coef.tolist()
    return a, b, (b / (2 * a)) ** (1 / 3)

# %% ex3-central-difference h-not-squared
# Diagnosis: check the powers of h that multiply a and b
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / ((x + h) - (x - h)), x + h and x - h rounded in x's dtype."""
    x_plus, x_minus = x + h, x - h
    return (f(x_plus) - f(x_minus)) / (x_plus - x_minus)


def fit_error_model(steps, errors, max_error=0.1):
    """Fit E(h) = a h + b / h (the forward difference's model) by relative least squares."""
    keep = torch.isfinite(errors) & (errors > 0) & (errors < max_error)
    h, E = steps[keep], errors[keep]
    A = torch.stack([h / E, 1 / (h * E)], dim=1)  # h where the central difference has h^2
    scale = A.norm(dim=0)
    coef = torch.linalg.lstsq(A / scale, torch.ones_like(E)[:, None]).solution[:, 0] / scale
    a, b = coef.tolist()
    return a, b, (b / (2 * a)) ** (1 / 3)

# %% ex3-central-difference unscaled-lstsq
# Diagnosis: the solver dropped one; scale the columns
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / ((x + h) - (x - h)), x + h and x - h rounded in x's dtype."""
    x_plus, x_minus = x + h, x - h
    return (f(x_plus) - f(x_minus)) / (x_plus - x_minus)


def fit_error_model(steps, errors, max_error=0.1):
    """Relative least squares without scaling the columns: lstsq treats one as rank loss."""
    keep = torch.isfinite(errors) & (errors > 0) & (errors < max_error)
    h, E = steps[keep], errors[keep]
    A = torch.stack([h**2 / E, 1 / (h * E)], dim=1)
    a, b = torch.linalg.lstsq(A, torch.ones_like(E)[:, None]).solution[:, 0].tolist()
    return a, b, (b / (2 * a)) ** (1 / 3)

# %% ex3-central-difference no-max-error
# Diagnosis: not below max_error
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / ((x + h) - (x - h)), x + h and x - h rounded in x's dtype."""
    x_plus, x_minus = x + h, x - h
    return (f(x_plus) - f(x_minus)) / (x_plus - x_minus)


def fit_error_model(steps, errors, max_error=0.1):
    """Relative least squares over every finite, positive error (max_error ignored)."""
    keep = torch.isfinite(errors) & (errors > 0)
    h, E = steps[keep], errors[keep]
    A = torch.stack([h**2 / E, 1 / (h * E)], dim=1)
    scale = A.norm(dim=0)
    coef = torch.linalg.lstsq(A / scale, torch.ones_like(E)[:, None]).solution[:, 0] / scale
    a, b = coef.tolist()
    return a, b, (b / (2 * a)) ** (1 / 3)

# %% ex3-central-difference float64-evaluation
# Diagnosis: evaluate f in x's dtype
def central_difference(f, x, h):
    """The step taken, but x + h and x - h (and f) in float64: no rounding in x's dtype."""
    x_plus, x_minus = x.double() + h, x.double() - h
    return ((f(x_plus) - f(x_minus)) / (x_plus - x_minus)).to(x.dtype)


def fit_error_model(steps, errors, max_error=0.1):
    """Fit E(h) = a h^2 + b / h by relative least squares: -> (a, b, h_star)."""
    keep = torch.isfinite(errors) & (errors > 0) & (errors < max_error)
    h, E = steps[keep], errors[keep]
    A = torch.stack([h**2 / E, 1 / (h * E)], dim=1)
    scale = A.norm(dim=0)
    coef = torch.linalg.lstsq(A / scale, torch.ones_like(E)[:, None]).solution[:, 0] / scale
    a, b = coef.tolist()
    return a, b, (b / (2 * a)) ** (1 / 3)


# %% ex4-logsumexp global-max
# Diagnosis: Shift each slice by its own maximum
def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) shifted by the maximum of the whole tensor."""
    c = x.max().detach()
    out = c + torch.log(torch.exp(x - c).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)


# %% ex4-logsumexp nan-for-all-inf
# Diagnosis: A slice of all -inf gave nan
def logsumexp(x, dim, keepdim=False):
    """Stable log(sum(exp(x))), but an all -inf slice gives nan."""
    c = x.amax(dim=dim, keepdim=True).detach()
    out = c + torch.log(torch.exp(x - c).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)


# %% ex4-logsumexp squeeze-all
# Diagnosis: squeeze(dim) drops the reduced dimension
def logsumexp(x, dim, keepdim=False):
    """Stable log(sum(exp(x))), squeezing every size-1 dimension."""
    c = x.amax(dim=dim, keepdim=True).detach()
    c = torch.where(torch.isfinite(c), c, torch.zeros_like(c))
    out = c + torch.log(torch.exp(x - c).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze()


# %% ex4-logsumexp in-place-shift
# Diagnosis: x was modified
def logsumexp(x, dim, keepdim=False):
    """Stable log(sum(exp(x))), shifting x in place."""
    c = x.amax(dim=dim, keepdim=True).detach()
    c = torch.where(torch.isfinite(c), c, torch.zeros_like(c))
    shifted = x.detach().sub_(c)  # writes into x's memory
    out = c + torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)


# %% ex5-nearest-neighbors local-index
# Diagnosis: A chunk's argmin counts from the start of that chunk
def nearest_neighbors(X, Y, chunk_size):
    """Nearest row of Y for each row of X, with indices local to their chunk."""
    best = torch.full((X.shape[0],), math.inf, dtype=X.dtype, device=X.device)
    index = torch.zeros(X.shape[0], dtype=torch.int64, device=X.device)
    for start in range(0, Y.shape[0], chunk_size):
        D = ((X[:, None, :] - Y[None, start : start + chunk_size, :]) ** 2).sum(dim=-1)
        d_min, j = D.min(dim=1)
        better = d_min < best
        best, index = torch.where(better, d_min, best), torch.where(better, j, index)
    return best, index


# %% ex5-nearest-neighbors last-chunk-wins
# Diagnosis: not just keep the last chunk's
def nearest_neighbors(X, Y, chunk_size):
    """Nearest row of Y in each chunk, each chunk overwriting the previous one."""
    for start in range(0, Y.shape[0], chunk_size):
        D = ((X[:, None, :] - Y[None, start : start + chunk_size, :]) ** 2).sum(dim=-1)
        best, j = D.min(dim=1)
        index = j + start
    return best, index


# %% ex5-nearest-neighbors distance-not-squared
# Diagnosis: sq_dist must be the squared distance
def nearest_neighbors(X, Y, chunk_size):
    """Nearest row of Y for each row of X, returning the distance itself."""
    best = torch.full((X.shape[0],), math.inf, dtype=X.dtype, device=X.device)
    index = torch.zeros(X.shape[0], dtype=torch.int64, device=X.device)
    for start in range(0, Y.shape[0], chunk_size):
        D = ((X[:, None, :] - Y[None, start : start + chunk_size, :]) ** 2).sum(dim=-1).sqrt()
        d_min, j = D.min(dim=1)
        better = d_min < best
        best, index = torch.where(better, d_min, best), torch.where(better, j + start, index)
    return best, index


# %% ex5-nearest-neighbors plain-cdist
# Diagnosis: Far from the origin plain torch.cdist cancels
def nearest_neighbors(X, Y, chunk_size):
    """Nearest row of Y for each row of X, with cdist's default expansion."""
    best = torch.full((X.shape[0],), math.inf, dtype=X.dtype, device=X.device)
    index = torch.zeros(X.shape[0], dtype=torch.int64, device=X.device)
    for start in range(0, Y.shape[0], chunk_size):
        d_min, j = torch.cdist(X, Y[start : start + chunk_size]).square().min(dim=1)
        better = d_min < best
        best, index = torch.where(better, d_min, best), torch.where(better, j + start, index)
    return best, index
