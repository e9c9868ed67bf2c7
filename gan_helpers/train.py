r"""One training loop for the GANs of lessons 4 to 7.

A training *step* of :func:`train` is ``d_steps`` updates of D followed by
``g_steps`` updates of G (both 1 by default, as in Goodfellow et al. 2014,
Algorithm 1, with :math:`k` = ``d_steps``):

* :func:`d_step` lowers D's loss
  :math:`-\mathrm{mean}\log D(x) - \mathrm{mean}\log(1 - D(G(z)))` on a fresh
  real batch and fresh z;
* :func:`g_step` lowers G's loss (non-saturating by default) on fresh z.

Both use Adam, created inside :func:`train` from the config (Radford et al.
2016: ``lr = 2e-4``, ``betas = (0.5, 0.999)``).

**Randomness.** One ``torch.Generator`` on the CPU, seeded with
``config.seed``, draws everything the loop samples, in this order per step:
for each D update the indices of the real batch (uniformly *with
replacement*, so there are no epochs to keep track of) or the toy sampler's
draw, then z; for each G update, z. Numbers are drawn on the CPU and then
moved to the device, so a run draws the same z on CPU and GPU. Dropout in D
draws from torch's global RNG: seed it first (``seed_everything``), as the
lessons' setup cell does, for a run that repeats exactly.

**Checkpoints** (:func:`save_checkpoint`, :func:`load_checkpoint`) hold
everything needed to continue a run *exactly*: both models' and optimisers'
states, the state of the generator above, torch's global RNG state (and
CUDA's, when CUDA is in use), the step and the history. Training N steps in
one go, or N/2 steps then N/2 more from the checkpoint, gives the same
weights on the CPU (tested).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator, Sequence

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .losses import G_LOSSES, d_loss, get_g_loss
from .utils import check_betas, check_choice, check_finite, check_int, check_positive, check_unit_interval

__all__ = [
    "TrainConfig",
    "make_optimizer",
    "d_step",
    "g_step",
    "sample_batch",
    "train",
    "HISTORY_COLUMNS",
    "SampleEvery",
    "MetricEvery",
    "architecture_signature",
    "save_checkpoint",
    "load_checkpoint",
]

#: The columns of the history :func:`train` returns.
HISTORY_COLUMNS = ("step", "loss_d", "loss_g", "d_real", "d_fake", "seconds")

#: A callback: ``cb(step, G, D, row)``, called after every step.
Callback = Callable[[int, nn.Module, nn.Module, dict], None]


@dataclass(frozen=True)
class TrainConfig:
    """Every option of :func:`train`. Invalid values raise ``ValueError`` naming the field.

    * ``num_steps``: training steps (each: ``d_steps`` D updates, then ``g_steps`` G updates).
    * ``batch_size``: examples per real batch and per batch of z.
    * ``lr_g``, ``lr_d``, ``betas``: Adam's settings for G and D.
    * ``optimizer``: ``"adam"`` (default) or ``"sgd"`` (SGD with ``momentum``,
      as in Goodfellow et al. 2014).
    * ``g_loss``: ``"non_saturating"`` or ``"minimax"`` (see :mod:`gan_helpers.losses`).
    * ``real_label``: D's target for reals; < 1 is one-sided label smoothing.
    * ``detach``: False reproduces the missing ``.detach()`` (see :func:`d_step`).
    * ``log_every``: keep a history row every this many steps.
    * ``checkpoint_every``: with ``train(..., checkpoint=path)``, also save every
      this many steps (0: only at the end).
    * ``seed``: seeds the generator of real batches and z.
    """

    num_steps: int = 1000
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    d_steps: int = 1
    g_steps: int = 1
    g_loss: str = "non_saturating"
    real_label: float = 1.0
    detach: bool = True
    log_every: int = 1
    checkpoint_every: int = 0
    seed: int = 0
    optimizer: str = "adam"
    momentum: float = 0.5

    def __post_init__(self) -> None:
        check_int("num_steps", self.num_steps, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_positive("lr_g", self.lr_g)
        check_positive("lr_d", self.lr_d)
        object.__setattr__(self, "betas", check_betas("betas", self.betas))
        check_int("d_steps", self.d_steps, minimum=1)
        check_int("g_steps", self.g_steps, minimum=1)
        check_choice("g_loss", self.g_loss, G_LOSSES)
        check_unit_interval("real_label", self.real_label)
        if not isinstance(self.detach, bool):
            raise ValueError(f"detach must be True or False, got {self.detach!r}")
        check_int("log_every", self.log_every, minimum=1)
        check_int("checkpoint_every", self.checkpoint_every, minimum=0)
        check_int("seed", self.seed, minimum=0)
        check_choice("optimizer", self.optimizer, ("adam", "sgd"))
        momentum = check_finite("momentum", self.momentum)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")


def make_optimizer(model: nn.Module, lr: float, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimiser ``config`` asks for: Adam(lr, betas) or SGD(lr, momentum).

    ``foreach=True`` updates all parameters with a few batched operations
    instead of a Python loop over them: the same numbers (tested), and less
    time per step for the small MLPs of lesson 4 on a CPU (torch uses it by
    default only on CUDA).
    """
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=config.momentum, foreach=True)
    return torch.optim.Adam(model.parameters(), lr=lr, betas=config.betas, foreach=True)


