# Plausible wrong answers for 03-training (issue 22 format: see course/examples.py).
# The first block of each grade id is the typical mistake of the demo's odd/even students.

# %% ex1-mlp plain-list
# Diagnosis: layers kept in a plain Python list are not registered
class MLP(nn.Module):
    """Fully connected network widths[0] -> ... -> widths[-1], activation between layers."""

    def __init__(self, widths, activation=nn.Tanh):
        super().__init__()
        if len(widths) < 2:
            raise ValueError("need at least two widths")
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


# %% ex1-mlp activation-after-output
# Diagnosis: an activation after the output layer
class MLP(nn.Module):
    """Fully connected network widths[0] -> ... -> widths[-1], activation between layers."""

    def __init__(self, widths, activation=nn.Tanh):
        super().__init__()
        if len(widths) < 2:
            raise ValueError("need at least two widths")
        layers = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(n_in, n_out), activation()]  # also after the last layer
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        """(batch, widths[0]) -> (batch, widths[-1])."""
        return self.net(x)


# %% ex1-mlp last-layer-dropped
# Diagnosis: one layer missing
class MLP(nn.Module):
    """Fully connected network widths[0] -> ... -> widths[-1], activation between layers."""

    def __init__(self, widths, activation=nn.Tanh):
        super().__init__()
        if len(widths) < 2:
            raise ValueError("need at least two widths")
        layers = [nn.Linear(widths[0], widths[1])]
        for i in range(1, len(widths) - 2):  # off by one: the output layer is never made
            layers += [activation(), nn.Linear(widths[i], widths[i + 1])]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        """(batch, widths[0]) -> (batch, widths[-1])."""
        return self.net(x)


# %% ex1-mlp activation-never-called
# Diagnosis: no activation between the layers
class MLP(nn.Module):
    """Fully connected network widths[0] -> ... -> widths[-1], activation between layers."""

    def __init__(self, widths, activation=nn.Tanh):
        super().__init__()
        if len(widths) < 2:
            raise ValueError("need at least two widths")
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.activation = activation()

    def forward(self, x):
        """(batch, widths[0]) -> (batch, widths[-1])."""
        for layer in self.linears:
            x = layer(x)  # the activation module is made but never applied
        return x


# %% ex2-cross-entropy softmax-then-log
# Diagnosis: softmax, then log, underflows for large logits
def cross_entropy_from_logits(logits, targets, weight=None):
    """Mean (or class-weighted mean) of -log softmax(logits)[target]: (N, C), (N,) -> 0-d."""
    probs = torch.softmax(logits, dim=1)  # then the log: underflows to log(0) = -inf
    losses = -torch.log(probs[torch.arange(len(targets)), targets])
    if weight is None:
        return losses.mean()
    w = weight[targets]
    return (w * losses).sum() / w.sum()


# %% ex2-cross-entropy weighted-mean-over-n
# Diagnosis: the weighted sum was divided by N
def cross_entropy_from_logits(logits, targets, weight=None):
    """Mean (or class-weighted mean) of -log softmax(logits)[target]: (N, C), (N,) -> 0-d."""
    losses = torch.logsumexp(logits, dim=1) - logits[torch.arange(len(targets)), targets]
    if weight is None:
        return losses.mean()
    return (weight[targets] * losses).mean()  # divides by N, not by the sum of the weights


# %% ex2-cross-entropy shift-not-added-back
# Diagnosis: the loss is off by the max logit
def cross_entropy_from_logits(logits, targets, weight=None):
    """Mean (or class-weighted mean) of -log softmax(logits)[target]: (N, C), (N,) -> 0-d."""
    m = logits.max(dim=1, keepdim=True).values
    log_norm = torch.log(torch.exp(logits - m).sum(dim=1))  # the shift m is never added back
    losses = log_norm - logits.gather(1, targets[:, None]).squeeze(1)
    w = torch.ones_like(losses) if weight is None else weight[targets]
    return (w * losses).sum() / w.sum()


# %% ex2-cross-entropy weights-ignored
# Diagnosis: the class weights were ignored
def cross_entropy_from_logits(logits, targets, weight=None):
    """Mean (or class-weighted mean) of -log softmax(logits)[target]: (N, C), (N,) -> 0-d."""
    losses = torch.logsumexp(logits, dim=1) - logits.gather(1, targets[:, None]).squeeze(1)
    return losses.mean()


# %% ex3-train no-zero-grad
# Diagnosis: the gradients piled up across steps
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


