"""The training loop: one-step smoke test, step counts, detach, NaN guard, callbacks,
checkpoints and exact resumption, and a 2-D toy that learns."""

import os

import pandas as pd
import pytest
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

from gan_helpers import train as T
from gan_helpers.models import MLPDiscriminator, MLPGenerator

CENTER = torch.tensor([0.6, -0.4])


def blob(batch_size, generator):
    """A toy sampler: a small Gaussian blob around CENTER."""
    return torch.randn(batch_size, 2, generator=generator) * 0.05 + CENTER  # (B, 2)


def tiny(seed=0, g_style="modern", d_style="modern", hidden=(16,)):
    """A small G and D for 2-D data, initialised from ``seed``."""
    torch.manual_seed(seed)
    return MLPGenerator(4, out_shape=(2,), hidden=hidden, style=g_style), MLPDiscriminator((2,), (16,), style=d_style)


@pytest.fixture(autouse=True)
def _tiny_nets_run_on_one_thread(one_thread):
    """These nets are tiny: one CPU thread is fastest, and does not fight other processes."""


@pytest.fixture
def data():
    return blob(256, torch.Generator().manual_seed(0))  # (256, 2), a tensor of real examples


def config(**options):
    return T.TrainConfig(**{"num_steps": 4, "batch_size": 8, "lr_g": 1e-3, "lr_d": 1e-3, **options})


def states_equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# ----------------------------------------------------------------------------
# Config and the two steps
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, field",
    [
        ({"num_steps": 0}, "num_steps"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"lr_g": 0}, "lr_g"),
        ({"lr_d": -1e-3}, "lr_d"),
        ({"betas": (0.5,)}, "betas"),
        ({"betas": (0.5, 1.0)}, "betas\\[1\\]"),
        ({"d_steps": 0}, "d_steps"),
        ({"g_steps": 0}, "g_steps"),
        ({"objective": "wasserstein"}, "objective"),
        ({"objective": "wgan", "real_label": 0.9}, "real_label"),
        ({"optimizer": "adagrad"}, "optimizer"),
        ({"real_label": 1.1}, "real_label"),
        ({"detach": "yes"}, "detach"),
        ({"log_every": 0}, "log_every"),
        ({"checkpoint_every": -1}, "checkpoint_every"),
        ({"seed": -1}, "seed"),
    ],
)
def test_config_rejects_bad_values_naming_the_field(options, field):
    with pytest.raises(ValueError, match=field):
        config(**options)


def test_d_step_and_g_step_return_floats():
    G, D = tiny()
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    z = torch.randn(8, 4)
    logs = T.d_step(G, D, opt_d, blob(8, torch.Generator().manual_seed(1)), z, real_label=0.9)
    assert set(logs) == {"loss_d", "d_real", "d_fake"} and all(isinstance(v, float) for v in logs.values())
    assert 0 < logs["d_real"] < 1 and 0 < logs["d_fake"] < 1
    for objective in ("non_saturating", "minimax"):
        logs = T.g_step(G, D, opt_g, z, objective=objective)
        assert set(logs) == {"loss_g"} and isinstance(logs["loss_g"], float)
    assert T.g_step(G, D, opt_g, z, "minimax")["loss_g"] <= 0


def test_detach_false_leaves_gradients_in_g_after_a_d_step_and_detach_true_does_not():
    x_real, z = blob(8, torch.Generator().manual_seed(1)), torch.randn(8, 4)
    for detach in (True, False):
        G, D = tiny()
        T.d_step(G, D, torch.optim.Adam(D.parameters()), x_real, z, detach=detach)
        leaked = [p.grad for p in G.parameters() if p.grad is not None and p.grad.abs().sum() > 0]
        assert bool(leaked) == (not detach)


def test_without_detach_g_update_is_unchanged_here_because_g_step_zeroes_first(data):
    # The claim of d_step's docstring: in this loop the bug costs time, not correctness.
    runs = []
    for detach in (True, False):
        G, D = tiny()
        torch.manual_seed(5)
        T.train(G, D, data, config(num_steps=5, detach=detach), progress=False)
        runs.append((G, D))
    assert states_equal(runs[0][0], runs[1][0]) and states_equal(runs[0][1], runs[1][1])