# ----------------------------------------------------------------------------
# The two steps
# ----------------------------------------------------------------------------


def d_step(
    G: nn.Module,
    D: nn.Module,
    opt_d: torch.optim.Optimizer,
    x_real: torch.Tensor,
    z: torch.Tensor,
    real_label: float = 1.0,
    detach: bool = True,
) -> dict[str, float]:
    """One update of D on a real batch ``x_real`` and fakes ``G(z)``.

    Returns ``loss_d`` and D's mean probabilities ``d_real`` (on the reals)
    and ``d_fake`` (on the fakes), as floats.

    ``detach=False`` is the classic missing ``.detach()``: D's loss then
    back-propagates into G too, and the gradients pile up in G's ``.grad``
    (over all D updates of a step). :func:`g_step` clears them
    (``opt_g.zero_grad()``) before G's own backward pass, so here the bug
    costs a backward pass through G per D update but leaves G's update
    unchanged; in code that zeroes G's gradients only after G's step, they
    would be added to G's update and push G to *help* D.
    """
    x_fake = G(z)  # (B, *shape)
    if detach:
        x_fake = x_fake.detach()  # D's loss must not reach G's weights
    real_logits, fake_logits = D(x_real), D(x_fake)  # (B,), (B,)
    loss = d_loss(real_logits, fake_logits, real_label=real_label)
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    return {
        "loss_d": loss.item(),
        "d_real": torch.sigmoid(real_logits.detach()).mean().item(),
        "d_fake": torch.sigmoid(fake_logits.detach()).mean().item(),
    }


def g_step(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    z: torch.Tensor,
    g_loss: str = "non_saturating",
) -> dict[str, float]:
    """One update of G: make D call ``G(z)`` real. Returns ``loss_g`` as a float.

    The backward pass also fills D's ``.grad``; only ``opt_g`` steps, and
    :func:`d_step` zeroes D's gradients before its own backward pass.
    """
    loss = get_g_loss(g_loss)(D(G(z)))  # D(G(z)): (B,) logits
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    return {"loss_g": loss.item()}


def sample_batch(
    data: torch.Tensor | Callable[[int, torch.Generator], torch.Tensor],
    batch_size: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """A real batch: ``batch_size`` rows of the tensor ``data`` drawn with
    replacement, or ``data(batch_size, generator)`` for a toy sampler.

    The result stays on ``data``'s device; :func:`train` moves it.
    """
    if isinstance(data, torch.Tensor):
        idx = torch.randint(len(data), (batch_size,), generator=generator)  # (B,), on the CPU
        return data[idx.to(data.device)]  # (B, ...)
    x = data(batch_size, generator)
    if not isinstance(x, torch.Tensor) or x.dim() == 0 or x.shape[0] != batch_size:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"data(batch_size={batch_size}, generator) must return a tensor ({batch_size}, ...), got {got}")
    return x


# ----------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------


@contextlib.contextmanager
def _eval_mode(*models: nn.Module) -> Iterator[None]:
    """Put ``models`` in eval mode for the block, then restore each one's mode."""
    before = [m.training for m in models]
    for m in models:
        m.eval()
    try:
        yield
    finally:
        for m, was_training in zip(models, before):
            m.train(was_training)


