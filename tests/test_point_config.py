"""The single-point GAN's options and random draws, against hand values and closed forms."""

import math

import numpy as np
import pytest
import torch

from gan_helpers import point
from gan_helpers import point_config as C


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_named_defaults():
    config = C.PointConfig()
    assert C.ADAM_BETAS == (0.9, 0.999) and config.betas == C.ADAM_BETAS
    assert config.optimizer == "adam" and config.momentum == 0.0
    assert C.SUCCESS_TOL == 0.1


def test_uniforms_per_step_by_hand():
    assert C.PointConfig(batch_size=16).uniforms_per_step == 32
    assert C.PointConfig(batch_size=16, noise_scale=0.5).uniforms_per_step == 34
    assert C.PointConfig(batch_size=4, noise_scale=0.5, noise_draws=8).uniforms_per_step == 24


@pytest.mark.parametrize(
    "w, b, target, expected",
    [
        (0.0, 1.0, 1.0, True),
        (0.099, 1.099, 1.0, True),
        (-0.099, 0.901, 1.0, True),
        (0.1, 1.0, 1.0, False),
        (0.0, 1.1, 1.0, False),
        (0.0, 0.89, 1.0, False),
        (0.05, 2.95, 3.0, True),
        (0.05, 1.0, 3.0, False),
        (0.0, 0.1, 0.0, False),  # |b - target| equal to the tolerance (exactly 0.1 here) is not within it
        (0.0, -0.1, 0.0, False),
    ],
)
def test_is_success_by_hand(w, b, target, expected):
    assert bool(C.is_success(w, b, target)) is expected


def test_is_success_is_elementwise():
    assert C.is_success([0.0, 0.5, 0.0], [1.0, 1.0, 1.2]).tolist() == [True, False, False]
    assert C.is_success(0.15, 1.0, tol=0.2)


def test_sample_inputs_are_uniform_on_minus_one_one():
    x = C.sample_inputs(200_000, _gen(0))
    assert x.shape == (200_000,) and x.min() >= -1 and x.max() < 1
    assert x.mean().item() == pytest.approx(0.0, abs=0.01)
    assert x.var().item() == pytest.approx(1 / 3, abs=0.005)  # variance of U(-1, 1)
    assert ((x > 0.5).double().mean().item()) == pytest.approx(0.25, abs=0.005)


def test_box_muller_by_hand():
    u = torch.tensor([0.5, 0.25, 1 - math.exp(-2.0), 0.0, 0.0, 0.5], dtype=torch.float64)
    z = C.box_muller(u)  # (3, 2)
    r = math.sqrt(2 * math.log(2))  # sqrt(-2 log(1 - 0.5)), angle pi / 2
    np.testing.assert_allclose(z.numpy(), [[0.0, r], [2.0, 0.0], [0.0, 0.0]], atol=1e-12)


def test_sample_normal_uses_two_uniforms_per_pair_in_order():
    z = C.sample_normal(3, _gen(4))
    u = torch.rand(6, generator=_gen(4)).double()
    radius = torch.sqrt(-2 * torch.log(1 - u[0::2]))
    angle = 2 * math.pi * u[1::2]
    np.testing.assert_allclose(
        z.numpy(), torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1).numpy(), atol=1e-5
    )


def test_initial_values_are_nine_uniforms_in_the_documented_order():
    values = C.initial_values(_gen(2), 0.5)
    u = (torch.rand(9, generator=_gen(2)) * 2 - 1) * 0.5
    assert [values[k].tolist() for k in ("w", "b", "d_w1", "d_b1", "d_w2", "d_b2")] == [
        u[0:1].tolist(),
        u[1:2].tolist(),
        u[2:4].tolist(),
        u[4:6].tolist(),
        u[6:8].tolist(),
        u[8:9].tolist(),
    ]
    assert all(v.abs().max() <= 0.5 for v in values.values())
    G, D = point.make_models(_gen(2), 0.5)
    assert G.linear.weight.item() == values["w"].item() and D.out.bias.item() == values["d_b2"].item()
    assert (
        D.hidden.weight[:, 0].tolist() == values["d_w1"].tolist()
        and D.out.weight[0].tolist() == values["d_w2"].tolist()
    )
    G1, _ = point.make_models(_gen(2))  # the default scale is 1: uniforms on [-1, 1]
    assert G1.linear.weight.item() == (torch.rand(1, generator=_gen(2)) * 2 - 1).item()
    with pytest.raises(ValueError, match="^init_scale must be"):
        point.make_models(_gen(2), 0.0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"momentum": 0.5}, "momentum.*sgd"),
        ({"optimizer": "sgd", "momentum": 1.0}, "momentum must be in"),
        ({"optimizer": "sgd", "momentum": -0.1}, "momentum must be in"),
        ({"momentum": math.nan}, "^momentum must be a finite number, got nan$"),
    ],
)
def test_momentum_is_checked(options, message):
    with pytest.raises(ValueError, match=message):
        C.PointConfig(**options)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("num_steps", 0, "num_steps must be an integer >= 1, got 0"),
        ("num_steps", 1.5, "num_steps must be an integer, got 1.5"),
        ("batch_size", 0, "batch_size must be an integer >= 1, got 0"),
        ("target", math.nan, "target must be a finite number, got nan"),
        ("optimizer", "rmsprop", "optimizer must be one of ('adam', 'sgd'), got 'rmsprop'"),
        ("betas", (1.0, 0.9), "betas[0] must be in [0, 1), got 1.0"),
        ("init_scale", 0.0, "init_scale must be > 0, got 0.0"),
        ("real_label", 1.5, "real_label must be in [0, 1], got 1.5"),
        ("fake_label", -0.1, "fake_label must be in [0, 1], got -0.1"),
        ("fake_weight", 0.0, "fake_weight must be > 0, got 0.0"),
        ("d_weight_decay", -1.0, "d_weight_decay must be >= 0, got -1.0"),
        ("noise_scale", -0.1, "noise_scale must be >= 0, got -0.1"),
        ("noise_draws", 0, "noise_draws must be an integer >= 1, got 0"),
        ("r1_gamma", -1.0, "r1_gamma must be >= 0, got -1.0"),
    ],
)
def test_every_field_is_checked_and_named_in_full(field, value, message):
    with pytest.raises(ValueError) as err:
        C.PointConfig(**{field: value})
    assert str(err.value) == message


@pytest.mark.parametrize("draws", [2, 3])
def test_several_noise_draws_without_noise_are_refused_in_full(draws):
    with pytest.raises(ValueError) as err:
        C.PointConfig(noise_draws=draws, noise_scale=0.0)
    assert str(err.value) == (
        f"noise_draws={draws} asks for several noise draws but "
        "noise_scale=0 adds no noise: set noise_scale > 0 or noise_draws=1"
    )
    assert C.PointConfig(noise_draws=draws, noise_scale=0.1).noise_draws == draws


def test_the_smallest_allowed_values_are_accepted():
    config = C.PointConfig(num_steps=1, batch_size=1, noise_draws=1, real_label=1.0, fake_label=0.0, d_weight_decay=0.0)
    assert (config.num_steps, config.batch_size, config.noise_draws) == (1, 1, 1)
