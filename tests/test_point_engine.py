"""The batched arithmetic of the single-point GAN against independent float64 autograd and torch.optim."""

import math

import numpy as np
import pytest
import torch

from gan_helpers import point_engine as E
from gan_helpers.point_config import PointConfig


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _logit(theta_d, v):
    """A second implementation of D's logit, from the column order [u1, u2, c1, c2, a1, a2, c0]."""
    u1, u2, c1, c2, a1, a2, c0 = (theta_d[:, i : i + 1] for i in range(7))  # (R, 1) each
    return a1 * torch.sigmoid(u1 * v + c1) + a2 * torch.sigmoid(u2 * v + c2) + c0  # (R, N)


def _bce(logit, y):
    """-(y log sigma(l) + (1 - y) log(1 - sigma(l))), written out."""
    return -(y * torch.log(torch.sigmoid(logit)) + (1 - y) * torch.log(torch.sigmoid(-logit)))


def test_d_forward_and_discriminator_prob_follow_the_column_order():
    theta_d = torch.randn(3, 7, generator=_gen(0), dtype=torch.float64)
    v = torch.linspace(-2, 3, 11, dtype=torch.float64).expand(3, -1)
    h, logits = E.d_forward(theta_d, v)
    torch.testing.assert_close(logits, _logit(theta_d, v), rtol=0, atol=1e-12)
    torch.testing.assert_close(h[..., 1], torch.sigmoid(theta_d[:, 1:2] * v + theta_d[:, 3:4]), rtol=0, atol=1e-12)
    params = {
        "d_w1": theta_d[:, 0:2].numpy(),
        "d_b1": theta_d[:, 2:4].numpy(),
        "d_w2": theta_d[:, 4:6].numpy(),
        "d_b2": theta_d[:, 6].numpy(),
    }
    prob = E.discriminator_prob(params, np.linspace(-2, 3, 11))
    np.testing.assert_allclose(prob, torch.sigmoid(_logit(theta_d, v)).numpy(), rtol=0, atol=1e-6)
    # one row of values per run
    rows = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    expected = torch.sigmoid(_logit(theta_d, torch.tensor(rows))).numpy()
    np.testing.assert_allclose(E.discriminator_prob(params, rows), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "real_label, fake_label, fake_weight, r1_gamma, draws",
    [(1.0, 0.0, 1.0, 0.0, 1), (0.9, 0.1, 0.5, 0.0, 1), (1.0, 0.0, 1.0, 3.0, 1), (0.8, 0.2, 2.0, 1.5, 3)],
)
def test_d_grad_matches_float64_autograd_of_the_written_out_loss(real_label, fake_label, fake_weight, r1_gamma, draws):
    R, B, T = 4, 5, 1.3
    theta_d = torch.randn(R, 7, generator=_gen(1), dtype=torch.float64)
    fake = torch.randn(R, draws * B, generator=_gen(2), dtype=torch.float64)
    v = torch.cat([torch.full((R, B), T, dtype=torch.float64), fake], 1)
    y = torch.tensor([real_label] * B + [fake_label] * (draws * B), dtype=torch.float64)
    weight = torch.tensor([1.0 / B] * B + [fake_weight / (draws * B)] * (draws * B), dtype=torch.float64)
    loss, grad = E.d_grad(theta_d, v, y, weight, B, fake_weight, r1_gamma, T)

    theta = theta_d.clone().requires_grad_(True)
    real_term = _bce(_logit(theta, v[:, :B]), real_label).mean(1)
    fake_term = _bce(_logit(theta, v[:, B:]), fake_label).mean(1)
    expected = real_term + fake_weight * fake_term  # (R,)
    if r1_gamma > 0:
        at = torch.full((R, 1), T, dtype=torch.float64, requires_grad=True)
        (slope,) = torch.autograd.grad(_logit(theta, at).sum(), at, create_graph=True)  # l'(T): (R, 1)
        expected = expected + r1_gamma / 2 * slope[:, 0] ** 2
    (expected_grad,) = torch.autograd.grad(expected.sum(), theta)
    torch.testing.assert_close(loss, expected.detach(), rtol=0, atol=1e-12)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=1e-12)


