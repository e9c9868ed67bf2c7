"""Objectives and the one loop: each loss against its formula by hand (float64), the penalties
against closed forms, the loop's old histories reproduced exactly, conditional batches, bad input."""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import torch
from torch import nn

from gan_helpers import objectives, wgan
from gan_helpers import train as T
from gan_helpers.models import MLPDiscriminator, MLPGenerator

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _tiny_nets_run_on_one_thread(one_thread):
    """These nets are tiny: one CPU thread is fastest, and does not fight other processes."""


@pytest.fixture
def outputs():
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(40, generator=gen, dtype=torch.float64) * 2
    fake = torch.randn(24, generator=gen, dtype=torch.float64) * 2 - 0.5
    return real, fake


def _log_sigmoid(v):
    return torch.log(1 / (1 + torch.exp(-v)))


# ----------------------------------------------------------------------------
# The losses, by hand
# ----------------------------------------------------------------------------


def test_bce_objectives_match_the_value_function_by_hand(outputs):
    real, fake = outputs
    d_by_hand = -_log_sigmoid(real).mean() - torch.log(1 - 1 / (1 + torch.exp(-fake))).mean()
    for name in ("minimax", "non_saturating"):
        torch.testing.assert_close(objectives.get(name).d_loss(real, fake), d_by_hand, rtol=1e-12, atol=0)
    torch.testing.assert_close(objectives.get("minimax").g_loss(fake), torch.log(1 - torch.sigmoid(fake)).mean())
    torch.testing.assert_close(objectives.get("non_saturating").g_loss(fake), -_log_sigmoid(fake).mean())
    # one-sided label smoothing: target 0.8 on the reals only
    s = 0.8
    smoothed = -(s * _log_sigmoid(real) + (1 - s) * _log_sigmoid(-real)).mean() - _log_sigmoid(-fake).mean()
    torch.testing.assert_close(objectives.get("non_saturating").d_loss(real, fake, real_label=s), smoothed)


def test_hinge_objective_matches_its_formula_by_hand(outputs):
    real, fake = outputs
    by_hand = sum(max(0.0, 1 - r) for r in real.tolist()) / len(real) + sum(
        max(0.0, 1 + f) for f in fake.tolist()
    ) / len(fake)
    assert objectives.get("hinge").d_loss(real, fake).item() == pytest.approx(by_hand, rel=1e-12)
    assert objectives.get("hinge").g_loss(fake).item() == pytest.approx(-sum(fake.tolist()) / len(fake), rel=1e-12)
    # past the margin a sample contributes nothing
    assert objectives.get("hinge").d_loss(torch.tensor([1.5, 3.0]), torch.tensor([-2.0, -1.0])).item() == 0.0


def test_wasserstein_objectives_match_their_formulas_by_hand(outputs):
    real, fake = outputs
    mean = lambda v: sum(v.tolist()) / len(v)  # noqa: E731
    for name in ("wgan", "wgan-gp"):
        obj = objectives.get(name)
        assert obj.d_loss(real, fake).item() == pytest.approx(mean(fake) - mean(real), rel=1e-12)
        assert obj.g_loss(fake).item() == pytest.approx(-mean(fake), rel=1e-12)
        logs = obj.d_logs(real, fake)
        assert logs["wasserstein"] == pytest.approx(mean(real) - mean(fake), rel=1e-12)
        assert (logs["score_real"], logs["score_fake"]) == pytest.approx((mean(real), mean(fake)), rel=1e-12)


def test_bce_logs_are_mean_probabilities(outputs):
    real, fake = outputs
    logs = objectives.get("minimax").d_logs(real, fake)
    assert logs["d_real"] == pytest.approx(sum(1 / (1 + math.exp(-v)) for v in real.tolist()) / len(real), rel=1e-12)
    assert logs["d_fake"] == pytest.approx(sum(1 / (1 + math.exp(-v)) for v in fake.tolist()) / len(fake), rel=1e-12)


# ----------------------------------------------------------------------------
# Penalties and the clipping hook, against closed forms
# ----------------------------------------------------------------------------


