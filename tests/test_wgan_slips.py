"""The WGAN slips found in public code, each a test that fails on the slip.

1. The gradient penalty's norm is taken per sample (over all of a sample's
   pixels), not per pixel or per channel: checked against autograd, one
   sample at a time, on a hand-made critic whose gradient differs from
   sample to sample.
2. The interpolation weights are drawn uniform on [0, 1], one per sample,
   and the penalty is taken at points on the segments between reals and
   fakes (not at the reals alone, not with one weight for the whole batch,
   not with one weight per pixel).
3. Weight clipping is really applied for WGAN: after every critic update,
   to every parameter of the critic (biases and normalisation scales too),
   in place, and not to G; WGAN-GP does not clip.
4. The signs: the critic's loss raises its scores on reals and lowers them
   on fakes, G's loss raises the critic's scores on its samples, the penalty
   is added (it pulls the gradient norm towards 1), and the logged estimate
   is mean f(real) - mean f(fake).

Each was planted once in ``gan_helpers/wgan.py`` (or the objective) and seen
to fail the test named for it. tests/test_objectives.py checks the losses'
formulas and the penalties' values on closed forms; these tests check the
places where code that looks right goes wrong.
"""

import math

import pytest
import torch
from scipy import stats
from torch import nn

from gan_helpers import objectives, wgan
from gan_helpers import train as T
from gan_helpers.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_helpers.steps import d_step, g_step


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny networks: one CPU thread is fastest."""


def images(n, seed, shape=(2, 3, 3)):
    return torch.randn(n, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


class Quartic(nn.Module):
    """f(x) = sum a * x^3 / 3 over a sample's pixels: gradient a * x^2, different for every sample and pixel."""

    def __init__(self, shape):
        super().__init__()
        self.a = nn.Parameter(torch.linspace(0.5, 2.0, math.prod(shape), dtype=torch.float64).view(shape))

    def forward(self, x):
        return (self.a * x.pow(3) / 3).flatten(1).sum(1)  # (B,)


class Recorder(nn.Module):
    """A critic that keeps every batch it is called on (a linear map of it, so it has a gradient)."""

    def __init__(self, features):
        super().__init__()
        self.w = nn.Parameter(torch.ones(features, dtype=torch.float64))
        self.seen = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return x.flatten(1) @ self.w  # (B,)


# ----------------------------------------------------------------------------
# 1. The norm per sample
# ----------------------------------------------------------------------------


