"""d_step and g_step against hand computations: default detach, labels reaching the penalties."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers import objectives, steps


class LinearCondD(nn.Module):
    """D(x, y) = w_y . x, so that its input gradient is w_y and R1 = mean_i |w_{y_i}|^2 by hand."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 0.0], [0.0, 0.5]]))  # (3 classes, 2)

    def forward(self, x, y):
        return (x * self.w[y]).sum(dim=1)  # (B,)


class ShiftCondG(nn.Module):
    """G(z, y) = z + b + y (in both coordinates)."""

    def __init__(self):
        super().__init__()
        self.b = nn.Parameter(torch.tensor([0.5, -0.5]))

    def forward(self, z, y):
        return z + self.b + y.float()[:, None]  # (B, 2)


def _batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(4, 2, generator=g), torch.randn(4, 2, generator=g), torch.tensor([0, 1, 1, 2])


def test_conditional_d_step_gives_the_labels_to_d_and_to_the_r1_penalty():
    G, D = ShiftCondG(), LinearCondD()
    x_real, z, y = _batch()
    objective = objectives.get("non_saturating", r1_gamma=2.0)
    logs = steps.d_step(G, D, torch.optim.SGD(D.parameters(), lr=0.0), x_real, z, objective, y=y)
    # R1 = mean |w_y|^2 = (5 + 9 + 9 + 0.25) / 4; weighted by gamma / 2 = 1
    assert logs["r1"] == pytest.approx(23.25 / 4, rel=1e-6)
    with torch.no_grad():
        w = D.w[y]
        real_out, fake_out = (x_real * w).sum(1), ((z + G.b + y.float()[:, None]) * w).sum(1)
    bce = F.softplus(-real_out).mean() + F.softplus(fake_out).mean()  # -log s(l_real) - log(1 - s(l_fake))
    assert logs["loss_d"] == pytest.approx(bce.item() + 23.25 / 4, rel=1e-6)


def test_conditional_g_step_loss_by_hand():
    G, D = ShiftCondG(), LinearCondD()
    _, z, y = _batch()
    with torch.no_grad():
        fake_out = ((z + G.b + y.float()[:, None]) * D.w[y]).sum(1)
    logs = steps.g_step(G, D, torch.optim.SGD(G.parameters(), lr=0.0), z, y=y)
    assert logs["loss_g"] == pytest.approx(F.softplus(-fake_out).mean().item(), rel=1e-6)  # -log s(l)
    logs = steps.g_step(G, D, torch.optim.SGD(G.parameters(), lr=0.0), z, "minimax", y=y)
    assert logs["loss_g"] == pytest.approx(-F.softplus(fake_out).mean().item(), rel=1e-6)  # log(1 - s(l))


def test_d_step_detaches_the_fakes_by_default():
    G, D = ShiftCondG(), LinearCondD()
    x_real, z, y = _batch()
    steps.d_step(G, D, torch.optim.SGD(D.parameters(), lr=0.1), x_real, z, y=y)
    assert G.b.grad is None
    steps.d_step(G, D, torch.optim.SGD(D.parameters(), lr=0.1), x_real, z, y=y, detach=False)
    assert G.b.grad is not None and G.b.grad.abs().sum() > 0


def test_conditional_wgan_gp_d_step_gives_the_labels_to_the_gradient_penalty():
    G, D = ShiftCondG(), LinearCondD()
    x_real, z, y = _batch()
    logs = steps.d_step(
        G,
        D,
        torch.optim.SGD(D.parameters(), lr=0.0),
        x_real,
        z,
        "wgan-gp",
        y=y,
        generator=torch.Generator().manual_seed(1),
    )
    # the gradient of w_y . x is w_y wherever x_hat falls: GP = mean (|w_y| - 1)^2, times the default weight 10
    norms = torch.tensor([5.0**0.5, 3.0, 3.0, 0.5])
    assert logs["gp"] == pytest.approx(10 * ((norms - 1) ** 2).mean().item(), rel=1e-6)
    assert objectives.get("wgan-gp").gp_weight == 10.0


def test_sample_batch_draws_pairs_at_the_same_indices_from_the_generator():
    from gan_helpers.steps import sample_batch

    x, y = torch.arange(40.0).view(20, 2), torch.arange(20)
    bx, by = sample_batch((x, y), 7, torch.Generator().manual_seed(3))
    idx = torch.randint(20, (7,), generator=torch.Generator().manual_seed(3))
    assert torch.equal(bx, x[idx]) and torch.equal(by, y[idx])
    assert torch.equal(sample_batch(x, 7, torch.Generator().manual_seed(3)), x[idx])


def test_sample_batch_checks_what_a_sampler_returns():
    from gan_helpers.steps import sample_batch

    column = sample_batch(lambda n, g: torch.zeros(n), 4, torch.Generator())  # (B,) is a batch of numbers
    assert column.shape == (4,)
    for returned, got in ((lambda n, g: [0.0] * n, "list"), (lambda n, g: torch.tensor(1.0), "()"),
                          (lambda n, g: torch.zeros(n + 1, 2), "(5, 2)")):  # fmt: skip
        with pytest.raises(ValueError) as info:
            sample_batch(returned, 4, torch.Generator())
        assert str(info.value) == f"data(batch_size=4, generator) must return a tensor (4, ...), got {got}"