def test_gradient_penalty_of_a_linear_critic_is_norm_minus_one_squared():
    w = torch.tensor([3.0, 4.0], dtype=torch.float64)  # |w| = 5 everywhere
    critic = lambda x: x @ w  # noqa: E731
    gen = torch.Generator().manual_seed(0)
    x_real, x_fake = torch.randn(16, 2, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64)
    gp = wgan.gradient_penalty(critic, x_real, x_fake, generator=gen)
    assert gp.item() == pytest.approx((5 - 1) ** 2, rel=1e-12)


def test_gradient_penalty_is_taken_at_the_interpolates_it_draws():
    # f(x) = |x|^2 / 2 has gradient x, so GP = mean (|x_hat| - 1)^2 at x_hat = e x_real + (1 - e) x_fake
    critic = lambda x: 0.5 * x.pow(2).sum(dim=(1, 2))  # noqa: E731
    x_real = torch.randn(8, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    x_fake = torch.randn(8, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    eps = torch.rand(8, generator=torch.Generator().manual_seed(7)).double()  # the same draw as inside
    by_hand = [
        (math.sqrt(sum(v * v for v in (e * r + (1 - e) * f).flatten().tolist())) - 1) ** 2
        for e, r, f in zip(eps.tolist(), x_real, x_fake)
    ]
    gp = wgan.gradient_penalty(critic, x_real, x_fake, generator=torch.Generator().manual_seed(7))
    assert gp.item() == pytest.approx(sum(by_hand) / len(by_hand), rel=1e-12)
    assert gp.requires_grad is False or gp.grad_fn is not None  # stays in the graph when the critic has weights


def test_gradient_penalty_reaches_the_critics_weights():
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    gp = wgan.gradient_penalty(lambda x: x @ w, torch.randn(4, 2), torch.randn(4, 2))
    gp.backward()  # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    torch.testing.assert_close(w.grad, 2 * (5 - 1) * torch.tensor([3.0, 4.0]) / 5)


def test_r1_penalty_of_a_quadratic_and_its_gamma_over_two():
    a = 1.5  # f(x) = a * sum x^2, gradient 2 a x
    x = torch.randn(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    critic = lambda v: a * v.pow(2).sum(1)  # noqa: E731
    by_hand = sum(sum((2 * a * v) ** 2 for v in row) for row in x.tolist()) / len(x)
    assert wgan.r1_penalty(critic, x).item() == pytest.approx(by_hand, rel=1e-12)
    terms = objectives.get("hinge", r1_gamma=4.0).penalties(critic, x, x)
    assert set(terms) == {"r1"} and terms["r1"].item() == pytest.approx(4.0 / 2 * by_hand, rel=1e-12)
    assert objectives.get("hinge").penalties(critic, x, x) == {}
    gp_terms = objectives.get("wgan-gp", gp_weight=3.0).penalties(
        lambda v: v @ torch.tensor([0.6, 0.8, 0.0], dtype=torch.float64), x, x
    )
    assert set(gp_terms) == {"gp"} and gp_terms["gp"].item() == pytest.approx(0.0, abs=1e-12)  # |w| = 1


def test_weight_clipping_clamps_only_what_lies_outside():
    D = nn.Linear(3, 1)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[-0.5, 0.003, 0.02]]))
        D.bias.fill_(-0.009)
    objectives.get("wgan", clip=0.01).after_d_step(D)
    assert D.weight[0].tolist() == pytest.approx([-0.01, 0.003, 0.01])
    assert D.bias.item() == pytest.approx(-0.009)


# ----------------------------------------------------------------------------
# The loop with every objective
# ----------------------------------------------------------------------------

CENTER = torch.tensor([0.6, -0.4])
DATA = torch.randn(256, 2, generator=torch.Generator().manual_seed(0)) * 0.05 + CENTER


def tiny(style="modern", hidden=(16,)):
    torch.manual_seed(0)
    return MLPGenerator(4, out_shape=(2,), hidden=hidden, style=style), MLPDiscriminator((2,), (16,), style=style)


