# Typical mistakes for 05-sparse-solves (issue 22): blocks "# %% <grade_id> <slug>", each
# replacing one solution cell; "# Diagnosis:" gives the words its failing test must say.
# The first block of each grade_id is the one `make demo` uses.

# %% ex1-laplacian-2d wrong-kron-order
# Diagnosis: Kronecker factors in the wrong order
# The Kronecker factors in the wrong order: the operator for the column-major ordering
# (k = j * Nx + i). Right on square grids with equal spacings, wrong on rectangles.
def laplacian_2d(Nx, Ny, hx, hy):
    """Five-point -Laplacian on an Nx x Ny interior grid, u_ij at k = i * Ny + j: CSR."""
    Tx, Ty = poisson_1d(Nx, hx), poisson_1d(Ny, hy)
    return to_csr(sparse_kron(Ty, sparse_eye(Nx)) + sparse_kron(sparse_eye(Ny), Tx))


# %% ex1-laplacian-2d spacings-swapped
# Diagnosis: hx and hy swapped
# The right Kronecker order, but each 1D matrix built with the other direction's spacing.
def laplacian_2d(Nx, Ny, hx, hy):
    """Five-point -Laplacian on an Nx x Ny interior grid, u_ij at k = i * Ny + j: CSR."""
    Tx, Ty = poisson_1d(Nx, hy), poisson_1d(Ny, hx)
    return to_csr(sparse_kron(Tx, sparse_eye(Ny)) + sparse_kron(sparse_eye(Nx), Ty))


# %% ex1-laplacian-2d dense-kron
# Diagnosis: a dense n x n intermediate
# Right values through torch.kron of dense matrices: n^2 memory for 5n numbers.
def laplacian_2d(Nx, Ny, hx, hy):
    """Five-point -Laplacian on an Nx x Ny interior grid, u_ij at k = i * Ny + j: CSR."""
    Tx, Ty = poisson_1d(Nx, hx).to_dense(), poisson_1d(Ny, hy).to_dense()
    A = torch.kron(Tx, torch.eye(Ny, **f64)) + torch.kron(torch.eye(Nx, **f64), Ty)
    return to_csr(A.to_sparse())