# ----------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------


def test_one_step_smoke(data):
    G, D = tiny()
    before = [p.detach().clone() for p in G.parameters()]
    history = T.train(G, D, data, config(num_steps=1), progress=False, device="cpu")
    assert isinstance(history, pd.DataFrame) and len(history) == 1
    assert history.step.tolist() == [1]
    assert history.drop(columns="step").notna().all().all()
    assert any(not torch.equal(p, q) for p, q in zip(before, G.parameters()))
    assert G.training and D.training  # modes restored (new modules train by default)


def test_history_columns_and_log_every(data):
    G, D = tiny()
    G.eval()
    history = T.train(G, D, data, config(num_steps=6, log_every=2), progress=True)
    assert list(history.columns) == ["step", "loss_d", "loss_g", "d_real", "d_fake", "seconds"]
    assert history.step.tolist() == [2, 4, 6]
    assert history.seconds.is_monotonic_increasing
    assert not G.training and D.training  # each back in the mode it had


def test_d_steps_and_g_steps_set_the_number_of_optimizer_steps(data):
    G, D = tiny()
    g_params = {id(p) for p in G.parameters()}
    counts = {"G": 0, "D": 0}

    def count(optimizer, args, kwargs):
        params = optimizer.param_groups[0]["params"]
        counts["G" if id(params[0]) in g_params else "D"] += 1

    handle = register_optimizer_step_post_hook(count)
    try:
        T.train(G, D, data, config(num_steps=4, d_steps=3, g_steps=2), progress=False)
    finally:
        handle.remove()
    assert counts == {"D": 12, "G": 8}


def test_a_non_finite_loss_stops_training_naming_the_step(data):
    class NaNFromCall(nn.Module):
        """A D whose logits become NaN from its ``k``-th call on (3 calls per step)."""

        def __init__(self, k):
            super().__init__()
            self.w, self.k, self.calls = nn.Parameter(torch.ones(2)), k, 0

        def forward(self, x):
            self.calls += 1
            logits = x @ self.w  # (B,)
            return logits * float("nan") if self.calls >= self.k else logits

    G, _ = tiny()
    with pytest.raises(FloatingPointError, match="loss_d = nan at step 3"):
        T.train(G, NaNFromCall(7), data, config(num_steps=5), progress=False)
    with pytest.raises(FloatingPointError, match="loss_g = nan at step 1"):
        T.train(G, NaNFromCall(3), data, config(num_steps=5), progress=False)


def test_callbacks_are_called_every_step_and_sampling_does_not_change_training(data):
    G, D = tiny()
    rows = []
    z_fixed = torch.randn(10, 4)
    samples = T.SampleEvery(2, z_fixed)
    metric = T.MetricEvery(3, lambda G, D: D(G(z_fixed)).mean().item())
    torch.manual_seed(1)
    T.train(
        G,
        D,
        data,
        config(num_steps=6, log_every=3),
        callbacks=[lambda step, G, D, row: rows.append(row), samples, metric],
        progress=False,
    )
    assert [row["step"] for row in rows] == [1, 2, 3, 4, 5, 6]  # every step, logged or not
    assert set(rows[0]) == set(T.HISTORY_COLUMNS)
    assert [step for step, _ in samples.samples] == [2, 4, 6]
    x = samples.samples[-1][1]
    assert x.shape == (10, 2) and x.device.type == "cpu" and not x.requires_grad
    assert [step for step, _ in metric.results] == [3, 6]

    G2, D2 = tiny()  # the same run without callbacks
    torch.manual_seed(1)
    T.train(G2, D2, data, config(num_steps=6, log_every=3), progress=False)
    assert states_equal(G, G2) and states_equal(D, D2)


def test_bad_arguments_name_the_problem(data):
    G, D = tiny()
    with pytest.raises(ValueError, match="config must be a TrainConfig"):
        T.train(G, D, data, {"num_steps": 1}, progress=False)
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        T.train(G, D, data, config(), resume=True, progress=False)
    with pytest.raises(ValueError, match="floating-point"):
        T.train(G, D, data.long(), config(), progress=False)
    with pytest.raises(ValueError, match="data\\(batch_size=8, generator\\) must return"):
        T.train(G, D, lambda n, gen: torch.zeros(n + 1, 2), config(), progress=False)
    with pytest.raises(ValueError, match="G.latent_dim"):
        T.train(nn.Linear(4, 2), D, data, config(), progress=False)
    with pytest.raises(ValueError, match="every"):
        T.SampleEvery(0, torch.randn(2, 4))
    with pytest.raises(ValueError, match="z_fixed"):
        T.SampleEvery(1, torch.randn(4))