def test_the_loop_reproduces_its_histories_from_before_objectives_to_float32_rounding():
    """Recorded with the loop of commit 3afd085 (before objectives): same losses, same weights.

    On the machine that recorded them the histories are bitwise equal. Another CPU's float32
    kernels round a few sums differently (seen: up to 2 ulps of a loss near 1.4, 1.2e-7, on an
    AVX2-only CPU), so the values are compared within 1e-6.
    """
    recorded = json.loads((HERE / "data" / "histories_before_objectives.json").read_text())
    assert len(recorded) == 7
    for name, case in recorded.items():
        options = dict(case["options"])
        G, D = tiny(style=options.pop("style"))
        if "g_loss" in options:
            options["objective"] = options.pop("g_loss")
        config = T.TrainConfig(**{"num_steps": 25, "batch_size": 16, "lr_g": 1e-3, "lr_d": 1e-3, "seed": 3, **options})
        history = T.train(G, D, DATA, config, progress=False)
        for column, values in case["history"].items():
            assert [float(v) for v in history[column]] == pytest.approx(values, rel=1e-6, abs=1e-6), (name, column)
        weights = torch.cat([p.detach().flatten() for p in G.parameters()]).tolist()
        assert weights == pytest.approx(case["g_weights"], rel=1e-6, abs=1e-6), name


@pytest.mark.parametrize(
    "objective, columns",
    [
        ("minimax", ["d_real", "d_fake"]),
        ("hinge", ["score_real", "score_fake"]),
        ("wgan", ["score_real", "score_fake", "wasserstein"]),
        (objectives.get("wgan-gp", r1_gamma=1.0), ["score_real", "score_fake", "wasserstein", "r1", "gp"]),
    ],
)
def test_each_objective_logs_its_columns(objective, columns):
    G, D = tiny()
    config = T.TrainConfig(num_steps=3, batch_size=8, objective=objective)
    history = T.train(G, D, DATA, config, progress=False)
    assert list(history.columns) == ["step", "loss_d", "loss_g", *columns, "seconds"]
    assert list(history.columns) == list(T.history_columns(objective))
    assert history.notna().all().all()


def test_wgan_keeps_every_critic_weight_inside_the_clip():
    G, D = tiny()
    config = T.TrainConfig(
        num_steps=5, batch_size=8, objective=objectives.get("wgan", clip=0.02), optimizer="rmsprop", lr_d=0.1
    )
    T.train(G, D, DATA, config, progress=False)
    biggest = max(p.abs().max().item() for p in D.parameters())
    assert biggest == pytest.approx(0.02)  # lr 0.1 pushes weights to the clip; none beyond


def test_d_step_loss_is_the_objective_loss_plus_its_penalty_on_the_same_outputs():
    G, D = tiny()
    G.eval(), D.eval()  # no dropout, BatchNorm's running statistics: the same outputs on every call
    x_real, z = DATA[:16], torch.randn(16, 4, generator=torch.Generator().manual_seed(5))
    obj = objectives.get("wgan-gp", gp_weight=10.0)
    with torch.no_grad():
        real_out, fake_out = D(x_real), D(G(z))
    gp = wgan.gradient_penalty(D, x_real, G(z).detach(), generator=torch.Generator().manual_seed(11)).item()
    logs = T.d_step(
        G, D, torch.optim.SGD(D.parameters(), lr=0.0), x_real, z, obj, generator=torch.Generator().manual_seed(11)
    )
    assert logs["gp"] == pytest.approx(10.0 * gp, rel=1e-6)
    assert logs["loss_d"] == pytest.approx((fake_out.mean() - real_out.mean()).item() + 10.0 * gp, rel=1e-6)
    # label smoothing reaches the loss: the BCE loss with real_label 0.9 on the same outputs
    logs = T.d_step(G, D, torch.optim.SGD(D.parameters(), lr=0.0), x_real, z, real_label=0.9)
    expected = objectives.get("non_saturating").d_loss(real_out, fake_out, real_label=0.9).item()
    assert logs["loss_d"] == pytest.approx(expected, rel=1e-6)
    assert logs["loss_d"] != pytest.approx(objectives.get("non_saturating").d_loss(real_out, fake_out).item(), rel=1e-3)


