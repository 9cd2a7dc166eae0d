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
