# Correct answers to 05-sparse-solves written another way (issue 22): blocks
# "# %% <grade_id> <slug>", each replacing one solution cell; each must get full marks.

# %% ex1-laplacian-2d triplets
# The five diagonals assembled directly as (row, col, value) triplets, no Kronecker product.
def laplacian_2d(Nx, Ny, hx, hy):
    """Five-point -Laplacian on an Nx x Ny interior grid, u_ij at k = i * Ny + j: CSR."""
    idx = torch.arange(Nx * Ny, device=device).reshape(Nx, Ny)
    pairs = [(idx[:-1].reshape(-1), idx[1:].reshape(-1), hx),        # x-neighbours
             (idx[:, :-1].reshape(-1), idx[:, 1:].reshape(-1), hy)]  # y-neighbours
    rows, cols, vals = [idx.reshape(-1)], [idx.reshape(-1)], []
    vals.append(torch.full((Nx * Ny,), 2 / hx**2 + 2 / hy**2, **f64))
    for a, b, step in pairs:
        rows += [a, b]
        cols += [b, a]
        vals += [torch.full((2 * a.numel(),), -1 / step**2, **f64)]
    A = sparse_coo(torch.cat(rows), torch.cat(cols), torch.cat(vals), (Nx * Ny, Nx * Ny))
    return to_csr(A)


# %% ex2-conjugate-gradient for-loop
# A for loop with the stopping test at its top instead of a while condition.
def conjugate_gradient(matvec, b, x0=None, rtol=1e-8, max_iter=None, precond=None):
    """Preconditioned CG for SPD A, matvec(v) = A v: (x, iterations, residuals, converged)."""
    max_iter = 10 * b.shape[0] if max_iter is None else max_iter
    b_norm = torch.linalg.vector_norm(b)
    if b_norm == 0:
        return torch.zeros_like(b), 0, torch.zeros(1, dtype=b.dtype, device=b.device), True
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b.clone() if x0 is None else b - matvec(x)
    residuals = [torch.linalg.vector_norm(r) / b_norm]
    z = r if precond is None else precond(r)
    p, rz = z.clone(), torch.dot(r, z)
    for iterations in range(max_iter + 1):
        if residuals[-1] <= rtol or iterations == max_iter:
            break
        Ap = matvec(p)
        alpha = rz / torch.dot(p, Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        residuals.append(torch.linalg.vector_norm(r) / b_norm)
        z = r if precond is None else precond(r)
        rz, rz_old = torch.dot(r, z), rz
        p = z + (rz / rz_old) * p
    residuals = torch.stack(residuals)
    return x, iterations, residuals, bool(residuals[-1] <= rtol)


# %% ex3-spmv scatter-add
# scatter_add with the row index instead of index_add.
def spmv(row, col, values, x, n_rows):
    """y = A x, A with stored entries (row[k], col[k], values[k]), repeats added: (n_rows,)."""
    terms = values * x[col]
    return torch.zeros(n_rows, dtype=terms.dtype, device=terms.device).scatter_add(0, row, terms)


# %% ex4-sparse-solve coo-to-csc
# SciPy's COO matrix converted to CSC by hand, index_select gathers, explicit None defaults.
class SparseSolve(torch.autograd.Function):
    """x = A^{-1} b, A given by (row, col, values); backward by the adjoint method."""

    @staticmethod
    def forward(ctx, row, col, values, b):
        n = b.shape[0]                                 # CSC built by hand from COO
        A = sp.coo_matrix((values.detach().cpu().numpy(), (row.cpu().numpy(), col.cpu().numpy())),
                          shape=(n, n)).tocsc()
        lu = spla.splu(A)
        x = torch.from_numpy(lu.solve(b.detach().cpu().numpy())).to(dtype=b.dtype, device=b.device)
        ctx.lu = lu
        ctx.save_for_backward(row, col, x)
        return x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_x):
        row, col, x = ctx.saved_tensors
        lam = torch.from_numpy(ctx.lu.solve(grad_x.detach().cpu().numpy(), trans="T"))
        lam = lam.to(grad_x.device)
        grad_values = grad_b = None
        if ctx.needs_input_grad[2]:                    # one gather of the outer product
            grad_values = -(lam.index_select(0, row) * x.index_select(0, col))
        if ctx.needs_input_grad[3]:
            grad_b = lam
        return None, None, grad_values, grad_b


# %% ex5-recover lbfgs-other-settings
# L-BFGS with another step length, a longer history and tighter tolerances.
def recover_conductivity(u_obs, sources, sigma, solve, alpha=100.0, max_iter=100):
    """Minimise J(m), m = log(kappa), through a differentiable solve: (kappa (N, N), losses)."""
    N = u_obs.shape[-1]
    m = torch.zeros(N, N, dtype=u_obs.dtype, device=u_obs.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([m], lr=0.5, max_iter=max_iter, history_size=20,
                                  line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                                  tolerance_change=1e-14)
    losses = []

    def closure():
        optimizer.zero_grad()
        row, col, values = diffusion_operator(torch.exp(m))
        misfit = sum(((solve(row, col, values, f.reshape(-1)) - d.reshape(-1)) ** 2).sum()
                     for f, d in zip(sources, u_obs, strict=True))
        smoothness = (m[1:] - m[:-1]).square().sum() + (m[:, 1:] - m[:, :-1]).square().sum()
        loss = misfit / (2 * sigma**2) + 0.5 * alpha * smoothness
        loss.backward()
        losses.append(loss.item())
        return loss

    optimizer.step(closure)
    return torch.exp(m).detach(), losses
