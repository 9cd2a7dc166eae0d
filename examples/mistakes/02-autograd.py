# Plausible wrong answers for 02-autograd (format: course/examples.py). Each block replaces the
# solution cell on its "# %%" line and must fail its test with the Diagnosis words; the first
# block per exercise is the demo's typical mistake.

# %% ex1-grad-field always-detached
# Diagnosis: the returned gradient is cut off from X
def grad_field(phi, X):
    """Gradients of a batched scalar field: phi maps (B, d) -> (B,); returns (B, d), differentiable."""
    X = X.detach().requires_grad_(True)  # always detached: cut off from the caller's X
    (G,) = torch.autograd.grad(phi(X).sum(), X, create_graph=True)
    return G

# %% ex2-jacobian-vjp rows-accumulate
# Diagnosis: Row i holds the sum of rows 0..i
def jacobian_vjp(f, x):
    """Jacobian (m, n) of f: (n,) -> (m,) at x, one vector-Jacobian product per row."""
    x = x.detach().requires_grad_(True)
    y = f(x)
    rows = []
    for i in range(y.shape[0]):
        e_i = torch.zeros_like(y)
        e_i[i] = 1.0
        y.backward(e_i, retain_graph=True)
        rows.append(x.grad.clone())  # x.grad is never reset: the rows accumulate
    return torch.stack(rows)

# %% ex3-hvp no-create-graph
# Diagnosis: compute it with create_graph=True
def hvp(f, x, v):
    """Hessian-vector product H(x) v of a scalar f at x, by reverse over reverse: (n,) -> (n,)."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)  # no create_graph: g cannot be differentiated again
    (Hv,) = torch.autograd.grad(g @ v, x)
    return Hv

# %% ex4-softplus naive-formula
# Diagnosis: exp(x) overflowed
class Softplus(torch.autograd.Function):
    """softplus(x) = log(1 + exp(x)) elementwise, written as it stands."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.log(1 + torch.exp(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.exp(x) / (1 + torch.exp(x))


def softplus(x):
    """Stable softplus through the custom Function."""
    return Softplus.apply(x)

# %% ex5-newton gradient-descent
# Diagnosis: is not the Newton step p with H p = -g
def newton(f, x0, tol=1e-12, max_iter=50):
    """Gradient descent with Armijo steps instead of Newton's method."""
    history = gradient_descent(f, x0, num_steps=max_iter)
    return history


# More typical mistakes, each recognised by its test (issue 22).

# %% ex1-grad-field mean-not-sum
# Diagnosis: sum phi(X), not mean
def grad_field(phi, X):
    """Gradients of the batch mean: every row divided by B."""
    if not X.requires_grad:
        X = X.detach().requires_grad_(True)
    (G,) = torch.autograd.grad(phi(X).mean(), X, create_graph=True)
    return G

# %% ex1-grad-field no-create-graph
# Diagnosis: pass create_graph=True
def grad_field(phi, X):
    """Gradients of a batched scalar field, as plain tensors without a graph."""
    if not X.requires_grad:
        X = X.detach().requires_grad_(True)
    (G,) = torch.autograd.grad(phi(X).sum(), X)
    return G

# %% ex1-grad-field backward-call
# Diagnosis: use torch.autograd.grad
def grad_field(phi, X):
    """Gradients through backward(), read back from .grad."""
    X = X.detach().requires_grad_(True)
    phi(X).sum().backward(create_graph=True)
    return X.grad

# %% ex2-jacobian-vjp transposed
# Diagnosis: row i must be the gradient of output i
def jacobian_vjp(f, x):
    """The rows e_i^T J, stacked as columns."""
    x = x.detach().requires_grad_(True)
    y = f(x)
    rows = [torch.autograd.grad(y, x, grad_outputs=e, retain_graph=True)[0]
            for e in torch.eye(y.shape[0], dtype=y.dtype, device=y.device)]
    return torch.stack(rows, dim=1)

# %% ex2-jacobian-vjp no-retain-graph
# Diagnosis: retain_graph=True
def jacobian_vjp(f, x):
    """One VJP per row, but the graph is freed after the first."""
    x = x.detach().requires_grad_(True)
    y = f(x)
    rows = [torch.autograd.grad(y, x, grad_outputs=e)[0]
            for e in torch.eye(y.shape[0], dtype=y.dtype, device=y.device)]
    return torch.stack(rows)

# %% ex2-jacobian-vjp gradient-of-sum
# Diagnosis: use the unit vector e_i
def jacobian_vjp(f, x):
    """Every row the gradient of y.sum()."""
    x = x.detach().requires_grad_(True)
    y = f(x)
    rows = [torch.autograd.grad(y.sum(), x, retain_graph=True)[0] for _ in range(y.shape[0])]
    return torch.stack(rows)

