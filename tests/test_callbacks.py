"""WeightAverage: the moving average of G's weights against the recursion written out by hand."""

import pytest
import torch
from torch import nn

from gan_helpers import callbacks, train
from gan_helpers.models import DCGANGenerator, MLPDiscriminator, MLPGenerator


def test_the_average_follows_the_recursion_by_hand():
    G = nn.Linear(2, 1)
    with torch.no_grad():
        G.weight.copy_(torch.tensor([[1.0, 2.0]]))
        G.bias.fill_(0.0)
    average = callbacks.WeightAverage(G, decay=0.9)
    expected_w, expected_b = torch.tensor([[1.0, 2.0]]), torch.tensor([0.0])  # theta_0
    for step, (w, b) in enumerate([([[3.0, -2.0]], 1.0), ([[0.0, 0.0]], -4.0), ([[5.0, 5.0]], 2.0)], start=1):
        with torch.no_grad():
            G.weight.copy_(torch.tensor(w))
            G.bias.fill_(b)
        average(step, G, None, {})
        expected_w = 0.9 * expected_w + 0.1 * torch.tensor(w)
        expected_b = 0.9 * expected_b + 0.1 * b
        assert torch.allclose(average.model.weight, expected_w, atol=1e-6)
        assert torch.allclose(average.model.bias, expected_b, atol=1e-6)
    # after three steps: 0.729 theta_0 + 0.081 theta_1 + 0.09 theta_2 + 0.1 theta_3
    assert average.model.weight[0, 0].item() == pytest.approx(0.729 * 1 + 0.081 * 3 + 0.09 * 0 + 0.1 * 5, abs=1e-6)


def test_decay_zero_is_g_itself_and_buffers_are_copied():
    G = DCGANGenerator(8, widths=(4, 4, 4), generator=torch.Generator().manual_seed(0))
    average = callbacks.WeightAverage(G, decay=0.0)
    G.train()
    G(torch.randn(4, 8))  # BatchNorm's running statistics move
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
    average(1, G, None, {})
    for (name, a), b in zip(average.model.state_dict().items(), G.state_dict().values()):
        assert torch.equal(a, b), name
    assert not average.model.training and not any(p.requires_grad for p in average.model.parameters())


def test_in_the_loop_it_does_not_change_training():
    x = torch.randn(256, 2) + 3

    def run(with_average):
        torch.manual_seed(0)
        G = MLPGenerator(4, out_shape=(2,), hidden=(8,), output="linear")
        D = MLPDiscriminator(in_shape=(2,), hidden=(8,))
        cbs = [callbacks.WeightAverage(G, decay=0.5)] if with_average else []
        train.train(G, D, x, train.TrainConfig(num_steps=5, batch_size=32, seed=0), callbacks=cbs, progress=False)
        return G, cbs

    G_plain, _ = run(False)
    G_avg, (average,) = run(True)
    assert all(torch.equal(a, b) for a, b in zip(G_plain.parameters(), G_avg.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(average.model.parameters(), G_avg.parameters()))


@pytest.mark.parametrize("decay", [1.0, -0.1, True, "0.9"])
def test_bad_decay_is_named(decay):
    with pytest.raises(ValueError, match="decay"):
        callbacks.WeightAverage(nn.Linear(1, 1), decay=decay)
    with pytest.raises(ValueError, match="G must be"):
        callbacks.WeightAverage("G")