def test_the_penalty_takes_each_samples_norm_over_all_its_pixels_as_autograd_does_one_sample_at_a_time():
    shape = (2, 3, 3)  # channels, height, width: a per-pixel or per-channel norm would differ
    critic = Quartic(shape)
    x_real, x_fake = images(6, 0, shape), images(6, 1, shape)
    eps = torch.rand(6, generator=torch.Generator().manual_seed(5)).double()  # the draw the penalty makes
    by_autograd = []
    for i in range(6):
        x_hat = (eps[i] * x_real[i] + (1 - eps[i]) * x_fake[i]).unsqueeze(0).requires_grad_(True)  # (1, 2, 3, 3)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
        by_autograd.append((math.sqrt(sum(v * v for v in grad.flatten().tolist())) - 1) ** 2)
    gp = wgan.gradient_penalty(critic, x_real, x_fake, generator=torch.Generator().manual_seed(5))
    assert gp.item() == pytest.approx(sum(by_autograd) / 6, rel=1e-10)
    # the slips give other numbers here: a norm per pixel (over channels), per channel, or of the batch's mean
    x_hat = (eps.view(-1, 1, 1, 1) * x_real + (1 - eps.view(-1, 1, 1, 1)) * x_fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    per_pixel = ((grad.norm(dim=1) - 1) ** 2).mean().item()
    per_channel = ((grad.flatten(2).norm(dim=2) - 1) ** 2).mean().item()
    of_the_mean = (((grad / 6).flatten(1).norm(dim=1) - 1) ** 2).mean().item()
    for wrong in (per_pixel, per_channel, of_the_mean):
        assert abs(wrong - gp.item()) > 0.05 * gp.item(), wrong


def test_the_penalty_of_a_linear_image_critic_is_its_weight_norm_minus_one_squared():
    w = images(1, 3)[0]  # f(x) = <w, x>: gradient w for every sample, norm |w| over all 18 numbers
    critic = lambda x: (x * w).flatten(1).sum(1)  # noqa: E731
    gp = wgan.gradient_penalty(critic, images(5, 4), images(5, 6))
    norm = math.sqrt(sum(v * v for v in w.flatten().tolist()))
    assert gp.item() == pytest.approx((norm - 1) ** 2, rel=1e-12)


# ----------------------------------------------------------------------------
# 2. Where the penalty is taken
# ----------------------------------------------------------------------------


def _weights_on_segments(x_hat, x_real, x_fake):
    """Each x_hat_i as e_i x_real_i + (1 - e_i) x_fake_i: the least-squares e_i and the largest residual."""
    d = (x_real - x_fake).flatten(1)
    e = ((x_hat - x_fake).flatten(1) * d).sum(1) / (d * d).sum(1)  # (B,)
    residual = (x_hat - x_fake).flatten(1) - e[:, None] * d
    return e, residual.abs().max().item()


def test_the_penalty_is_taken_on_the_segments_between_each_real_and_its_fake():
    x_real, x_fake = images(400, 7), images(400, 8)
    critic = Recorder(18)
    wgan.gradient_penalty(critic, x_real, x_fake, generator=torch.Generator().manual_seed(0))
    (x_hat,) = critic.seen
    e, residual = _weights_on_segments(x_hat, x_real, x_fake)
    assert residual < 1e-12  # one weight per sample: a weight per pixel leaves the segment
    assert 0 <= e.min() and e.max() <= 1  # between the two, not beyond
    assert e.std() > 0.2  # not one weight for the whole batch
    assert not torch.allclose(x_hat, x_real) and not torch.allclose(x_hat, x_fake)  # not at the reals (or fakes) alone


def test_the_interpolation_weights_are_uniform_on_0_1():
    x_real, x_fake = images(4000, 9, (3,)), images(4000, 10, (3,))
    critic = Recorder(3)
    wgan.gradient_penalty(critic, x_real, x_fake, generator=torch.Generator().manual_seed(1))
    e, _ = _weights_on_segments(critic.seen[0], x_real, x_fake)
    assert stats.kstest(e.numpy(), "uniform").pvalue > 0.01
    assert e.mean().item() == pytest.approx(0.5, abs=0.02)  # 4,000 draws: standard error 0.0046


def test_the_weights_come_from_the_generator_it_is_given():
    x_real, x_fake = images(50, 11, (2,)), images(50, 12, (2,))
    draws = []
    for seed in (3, 3, 4):
        critic = Recorder(2)
        wgan.gradient_penalty(critic, x_real, x_fake, generator=torch.Generator().manual_seed(seed))
        draws.append(_weights_on_segments(critic.seen[0], x_real, x_fake)[0])
    expected = torch.rand(50, generator=torch.Generator().manual_seed(3)).double()
    torch.testing.assert_close(draws[0], expected, rtol=0, atol=1e-6)
    assert torch.equal(draws[0], draws[1]) and not torch.allclose(draws[0], draws[2])


# ----------------------------------------------------------------------------
# 3. Weight clipping really applied
# ----------------------------------------------------------------------------


def _dcgan_pair(norm="layer"):
    G = DCGANGenerator(4, widths=(8, 4, 4), generator=torch.Generator().manual_seed(0))
    D = DCGANDiscriminator(widths=(4, 8), dropout=0.0, norm=norm, generator=torch.Generator().manual_seed(1))
    return G, D


def test_wgan_clips_every_critic_parameter_after_every_critic_update_and_never_g():
    G, D = _dcgan_pair()
    clip = 0.01
    opt_d = torch.optim.RMSprop(D.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(2)
    data = torch.rand(64, 1, 28, 28, generator=gen) * 2 - 1
    g_before = [p.detach().clone() for p in G.parameters()]
    for _ in range(4):
        d_step(G, D, opt_d, data[torch.randint(64, (16,), generator=gen)], torch.randn(16, 4, generator=gen), "wgan")
        for name, p in D.named_parameters():  # weights, biases and the layer norm's scales and shifts
            assert p.abs().max().item() <= clip, name
    at_clip = sum(int((p.abs() == clip).sum()) for p in D.parameters())
    assert at_clip > 0.5 * sum(p.numel() for p in D.parameters())  # lr 0.05 would have pushed them far beyond
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))  # D's step does not touch G
    assert max(p.abs().max().item() for p in G.parameters()) > 10 * clip  # ... and G is never clipped


def test_the_loop_clips_with_the_objectives_clip_and_wgan_gp_does_not_clip():
    data = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(3)) * 2 - 1
    seen = []
    check = lambda step, G, D, row: seen.append(max(p.abs().max().item() for p in D.parameters()))  # noqa: E731
    G, D = _dcgan_pair()
    config = T.TrainConfig(
        num_steps=3,
        batch_size=16,
        d_steps=5,
        lr_d=0.05,
        optimizer="rmsprop",
        objective=objectives.get("wgan", clip=0.03),
    )
    T.train(G, D, data, config, callbacks=[check], progress=False)
    assert seen == [pytest.approx(0.03)] * 3
    G, D = _dcgan_pair()
    config = T.TrainConfig(num_steps=3, batch_size=16, d_steps=5, lr_d=0.05, optimizer="rmsprop", objective="wgan-gp")
    T.train(G, D, data, config, progress=False)
    assert max(p.abs().max().item() for p in D.parameters()) > 0.1


