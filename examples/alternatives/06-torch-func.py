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


# %% ex2-jacobian jacfwd-of-coefficients
# jacfwd of a function of 3 seed coefficients: its 3 tangents are the coloured seeds.
def tridiagonal_jacobian(fun, u):
    """Tridiagonal Jacobian of fun: (n,) -> (n,) at u from 3 coloured JVPs, as a band (3, n)."""
    n = u.shape[0]
    seeds = torch.zeros(3, n, dtype=u.dtype, device=u.device)
    for c in range(3):
        seeds[c, c::3] = 1.0
    C = jacfwd(lambda a: fun(u + a @ seeds))(torch.zeros(3, dtype=u.dtype, device=u.device))
    ab = torch.zeros(3, n, dtype=u.dtype, device=u.device)
    j = torch.arange(n, device=u.device)
    ab[1] = C[j, j % 3]
    ab[0, 1:] = C[j[1:] - 1, j[1:] % 3]
    ab[2, :-1] = C[j[:-1] + 1, j[:-1] % 3]
    return ab


# %% ex2-jacobian three-jvp-calls
# Three separate jvp calls in a loop over the colours, each filling its own columns.
def tridiagonal_jacobian(fun, u):
    """Tridiagonal Jacobian of fun: (n,) -> (n,) at u from 3 coloured JVPs, as a band (3, n)."""
    n = u.shape[0]
    ab = u.new_zeros(3, n)
    for c in range(min(3, n)):
        j = torch.arange(c, n, 3, device=u.device)
        seed = torch.zeros_like(u).index_fill(0, j, 1.0)
        column = F.pad(jvp(fun, (u,), (seed,))[1], (1, 1))
        ab[:, j] = torch.stack([column[j], column[j + 1], column[j + 2]])
    return ab


# %% ex3-hvp primal-from-jvp
# The gradient from the primal output of a jvp, a while loop and the Polak-Ribiere update.
def newton_cg_step(f, x, rtol=1e-10, max_iter=50):
    """Newton step p with H(x) p = -grad f(x), by CG from Hessian-vector products; (n,)."""
    p = torch.zeros_like(x)
    g, _ = jvp(grad(f), (x,), (p,))                   # the gradient comes with a product
    r, d, k = -g, -g, 1
    gnorm = torch.linalg.vector_norm(g)
    while torch.linalg.vector_norm(r) > rtol * gnorm and k < max_iter:
        Hd = jvp(grad(f), (x,), (d,))[1]
        k += 1
        alpha = torch.dot(r, d) / torch.dot(d, Hd)
        p = p + alpha * d
        r_new = r - alpha * Hd
        beta = torch.dot(r_new, r_new - r) / torch.dot(r, r)
        d, r = r_new + beta * d, r_new
    return p


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