def test_a_small_gan_moves_its_samples_to_a_gaussian_blob():
    G, D = tiny(hidden=(32,))
    z = torch.randn(512, 4, generator=torch.Generator().manual_seed(9))

    def distance():  # from the mean of G's samples to the blob's centre
        with torch.no_grad():
            return (G.eval()(z).mean(0) - CENTER).norm().item()

    before = distance()
    torch.manual_seed(0)
    T.train(G, D, blob, config(num_steps=300, batch_size=64, lr_g=2e-3, lr_d=2e-3), progress=False)
    after = distance()
    assert after < 0.25 * before, (before, after)


# ----------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------


def test_checkpoint_round_trip(tmp_path, data):
    G, D = tiny()
    T.train(G, D, data, config(num_steps=3), progress=False)
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    G(torch.randn(8, 4)).sum().backward()  # give the optimisers some state
    opt_g.step()
    rng = torch.Generator().manual_seed(4).get_state()
    history = {"step": [1, 2], "loss_d": [1.0, 0.5]}
    path = tmp_path / "run" / "ckpt.pt"
    T.save_checkpoint(path, G, D, opt_g, opt_d, 7, history, rng)
    assert os.listdir(path.parent) == ["ckpt.pt"]  # no temporary file left behind

    G2, D2 = tiny(seed=1)
    opt_g2, opt_d2 = torch.optim.Adam(G2.parameters()), torch.optim.Adam(D2.parameters())
    state = T.load_checkpoint(path, G2, D2, opt_g2, opt_d2)
    assert states_equal(G, G2) and states_equal(D, D2)
    assert state["step"] == 7 and state["history"] == history and torch.equal(state["rng_state"], rng)
    assert opt_g2.state_dict()["state"][0]["step"] == opt_g.state_dict()["state"][0]["step"]


def test_the_saved_file_loads_with_weights_only(tmp_path, data):
    G, D = tiny(g_style="modern-vbn", d_style="2014")
    path = tmp_path / "ckpt.pt"
    T.train(G, D, data, config(num_steps=2), checkpoint=path, progress=False)
    state = torch.load(path, weights_only=True)
    assert state["step"] == 2 and state["config"]["num_steps"] == 2
    assert state["architecture"]["G"]["class"] == "MLPGenerator"
    assert state["architecture"]["G"]["shapes"]["net.0.weight"] == [16, 4]
    assert set(state["history"]) == set(T.HISTORY_COLUMNS)


