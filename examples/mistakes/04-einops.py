# Typical mistakes for 04-einops (issue 22 format: see course/examples.py).
# Each block replaces the whole solution cell named after "# %%"; the first block of each
# grade id is the typical mistake of the demo's odd/even students.

# %% ex1-patchify rows-from-w
# Diagnosis: the number of tile rows comes from H, not W
# unpatchify takes the number of tile rows from W instead of H: invisible on square fields.
def patchify(x, p):
    """(B, C, H, W) -> (B, N, C*p*p): tiles in row-major order, features (channel, row, col)."""
    H, W = x.shape[-2:]
    if H % p or W % p:
        raise ValueError(f"H = {H} and W = {W} must both be divisible by p = {p}")
    return rearrange(x, "b c (nh py) (nw px) -> b (nh nw) (c py px)", py=p, px=p)


def unpatchify(patches, H, W, p):
    """(B, N, C*p*p) -> (B, C, H, W): the inverse of patchify."""
    _, N, features = patches.shape
    if N != (H // p) * (W // p) or features % (p * p):
        raise ValueError(f"patches of shape {tuple(patches.shape)} do not fit {H} x {W}")
    return rearrange(patches, "b (nh nw) (c py px) -> b c (nh py) (nw px)", nh=W // p, py=p, px=p)


# %% ex1-patchify channel-last-features
# Diagnosis: features in the order (row, column, channel)
def patchify(x, p):
    """(B, C, H, W) -> (B, N, C*p*p): tiles in row-major order, features (channel, row, col)."""
    H, W = x.shape[-2:]
    if H % p or W % p:
        raise ValueError(f"H = {H} and W = {W} must both be divisible by p = {p}")
    return rearrange(x, "b c (nh py) (nw px) -> b (nh nw) (py px c)", py=p, px=p)


def unpatchify(patches, H, W, p):
    """(B, N, C*p*p) -> (B, C, H, W): the inverse of patchify."""
    _, N, features = patches.shape
    if H % p or W % p or N != (H // p) * (W // p) or features % (p * p):
        raise ValueError(f"patches of shape {tuple(patches.shape)} do not fit {H} x {W}")
    return rearrange(patches, "b (nh nw) (py px c) -> b c (nh py) (nw px)", nh=H // p, py=p, px=p)


# %% ex1-patchify tiles-column-major
# Diagnosis: tiles numbered column by column
def patchify(x, p):
    """(B, C, H, W) -> (B, N, C*p*p): tiles in row-major order, features (channel, row, col)."""
    H, W = x.shape[-2:]
    if H % p or W % p:
        raise ValueError(f"H = {H} and W = {W} must both be divisible by p = {p}")
    return rearrange(x, "b c (nh py) (nw px) -> b (nw nh) (c py px)", py=p, px=p)


def unpatchify(patches, H, W, p):
    """(B, N, C*p*p) -> (B, C, H, W): the inverse of patchify."""
    _, N, features = patches.shape
    if H % p or W % p or N != (H // p) * (W // p) or features % (p * p):
        raise ValueError(f"patches of shape {tuple(patches.shape)} do not fit {H} x {W}")
    return rearrange(patches, "b (nw nh) (c py px) -> b c (nh py) (nw px)", nh=H // p, py=p, px=p)


# %% ex1-patchify einops-error
# Diagnosis: expected a ValueError, got EinopsError
def patchify(x, p):
    """(B, C, H, W) -> (B, N, C*p*p): tiles in row-major order, features (channel, row, col)."""
    return rearrange(x, "b c (nh py) (nw px) -> b (nh nw) (c py px)", py=p, px=p)  # no check


def unpatchify(patches, H, W, p):
    """(B, N, C*p*p) -> (B, C, H, W): the inverse of patchify."""
    return rearrange(
        patches, "b (nh nw) (c py px) -> b c (nh py) (nw px)", nh=H // p, nw=W // p, py=p, px=p
    )


# %% ex2-coarsen reshape-bug
# Diagnosis: the reshape bug of Section 2
# Splits H and W into (coarse, coarse, block, block), which groups entries that are not in the
# same block.
def coarsen(x, k):
    """Block means over (kh, kw) blocks: (..., H, W) -> (..., H // kh, W // kw)."""
    kh, kw = (k, k) if isinstance(k, int) else tuple(k)
    H, W = x.shape[-2:]
    if H % kh or W % kw:
        raise ValueError(f"a {H} x {W} grid does not split into blocks of {kh} x {kw}")
    return x.reshape(*x.shape[:-2], H // kh, W // kw, kh, kw).mean(dim=(-2, -1))


# %% ex2-coarsen block-sums
# Diagnosis: block sums, not block means
def coarsen(x, k):
    """Block means over (kh, kw) blocks: (..., H, W) -> (..., H // kh, W // kw)."""
    kh, kw = (k, k) if isinstance(k, int) else tuple(k)
    H, W = x.shape[-2:]
    if H % kh or W % kw:
        raise ValueError(f"a {H} x {W} grid does not split into blocks of {kh} x {kw}")
    return reduce(x, "... (h kh) (w kw) -> ... h w", "sum", kh=kh, kw=kw)


# %% ex2-coarsen kh-kw-swapped
# Diagnosis: k = (kh, kw) means kh rows, kw columns
def coarsen(x, k):
    """Block means over (kh, kw) blocks: (..., H, W) -> (..., H // kh, W // kw)."""
    kw, kh = (k, k) if isinstance(k, int) else tuple(k)  # read as (columns, rows)
    H, W = x.shape[-2:]
    if H % kh or W % kw:
        raise ValueError(f"a {H} x {W} grid does not split into blocks of {kh} x {kw}")
    return reduce(x, "... (h kh) (w kw) -> ... h w", "mean", kh=kh, kw=kw)


# %% ex2-coarsen tuple-only
# Diagnosis: accept any sequence of two ints
def coarsen(x, k):
    """Block means over (kh, kw) blocks: (..., H, W) -> (..., H // kh, W // kw)."""
    kh, kw = k if isinstance(k, tuple) else (k, k)  # a list is taken for a single size
    H, W = x.shape[-2:]
    if H % kh or W % kw:
        raise ValueError(f"a {H} x {W} grid does not split into blocks of {kh} x {kw}")
    return reduce(x, "... (h kh) (w kw) -> ... h w", "mean", kh=kh, kw=kw)


# %% ex3-contractions trace-elementwise
# Diagnosis: the sum of A_bij B_bij is tr(A_b B_b^T)
# The trace of A_b B_b written as an elementwise sum: that is trace(A_b B_b^T).
def batched_bilinear(x, A, y):
    """s_b = sum_ij x_bi A_bij y_bj: (B, m), (B, m, n), (B, n) -> (B,)."""
    return torch.einsum("bi,bij,bj->b", x, A, y)


def batched_trace_of_product(A, B):
    """t_b = trace(A_b @ B_b): (batch, m, n), (batch, n, m) -> (batch,)."""
    return torch.einsum("bij,bij->b", A, B)


def tucker_to_full(G, U, V, W):
    """X_ijk = sum_abc G_abc U_ia V_jb W_kc."""
    return torch.einsum("abc,ia,jb,kc->ijk", G, U, V, W)


# %% ex3-contractions bilinear-transposed
# Diagnosis: this is x^T A^T y
def batched_bilinear(x, A, y):
    """s_b = sum_ij x_bi A_bij y_bj: (B, m), (B, m, n), (B, n) -> (B,)."""
    return torch.einsum("bi,bji,bj->b", x, A, y)


def batched_trace_of_product(A, B):
    """t_b = trace(A_b @ B_b): (batch, m, n), (batch, n, m) -> (batch,)."""
    return torch.einsum("bij,bji->b", A, B)


def tucker_to_full(G, U, V, W):
    """X_ijk = sum_abc G_abc U_ia V_jb W_kc."""
    return torch.einsum("abc,ia,jb,kc->ijk", G, U, V, W)


# %% ex3-contractions tucker-axes-reversed
# Diagnosis: the result's axes are not in the order (i, j, k)
def batched_bilinear(x, A, y):
    """s_b = sum_ij x_bi A_bij y_bj: (B, m), (B, m, n), (B, n) -> (B,)."""
    return torch.einsum("bi,bij,bj->b", x, A, y)


def batched_trace_of_product(A, B):
    """t_b = trace(A_b @ B_b): (batch, m, n), (batch, n, m) -> (batch,)."""
    return torch.einsum("bij,bji->b", A, B)


def tucker_to_full(G, U, V, W):
    """X_ijk = sum_abc G_abc U_ia V_jb W_kc."""
    return torch.einsum("abc,ia,jb,kc->kji", G, U, V, W)


# %% ex3-contractions tucker-core-axes-swapped
# Diagnosis: V and W are contracted with each other's core axis
def batched_bilinear(x, A, y):
    """s_b = sum_ij x_bi A_bij y_bj: (B, m), (B, m, n), (B, n) -> (B,)."""
    return torch.einsum("bi,bij,bj->b", x, A, y)


def batched_trace_of_product(A, B):
    """t_b = trace(A_b @ B_b): (batch, m, n), (batch, n, m) -> (batch,)."""
    return torch.einsum("bij,bji->b", A, B)


def tucker_to_full(G, U, V, W):
    """X_ijk = sum_abc G_abc U_ia V_jb W_kc."""
    return torch.einsum("abc,ia,jc,kb->ijk", G, U, V, W)


# %% ex4-attention mask-inverted
# Diagnosis: the mask was read as True = ignore
# The boolean mask read with nn.MultiheadAttention's convention (True = ignore).
def multi_head_attention(x, W_q, W_k, W_v, W_o, num_heads, mask=None):
    """Multi-head self-attention: (batch, seq, d_model) -> (batch, seq, d_model)."""
    d_model = x.shape[-1]
    if d_model % num_heads:
        raise ValueError(f"d_model = {d_model} is not divisible by num_heads = {num_heads}")
    q, k, v = (rearrange(x @ W, "b s (h e) -> b h s e", h=num_heads) for W in (W_q, W_k, W_v))
    scores = torch.einsum("bhie,bhje->bhij", q, k) / math.sqrt(d_model // num_heads)
    if mask is not None:
        scores = scores.masked_fill(mask, -math.inf)
    heads = torch.einsum("bhij,bhje->bhie", scores.softmax(dim=-1), v)
    return rearrange(heads, "b h s e -> b s (h e)") @ W_o


# %% ex4-attention scale-d-model
# Diagnosis: scaled by 1/sqrt(d_model)
def multi_head_attention(x, W_q, W_k, W_v, W_o, num_heads, mask=None):
    """Multi-head self-attention: (batch, seq, d_model) -> (batch, seq, d_model)."""
    d_model = x.shape[-1]
    if d_model % num_heads:
        raise ValueError(f"d_model = {d_model} is not divisible by num_heads = {num_heads}")
    q, k, v = (rearrange(x @ W, "b s (h e) -> b h s e", h=num_heads) for W in (W_q, W_k, W_v))
    scores = torch.einsum("bhie,bhje->bhij", q, k) / math.sqrt(d_model)  # not d_head
    if mask is not None:
        scores = scores.masked_fill(~mask, -math.inf)
    heads = torch.einsum("bhij,bhje->bhie", scores.softmax(dim=-1), v)
    return rearrange(heads, "b h s e -> b s (h e)") @ W_o


# %% ex4-attention heads-split-e-h
# Diagnosis: features split into heads as (e h)
def multi_head_attention(x, W_q, W_k, W_v, W_o, num_heads, mask=None):
    """Multi-head self-attention: (batch, seq, d_model) -> (batch, seq, d_model)."""
    d_model = x.shape[-1]
    if d_model % num_heads:
        raise ValueError(f"d_model = {d_model} is not divisible by num_heads = {num_heads}")
    q, k, v = (rearrange(x @ W, "b s (e h) -> b h s e", h=num_heads) for W in (W_q, W_k, W_v))
    scores = torch.einsum("bhie,bhje->bhij", q, k) / math.sqrt(d_model // num_heads)
    if mask is not None:
        scores = scores.masked_fill(~mask, -math.inf)
    heads = torch.einsum("bhij,bhje->bhie", scores.softmax(dim=-1), v)
    return rearrange(heads, "b h s e -> b s (e h)") @ W_o


# %% ex5-chain-order first-product-only
# Diagnosis: count both products of each order, not only the first
# Compares only the cost of the first of the two products.
def chain_product(A, B, C):
    """(order, A @ B @ C) with order "(AB)C" or "A(BC)", whichever costs fewer multiply-adds."""
    (m, n), (n_b, p), (p_c, q) = A.shape, B.shape, C.shape
    if n != n_b or p != p_c:
        raise ValueError(f"shapes {tuple(A.shape)}, {tuple(B.shape)}, {tuple(C.shape)}")
    if m * n * p <= n * p * q:
        return "(AB)C", (A @ B) @ C
    return "A(BC)", A @ (B @ C)


# %% ex5-chain-order tie-to-right
# Diagnosis: on a tie, '(AB)C'
def chain_product(A, B, C):
    """(order, A @ B @ C) with order "(AB)C" or "A(BC)", whichever costs fewer multiply-adds."""
    (m, n), (n_b, p), (p_c, q) = A.shape, B.shape, C.shape
    if n != n_b or p != p_c:
        raise ValueError(f"shapes {tuple(A.shape)}, {tuple(B.shape)}, {tuple(C.shape)}")
    if m * n * p + m * p * q < n * p * q + m * n * q:  # a tie goes to A(BC)
        return "(AB)C", (A @ B) @ C
    return "A(BC)", A @ (B @ C)


# %% ex5-chain-order both-orders-computed
# Diagnosis: compute only the order you return
def chain_product(A, B, C):
    """(order, A @ B @ C) with order "(AB)C" or "A(BC)", whichever costs fewer multiply-adds."""
    (m, n), (n_b, p), (p_c, q) = A.shape, B.shape, C.shape
    if n != n_b or p != p_c:
        raise ValueError(f"shapes {tuple(A.shape)}, {tuple(B.shape)}, {tuple(C.shape)}")
    left, right = (A @ B) @ C, A @ (B @ C)  # both computed, one thrown away
    if m * n * p + m * p * q <= n * p * q + m * n * q:
        return "(AB)C", left
    return "A(BC)", right


# %% ex5-chain-order multi-dot
# Diagnosis: linalg_multi_dot called
def chain_product(A, B, C):
    """(order, A @ B @ C) with order "(AB)C" or "A(BC)", whichever costs fewer multiply-adds."""
    (m, n), (n_b, p), (p_c, q) = A.shape, B.shape, C.shape
    if n != n_b or p != p_c:
        raise ValueError(f"shapes {tuple(A.shape)}, {tuple(B.shape)}, {tuple(C.shape)}")
    order = "(AB)C" if m * n * p + m * p * q <= n * p * q + m * n * q else "A(BC)"
    return order, torch.linalg.multi_dot([A, B, C])  # the library picks its own order
