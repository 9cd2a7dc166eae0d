# Correct answers for solutions/02-autograd/02-autograd.ipynb written another way (format:
# course/examples.py): each must get full marks and trigger no diagnosis.

# %% ex1-grad-field ones-as-grad-outputs
def grad_field(phi, X):
    """One VJP of phi with a vector of ones, instead of the gradient of a sum."""
    Xg = X if X.requires_grad else X.detach().requires_grad_(True)
    values = phi(Xg)
    (G,) = torch.autograd.grad(values, Xg, grad_outputs=torch.ones_like(values), create_graph=True)
    return G

# %% ex2-jacobian-vjp backward-with-reset
def jacobian_vjp(f, x):
    """Rows from backward(), resetting .grad before each one."""
    xr = x.detach().clone().requires_grad_(True)
    y = f(xr)
    J = torch.empty(y.shape[0], xr.shape[0], dtype=x.dtype, device=x.device)
    for i in range(y.shape[0]):
        xr.grad = None
        e_i = torch.zeros_like(y)
        e_i[i] = 1.0
        y.backward(e_i, retain_graph=True)
        J[i] = xr.grad
    return J

# %% ex2-jacobian-vjp batched-unit-vectors
def jacobian_vjp(f, x):
    """All m VJPs in one call: the unit vectors as a batch of grad_outputs."""
    xr = x.detach().requires_grad_(True)
    y = f(xr)
    eye = torch.eye(y.shape[0], dtype=y.dtype, device=y.device)
    return torch.autograd.grad(y, xr, grad_outputs=eye, is_grads_batched=True)[0]

# %% ex3-hvp vjp-of-the-gradient
def hvp(f, x, v):
    """H v as the VJP of the gradient with v (H is symmetric)."""
    xr = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(xr), xr, create_graph=True)
    return torch.autograd.grad(g, xr, grad_outputs=v.detach())[0]

# %% ex4-softplus where-branches-refused-twice
class Softplus(torch.autograd.Function):
    """Two branches picked by where; backward refuses a second derivative."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x > 0, x + torch.log1p(torch.exp(-x)), torch.log1p(torch.exp(x)))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + torch.exp(-x))  # exp(-x) = inf gives 0, never nan


def softplus(x):
    """Stable softplus through the custom Function."""
    return Softplus.apply(x)

# %% ex5-newton functional-hessian
def newton(f, x0, tol=1e-12, max_iter=50):
    """Newton with torch.autograd.functional.hessian and one solve per step."""
    iterates = [x0.detach().clone()]
    for _ in range(max_iter):
        x = iterates[-1].requires_grad_(True)
        (g,) = torch.autograd.grad(f(x), x)
        p = torch.linalg.solve(torch.autograd.functional.hessian(f, x.detach()), -g)
        iterates[-1] = x.detach()
        iterates.append(x.detach() + p)
        if p.norm() <= tol:
            break
    return torch.stack(iterates)
