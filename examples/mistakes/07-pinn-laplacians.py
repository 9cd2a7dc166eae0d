# Typical mistakes for 07-pinn-laplacians. Each block replaces the whole solution cell named
# in its header; the first block of a cell is the one the demo's odd/even students make.

# %% ex1-laplacian-nested detached-second-pass
# Diagnosis: the Laplacian is detached from the parameters of u
# create_graph only in the first pass: the values are right, but the Laplacian comes back
# detached from the parameters of u, so a loss built from it cannot train them.
def laplacian_nested(u, x):
    x = x.detach().requires_grad_(True)
    (du,) = torch.autograd.grad(u(x).sum(), x, create_graph=True)
    lap = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    if not du.requires_grad:
        return lap
    for i in range(x.shape[1]):
        (row,) = torch.autograd.grad(du[:, i].sum(), x, retain_graph=True, materialize_grads=True)
        lap = lap + row[:, i]
    return lap

# %% ex2-laplacian-fwd-over-rev ones-vector-jvp
# Diagnosis: it equals the sum of the whole Hessian, off-diagonal entries included
# One JVP along the all-ones direction: the entries of H 1 add up to the sum of the whole
# Hessian, off-diagonal terms included, not to its trace.
def laplacian_fwd_over_rev(u, x):
    grad_u = grad(lambda z: u(z).sum())
    _, h_ones = jvp(grad_u, (x,), (torch.ones_like(x),))
    return h_ones.sum(-1)

# %% ex3-forward-laplacian missing-tanh-curvature
# Diagnosis: the sigma'' (d_i h)^2 term of tanh, where the curvature enters, is missing
# The curvature of tanh is forgotten: the Laplacian passes through tanh' only, as if the
# activation were linear; it stays zero through the whole network.
def forward_laplacian(mlp, x):
    z, L = x, torch.zeros_like(x)
    J = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    for layer in mlp:
        if isinstance(layer, nn.Linear):
            W = layer.weight
            z = z @ W.T + layer.bias
            J = J @ W.T
            L = L @ W.T
        else:
            z = torch.tanh(z)
            slope = 1 - z**2
            L = slope * L
            J = slope[:, None, :] * J
    return z.squeeze(-1), L.squeeze(-1)

# %% ex4-dirichlet-ansatz trigonometric-distance
# Diagnosis: phi vanishes only in exact arithmetic
# A trigonometric distance function: sin(pi x) sin(pi y) vanishes on the boundary only in
# exact arithmetic (sin(pi) = 1.2e-16), so a large network output leaks onto the boundary.
def dirichlet_ansatz(net, g):
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

# %% ex5-pinn-loss wrong-sign
# Diagnosis: check the sign
# The sign of the Laplacian: the residual of Laplace(u) = f instead of -Laplace(u) = f.
def pinn_loss(u, x, f, laplacian, x_boundary=None, g=None, bc_weight=1.0):
    residual = laplacian(u, x) - f(x)
    loss = residual.square().mean()
    if x_boundary is not None:
        loss = loss + bc_weight * (u(x_boundary) - g(x_boundary)).square().mean()
    return loss

# %% ex6-train-pinn error-on-training-points
# Diagnosis: it is the error on the training points x_train
# The error is measured at the collocation points x_train, which the loss was fitted to,
# instead of at the held-out points x_test.
def train_pinn(u, params, loss_fn, x_train, x_test, u_exact, adam_steps=100, lbfgs_steps=300,
               lr=1e-2):
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

# %% ex1-laplacian-nested whole-hessian-row
# Diagnosis: it equals the sum of the whole Hessian, off-diagonal entries included
# Each backward pass gives a whole Hessian row; adding up all its entries instead of keeping
# entry i sums the off-diagonal second derivatives too.
def laplacian_nested(u, x):
    x = x.detach().requires_grad_(True)
    (du,) = torch.autograd.grad(u(x).sum(), x, create_graph=True)
    lap = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    if not du.requires_grad:
        return lap
    for i in range(x.shape[1]):
        (row,) = torch.autograd.grad(du[:, i].sum(), x, create_graph=True,
                                     materialize_grads=True)
        lap = lap + row.sum(-1)
    return lap

