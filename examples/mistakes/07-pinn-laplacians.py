# Typical mistakes for 07-pinn-laplacians: one plausible wrong answer per exercise.
# Each block replaces the whole solution cell named after "# %%".

# %% ex1-laplacian-nested
# create_graph only in the first pass: the values are right, but the Laplacian comes back
# detached from the parameters of u, so a loss built from it cannot train them.
def laplacian_nested(u, x):
    # Laplacian of a field u at x (B, d) -> (B,) by d + 1 reverse passes; differentiable
    x = x.detach().requires_grad_(True)
    (du,) = torch.autograd.grad(u(x).sum(), x, create_graph=True)
    lap = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    for i in range(x.shape[1]):
        (row,) = torch.autograd.grad(du[:, i].sum(), x, retain_graph=True)
        lap = lap + row[:, i]
    return lap

# %% ex2-laplacian-fwd-over-rev
# One JVP along the all-ones direction: the entries of H 1 add up to the sum of the whole
# Hessian, off-diagonal terms included, not to its trace.
def laplacian_fwd_over_rev(u, x):
    # Laplacian of a field u at x (B, d) -> (B,) by d JVPs of the gradient; no Hessian
    grad_u = grad(lambda z: u(z).sum())
    _, h_ones = jvp(grad_u, (x,), (torch.ones_like(x),))
    return h_ones.sum(-1)

# %% ex3-forward-laplacian
# The curvature of tanh is forgotten: the Laplacian passes through tanh' only, as if the
# activation were linear, and the sigma'' (d_i h)^2 term is missing.
def forward_laplacian(mlp, x):
    # value and Laplacian, both (B,), of a tanh MLP at x (B, d), in one forward sweep
    B, d = x.shape
    z, J, L = x, None, torch.zeros_like(x)
    for layer in mlp:
        if isinstance(layer, nn.Linear):
            W = layer.weight
            z = z @ W.T + layer.bias
            J = W.T.expand(B, -1, -1) if J is None else J @ W.T
            L = L @ W.T
        else:
            z = torch.tanh(z)
            slope = 1 - z**2
            L = slope * L
            J = slope[:, None, :] * J
    return z.squeeze(-1), L.squeeze(-1)

# %% ex4-dirichlet-ansatz
# A trigonometric distance function: sin(pi x) sin(pi y) vanishes on the boundary only in
# exact arithmetic (sin(pi) = 1.2e-16), so a large network output leaks onto the boundary.
def dirichlet_ansatz(net, g):
    # the field u = G + phi * net on the unit square: u = g on the boundary for any net
    def u(x):
        X, Y = x[..., 0], x[..., 1]
        zero, one = torch.zeros_like(X), torch.ones_like(X)
        edges = torch.stack([torch.stack(p, dim=-1)
                             for p in ((zero, Y), (one, Y), (X, zero), (X, one))])
        g0y, g1y, gx0, gx1 = g(edges)
        corners = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
                               dtype=x.dtype, device=x.device)
        g00, g10, g01, g11 = g(corners)
        lift = ((1 - X) * g0y + X * g1y + (1 - Y) * gx0 + Y * gx1
                - (1 - X) * (1 - Y) * g00 - X * (1 - Y) * g10 - (1 - X) * Y * g01 - X * Y * g11)
        phi = torch.sin(math.pi * X) * torch.sin(math.pi * Y)
        return lift + phi * net(x).squeeze(-1)
    return u

# %% ex5-pinn-loss
# The sign of the Laplacian: the residual of Laplace(u) = f instead of -Laplace(u) = f.
def pinn_loss(u, x, f, laplacian, x_boundary=None, g=None, bc_weight=1.0):
    # mean squared residual of -Laplace(u) = f at x, plus the weighted boundary misfit
    residual = laplacian(u, x) - f(x)
    loss = residual.square().mean()
    if x_boundary is not None:
        loss = loss + bc_weight * (u(x_boundary) - g(x_boundary)).square().mean()
    return loss

# %% ex6-train-pinn
# The error is measured at the collocation points x_train, which the loss was fitted to,
# instead of at the held-out points x_test.
def train_pinn(u, params, loss_fn, x_train, x_test, u_exact, adam_steps=100, lbfgs_steps=300,
               lr=1e-2):
    # Adam, then L-BFGS, on loss_fn(x_train); history of loss and held-out relative L2 error
    params = list(params)
    target = u_exact(x_train)
    history = {"loss": [], "error": []}

    def record(loss):
        with torch.no_grad():
            error = torch.linalg.vector_norm(u(x_train) - target) / torch.linalg.vector_norm(target)
        history["loss"].append(loss.item())
        history["error"].append(error.item())

    adam = torch.optim.Adam(params, lr=lr)
    for _ in range(adam_steps):
        adam.zero_grad()
        loss = loss_fn(x_train)
        loss.backward()
        record(loss)
        adam.step()
    if lbfgs_steps > 0:
        lbfgs = torch.optim.LBFGS(params, lr=1.0, max_iter=lbfgs_steps, history_size=50,
                                  tolerance_grad=1e-12, tolerance_change=1e-14,
                                  line_search_fn="strong_wolfe")

        def closure():
            lbfgs.zero_grad()
            loss = loss_fn(x_train)
            loss.backward()
            record(loss)
            return loss

        lbfgs.step(closure)
    record(loss_fn(x_train))
    return history
