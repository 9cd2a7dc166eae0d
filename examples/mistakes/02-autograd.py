# Plausible wrong answers for 02-autograd, one per exercise (see CONTRIBUTING.md).

# %% ex1-grad-field
def grad_field(phi, X):
    """Gradients of a batched scalar field: phi maps (B, d) -> (B,); returns (B, d), differentiable."""
    X = X.detach().requires_grad_(True)  # always detached: cut off from the caller's X
    (G,) = torch.autograd.grad(phi(X).sum(), X, create_graph=True)
    return G

# %% ex2-jacobian-vjp
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

# %% ex3-hvp
def hvp(f, x, v):
    """Hessian-vector product H(x) v of a scalar f at x, by reverse over reverse: (n,) -> (n,)."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)  # no create_graph: g cannot be differentiated again
    (Hv,) = torch.autograd.grad(g @ v, x)
    return Hv

# %% ex4-softplus
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

# %% ex5-newton
def newton(f, x0, tol=1e-12, max_iter=50):
    """Gradient descent with Armijo steps instead of Newton's method."""
    history = gradient_descent(f, x0, num_steps=max_iter)
    return history