# %% ex2-laplacian-fwd-over-rev nested-instead
# Diagnosis: asks for torch.func.jvp of torch.func.grad
# Exercise 1's nested reverse mode typed in again (not called: in a round of mistakes
# laplacian_nested is wrong too): right values, but no forward mode at all.
def laplacian_fwd_over_rev(u, x):
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(u(x).sum(), x, create_graph=True)
    lap = x.new_zeros(x.shape[0])
    if not grad.requires_grad:
        return lap
    for i in range(x.shape[1]):
        (second,) = torch.autograd.grad(
            grad[:, i].sum(), x, create_graph=True, materialize_grads=True
        )
        lap = lap + second[:, i]
    return lap

# %% ex3-forward-laplacian square-of-sum
# Diagnosis: it equals the sum of the whole Hessian, off-diagonal entries included
# The square of the sum of a Jacobian column instead of the sum of its squares: that is the
# second derivative along the all-ones direction, the sum of the whole Hessian.
def forward_laplacian(mlp, x):
    z, L = x, torch.zeros_like(x)
    J = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    for layer in mlp:
        if isinstance(layer, nn.Linear):
            W = layer.weight
            z = z @ W.T + layer.bias
            J = J @ W.T
            L = L @ W.T
        else:
            z = torch.tanh(z)
            slope = 1 - z**2
            L = slope * L - 2 * z * slope * J.sum(-2).square()
            J = slope[:, None, :] * J
    return z.squeeze(-1), L.squeeze(-1)

# %% ex4-dirichlet-ansatz no-corner-correction
# Diagnosis: the lift G is wrong
# The four edge terms without the corner bracket: the corner values are counted twice.
def dirichlet_ansatz(net, g):
    def u(x):
        X, Y = x[..., 0], x[..., 1]
        zero, one = torch.zeros_like(X), torch.ones_like(X)
        edges = torch.stack([torch.stack(p, dim=-1)
                             for p in ((zero, Y), (one, Y), (X, zero), (X, one))])
        g0y, g1y, gx0, gx1 = g(edges)
        lift = (1 - X) * g0y + X * g1y + (1 - Y) * gx0 + Y * gx1
        return lift + X * (1 - X) * Y * (1 - Y) * net(x).squeeze(-1)
    return u

# %% ex5-pinn-loss sum-not-mean
# Diagnosis: a sum over the points instead of a mean
# Sums instead of means: the loss grows with the number of points.
def pinn_loss(u, x, f, laplacian, x_boundary=None, g=None, bc_weight=1.0):
    loss = (-laplacian(u, x) - f(x)).square().sum()
    if x_boundary is not None:
        loss = loss + bc_weight * (u(x_boundary) - g(x_boundary)).square().sum()
    return loss

# %% ex6-train-pinn params-iterator
# Diagnosis: make a list
# net.parameters() is an iterator: Adam uses it up, and L-BFGS gets an empty list.
def train_pinn(u, params, loss_fn, x_train, x_test, u_exact, adam_steps=100, lbfgs_steps=300,
               lr=1e-2):
    target = u_exact(x_test)
    history = {"loss": [], "error": []}

    def record(loss):
        with torch.no_grad():
            error = torch.linalg.vector_norm(u(x_test) - target) / torch.linalg.vector_norm(target)
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

# %% ex1-laplacian-nested mean-not-sum
# Diagnosis: it is 1/B of the Laplacian
# The gradient of the mean over the points: every point's derivatives come out divided by B.
def laplacian_nested(u, x):
    x = x.detach().requires_grad_(True)
    (du,) = torch.autograd.grad(u(x).mean(), x, create_graph=True)
    lap = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    if not du.requires_grad:
        return lap
    for i in range(x.shape[1]):
        (row,) = torch.autograd.grad(du[:, i].sum(), x, create_graph=True,
                                     materialize_grads=True)
        lap = lap + row[:, i]
    return lap

# %% ex2-laplacian-fwd-over-rev all-directions-at-once
# Diagnosis: take one direction (or a small chunk) at a time
# vmap over all d directions at once: right values, but the d tangents of every point, the
# Hessians' B d^2 entries, are allocated together.
def laplacian_fwd_over_rev(u, x):
    B, d = x.shape
    grad_u = grad(lambda z: u(z).sum())
    basis = torch.eye(d, dtype=x.dtype, device=x.device)[:, None, :].repeat(1, B, 1)
    columns = vmap(lambda e: jvp(grad_u, (x,), (e,))[1])(basis)      # (d, B, d)
    return columns.diagonal(dim1=0, dim2=2).sum(-1)

# %% ex3-forward-laplacian autograd-inside
# Diagnosis: ran derivative formulas
# The value, and the Laplacian from the reference: torch.func ignores torch.no_grad(), so the
# values pass, but nothing of Section 4 was implemented.
def forward_laplacian(mlp, x):
    return mlp(x).squeeze(-1), laplacian_hessian(as_field(mlp), x)

