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


# %% ex5-chain-order mm-and-costs
def chain_product(A, B, C):
    """(order, A @ B @ C) with order "(AB)C" or "A(BC)", whichever costs fewer multiply-adds."""
    if A.shape[1] != B.shape[0] or B.shape[1] != C.shape[0]:
        raise ValueError(f"cannot chain {tuple(A.shape)} x {tuple(B.shape)} x {tuple(C.shape)}")
    m, n = A.shape
    p, q = C.shape
    costs = {"(AB)C": m * n * p + m * p * q, "A(BC)": n * p * q + m * n * q}
    if costs["(AB)C"] > costs["A(BC)"]:
        return "A(BC)", torch.mm(A, torch.mm(B, C))
    return "(AB)C", torch.mm(torch.mm(A, B), C)
