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


# %% ex5-chain-order product-left-to-right
# Diagnosis: multiplied left to right, not in the order of chain_order
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    shapes = [tuple(s) for s in shapes]
    for i in range(len(shapes) - 1):
        left, right = shapes[i], shapes[i + 1]
        if left[1] != right[0]:
            raise ValueError(f"matrices {i} and {i + 1} do not chain: shapes {left} and {right}")
    p = [rows for rows, _ in shapes] + [shapes[-1][1]]
    best = {(i, i): (0, i) for i in range(len(shapes))}
    for length in range(2, len(shapes) + 1):
        for i in range(len(shapes) - length + 1):
            j = i + length - 1
            best[i, j] = min(
                (
                    (
                        best[i, k][0] + best[k + 1, j][0] + p[i] * p[k + 1] * p[j + 1],
                        (best[i, k][1], best[k + 1, j][1]),
                    )
                    for k in range(i, j)
                ),
                key=lambda entry: entry[0],
            )
    return best[0, len(shapes) - 1]


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    chain_order([M.shape for M in matrices])  # checks the shapes, then ignores the order
    product = matrices[0]
    for M in matrices[1:]:
        product = product @ M
    return product


# %% ex5-chain-order greedy-cheapest-pair
# Diagnosis: cheapest adjacent pair first (greedy) is not optimal
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    shapes = [tuple(s) for s in shapes]
    for i in range(len(shapes) - 1):
        left, right = shapes[i], shapes[i + 1]
        if left[1] != right[0]:
            raise ValueError(f"matrices {i} and {i + 1} do not chain: shapes {left} and {right}")
    parts, total = [(i, s) for i, s in enumerate(shapes)], 0
    while len(parts) > 1:  # always the cheapest adjacent product next
        costs = [a[1][0] * a[1][1] * b[1][1] for a, b in zip(parts, parts[1:], strict=False)]
        k = costs.index(min(costs))
        total += costs[k]
        parts[k : k + 2] = [((parts[k][0], parts[k + 1][0]), (parts[k][1][0], parts[k + 1][1][1]))]
    return total, parts[0][0]


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    _, order = chain_order([M.shape for M in matrices])

    def multiply(node):
        return matrices[node] if isinstance(node, int) else multiply(node[0]) @ multiply(node[1])

    return multiply(order)


# %% ex5-chain-order split-off-by-one
# Diagnosis: off-by-one in the split?
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    shapes = [tuple(s) for s in shapes]
    for i in range(len(shapes) - 1):
        left, right = shapes[i], shapes[i + 1]
        if left[1] != right[0]:
            raise ValueError(f"matrices {i} and {i + 1} do not chain: shapes {left} and {right}")
    p = [rows for rows, _ in shapes] + [shapes[-1][1]]
    best = {(i, i): (0, i) for i in range(len(shapes))}
    for length in range(2, len(shapes) + 1):
        for i in range(len(shapes) - length + 1):
            j = i + length - 1
            best[i, j] = min(
                (
                    (
                        best[i, k][0] + best[k + 1, j][0] + p[i] * p[k] * p[j + 1],
                        (best[i, k][1], best[k + 1, j][1]),
                    )
                    for k in range(i, j)
                ),
                key=lambda entry: entry[0],
            )  # p[k]: the inner size is p[k + 1]
    return best[0, len(shapes) - 1]


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    _, order = chain_order([M.shape for M in matrices])

    def multiply(node):
        return matrices[node] if isinstance(node, int) else multiply(node[0]) @ multiply(node[1])

    return multiply(order)


# %% ex5-chain-order result-size-cost
# Diagnosis: m*n*k multiply-adds per product, not m*n
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    shapes = [tuple(s) for s in shapes]
    for i in range(len(shapes) - 1):
        left, right = shapes[i], shapes[i + 1]
        if left[1] != right[0]:
            raise ValueError(f"matrices {i} and {i + 1} do not chain: shapes {left} and {right}")
    p = [rows for rows, _ in shapes] + [shapes[-1][1]]
    best = {(i, i): (0, i) for i in range(len(shapes))}
    for length in range(2, len(shapes) + 1):
        for i in range(len(shapes) - length + 1):
            j = i + length - 1
            best[i, j] = min(
                (
                    (
                        best[i, k][0] + best[k + 1, j][0] + p[i] * p[j + 1],
                        (best[i, k][1], best[k + 1, j][1]),
                    )
                    for k in range(i, j)
                ),
                key=lambda entry: entry[0],
            )  # the size of the result
    return best[0, len(shapes) - 1]


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    _, order = chain_order([M.shape for M in matrices])

    def multiply(node):
        return matrices[node] if isinstance(node, int) else multiply(node[0]) @ multiply(node[1])

    return multiply(order)