# %% ex4-dirichlet-ansatz phi-two-edges
# Diagnosis: phi is not zero on every edge
# A distance function that vanishes on x = 0 and x = 1 only: the network reaches y = 0, 1.
def dirichlet_ansatz(net, g):
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
        return lift + X * (1 - X) * net(x).squeeze(-1)
    return u

# %% ex5-pinn-loss weight-not-applied
# Diagnosis: bc_weight is not applied to the boundary term
# The boundary misfit added with weight 1 whatever bc_weight says.
def pinn_loss(u, x, f, laplacian, x_boundary=None, g=None, bc_weight=1.0):
    loss = (-laplacian(u, x) - f(x)).square().mean()
    if x_boundary is not None:
        loss = loss + (u(x_boundary) - g(x_boundary)).square().mean()
    return loss

# %% ex6-train-pinn no-final-record
# Diagnosis: one for the returned parameters
# The history stops at the last evaluation during training: no entry for the parameters
# that are returned.
def train_pinn(u, params, loss_fn, x_train, x_test, u_exact, adam_steps=100, lbfgs_steps=300,
               lr=1e-2):
    params = list(params)
    target = u_exact(x_test)
    history = {"loss": [], "error": []}

    def record(loss):
        with torch.no_grad():
            error = torch.linalg.vector_norm(u(x_test) - target) / torch.linalg.vector_norm(target)
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
    return history

# %% ex5-pinn-loss weight-on-everything
# Diagnosis: bc_weight multiplies the whole loss
# The weight applied to the residual and the boundary term together.
def pinn_loss(u, x, f, laplacian, x_boundary=None, g=None, bc_weight=1.0):
    loss = (-laplacian(u, x) - f(x)).square().mean()
    if x_boundary is not None:
        loss = bc_weight * (loss + (u(x_boundary) - g(x_boundary)).square().mean())
    return loss

# %% ex4-dirichlet-ansatz g-inside
# Diagnosis: use g on the boundary only
# G = g itself: right on the boundary, but g is evaluated inside, where a real problem has
# no data (the tests' g is NaN there).
def dirichlet_ansatz(net, g):
    def u(x):
        X, Y = x[..., 0], x[..., 1]
        return g(x) + X * (1 - X) * Y * (1 - Y) * net(x).squeeze(-1)
    return u

# %% ex3-forward-laplacian missing-bias
# Diagnosis: the value without the biases
# The biases left out of the linear layers: derivatives are unaffected by b, values are not.
def forward_laplacian(mlp, x):
    z, L = x, torch.zeros_like(x)
    J = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    for layer in mlp:
        if isinstance(layer, nn.Linear):
            W = layer.weight
            z = z @ W.T
            J = J @ W.T
            L = L @ W.T
        else:
            z = torch.tanh(z)
            slope = 1 - z**2
            L = slope * L - 2 * z * slope * J.square().sum(-2)
            J = slope[:, None, :] * J
    return z.squeeze(-1), L.squeeze(-1)

# %% ex1-laplacian-nested torch-func-instead
# Diagnosis: asks for torch.autograd.grad only, no torch.func
# The reference of Section 1 handed in: right values, but not nested reverse mode.
def laplacian_nested(u, x):
    return laplacian_hessian(u, x)

# %% ex1-laplacian-nested switches-caller-x
# Diagnosis: the caller's x was switched to requires_grad
# requires_grad_() on the argument itself: it works, but changes the caller's tensor.
def laplacian_nested(u, x):
    x.requires_grad_(True)
    (du,) = torch.autograd.grad(u(x).sum(), x, create_graph=True)
    lap = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    if not du.requires_grad:
        return lap
    for i in range(x.shape[1]):
        (row,) = torch.autograd.grad(du[:, i].sum(), x, create_graph=True,
                                     materialize_grads=True)
        lap = lap + row[:, i]
    return lap

# %% ex1-laplacian-nested affine-field-raises
# Diagnosis: an affine field u(x) = w.x + b raised
# No case for a constant gradient: for an affine field the second pass has nothing to
# differentiate and torch.autograd.grad raises.
def laplacian_nested(u, x):
    x = x.detach().requires_grad_(True)
    (du,) = torch.autograd.grad(u(x).sum(), x, create_graph=True)
    lap = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    for i in range(x.shape[1]):
        (row,) = torch.autograd.grad(du[:, i].sum(), x, create_graph=True)
        lap = lap + row[:, i]
    return lap