def _device_of(module: nn.Module) -> torch.device:
    for t in module.parameters():
        return t.device
    return torch.device("cpu")


class SampleEvery:
    """Callback: every ``every`` steps, keep ``G(z_fixed)`` in ``.samples``.

    ``.samples`` is a list of ``(step, x)`` with ``x`` (B, *out_shape) on the
    CPU, detached. G runs in eval mode (BatchNorm uses its running
    statistics and is not updated), so sampling does not change training.
    """

    def __init__(self, every: int, z_fixed: torch.Tensor):
        self.every = check_int("every", every, minimum=1)
        if not isinstance(z_fixed, torch.Tensor) or z_fixed.dim() != 2:
            got = tuple(z_fixed.shape) if isinstance(z_fixed, torch.Tensor) else type(z_fixed).__name__
            raise ValueError(f"z_fixed must be a tensor (B, latent_dim), got {got}")
        self.z_fixed = z_fixed
        self.samples: list[tuple[int, torch.Tensor]] = []

    def __call__(self, step: int, G: nn.Module, D: nn.Module, row: dict) -> None:
        if step % self.every == 0:
            with _eval_mode(G), torch.no_grad():
                x = G(self.z_fixed.to(_device_of(G)))
            self.samples.append((step, x.detach().cpu()))


class MetricEvery:
    """Callback: every ``every`` steps, keep ``(step, fn(G, D))`` in ``.results``.

    ``fn`` is called with G and D in eval mode (their modes are restored
    afterwards); it must not change their weights.
    """

    def __init__(self, every: int, fn: Callable[[nn.Module, nn.Module], Any]):
        self.every = check_int("every", every, minimum=1)
        if not callable(fn):
            raise ValueError(f"fn must be callable as fn(G, D), got {fn!r}")
        self.fn = fn
        self.results: list[tuple[int, Any]] = []

    def __call__(self, step: int, G: nn.Module, D: nn.Module, row: dict) -> None:
        if step % self.every == 0:
            with _eval_mode(G, D):
                self.results.append((step, self.fn(G, D)))


# ----------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------


def architecture_signature(G: nn.Module, D: nn.Module) -> dict:
    """Class name and the name and shape of every parameter and buffer of G and D."""
    return {
        name: {"class": type(net).__name__, "shapes": {k: list(v.shape) for k, v in net.state_dict().items()}}
        for name, net in (("G", G), ("D", D))
    }


def _check_architecture(saved: dict, G: nn.Module, D: nn.Module) -> None:
    """``ValueError`` naming the first difference between ``saved`` and G, D's signature."""
    here = architecture_signature(G, D)
    for net in ("G", "D"):
        old, new = saved[net], here[net]
        if old["class"] != new["class"]:
            raise ValueError(f"checkpoint's {net} is a {old['class']}, this {net} is a {new['class']}")
        for name, shape in old["shapes"].items():
            if name not in new["shapes"]:
                raise ValueError(f"checkpoint's {net} has {name!r} (shape {tuple(shape)}), which this {net} lacks")
            if list(new["shapes"][name]) != list(shape):
                raise ValueError(
                    f"{net}'s {name!r} has shape {tuple(shape)} in the checkpoint "
                    f"but {tuple(new['shapes'][name])} here"
                )
        for name in new["shapes"]:
            if name not in old["shapes"]:
                raise ValueError(f"this {net} has {name!r}, which the checkpoint's {net} lacks")


def _check_optimizer(name: str, saved: dict, opt: torch.optim.Optimizer) -> None:
    sizes_saved = [len(g["params"]) for g in saved["param_groups"]]
    sizes_here = [len(g["params"]) for g in opt.param_groups]
    if sizes_saved != sizes_here:
        raise ValueError(
            f"{name} does not match the checkpoint: parameter groups of sizes {sizes_here} here, {sizes_saved} saved"
        )


