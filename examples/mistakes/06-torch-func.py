# Typical mistakes for 06-torch-func: one plausible wrong answer per exercise.
# Each block replaces the whole solution cell named after "# %%".

# %% ex1-batched-jacobian
# The gradient convention: J[..., j, i] = d f_i / d x_j, the transpose of the Jacobian.
def batched_jacobian(f, X):
    """Jacobians of a pointwise field f: (n,) -> (m,) at points X (*batch, n); (*batch, m, n)."""
    batch_shape, n = X.shape[:-1], X.shape[-1]
    J = vmap(jacrev(f))(X.reshape(-1, n))
    return J.reshape(*batch_shape, *J.shape[1:]).transpose(-1, -2)

# %% ex2-jacobian
# The rule the wrong way round: "jacrev for tall Jacobians, jacfwd for wide ones".
def jacobian(f, x):
    """Jacobian (m, n) of f: (n,) -> (m,) at x, by the mode that needs fewer passes."""
    m, n = f(x).shape[0], x.shape[0]
    mode = jacrev if m > n else jacfwd
    return mode(f)(x)

# %% ex3-hvp
# Forward over reverse for one direction, but a batch of directions is passed straight to jvp.
def hvp(f, x, v):
    """H(x) v for scalar f; v of shape (n,) -> (n,), or a batch (k, n) -> (k, n)."""
    return jvp(grad(f), (x,), (v,))[1]

# %% ex4-per-sample
# The batch gradient (of the mean loss) copied into every row: averaged, not per sample.
def per_sample_grads(model, loss_fn, X, y):
    """Gradient of each example's loss: {name: (B, *param.shape)} for model.named_parameters()."""
    params = {name: p.detach() for name, p in model.named_parameters()}
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def batch_loss(params):
        return loss_fn(functional_call(model, (params, buffers), (X,)), y)

    g = grad(batch_loss)(params)
    return {name: t.expand(X.shape[0], *t.shape) for name, t in g.items()}

# %% ex5-ensemble
# in_dims=0 for X in every case: a shared batch (B, d) is split across the models.
def ensemble_predict(models, X):
    """Outputs (M, B, out) of M same-architecture models on X: (B, d) shared, or (M, B, d)."""
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def run_one(p, b, x):
        return functional_call(base, (p, b), (x,))

    return vmap(run_one, in_dims=(0, 0, 0))(params, buffers, X)

# %% ex6-bratu
# The chord method: the Jacobian is computed once, at u0, and reused in every step.
def solve_bratu(lam, N, tol=1e-9, max_iter=20):
    """Newton's method for u'' + lam e^u = 0, u(0) = u(1) = 0, on N interior nodes.

    Returns the iterates, shape (k + 1, N), row 0 the zero initial guess.
    """
    h = 1.0 / (N + 1)

    def residual(u):
        padded = F.pad(u, (1, 1))
        return (padded[:-2] - 2 * u + padded[2:]) / h**2 + lam * torch.exp(u)

    u = torch.zeros(N, **f64)
    J = jacfwd(residual)(u)
    history = [u]
    for _ in range(max_iter):
        r = residual(u)
        if r.abs().max() <= tol:
            break
        u = u + torch.linalg.solve(J, -r)
        history.append(u)
    return torch.stack(history).detach()