# %% ex3-train mean-of-batch-means
# Diagnosis: the plain mean of the batch losses
def train(model, loss_fn, optimizer, loader, num_epochs, scheduler=None, progress=False):
    """Mini-batch training; returns the mean training loss of every epoch (list of floats)."""
    param_device = next(model.parameters()).device
    model.train()
    history = []
    for _ in range(num_epochs):
        losses = []
        for xb, yb in loader:
            loss = loss_fn(model(xb.to(param_device)), yb.to(param_device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if scheduler is not None:
            scheduler.step()
        history.append(sum(losses) / len(losses))  # the last, smaller batch counts as much
    return history


# %% ex3-train scheduler-per-batch
# Diagnosis: the scheduler stepped once per batch
def train(model, loss_fn, optimizer, loader, num_epochs, scheduler=None, progress=False):
    """Mini-batch training; returns the mean training loss of every epoch (list of floats)."""
    param_device = next(model.parameters()).device
    model.train()
    history = []
    for _ in range(num_epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb.to(param_device)), yb.to(param_device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()  # inside the batch loop
            total += loss.item() * len(xb)
            count += len(xb)
        history.append(total / count)
    return history


# %% ex3-train no-train-mode
# Diagnosis: the model ran in eval mode: call model.train()
def train(model, loss_fn, optimizer, loader, num_epochs, scheduler=None, progress=False):
    """Mini-batch training; returns the mean training loss of every epoch (list of floats)."""
    param_device = next(model.parameters()).device
    history = []  # model.train() is never called: a model in eval mode trains without dropout
    for _ in range(num_epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb.to(param_device)), yb.to(param_device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        if scheduler is not None:
            scheduler.step()
        history.append(total / count)
    return history


# %% ex4-evaluate mean-of-batch-means
# Diagnosis: the plain mean of the batch losses
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


# %% ex4-evaluate mode-not-restored
# Diagnosis: came in training mode and was left in eval mode
def evaluate(model, loss_fn, loader):
    """Mean loss over all samples of loader, in eval mode and without gradients; a float."""
    param_device = next(model.parameters()).device
    model.eval()  # and never switched back
    total, count = 0.0, 0
    with torch.no_grad():
        for xb, yb in loader:
            total += loss_fn(model(xb.to(param_device)), yb.to(param_device)).item() * len(xb)
            count += len(xb)
    return total / count


# %% ex4-evaluate always-back-to-train
# Diagnosis: came in eval mode and was left in training mode
def evaluate(model, loss_fn, loader):
    """Mean loss over all samples of loader, in eval mode and without gradients; a float."""
    param_device = next(model.parameters()).device
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for xb, yb in loader:
            total += loss_fn(model(xb.to(param_device)), yb.to(param_device)).item() * len(xb)
            count += len(xb)
    model.train()  # also when the model came in eval mode
    return total / count


# %% ex4-evaluate dropout-on
# Diagnosis: dropout was on: evaluate in eval mode
def evaluate(model, loss_fn, loader):
    """Mean loss over all samples of loader, in eval mode and without gradients; a float."""
    param_device = next(model.parameters()).device
    total, count = 0.0, 0
    with torch.no_grad():  # no_grad, but model.eval() is missing: dropout stays on
        for xb, yb in loader:
            total += loss_fn(model(xb.to(param_device)), yb.to(param_device)).item() * len(xb)
            count += len(xb)
    return total / count


# %% ex5-early-stopping live-state-dict
# Diagnosis: model.state_dict() holds the live tensors
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


# %% ex5-early-stopping buffers-not-restored
# Diagnosis: restore the whole state_dict, buffers included
def fit_with_early_stopping(model, train_one_epoch, validation_loss, max_epochs, patience):
    """Train until the validation loss stops improving; restore the best state."""
    best_loss, best_epoch, best_params = math.inf, 0, None
    history = []
    for epoch in range(1, max_epochs + 1):
        train_one_epoch()
        loss = float(validation_loss())
        history.append(loss)
        if loss < best_loss:
            best_loss, best_epoch = loss, epoch
            best_params = [p.detach().clone() for p in model.parameters()]  # no buffers
        elif epoch - best_epoch >= patience:
            break
    with torch.no_grad():
        for p, best in zip(model.parameters(), best_params):
            p.copy_(best)
    return best_epoch, history


# %% ex5-early-stopping tie-improves
# Diagnosis: a tie is no improvement
def fit_with_early_stopping(model, train_one_epoch, validation_loss, max_epochs, patience):
    """Train until the validation loss stops improving; restore the best state."""
    best_loss, best_epoch, best_state = math.inf, 0, None
    history = []
    for epoch in range(1, max_epochs + 1):
        train_one_epoch()
        loss = float(validation_loss())
        history.append(loss)
        if loss <= best_loss:  # a tie counts as an improvement
            best_loss, best_epoch = loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return best_epoch, history


# %% ex5-early-stopping patience-off-by-one
# Diagnosis: stop after `patience` epochs in a row without improvement
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
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch > patience:  # one epoch too many
            break
    model.load_state_dict(best_state)
    return best_epoch, history


# %% ex6-lbfgs-fit default-tolerances
# Diagnosis: default absolute tolerances
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    theta = theta0.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([theta], max_iter=1000, line_search_fn="strong_wolfe")
    evals = 0

    def closure():
        nonlocal evals
        evals += 1
        optimizer.zero_grad()
        loss = ((model(theta, t) - y) ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)  # tolerance_grad=1e-7, tolerance_change=1e-9: absolute
    return theta.detach(), evals


# %% ex6-lbfgs-fit one-step-of-max-iter-20
# Diagnosis: a single optimizer.step() stopped at max_iter=20
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    theta = theta0.clone().requires_grad_(True)
    with torch.no_grad():
        scale = ((model(theta, t) - y) ** 2).sum()
    optimizer = torch.optim.LBFGS([theta], tolerance_grad=0.0, tolerance_change=0.0,
                                  line_search_fn="strong_wolfe")  # max_iter=20 per step()

    def closure():
        optimizer.zero_grad()
        loss = ((model(theta, t) - y) ** 2).sum() / scale
        loss.backward()
        return loss

    optimizer.step(closure)
    return theta.detach(), optimizer.state[theta]["func_evals"]


# %% ex6-lbfgs-fit loss-not-normalised
# Diagnosis: too few curvature pairs were stored
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    theta = theta0.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([theta], max_iter=1000, max_eval=1000, history_size=50,
                                  tolerance_grad=0.0, tolerance_change=0.0,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = ((model(theta, t) - y) ** 2).sum()  # in the units of y squared
        loss.backward()
        return loss

    optimizer.step(closure)
    return theta.detach(), optimizer.state[theta]["func_evals"]


# %% ex6-lbfgs-fit no-zero-grad
# Diagnosis: gradients piled up across closure calls
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    theta = theta0.clone().requires_grad_(True)
    with torch.no_grad():
        scale = ((model(theta, t) - y) ** 2).sum()
    optimizer = torch.optim.LBFGS([theta], max_iter=1000, max_eval=1000, tolerance_grad=0.0,
                                  tolerance_change=0.0, line_search_fn="strong_wolfe")

    def closure():
        loss = ((model(theta, t) - y) ** 2).sum() / scale
        loss.backward()  # adds to the gradient of the previous call
        return loss

    optimizer.step(closure)
    return theta.detach(), optimizer.state[theta]["func_evals"]


# %% ex6-lbfgs-fit no-line-search
# Diagnosis: no line search
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    theta = theta0.clone().requires_grad_(True)
    with torch.no_grad():
        scale = ((model(theta, t) - y) ** 2).sum()
    optimizer = torch.optim.LBFGS([theta], max_iter=500, max_eval=500, tolerance_grad=0.0,
                                  tolerance_change=0.0)  # steps of lr = 1, no line search

    def closure():
        optimizer.zero_grad()
        loss = ((model(theta, t) - y) ** 2).sum() / scale
        loss.backward()
        return loss

    optimizer.step(closure)
    return theta.detach(), optimizer.state[theta]["func_evals"]


# %% ex6-lbfgs-fit float32
# Diagnosis: the fit ran in float32
def lbfgs_fit(model, theta0, t, y):
    """Least-squares fit of model(theta, t) to y by L-BFGS to machine precision."""
    theta = theta0.float().requires_grad_(True)  # float32: "fast enough, accurate enough"
    t32, y32 = t.float(), y.float()
    with torch.no_grad():
        scale = ((model(theta, t32) - y32) ** 2).sum()
    optimizer = torch.optim.LBFGS([theta], max_iter=1000, max_eval=1000, tolerance_grad=0.0,
                                  tolerance_change=0.0, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = ((model(theta, t32) - y32) ** 2).sum() / scale
        loss.backward()
        return loss

    optimizer.step(closure)
    return theta.detach().double(), optimizer.state[theta]["func_evals"]