def test_a_failed_save_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch, data):
    G, D = tiny()
    path = tmp_path / "ckpt.pt"
    T.train(G, D, data, config(num_steps=2), checkpoint=path, progress=False)
    old = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(T.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        T.train(G, D, data, config(num_steps=2), checkpoint=path, progress=False)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["ckpt.pt"]


@pytest.mark.parametrize("net", ["G", "D"])
def test_another_architecture_raises_and_leaves_both_models_untouched(tmp_path, data, net):
    G, D = tiny()
    path = tmp_path / "ckpt.pt"
    T.train(G, D, data, config(num_steps=2), checkpoint=path, progress=False)

    torch.manual_seed(3)
    G2 = MLPGenerator(4, (2,), (8,) if net == "G" else (16,))
    D2 = MLPDiscriminator((2,), (8,) if net == "D" else (16,))
    before_g, before_d = (
        {k: v.clone() for k, v in G2.state_dict().items()},
        {k: v.clone() for k, v in D2.state_dict().items()},
    )
    with pytest.raises(
        ValueError, match=f"{net}'s 'net.0.weight' has shape \\(16, .\\) in the checkpoint but \\(8, .\\) here"
    ):
        T.load_checkpoint(path, G2, D2)
    assert all(torch.equal(v, before_g[k]) for k, v in G2.state_dict().items())
    assert all(torch.equal(v, before_d[k]) for k, v in D2.state_dict().items())

    with pytest.raises(ValueError, match="checkpoint's G is a MLPGenerator, this G is a Linear"):
        T.load_checkpoint(path, nn.Linear(4, 2), D)


@pytest.mark.parametrize("g_style, d_style", [("modern", "modern"), ("2014", "2014"), ("modern-vbn", "modern")])
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path, data, g_style, d_style):
    N = 10
    cfg = config(num_steps=N, d_steps=2, log_every=1, checkpoint_every=3)

    G_full, D_full = tiny(0, g_style, d_style)
    torch.manual_seed(123)  # D's dropout draws from the global RNG
    full = T.train(G_full, D_full, data, cfg, progress=False)

    path = tmp_path / "ckpt.pt"
    G, D = tiny(0, g_style, d_style)
    torch.manual_seed(123)
    T.train(G, D, data, config(**{**cfg.__dict__, "num_steps": N // 2}), checkpoint=path, progress=False)

    G, D = tiny(7, g_style, d_style)  # fresh models: the checkpoint must overwrite everything
    torch.manual_seed(999)  # and the global RNG state comes from the checkpoint too
    resumed = T.train(G, D, data, cfg, checkpoint=path, resume=True, progress=False)

    assert states_equal(G, G_full) and states_equal(D, D_full)
    cols = ["step", "loss_d", "loss_g", "d_real", "d_fake"]
    pd.testing.assert_frame_equal(resumed[cols], full[cols])
    assert torch.load(path, weights_only=True)["step"] == N


def test_optimizer_option_builds_sgd_adam_or_rmsprop():
    from gan_helpers import models
    from gan_helpers.train import TrainConfig, make_optimizer

    D = models.MLPDiscriminator(in_shape=(2,), hidden=(4,))
    sgd = make_optimizer(D, 0.1, TrainConfig(optimizer="sgd", momentum=0.7))
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.7
    adam = make_optimizer(D, 0.1, TrainConfig())
    assert isinstance(adam, torch.optim.Adam) and adam.param_groups[0]["betas"] == (0.5, 0.999)
    assert make_optimizer(D, 0.1, TrainConfig(betas=(0.0, 0.9))).param_groups[0]["betas"] == (0.0, 0.9)
    rmsprop = make_optimizer(D, 5e-5, TrainConfig(optimizer="rmsprop"))
    assert isinstance(rmsprop, torch.optim.RMSprop) and rmsprop.param_groups[0]["lr"] == 5e-5
    assert make_optimizer(D, 0.1, TrainConfig(optimizer="sgd")).param_groups[0]["momentum"] == 0.5
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="adagrad")
    with pytest.raises(ValueError, match="momentum"):
        TrainConfig(optimizer="sgd", momentum=1.0)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_make_optimizer_batched_update_gives_the_same_weights_as_a_loop(optimizer):
    cfg = T.TrainConfig(optimizer=optimizer, momentum=0.5)
    nets = []
    for make in (
        lambda m: T.make_optimizer(m, 1e-2, cfg),
        lambda m: (
            torch.optim.SGD(m.parameters(), lr=1e-2, momentum=0.5, foreach=False)
            if optimizer == "sgd"
            else torch.optim.Adam(m.parameters(), lr=1e-2, betas=cfg.betas, foreach=False)
        ),
    ):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 1))
        opt = make(net)
        g = torch.Generator().manual_seed(1)
        for _ in range(20):
            loss = net(torch.randn(16, 5, generator=g)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        nets.append(net)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_training_runs_in_train_mode_even_when_a_callback_switches_modes(data):
    G, D = tiny()
    seen = []
    G.register_forward_hook(lambda module, args, out: seen.append(module.training))
    D.register_forward_hook(lambda module, args, out: seen.append(module.training))

    def evaluate(step, G, D, row):  # a careless callback: leaves both in eval mode
        G.eval()
        D.eval()
        seen.append("callback")

    T.train(G, D, data, config(num_steps=3), callbacks=[evaluate], progress=False)
    assert seen.count("callback") == 3
    assert all(s is True for s in seen if s != "callback")  # every forward pass of training in train mode