def test_clip_weights_changes_the_critic_in_place_and_returns_it():
    D = nn.Linear(4, 2)
    ids = [id(p) for p in D.parameters()]
    assert wgan.clip_weights_(D, 1e-3) is D and [id(p) for p in D.parameters()] == ids
    assert all(p.abs().max().item() == pytest.approx(1e-3) for p in D.parameters())


# ----------------------------------------------------------------------------
# 4. The signs
# ----------------------------------------------------------------------------


class Shift(nn.Module):
    """G(z) = z + b: one parameter, which G's step moves."""

    latent_dim = 1

    def __init__(self, b=0.0):
        super().__init__()
        self.b = nn.Parameter(torch.tensor([b]))

    def forward(self, z):
        return z + self.b  # (B, 1)


@pytest.mark.parametrize("name", ["wgan", "wgan-gp"])
def test_the_critics_step_raises_its_scores_on_reals_and_lowers_them_on_fakes(name):
    critic = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        critic.weight.fill_(0.0)
    f = nn.Sequential(critic, nn.Flatten(0))  # f(x) = w x, (B,)
    x_real, z = torch.full((8, 1), 1.0), torch.zeros(8, 1)
    G = Shift(-1.0)  # fakes at -1, reals at +1
    opt = torch.optim.SGD(critic.parameters(), lr=0.1)
    logs = d_step(G, f, opt, x_real, z, objectives.get(name, **({"clip": 10.0} if name == "wgan" else {})))
    w = critic.weight.item()
    assert w > 0  # f(x) = w x: now higher on the reals (+1) than on the fakes (-1)
    with torch.no_grad():
        assert f(x_real).mean() > f(G(z)).mean()
    assert logs["wasserstein"] == pytest.approx(0.0)  # logged before the update: both scores were 0
    if name == "wgan":
        assert w == pytest.approx(0.1 * 2)  # d/dw [mean f(fake) - mean f(real)] = -1 - 1


def test_gs_step_raises_the_critics_scores_on_its_samples():
    G = Shift(0.0)
    critic = lambda x: 3.0 * x.squeeze(1)  # noqa: E731  (f(x) = 3x: G gains by moving right)
    opt = torch.optim.SGD(G.parameters(), lr=0.1)
    logs = g_step(G, critic, opt, torch.zeros(8, 1), "wgan-gp")
    assert logs["loss_g"] == pytest.approx(0.0)
    assert G.b.item() == pytest.approx(0.1 * 3.0)  # -d/db mean f(G(z)) = -3, so b rises by lr * 3


def test_the_penalty_is_added_and_pulls_the_gradient_norm_towards_one():
    for start in (5.0, 0.2):  # too steep and too flat: both move towards slope 1
        critic = nn.Linear(1, 1, bias=False)
        with torch.no_grad():
            critic.weight.fill_(start)
        f = nn.Sequential(critic, nn.Flatten(0))  # f(x) = w x, (B,)
        x = torch.linspace(-1, 1, 8).view(8, 1)
        identity = lambda z: z  # noqa: E731  (fakes = reals: the critic's loss is 0, only the penalty acts)
        logs = d_step(identity, f, torch.optim.SGD(critic.parameters(), lr=0.01), x, x.clone(), "wgan-gp")
        assert logs["gp"] == pytest.approx(10.0 * (start - 1) ** 2, rel=1e-6)
        assert logs["loss_d"] == pytest.approx(logs["gp"], rel=1e-6)  # + lambda GP, not -
        after = critic.weight.item()
        assert abs(after - 1) < abs(start - 1) and (after - 1) * (start - 1) > 0, (start, after)


def test_the_logged_estimate_is_mean_real_minus_mean_fake_and_grows_as_the_critic_learns():
    # in 2-D: in 1-D a penalised critic that starts with the wrong slope can stay there (the penalty walls off slope 0)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    shift = torch.tensor([3.0, 0.0])
    G = lambda z: z + shift  # noqa: E731  (N((3, 0), I) against the reals' N(0, I): W1 = 3)
    D = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1), nn.Flatten(0))
    opt = torch.optim.Adam(D.parameters(), lr=1e-2, betas=(0.5, 0.9))
    estimates = []
    for _ in range(200):
        x, z = torch.randn(128, 2, generator=gen), torch.randn(128, 2, generator=gen)
        estimates.append(d_step(G, D, opt, x, z, "wgan-gp", generator=gen)["wasserstein"])
    # positive (the reals score higher) and near W1; the penalty holds the slope at 1 only softly, so a little above
    assert sum(estimates[-20:]) / 20 == pytest.approx(3.0, rel=0.2)
    assert abs(sum(estimates[:3]) / 3) < 1.0