def test_g_grad_matches_float64_autograd():
    R, B = 3, 6
    theta_d = torch.randn(R, 7, generator=_gen(3), dtype=torch.float64)
    theta_g = torch.randn(R, 2, generator=_gen(4), dtype=torch.float64)
    x = torch.rand(R, B, generator=_gen(5), dtype=torch.float64) * 2 - 1
    loss, grad = E.g_grad(theta_g, theta_d, x)
    tg = theta_g.clone().requires_grad_(True)
    expected = -torch.log(torch.sigmoid(_logit(theta_d, tg[:, :1] * x + tg[:, 1:]))).mean(1)
    (expected_grad,) = torch.autograd.grad(expected.sum(), tg)
    torch.testing.assert_close(loss, expected.detach(), rtol=0, atol=1e-12)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "options, weight_decay",
    [
        ({}, 0.0),
        ({}, 0.05),
        ({"betas": (0.5, 0.99)}, 0.0),
        ({"optimizer": "sgd"}, 0.1),
        ({"optimizer": "sgd", "momentum": 0.9}, 0.0),
        ({"optimizer": "sgd", "momentum": 0.5}, 0.02),
    ],
    ids=["adam", "adam-wd", "adam-betas", "sgd-wd", "sgd-momentum", "sgd-momentum-wd"],
)
def test_batched_optimizer_takes_the_steps_of_torch_optim(options, weight_decay):
    R, P, steps = 3, 4, 6
    config = PointConfig(**options)
    lrs = [1e-2, 3e-2, 1e-1]
    start = torch.randn(R, P, generator=_gen(6), dtype=torch.float64)
    grads = torch.randn(steps, R, P, generator=_gen(7), dtype=torch.float64)
    batched = E.BatchedOptimizer(
        start.clone(), torch.tensor([[lr] for lr in lrs], dtype=torch.float64), config, weight_decay
    )
    active = torch.ones(R, dtype=torch.bool)
    rows = [start[r].clone().requires_grad_(True) for r in range(R)]
    if config.optimizer == "adam":
        opts = [torch.optim.Adam([p], lr=lr, betas=config.betas, weight_decay=weight_decay) for p, lr in zip(rows, lrs)]
    else:
        opts = [
            torch.optim.SGD([p], lr=lr, momentum=config.momentum, weight_decay=weight_decay) for p, lr in zip(rows, lrs)
        ]
    for t in range(steps):
        batched.step(grads[t], active)
        for r in range(R):
            rows[r].grad = grads[t, r].clone()
            opts[r].step()
    torch.testing.assert_close(batched.p, torch.stack([p.detach() for p in rows]), rtol=0, atol=1e-12)


def test_batched_optimizer_leaves_inactive_runs_alone():
    start = torch.ones(2, 3)
    opt = E.BatchedOptimizer(start, torch.tensor([[0.1], [0.1]]), PointConfig(optimizer="sgd"))
    opt.step(torch.ones(2, 3), torch.tensor([True, False]))
    assert start[0].tolist() == pytest.approx([0.9] * 3) and start[1].tolist() == [1.0] * 3


def test_theta_d_of_reads_a_parameter_dict_row_by_row():
    params = {"d_w1": [[1.0, 2.0]], "d_b1": [[3.0, 4.0]], "d_w2": [[5.0, 6.0]], "d_b2": [7.0]}
    assert E.theta_d_of(params).tolist() == [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]
    assert math.isclose(E.per_run_values([1.0, 2.0], 3)[2, 1].item(), 2.0)


def test_per_run_values_are_float32_whatever_they_come_as():
    """The engine's parameters are float32: integer or float64 grids are converted, rows are kept as given."""
    for values in ([1, 2], np.array([1.0, 2.0], dtype=np.float64)):
        v = E.per_run_values(values, 3)
        assert v.dtype == torch.float32 and v.tolist() == [[1.0, 2.0]] * 3
    rows = E.per_run_values(np.array([[1.0, 2.0], [3.0, 4.0]]), 2)
    assert rows.dtype == torch.float32 and rows.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_theta_d_of_gives_float32_from_float64_parameters():
    params = {k: np.array([[0.5] * n], dtype=np.float64) for k, n in (("d_w1", 2), ("d_b1", 2), ("d_w2", 2))}
    theta = E.theta_d_of({**params, "d_b2": np.array([0.25])})
    assert theta.dtype == torch.float32 and theta.tolist() == [[0.5] * 6 + [0.25]]