# %% ex3-hvp returns-gradient
# Diagnosis: That is the gradient of f, not H v
def hvp(f, x, v):
    """The gradient, returned where H v was asked for."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)
    return g

# %% ex3-hvp caller-requires-grad
# Diagnosis: hvp switched requires_grad on the caller's tensor
def hvp(f, x, v):
    """Reverse over reverse on the caller's x itself."""
    if not x.requires_grad:
        x.requires_grad_(True)  # changes the caller's tensor
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (Hv,) = torch.autograd.grad(g @ v.detach(), x)
    return Hv

# %% ex3-hvp autograd-functional
# Diagnosis: write the two grad calls yourself
def hvp(f, x, v):
    """torch.autograd.functional.hvp, which the task rules out."""
    return torch.autograd.functional.hvp(f, x.detach(), v.detach())[1]

# %% ex4-softplus log-not-log1p
# Diagnosis: not log(1 + exp(-|x|))
class Softplus(torch.autograd.Function):
    """Stable shift, but log(1 + t) where log1p(t) is needed."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0) + torch.log(1 + torch.exp(-x.abs()))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        e = torch.exp(-x.abs())
        return grad_output * torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus(x):
    """Stable softplus through the custom Function."""
    return Softplus.apply(x)

# %% ex4-softplus sigmoid-overflows
# Diagnosis: e^x / (1 + e^x) is inf / inf
class Softplus(torch.autograd.Function):
    """Stable forward, backward as e^x / (1 + e^x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.exp(x) / (1 + torch.exp(x))


def softplus(x):
    """Stable softplus through the custom Function."""
    return Softplus.apply(x)

# %% ex4-softplus ignores-grad-output
# Diagnosis: backward must multiply sigma(x) by grad_output
class Softplus(torch.autograd.Function):
    """Stable forward; backward returns sigma(x) alone."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        e = torch.exp(-x.abs())
        return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus(x):
    """Stable softplus through the custom Function."""
    return Softplus.apply(x)

# %% ex4-softplus constant-sigmoid
# Diagnosis: the second derivative is silently wrong
class Softplus(torch.autograd.Function):
    """Stable forward; sigma computed under no_grad, so double backward loses a term."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        with torch.no_grad():
            e = torch.exp(-x.abs())
            sigmoid = torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return grad_output * sigmoid


def softplus(x):
    """Stable softplus through the custom Function."""
    return Softplus.apply(x)

# %% ex5-newton damped
# Diagnosis: times the Newton step
def newton(f, x0, tol=1e-12, max_iter=50):
    """Newton's method with every step halved."""
    x, history = x0.detach().clone(), [x0.detach().clone()]
    for _ in range(max_iter):
        xr = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(f(xr), xr, create_graph=True)
        H = torch.stack([torch.autograd.grad(g_i, xr, retain_graph=True)[0] for g_i in g])
        p = torch.linalg.solve(H, -g.detach())
        x = x + 0.5 * p
        history.append(x)
        if torch.linalg.vector_norm(p) <= tol:
            break
    return torch.stack(history).detach()

# %% ex5-newton explicit-inverse
# Diagnosis: never form the inverse
def newton(f, x0, tol=1e-12, max_iter=50):
    """Newton's method with p = -H^-1 g from an explicit inverse."""
    x, history = x0.detach().clone(), [x0.detach().clone()]
    for _ in range(max_iter):
        xr = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(f(xr), xr, create_graph=True)
        H = torch.stack([torch.autograd.grad(g_i, xr, retain_graph=True)[0] for g_i in g])
        p = -torch.linalg.inv(H) @ g.detach()
        x = x + p
        history.append(x)
        if torch.linalg.vector_norm(p) <= tol:
            break
    return torch.stack(history).detach()

# %% ex5-newton iterates-keep-graph
# Diagnosis: without autograd history
def newton(f, x0, tol=1e-12, max_iter=50):
    """Newton's method whose iterates carry the graph of g."""
    x, history = x0.detach().clone(), [x0.detach().clone()]
    for _ in range(max_iter):
        xr = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(f(xr), xr, create_graph=True)
        H = torch.stack([torch.autograd.grad(g_i, xr, retain_graph=True)[0] for g_i in g])
        p = torch.linalg.solve(H, -g)  # g still has its graph
        x = x + p
        history.append(x)
        if torch.linalg.vector_norm(p) <= tol:
            break
    return torch.stack(history)