def save_checkpoint(
    path: str | os.PathLike,
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    step: int,
    history: dict[str, list],
    rng_state: torch.Tensor,
    config: TrainConfig | None = None,
) -> None:
    """Save a run's state to ``path``, atomically.

    ``rng_state`` is ``generator.get_state()`` of the run's data/latent
    generator; torch's global RNG state (and CUDA's, when CUDA has been
    initialised) is added here. ``history`` is a dict of lists. The file is
    written to a temporary file in the same folder, then moved over ``path``
    with ``os.replace``: a crash mid-write leaves the old checkpoint intact.
    It holds only tensors and plain Python values, so it loads with
    ``torch.load(path, weights_only=True)``.
    """
    payload = {
        "step": check_int("step", step, minimum=0),
        "G": G.state_dict(),
        "D": D.state_dict(),
        "opt_g": opt_g.state_dict(),
        "opt_d": opt_d.state_dict(),
        "rng_state": rng_state,
        "torch_rng_state": torch.get_rng_state(),
        "cuda_rng_state": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None,
        "history": {k: list(v) for k, v in history.items()},
        "architecture": architecture_signature(G, D),
        "config": asdict(config) if config is not None else None,
    }
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):  # only when something above failed
            os.remove(tmp)


def load_checkpoint(
    path: str | os.PathLike,
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer | None = None,
    opt_d: torch.optim.Optimizer | None = None,
) -> dict:
    """Load a checkpoint into G, D (and the optimisers, if given); return the rest.

    Loads with ``weights_only=True`` (no arbitrary code runs). Everything is
    checked before anything is loaded: a checkpoint of another architecture
    raises ``ValueError`` naming the first parameter (or buffer) whose name
    or shape differs, and leaves G, D and the optimisers untouched.

    Returns the checkpoint's dict: ``step``, ``history``, ``rng_state``,
    ``torch_rng_state``, ``cuda_rng_state``, ``config`` (and the state dicts).
    RNG states are returned, not applied: :func:`train` applies them.
    """
    state = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    missing = {"step", "G", "D", "opt_g", "opt_d", "rng_state", "history", "architecture"} - set(state)
    if missing:
        raise ValueError(f"{os.fspath(path)!r} is not a training checkpoint: it lacks {sorted(missing)}")
    _check_architecture(state["architecture"], G, D)
    if opt_g is not None:
        _check_optimizer("opt_g", state["opt_g"], opt_g)
    if opt_d is not None:
        _check_optimizer("opt_d", state["opt_d"], opt_d)
    G.load_state_dict(state["G"])
    D.load_state_dict(state["D"])
    if opt_g is not None:
        opt_g.load_state_dict(state["opt_g"])
    if opt_d is not None:
        opt_d.load_state_dict(state["opt_d"])
    return state


# ----------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------


def _check_data(data) -> None:
    if isinstance(data, torch.Tensor):
        if data.dim() == 0 or data.shape[0] == 0:
            raise ValueError(f"data must be a tensor (N, ...) with N >= 1, got shape {tuple(data.shape)}")
        if not data.is_floating_point():
            raise ValueError(f"data must be a floating-point tensor (scaled like G's outputs), got dtype {data.dtype}")
    elif not callable(data):
        raise ValueError(f"data must be a tensor (N, ...) or a sampler data(batch_size, generator), got {data!r}")