# %% ex2-conjugate-gradient absolute-stopping-rule
# Diagnosis: did you stop on the absolute residual
# Stops on the absolute residual |r_k| <= rtol instead of |r_k| <= rtol |b|: right for a
# right-hand side of norm about 1, wrong for one scaled by 1e-7 or 1e7.
def conjugate_gradient(matvec, b, x0=None, rtol=1e-8, max_iter=None, precond=None):
    """Preconditioned CG for SPD A, matvec(v) = A v: (x, iterations, residuals, converged)."""
    max_iter = 10 * b.shape[0] if max_iter is None else max_iter
    b_norm = torch.linalg.vector_norm(b)
    if b_norm == 0:
        return torch.zeros_like(b), 0, torch.zeros(1, dtype=b.dtype, device=b.device), True
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b.clone() if x0 is None else b - matvec(x)
    norms = [torch.linalg.vector_norm(r)]
    z = r if precond is None else precond(r)
    p, rz = z.clone(), torch.dot(r, z)
    iterations = 0
    while norms[-1] > rtol and iterations < max_iter:
        Ap = matvec(p)
        alpha = rz / torch.dot(p, Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        norms.append(torch.linalg.vector_norm(r))
        iterations += 1
        z = r if precond is None else precond(r)
        rz, rz_old = torch.dot(r, z), rz
        p = z + (rz / rz_old) * p
    residuals = torch.stack(norms) / b_norm
    return x, iterations, residuals, bool(norms[-1] <= rtol)


# %% ex2-conjugate-gradient stop-relative-to-r0
# Diagnosis: the rule is relative to |b|
# Stops when |r_k| <= rtol |r_0|: the same as the task's rule for x0 = 0, not for a good x0.
def conjugate_gradient(matvec, b, x0=None, rtol=1e-8, max_iter=None, precond=None):
    """Preconditioned CG for SPD A, matvec(v) = A v: (x, iterations, residuals, converged)."""
    max_iter = 10 * b.shape[0] if max_iter is None else max_iter
    b_norm = torch.linalg.vector_norm(b)
    if b_norm == 0:
        return torch.zeros_like(b), 0, torch.zeros(1, dtype=b.dtype, device=b.device), True
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b.clone() if x0 is None else b - matvec(x)
    r0_norm = torch.linalg.vector_norm(r)
    residuals = [torch.linalg.vector_norm(r) / b_norm]
    z = r if precond is None else precond(r)
    p, rz = z.clone(), torch.dot(r, z)
    iterations = 0
    while residuals[-1] * b_norm > rtol * r0_norm and iterations < max_iter:
        Ap = matvec(p)
        alpha = rz / torch.dot(p, Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        residuals.append(torch.linalg.vector_norm(r) / b_norm)
        iterations += 1
        z = r if precond is None else precond(r)
        rz, rz_old = torch.dot(r, z), rz
        p = z + (rz / rz_old) * p
    residuals = torch.stack(residuals)
    return x, iterations, residuals, bool(residuals[-1] * b_norm <= rtol * r0_norm)


# %% ex2-conjugate-gradient preconditioned-residual
# Diagnosis: not the preconditioned |z_k|
# Records (and stops on) |z_k| = |M^-1 r_k| instead of |r_k|: right without a preconditioner.
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
    iterations = 0
    while residuals[-1] > rtol and iterations < max_iter:
        Ap = matvec(p)
        alpha = rz / torch.dot(p, Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        iterations += 1
        z = r if precond is None else precond(r)
        residuals.append(torch.linalg.vector_norm(z) / b_norm)
        rz, rz_old = torch.dot(r, z), rz
        p = z + (rz / rz_old) * p
    residuals = torch.stack(residuals)
    return x, iterations, residuals, bool(residuals[-1] <= rtol)


# %% ex2-conjugate-gradient x0-modified
# Diagnosis: x0 was modified in place
# Starts from x0 itself and updates it in place: the caller's initial guess is overwritten.
def conjugate_gradient(matvec, b, x0=None, rtol=1e-8, max_iter=None, precond=None):
    """Preconditioned CG for SPD A, matvec(v) = A v: (x, iterations, residuals, converged)."""
    max_iter = 10 * b.shape[0] if max_iter is None else max_iter
    b_norm = torch.linalg.vector_norm(b)
    if b_norm == 0:
        return torch.zeros_like(b), 0, torch.zeros(1, dtype=b.dtype, device=b.device), True
    x = torch.zeros_like(b) if x0 is None else x0
    r = b.clone() if x0 is None else b - matvec(x)
    residuals = [torch.linalg.vector_norm(r) / b_norm]
    z = r if precond is None else precond(r)
    p, rz = z.clone(), torch.dot(r, z)
    iterations = 0
    while residuals[-1] > rtol and iterations < max_iter:
        Ap = matvec(p)
        alpha = rz / torch.dot(p, Ap)
        x += alpha * p
        r = r - alpha * Ap
        residuals.append(torch.linalg.vector_norm(r) / b_norm)
        iterations += 1
        z = r if precond is None else precond(r)
        rz, rz_old = torch.dot(r, z), rz
        p = z + (rz / rz_old) * p
    residuals = torch.stack(residuals)
    return x, iterations, residuals, bool(residuals[-1] <= rtol)


# %% ex3-spmv sparse-tensor-product
# Diagnosis: use gather and index_add
# Builds a PyTorch sparse tensor from the values and multiplies: the values and the gradient
# are right, but the backward pass creates a dense n_rows x n_cols intermediate.
def spmv(row, col, values, x, n_rows):
    """y = A x, A with stored entries (row[k], col[k], values[k]), repeats added: (n_rows,)."""
    A = torch.sparse_coo_tensor(torch.stack([row, col]), values, (n_rows, x.shape[0]),
                                check_invariants=True)
    return A @ x


# %% ex3-spmv assign-not-accumulate
# Diagnosis: repeated indices need index_add
# Indexed += : for a row index that appears several times only one term survives.
def spmv(row, col, values, x, n_rows):
    """y = A x, A with stored entries (row[k], col[k], values[k]), repeats added: (n_rows,)."""
    y = torch.zeros(n_rows, dtype=values.dtype, device=values.device)
    y[row] += values * x[col]
    return y


# %% ex3-spmv transposed-product
# Diagnosis: that is A^T x, not A x
# Gathers with row and scatters with col: the product with the transposed matrix.
def spmv(row, col, values, x, n_rows):
    """y = A x, A with stored entries (row[k], col[k], values[k]), repeats added: (n_rows,)."""
    y = torch.zeros(n_rows, dtype=values.dtype, device=values.device)
    return y.index_add(0, col, values * x[row])


# %% ex4-sparse-solve adjoint-with-A
# Diagnosis: did you solve the adjoint with A instead of A^T
# The adjoint system solved with A instead of A^T: right for symmetric matrices only.
class SparseSolve(torch.autograd.Function):
    """x = A^{-1} b, A given by (row, col, values); backward by the adjoint method."""

    @staticmethod
    def forward(ctx, row, col, values, b):
        lu = spla.splu(to_scipy_csc(row, col, values, b.shape[0]))
        x = torch.from_numpy(lu.solve(b.detach().cpu().numpy())).to(b.device)
        ctx.lu = lu
        ctx.save_for_backward(row, col, x)
        return x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_x):
        row, col, x = ctx.saved_tensors
        lam = torch.from_numpy(ctx.lu.solve(grad_x.detach().cpu().numpy())).to(grad_x.device)
        grad_values = -lam[row] * x[col] if ctx.needs_input_grad[2] else None
        grad_b = lam if ctx.needs_input_grad[3] else None
        return None, None, grad_values, grad_b


# %% ex4-sparse-solve gradient-sign
# Diagnosis: the sign of dL/dvalues
# dL/dv_k = +lambda_row x_col: the minus sign of dA x = db - ... dropped.
class SparseSolve(torch.autograd.Function):
    """x = A^{-1} b, A given by (row, col, values); backward by the adjoint method."""

    @staticmethod
    def forward(ctx, row, col, values, b):
        lu = spla.splu(to_scipy_csc(row, col, values, b.shape[0]))
        x = torch.from_numpy(lu.solve(b.detach().cpu().numpy())).to(b.device)
        ctx.lu = lu
        ctx.save_for_backward(row, col, x)
        return x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_x):
        row, col, x = ctx.saved_tensors
        lam = ctx.lu.solve(grad_x.detach().cpu().numpy(), trans="T")
        lam = torch.from_numpy(lam).to(grad_x.device)
        grad_values = lam[row] * x[col] if ctx.needs_input_grad[2] else None
        grad_b = lam if ctx.needs_input_grad[3] else None
        return None, None, grad_values, grad_b


# %% ex4-sparse-solve indices-swapped
# Diagnosis: lambda and x indexed the wrong way round
# -lambda[col] x[row]: the gradient of the transposed entry.
class SparseSolve(torch.autograd.Function):
    """x = A^{-1} b, A given by (row, col, values); backward by the adjoint method."""

    @staticmethod
    def forward(ctx, row, col, values, b):
        lu = spla.splu(to_scipy_csc(row, col, values, b.shape[0]))
        x = torch.from_numpy(lu.solve(b.detach().cpu().numpy())).to(b.device)
        ctx.lu = lu
        ctx.save_for_backward(row, col, x)
        return x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_x):
        row, col, x = ctx.saved_tensors
        lam = ctx.lu.solve(grad_x.detach().cpu().numpy(), trans="T")
        lam = torch.from_numpy(lam).to(grad_x.device)
        grad_values = -lam[col] * x[row] if ctx.needs_input_grad[2] else None
        grad_b = lam if ctx.needs_input_grad[3] else None
        return None, None, grad_values, grad_b