# %% ex5-chain-order worst-order
# Diagnosis: this is the cost of the worst order
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    shapes = [tuple(s) for s in shapes]
    for i in range(len(shapes) - 1):
        left, right = shapes[i], shapes[i + 1]
        if left[1] != right[0]:
            raise ValueError(f"matrices {i} and {i + 1} do not chain: shapes {left} and {right}")
    p = [rows for rows, _ in shapes] + [shapes[-1][1]]
    best = {(i, i): (0, i) for i in range(len(shapes))}
    for length in range(2, len(shapes) + 1):
        for i in range(len(shapes) - length + 1):
            j = i + length - 1
            best[i, j] = max(
                (
                    (
                        best[i, k][0] + best[k + 1, j][0] + p[i] * p[k + 1] * p[j + 1],
                        (best[i, k][1], best[k + 1, j][1]),
                    )
                    for k in range(i, j)
                ),
                key=lambda entry: entry[0],
            )
    return best[0, len(shapes) - 1]


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    _, order = chain_order([M.shape for M in matrices])

    def multiply(node):
        return matrices[node] if isinstance(node, int) else multiply(node[0]) @ multiply(node[1])

    return multiply(order)


# %% ex5-chain-order vectors-left-out
# Diagnosis: vector ends were left out of the DP
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    shapes = [tuple(s) for s in shapes]
    for i in range(len(shapes) - 1):
        left, right = shapes[i], shapes[i + 1]
        if left[1] != right[0]:
            raise ValueError(f"matrices {i} and {i + 1} do not chain: shapes {left} and {right}")
    lo = 1 if len(shapes) > 2 and shapes[0][0] == 1 else 0  # vectors are cheap: add them last
    hi = len(shapes) - 2 if len(shapes) - lo > 2 and shapes[-1][1] == 1 else len(shapes) - 1
    p = [rows for rows, _ in shapes] + [shapes[-1][1]]
    best = {(i, i): (0, i) for i in range(len(shapes))}
    for length in range(2, hi - lo + 2):
        for i in range(lo, hi - length + 2):
            j = i + length - 1
            best[i, j] = min(
                (
                    (
                        best[i, k][0] + best[k + 1, j][0] + p[i] * p[k + 1] * p[j + 1],
                        (best[i, k][1], best[k + 1, j][1]),
                    )
                    for k in range(i, j)
                ),
                key=lambda entry: entry[0],
            )
    cost, order = best[lo, hi]
    if lo:
        cost, order = cost + p[0] * p[1] * p[hi + 1], (0, order)
    if hi < len(shapes) - 1:
        cost, order = cost + p[0] * p[-2] * p[-1], (order, hi + 1)
    return cost, order


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    _, order = chain_order([M.shape for M in matrices])

    def multiply(node):
        return matrices[node] if isinstance(node, int) else multiply(node[0]) @ multiply(node[1])

    return multiply(order)


# %% ex5-chain-order multi-dot
# Diagnosis: a library routine that orders the chain itself
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    shapes = [tuple(s) for s in shapes]
    for i in range(len(shapes) - 1):
        left, right = shapes[i], shapes[i + 1]
        if left[1] != right[0]:
            raise ValueError(f"matrices {i} and {i + 1} do not chain: shapes {left} and {right}")
    p = [rows for rows, _ in shapes] + [shapes[-1][1]]
    best = {(i, i): (0, i) for i in range(len(shapes))}
    for length in range(2, len(shapes) + 1):
        for i in range(len(shapes) - length + 1):
            j = i + length - 1
            best[i, j] = min(
                (
                    (
                        best[i, k][0] + best[k + 1, j][0] + p[i] * p[k + 1] * p[j + 1],
                        (best[i, k][1], best[k + 1, j][1]),
                    )
                    for k in range(i, j)
                ),
                key=lambda entry: entry[0],
            )
    return best[0, len(shapes) - 1]


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    chain_order([M.shape for M in matrices])
    if len(matrices) == 1:
        return matrices[0]
    return torch.linalg.multi_dot(matrices)  # the library's own optimal order


# %% ex5-chain-order message-without-shapes
# Diagnosis: name the shapes that do not chain
def chain_order(shapes):
    """(minimal multiply-adds, optimal order) for a chain of matrices of the given shapes."""
    p = [rows for rows, _ in shapes] + [shapes[-1][1]]
    if any(cols != rows for (_, cols), (rows, _) in zip(shapes, shapes[1:], strict=False)):
        raise ValueError("the inner sizes do not match")
    best = {(i, i): (0, i) for i in range(len(shapes))}
    for length in range(2, len(shapes) + 1):
        for i in range(len(shapes) - length + 1):
            j = i + length - 1
            best[i, j] = min(
                (
                    (
                        best[i, k][0] + best[k + 1, j][0] + p[i] * p[k + 1] * p[j + 1],
                        (best[i, k][1], best[k + 1, j][1]),
                    )
                    for k in range(i, j)
                ),
                key=lambda entry: entry[0],
            )
    return best[0, len(shapes) - 1]


def chain_product(matrices):
    """The product of a chain of 2-D tensors, multiplied in the order chain_order finds."""
    _, order = chain_order([M.shape for M in matrices])

    def multiply(node):
        return matrices[node] if isinstance(node, int) else multiply(node[0]) @ multiply(node[1])

    return multiply(order)