def test_hinge_also_moves_samples_to_a_blob():
    G, D = tiny(hidden=(32,))
    z = torch.randn(512, 4, generator=torch.Generator().manual_seed(9))

    def distance():
        with torch.no_grad():
            return (G.eval()(z).mean(0) - CENTER).norm().item()

    before = distance()
    sampler = lambda n, gen: torch.randn(n, 2, generator=gen) * 0.05 + CENTER  # noqa: E731
    config = T.TrainConfig(num_steps=300, batch_size=64, lr_g=2e-3, lr_d=2e-3, objective="hinge")
    T.train(G, D, sampler, config, progress=False)
    assert distance() < 0.25 * before, (before, distance())


def test_a_wgan_gp_critic_estimates_the_wasserstein_distance_of_two_gaussians():
    # N(0, 1) against N(2, 1): W1 = 2, reached by the critic f(x) = -x (slope 1, as GP asks)
    torch.manual_seed(0)
    D = MLPDiscriminator((1,), (32,), dropout=0.0)
    opt = torch.optim.Adam(D.parameters(), lr=1e-2, betas=(0.0, 0.9))
    gen = torch.Generator().manual_seed(0)
    shift = lambda z: z + 2.0  # noqa: E731  (a G with nothing to train)
    for _ in range(400):
        x, z = torch.randn(256, 1, generator=gen), torch.randn(256, 1, generator=gen)
        T.d_step(shift, D, opt, x, z, "wgan-gp", generator=gen)
    x, z = torch.randn(20_000, 1, generator=gen), torch.randn(20_000, 1, generator=gen)
    with torch.no_grad():
        estimate = (D(x).mean() - D(shift(z)).mean()).item()
    assert estimate == pytest.approx(2.0, abs=0.15)


def test_resume_with_wgan_gp_gives_the_same_weights(tmp_path):
    config = dict(batch_size=8, objective="wgan-gp", d_steps=2)
    G1, D1 = tiny()
    T.train(G1, D1, DATA, T.TrainConfig(num_steps=6, **config), progress=False)
    G2, D2 = tiny()
    T.train(G2, D2, DATA, T.TrainConfig(num_steps=3, **config), checkpoint=tmp_path / "c.pt", progress=False)
    G3, D3 = tiny()
    T.train(
        G3, D3, DATA, T.TrainConfig(num_steps=6, **config), checkpoint=tmp_path / "c.pt", resume=True, progress=False
    )
    for a, b in ((G1, G3), (D1, D3)):
        assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    saved = torch.load(tmp_path / "c.pt", weights_only=True)["config"]
    assert saved["objective"] == {"name": "wgan-gp", "r1_gamma": 0.0, "gp_weight": 10.0}


# ----------------------------------------------------------------------------
# Class-conditional batches
# ----------------------------------------------------------------------------


class CondG(nn.Module):
    """A tiny conditional G that records the classes it is asked for."""

    latent_dim, num_classes = 4, 3

    def __init__(self):
        super().__init__()
        self.embed, self.net, self.seen = nn.Embedding(3, 4), nn.Linear(8, 2), []

    def forward(self, z, y):
        self.seen.append(y.clone())
        return self.net(torch.cat([z, self.embed(y)], dim=1))  # (B, 2)


class CondD(nn.Module):
    """A tiny conditional D that records the (x, y) pairs it sees."""

    num_classes = 3

    def __init__(self):
        super().__init__()
        self.embed, self.net, self.seen = nn.Embedding(3, 2), nn.Linear(4, 1), []

    def forward(self, x, y):
        self.seen.append((x.detach().clone(), y.clone()))
        return self.net(torch.cat([x, self.embed(y)], dim=1)).squeeze(1)  # (B,)


def test_conditional_batches_keep_each_example_with_its_own_label():
    torch.manual_seed(0)
    G, D = CondG(), CondD()
    y = torch.arange(256) % 3
    x = torch.stack([y.float(), torch.arange(256).float()], dim=1)  # x[:, 0] is the label
    T.train(G, D, (x, y), T.TrainConfig(num_steps=3, batch_size=16), progress=False)
    real_calls = D.seen[0::3]  # per step: D(x_real, y), D(x_fake, y), then D(G(z, y), y) in G's step
    assert len(real_calls) == 3
    for xs, ys in real_calls:
        assert torch.equal(xs[:, 0], ys.float())
        assert len(set(xs[:, 1].tolist())) > 1  # a random batch, not one example repeated