def _mean(logs: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each key over a list of dicts with the same keys."""
    return {k: sum(log[k] for log in logs) / len(logs) for k in logs[0]}


def _check_finite_logs(step: int, logs: dict[str, float]) -> None:
    for name, value in logs.items():
        if not math.isfinite(value):
            raise FloatingPointError(
                f"{name} = {value} at step {step}: training diverged (try smaller learning rates)"
            )


def train(
    G: nn.Module,
    D: nn.Module,
    data: torch.Tensor | Callable[[int, torch.Generator], torch.Tensor],
    config: TrainConfig,
    callbacks: Sequence[Callback] = (),
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    device: str | torch.device | None = None,
) -> pd.DataFrame:
    """Train G against D; return the history, one row every ``config.log_every`` steps.

    ``data``: a tensor (N, ...) of real examples, scaled like G's outputs,
    or a sampler ``data(batch_size, generator) -> (batch_size, ...)`` for
    toy distributions (see :func:`sample_batch`). G must have ``.latent_dim``;
    z ~ N(0, I) of shape (batch_size, G.latent_dim).

    History columns (:data:`HISTORY_COLUMNS`): ``step``; ``loss_d``,
    ``d_real``, ``d_fake`` (means over the step's D updates), ``loss_g``
    (mean over its G updates); ``seconds`` since training began. Only steps
    that are multiples of ``log_every`` are kept.

    ``callbacks``: each is called as ``cb(step, G, D, row)`` after every
    step, ``row`` being that step's values (logged or not).

    ``device``: where to train (G and D are moved there, in place); default:
    where G's parameters are. Both nets are in train mode while training
    (dropout on) and are returned in the modes they had.

    ``checkpoint``: a file to save to, every ``config.checkpoint_every``
    steps and at the end. With ``resume=True`` and that file present,
    training continues from it up to ``config.num_steps``: models,
    optimiser moments, RNG states (this sets torch's global RNG state) and
    history come from the file; learning rates and betas from ``config``.
    Callbacks' contents are not saved. With ``resume=False`` an existing
    file is overwritten.

    A non-finite loss raises ``FloatingPointError`` naming the step.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=path (the file to resume from)")
    latent_dim = check_int("G.latent_dim", getattr(G, "latent_dim", None), minimum=1)
    _check_data(data)
    callbacks = tuple(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise ValueError(f"every callback must be callable as cb(step, G, D, row), got {cb!r}")
    device = _device_of(G) if device is None else torch.device(device)
    G.to(device)
    D.to(device)
    modes = (G.training, D.training)

    gen = torch.Generator().manual_seed(config.seed)  # real batches and z
    opt_g = make_optimizer(G, config.lr_g, config)
    opt_d = make_optimizer(D, config.lr_d, config)
    history: dict[str, list] = {col: [] for col in HISTORY_COLUMNS}
    start, seconds_before = 0, 0.0
    if checkpoint is not None and resume and os.path.exists(checkpoint):
        state = load_checkpoint(checkpoint, G, D, opt_g, opt_d)
        for opt, lr in ((opt_g, config.lr_g), (opt_d, config.lr_d)):
            for group in opt.param_groups:  # the config, not the file, sets these
                group["lr"] = lr
                if "betas" in group:
                    group["betas"] = config.betas
        gen.set_state(state["rng_state"])
        torch.set_rng_state(state["torch_rng_state"])
        if state.get("cuda_rng_state") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng_state"])
        history = {col: list(state["history"][col]) for col in HISTORY_COLUMNS}
        start = state["step"]
        seconds_before = history["seconds"][-1] if history["seconds"] else 0.0

    B = config.batch_size
    t0 = time.perf_counter()
    # At most one refresh a second: in a notebook every refresh is a message to the front end,
    # and a cell that sends thousands of them can overflow the kernel's message queue.
    bar = tqdm(total=config.num_steps, initial=start, disable=not progress, desc="training", mininterval=1.0)
    try:
        G.train()
        D.train()
        for step in range(start + 1, config.num_steps + 1):
            d_logs = []
            for _ in range(config.d_steps):
                x_real = sample_batch(data, B, gen).to(device)  # (B, ...)
                z = torch.randn(B, latent_dim, generator=gen).to(device)  # (B, latent_dim)
                d_logs.append(d_step(G, D, opt_d, x_real, z, config.real_label, config.detach))
                _check_finite_logs(step, d_logs[-1])
            g_logs = []
            for _ in range(config.g_steps):
                z = torch.randn(B, latent_dim, generator=gen).to(device)
                g_logs.append(g_step(G, D, opt_g, z, config.g_loss))
                _check_finite_logs(step, g_logs[-1])

            row = {"step": step, **_mean(d_logs), **_mean(g_logs)}
            row["seconds"] = seconds_before + time.perf_counter() - t0
            if step % config.log_every == 0:
                for col in HISTORY_COLUMNS:
                    history[col].append(row[col])
                bar.set_postfix(loss_d=f"{row['loss_d']:.3f}", loss_g=f"{row['loss_g']:.3f}", refresh=False)
            for cb in callbacks:
                cb(step, G, D, row)
            if callbacks:  # a callback may have changed the modes
                G.train()
                D.train()
            bar.update(1)
            every = config.checkpoint_every
            if checkpoint is not None and (step == config.num_steps or (every and step % every == 0)):
                save_checkpoint(checkpoint, G, D, opt_g, opt_d, step, history, gen.get_state(), config)
    finally:
        bar.close()
        G.train(modes[0])
        D.train(modes[1])
    return pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
