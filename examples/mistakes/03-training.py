# Plausible wrong answers for 03-training, one per exercise (see CONTRIBUTING.md).

# %% ex1-mlp
class MLP(nn.Module):
    """Fully connected network widths[0] -> ... -> widths[-1], activation between layers."""

    def __init__(self, widths, activation=nn.Tanh):
        super().__init__()
        self.layers = []  # a plain list: the layers are not registered as submodules
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            if i > 0:
                self.layers.append(activation())
            self.layers.append(nn.Linear(n_in, n_out))

    def forward(self, x):
        """(batch, widths[0]) -> (batch, widths[-1])."""
        for layer in self.layers:
            x = layer(x)
        return x

# %% ex2-cross-entropy
def cross_entropy_from_logits(logits, targets, weight=None):
    """Mean (or class-weighted mean) of -log softmax(logits)[target]: (N, C), (N,) -> 0-d."""
    probs = torch.softmax(logits, dim=1)  # then the log: underflows to log(0) = -inf
    losses = -torch.log(probs[torch.arange(len(targets)), targets])
    if weight is None:
        return losses.mean()
    w = weight[targets]
    return (w * losses).sum() / w.sum()

# %% ex3-train
def train(model, loss_fn, optimizer, loader, num_epochs, scheduler=None, progress=False):
    """Mini-batch training; returns the mean training loss of every epoch (list of floats)."""
    param_device = next(model.parameters()).device
    model.train()
    history = []
    for _ in range(num_epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(param_device), yb.to(param_device)
            loss = loss_fn(model(xb), yb)
            loss.backward()  # no zero_grad: the gradients of all earlier batches pile up
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        if scheduler is not None:
            scheduler.step()
        history.append(total / count)
    return history

# %% ex4-evaluate
def evaluate(model, loss_fn, loader):
    """Mean loss over all samples of loader, in eval mode and without gradients; a float."""
    was_training = model.training
    param_device = next(model.parameters()).device
    model.eval()
    batch_means = []
    with torch.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(param_device), yb.to(param_device)
            batch_means.append(loss_fn(model(xb), yb).item())
    model.train(was_training)
    return sum(batch_means) / len(batch_means)  # the mean of the batch means

# %% ex5-early-stopping
def fit_with_early_stopping(model, train_one_epoch, validation_loss, max_epochs, patience):
    """Train until the validation loss stops improving; restore the best state."""
    best_loss, best_epoch, best_state = math.inf, 0, None
    history = []
    for epoch in range(1, max_epochs + 1):
        train_one_epoch()
        loss = float(validation_loss())
        history.append(loss)
        if loss < best_loss:
            best_loss, best_epoch = loss, epoch
            best_state = model.state_dict()  # live references, not a copy
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return best_epoch, history