def test_sample_every_passes_the_fixed_classes_to_a_conditional_g():
    G, D = CondG(), CondD()
    y_fixed = torch.tensor([0, 1, 2, 2])
    cb = T.SampleEvery(1, torch.randn(4, 4), y_fixed=y_fixed)
    cb(1, G, D, {})
    assert torch.equal(G.seen[-1], y_fixed) and cb.samples[0][1].shape == (4, 2)
    with pytest.raises(ValueError, match="y_fixed"):
        T.SampleEvery(1, torch.randn(4, 4), y_fixed=torch.tensor([0, 1]))


def test_conditional_training_uses_the_real_classes_for_d_and_draws_classes_for_g():
    torch.manual_seed(0)
    G, D = CondG(), CondD()
    y = torch.full((256,), 2)  # every real example is of class 2
    T.train(G, D, (DATA, y), T.TrainConfig(num_steps=4, batch_size=30), progress=False)
    d_calls, g_calls = G.seen[0::2], G.seen[1::2]  # per step: one call in D's step, then one in G's
    assert all((c == 2).all() for c in d_calls)  # D's fakes take the real batch's classes
    drawn = torch.cat(g_calls)
    assert set(drawn.tolist()) == {0, 1, 2}  # G's own step draws classes uniformly
    assert abs((drawn == 2).float().mean().item() - 1 / 3) < 0.2


def test_labels_and_conditioning_must_agree():
    G, D = tiny()
    y = torch.zeros(256, dtype=torch.long)
    with pytest.raises(ValueError, match="class labels .* G is unconditional"):
        T.train(G, D, (DATA, y), T.TrainConfig(num_steps=1), progress=False)
    with pytest.raises(ValueError, match="class-conditional .* no labels"):
        T.train(CondG(), CondD(), DATA, T.TrainConfig(num_steps=1), progress=False)
    with pytest.raises(ValueError, match="both be conditional"):
        T.train(CondG(), D, (DATA, y), T.TrainConfig(num_steps=1), progress=False)
    with pytest.raises(ValueError, match="labels y must be an integer"):
        T.train(CondG(), CondD(), (DATA, y.float()), T.TrainConfig(num_steps=1), progress=False)


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------


def test_unknown_objective_or_option_lists_the_choices():
    with pytest.raises(
        ValueError, match=r"objective must be one of \('minimax', 'non_saturating', 'hinge', 'wgan', 'wgan-gp'\)"
    ):
        objectives.get("lsgan")
    with pytest.raises(ValueError, match="option of objective 'wgan' must be one of .*clip"):
        objectives.get("wgan", gp_weight=1.0)
    with pytest.raises(ValueError, match="clip must be > 0"):
        objectives.get("wgan", clip=0.0)
    with pytest.raises(ValueError, match="r1_gamma must be >= 0"):
        objectives.get("minimax", r1_gamma=-1.0)
    with pytest.raises(ValueError, match="label smoothing"):
        T.d_step(
            *tiny(),
            torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1),
            DATA[:4],
            torch.randn(4, 4),
            "hinge",
            real_label=0.9,
        )


def test_a_column_an_objective_names_but_never_logs_fails_at_the_first_step():
    @dataclass(frozen=True)
    class Forgetful(objectives.NonSaturating):
        name: ClassVar[str] = "forgetful"
        _log_columns: ClassVar[tuple] = ("d_real", "d_fake", "margin")  # never logged

    G, D = tiny()
    steps = []
    with pytest.raises(ValueError, match=r"'forgetful' names history columns \['margin'\]"):
        T.train(
            G,
            D,
            DATA,
            T.TrainConfig(num_steps=5, objective=Forgetful()),
            callbacks=[lambda step, *_: steps.append(step)],
            progress=False,
        )
    assert steps == []  # stopped at step 1, before any callback