# %% ex4-sparse-solve grad-b-is-grad-x
# Diagnosis: dL/db is lambda
# Returns dL/dx itself as dL/db, as if x were b.
class SparseSolve(torch.autograd.Function):
    """x = A^{-1} b, A given by (row, col, values); backward by the adjoint method."""

    @staticmethod
    def forward(ctx, row, col, values, b):
        lu = spla.splu(to_scipy_csc(row, col, values, b.shape[0]))
        x = torch.from_numpy(lu.solve(b.detach().cpu().numpy())).to(b.device)
        ctx.lu = lu
        ctx.save_for_backward(row, col, x)
        return x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_x):
        row, col, x = ctx.saved_tensors
        lam = ctx.lu.solve(grad_x.detach().cpu().numpy(), trans="T")
        lam = torch.from_numpy(lam).to(grad_x.device)
        grad_values = -lam[row] * x[col] if ctx.needs_input_grad[2] else None
        grad_b = grad_x if ctx.needs_input_grad[3] else None
        return None, None, grad_values, grad_b


# %% ex5-recover misfit-not-weighted
# Diagnosis: is the misfit not divided by 2 sigma^2
# The misfit is not divided by sigma^2: with alpha = 100 the smoothness term then dominates
# by a factor 1 / sigma^2 and the reconstruction stays close to kappa = 1.
def recover_conductivity(u_obs, sources, sigma, solve, alpha=100.0, max_iter=100):
    """Minimise J(m), m = log(kappa), through a differentiable solve: (kappa (N, N), losses)."""
    N = u_obs.shape[-1]
    m = torch.zeros(N, N, dtype=u_obs.dtype, device=u_obs.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([m], max_iter=max_iter, line_search_fn="strong_wolfe")
    losses = []

    def closure():
        optimizer.zero_grad()
        row, col, values = diffusion_operator(torch.exp(m))
        misfit = sum(((solve(row, col, values, f.reshape(-1)) - d.reshape(-1)) ** 2).sum()
                     for f, d in zip(sources, u_obs, strict=True))
        smoothness = (m[1:] - m[:-1]).square().sum() + (m[:, 1:] - m[:, :-1]).square().sum()
        loss = 0.5 * misfit + 0.5 * alpha * smoothness
        loss.backward()
        losses.append(loss.item())
        return loss

    optimizer.step(closure)
    return torch.exp(m).detach(), losses


# %% ex5-recover returns-log-kappa
# Diagnosis: did you return m = log(kappa) instead of kappa = exp(m)
# Minimises J correctly but hands back the optimisation variable m instead of kappa.
def recover_conductivity(u_obs, sources, sigma, solve, alpha=100.0, max_iter=100):
    """Minimise J(m), m = log(kappa), through a differentiable solve: (kappa (N, N), losses)."""
    N = u_obs.shape[-1]
    m = torch.zeros(N, N, dtype=u_obs.dtype, device=u_obs.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([m], max_iter=max_iter, line_search_fn="strong_wolfe",
                                  tolerance_grad=1e-10, tolerance_change=1e-12)
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
    return m.detach(), losses


# %% ex5-recover smoothness-of-kappa
# Diagnosis: the smoothness term of kappa instead of m = log(kappa)
# Regularises the differences of kappa, not of m: a different J with a different minimiser.
def recover_conductivity(u_obs, sources, sigma, solve, alpha=100.0, max_iter=100):
    """Minimise J(m), m = log(kappa), through a differentiable solve: (kappa (N, N), losses)."""
    N = u_obs.shape[-1]
    m = torch.zeros(N, N, dtype=u_obs.dtype, device=u_obs.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([m], max_iter=max_iter, line_search_fn="strong_wolfe",
                                  tolerance_grad=1e-10, tolerance_change=1e-12)
    losses = []

    def closure():
        optimizer.zero_grad()
        row, col, values = diffusion_operator(torch.exp(m))
        misfit = sum(((solve(row, col, values, f.reshape(-1)) - d.reshape(-1)) ** 2).sum()
                     for f, d in zip(sources, u_obs, strict=True))
        kappa = torch.exp(m)
        smoothness = ((kappa[1:] - kappa[:-1]).square().sum()
                      + (kappa[:, 1:] - kappa[:, :-1]).square().sum())
        loss = misfit / (2 * sigma**2) + 0.5 * alpha * smoothness
        loss.backward()
        losses.append(loss.item())
        return loss

    optimizer.step(closure)
    return torch.exp(m).detach(), losses
