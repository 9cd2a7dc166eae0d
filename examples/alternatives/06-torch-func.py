# Correct answers to 06-torch-func written another way (issue 22): blocks
# "# %% <grade_id> <slug>", each replacing one solution cell; each must get full marks.

# %% ex6-bratu cat-padding
# The boundary zeros by torch.cat instead of F.pad, the Jacobian computed inside the step.
def solve_bratu(lam, N, tol=1e-9, max_iter=20):
    """Newton's method for u'' + lam e^u = 0, u(0) = u(1) = 0, on N interior nodes.

    Returns the iterates, shape (k + 1, N), row 0 the zero initial guess.
    """
    h = 1.0 / (N + 1)

    def residual(u):
        padded = torch.cat([u.new_zeros(1), u, u.new_zeros(1)])
        return (padded[:-2] - 2 * u + padded[2:]) / h**2 + lam * torch.exp(u)

    u = torch.zeros(N, **f64)
    history = [u]
    for _ in range(max_iter):
        r = residual(u)
        if r.abs().max() <= tol:
            break
        u = u + torch.linalg.solve(jacfwd(residual)(u), -r)
        history.append(u)
    return torch.stack(history).detach()


# %% ex1-batched-jacobian jacfwd-flatten
# Forward mode, and torch.flatten / unflatten for the batch axes.
def batched_jacobian(f, X):
    """Jacobians of a pointwise field f: (n,) -> (m,) at points X (*batch, n); (*batch, m, n)."""
    points = X.reshape(1, -1) if X.ndim == 1 else X.flatten(0, -2)
    J = vmap(jacfwd(f))(points)
    return J.reshape(X.shape[:-1] + J.shape[1:])


# %% ex2-jacobian vjp-and-jvp-by-hand
# The passes written out: one vjp and m calls of its function, or n jvps, batched with vmap.
def jacobian(f, x):
    """Jacobian (m, n) of f: (n,) -> (m,) at x, by the mode that needs fewer passes."""
    y, vjp_fn = vjp(f, x)
    m, n = y.shape[0], x.shape[0]
    if m <= n:
        return vmap(lambda u: vjp_fn(u)[0])(torch.eye(m, dtype=y.dtype, device=y.device))
    columns = vmap(lambda t: jvp(f, (x,), (t,))[1])(torch.eye(n, dtype=x.dtype, device=x.device))
    return columns.T


# %% ex3-hvp reverse-over-reverse
# The gradient of v . grad f (reverse over reverse): H v, as H is symmetric.
def hvp(f, x, v):
    """H(x) v for scalar f; v of shape (n,) -> (n,), or a batch (k, n) -> (k, n)."""
    def single(direction):
        return grad(lambda z: torch.dot(grad(f)(z), direction))(x)

    return single(v) if v.ndim == 1 else vmap(single)(v)


# %% ex4-per-sample buffers-closed-over
# The buffers closed over instead of passed, unsqueeze instead of None-indexing.
def per_sample_grads(model, loss_fn, X, y):
    """Gradient of each example's loss: {name: (B, *param.shape)} for model.named_parameters()."""
    params = {name: p.detach() for name, p in model.named_parameters()}
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def sample_loss(params, x, target):               # slices of length one keep the batch axis
        pred = functional_call(model, (params, buffers), (x.unsqueeze(0),))
        return loss_fn(pred, target.unsqueeze(0))

    per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))
    return dict(per_sample(params, X, y))


# %% ex5-ensemble expand-shared-batch
# A shared batch expanded to one (B, d) slice per model, then always mapped over axis 0.
def ensemble_predict(models, X):
    """Outputs (M, B, out) of M same-architecture models on X: (B, d) shared, or (M, B, d)."""
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    if X.ndim == 2:
        X = X.expand(len(models), *X.shape)

    def run_one(p, b, x):
        return functional_call(base, (p, b), (x,))

    return vmap(run_one)(params, buffers, X)
