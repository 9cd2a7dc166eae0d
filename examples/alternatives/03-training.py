# Correct answers for 03-training written another way (issue 22 format: see
# course/examples.py): each must get full marks and trigger no diagnosis.

# %% ex1-mlp output-layer-registered-first
class MLP(nn.Module):
    """Fully connected network widths[0] -> ... -> widths[-1], activation between layers."""

    def __init__(self, widths, activation=nn.Tanh):
        super().__init__()
        widths = list(widths)
        if len(widths) < 2:
            raise ValueError(f"MLP needs at least two widths, got {widths}")
        self.output = nn.Linear(widths[-2], widths[-1])  # registered before the hidden layers
        pairs = zip(widths[:-2], widths[1:-1], strict=True)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)
        self.acts = nn.ModuleList(activation() for _ in self.hidden)
        self.register_buffer("calls", torch.zeros((), dtype=torch.int64))  # a harmless extra

    def forward(self, x):
        """(batch, widths[0]) -> (batch, widths[-1])."""
        for layer, act in zip(self.hidden, self.acts, strict=True):
            x = act(layer(x))
        return self.output(x)


# %% ex2-cross-entropy manual-shift-and-indexing
def cross_entropy_from_logits(logits, targets, weight=None):
    """Mean (or class-weighted mean) of -log softmax(logits)[target]: (N, C), (N,) -> 0-d."""
    m = logits.max(dim=1).values.detach()  # (N,), the stabilising shift
    log_norm = m + torch.log(torch.exp(logits - m[:, None]).sum(dim=1))
    losses = log_norm - logits[torch.arange(logits.shape[0], device=logits.device), targets]
    w = torch.ones_like(losses) if weight is None else weight.index_select(0, targets)
    return torch.dot(w, losses) / w.sum()


# %% ex3-train zero-grad-after-step
def train(model, loss_fn, optimizer, loader, num_epochs, scheduler=None, progress=False):
    """Mini-batch training; returns the mean training loss of every epoch (list of floats)."""
    device_of_model = next(iter(model.parameters())).device
    model.train()
    optimizer.zero_grad(set_to_none=False)
    history = []
    bar = tqdm(range(num_epochs), disable=not progress)
    for _ in bar:
        losses, sizes = [], []
        for xb, yb in loader:
            loss = loss_fn(model(xb.to(device_of_model)), yb.to(device_of_model))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=False)  # cleared right after the step
            losses.append(loss.detach() * xb.shape[0])
            sizes.append(xb.shape[0])
        if scheduler:
            scheduler.step()
        history.append(float(torch.stack(losses).sum().item() / sum(sizes)))
    return history


# %% ex4-evaluate inference-mode
def evaluate(model, loss_fn, loader):
    """Mean loss over all samples of loader, in eval mode and without gradients; a float."""
    mode = model.training
    where = next(model.parameters()).device
    model.eval()
    sums, n = [], 0
    with torch.inference_mode():
        for xb, yb in loader:
            sums.append(loss_fn(model(xb.to(where)), yb.to(where)) * len(xb))
            n += len(xb)
    if mode:
        model.train()
    return float(sum(s.item() for s in sums)) / n


# %% ex5-early-stopping patience-counter
def fit_with_early_stopping(model, train_one_epoch, validation_loss, max_epochs, patience):
    """Train until the validation loss stops improving; restore the best state."""
    history, best_epoch, best_state, waited = [], 0, None, 0
    for epoch in range(1, max_epochs + 1):
        train_one_epoch()
        history.append(float(validation_loss()))
        if best_state is None or history[-1] < min(history[:-1]):
            best_epoch, waited = epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(best_state)
    return best_epoch, history


# %% ex6-lbfgs-fit steps-until-no-progress
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    theta = torch.nn.Parameter(theta0.detach().clone())
    with torch.no_grad():
        scale = (y**2).sum()  # another constant: the loss is at most of order 1
    # default max_iter per step(); tolerance_grad relative to the scaled loss; call step()
    # again while it still changes theta
    optimizer = torch.optim.LBFGS([theta], tolerance_grad=1e-13, tolerance_change=0.0,
                                  history_size=10, line_search_fn="strong_wolfe")
    calls = 0

    def closure():
        nonlocal calls
        calls += 1
        loss = ((model(theta, t) - y) ** 2).sum() / scale
        optimizer.zero_grad(set_to_none=False)  # after the forward pass: just as good
        loss.backward()
        return loss

    for _ in range(40):
        before = theta.detach().clone()
        optimizer.step(closure)
        if torch.equal(before, theta.detach()):
            break
    return theta.detach().clone(), calls


# %% ex6-lbfgs-fit mean-square-tiny-tolerances
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    x = theta0.clone().requires_grad_()
    r0 = (model(theta0, t) - y).detach()
    mse0 = r0.pow(2).mean()
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=900, max_eval=900, history_size=100,
                            tolerance_grad=1e-15, tolerance_change=1e-20,
                            line_search_fn="strong_wolfe")
    count = [0]

    def closure():
        count[0] += 1
        opt.zero_grad()
        loss = (model(x, t) - y).pow(2).mean() / mse0  # MSE / MSE at the start
        loss.backward()
        return loss

    opt.step(closure)
    return x.detach(), count[0]
