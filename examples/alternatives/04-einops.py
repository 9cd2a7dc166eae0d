# Correct answers for 04-einops written another way (issue 22 format: see
# course/examples.py): each must get full marks and trigger no diagnosis.

# %% ex1-patchify reshape-permute
def patchify(x, p):
    """(B, C, H, W) -> (B, N, C*p*p): tiles in row-major order, features (channel, row, col)."""
    B, C, H, W = x.shape
    if H % p != 0 or W % p != 0:
        raise ValueError(f"p = {p} must divide H = {H} and W = {W}")
    tiles = x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5)  # b i j c r s
    return tiles.reshape(B, (H // p) * (W // p), C * p * p)


def unpatchify(patches, H, W, p):
    """(B, N, C*p*p) -> (B, C, H, W): the inverse of patchify."""
    B, N, features = patches.shape
    if H % p or W % p or N * p * p != H * W or features % (p * p):
        raise ValueError(f"{tuple(patches.shape)} patches cannot tile {H} x {W} with p = {p}")
    C = features // (p * p)
    tiles = patches.reshape(B, H // p, W // p, C, p, p).permute(0, 3, 1, 4, 2, 5)
    return tiles.reshape(B, C, H, W)


# %% ex2-coarsen avg-pool-flattened
def coarsen(x, k):
    """Block means over (kh, kw) blocks: (..., H, W) -> (..., H // kh, W // kw)."""
    kh, kw = (int(k), int(k)) if isinstance(k, int) else (int(k[0]), int(k[1]))
    *lead, H, W = x.shape
    if H % kh != 0 or W % kw != 0:
        raise ValueError(f"blocks of {kh} x {kw} do not tile a {H} x {W} grid")
    flat = x.reshape(-1, 1, H, W)  # avg_pool2d wants (n, c, H, W)
    return F.avg_pool2d(flat, (kh, kw)).reshape(*lead, H // kh, W // kw)


# %% ex3-contractions loops-and-matmul
def batched_bilinear(x, A, y):
    """s_b = sum_ij x_bi A_bij y_bj: (B, m), (B, m, n), (B, n) -> (B,)."""
    return (x[:, None, :] @ A @ y[:, :, None]).reshape(-1)


def batched_trace_of_product(A, B):
    """t_b = trace(A_b @ B_b): (batch, m, n), (batch, n, m) -> (batch,)."""
    return (A * B.transpose(1, 2)).sum(dim=(1, 2))


def tucker_to_full(G, U, V, W):
    """X_ijk = sum_abc G_abc U_ia V_jb W_kc: (r1, r2, r3), (I, r1), (J, r2), (K, r3) -> (I, J, K)"""
    X = torch.tensordot(U, G, dims=([1], [0]))  # (I, r2, r3)
    X = torch.tensordot(X, V, dims=([1], [1]))  # (I, r3, J)
    X = torch.tensordot(X, W, dims=([1], [1]))  # (I, J, K)
    return X


# %% ex4-attention view-transpose-where
def multi_head_attention(x, W_q, W_k, W_v, W_o, num_heads, mask=None):
    """Multi-head self-attention: (batch, seq, d_model) -> (batch, seq, d_model)."""
    B, S, D = x.shape
    if D % num_heads != 0:
        raise ValueError(f"num_heads = {num_heads} does not divide d_model = {D}")
    E = D // num_heads

    def heads(t):
        return t.view(B, S, num_heads, E).transpose(1, 2)  # (B, h, S, E)

    q, k, v = heads(x @ W_q), heads(x @ W_k), heads(x @ W_v)
    scores = q @ k.transpose(-2, -1) * E**-0.5  # (B, h, S, S)
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(-math.inf, dtype=x.dtype, device=x.device))
    out = torch.softmax(scores, dim=-1) @ v  # (B, h, S, E)
    return out.transpose(1, 2).reshape(B, S, D) @ W_o


# %% ex5-chain-order memoised-recursion
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    import functools

    shapes = [tuple(s) for s in shapes]
    for left, right in zip(shapes, shapes[1:], strict=False):
        if left[1] != right[0]:
            raise ValueError(f"cannot multiply {left} by {right}")

    @functools.cache
    def solve(i, j):  # (cost, order) of matrices i..j; a tie goes to the last split
        if i == j:
            return 0, i
        best = None
        for k in range(i, j):
            (cost_l, left), (cost_r, right) = solve(i, k), solve(k + 1, j)
            cost = cost_l + cost_r + shapes[i][0] * shapes[k][1] * shapes[j][1]
            if best is None or cost <= best[0]:
                best = cost, (left, right)
        return best

    return solve(0, len(shapes) - 1)


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    _, order = chain_order([M.shape for M in matrices])
    if isinstance(order, int):
        return matrices[order]
    stack, todo = [], [order]  # an explicit post-order walk instead of recursion
    while todo:
        node = todo.pop()
        if isinstance(node, int):
            stack.append(matrices[node])
        elif node == "mm":
            right, left = stack.pop(), stack.pop()
            stack.append(torch.mm(left, right))
        else:
            todo += ["mm", node[1], node[0]]
    return stack[0]


# %% ex5-chain-order split-tables
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    n = len(shapes)
    for i in range(n - 1):
        if shapes[i][1] != shapes[i + 1][0]:
            raise ValueError(f"inner sizes differ: {tuple(shapes[i])} x {tuple(shapes[i + 1])}")
    p = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]  # the tables m and s of Cormen et al.
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(j - 1, i - 1, -1):  # splits from the right: another tie-break
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def build(i, j):
        return i if i == j else (build(i, split[i][j]), build(split[i][j] + 1, j))

    return cost[0][n - 1], build(0, n - 1)


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""

    def multiply(order):
        if isinstance(order, int):
            return matrices[order]
        return torch.matmul(multiply(order[0]), multiply(order[1]))

    return multiply(chain_order([tuple(M.shape) for M in matrices])[1])
