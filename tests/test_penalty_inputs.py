"""The gradient penalty's inputs: a shape mismatch is one clear error; the value of a linear critic by hand."""

import pytest
import torch

from gan_helpers import wgan


def test_gradient_penalty_refuses_batches_of_different_shapes():
    critic = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"^x_real and x_fake must have the same shape, got \(4, 2\) and \(3, 2\)$"):
        wgan.gradient_penalty(critic, torch.zeros(4, 2), torch.zeros(3, 2))


def test_gradient_penalty_of_a_linear_critic_is_the_squared_distance_of_its_weight_norm_from_one():
    # D(x) = w . x has gradient w everywhere: GP = (|w| - 1)^2 = (5 - 1)^2 wherever x_hat falls
    critic = torch.nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))
    g = torch.Generator().manual_seed(0)
    x_real, x_fake = torch.randn(5, 2, generator=g).double(), torch.randn(5, 2, generator=g).double()
    gp = wgan.gradient_penalty(lambda x: critic(x).squeeze(1), x_real, x_fake, generator=g)
    assert gp.item() == pytest.approx(16.0, rel=1e-12)
    assert wgan.r1_penalty(lambda x: critic(x).squeeze(1), x_real).item() == pytest.approx(25.0, rel=1e-12)
