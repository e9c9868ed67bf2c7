"""Packing: D sees m consecutive samples side by side; the loop trains a packed D unchanged."""

import pytest
import torch
from torch import nn

from gan_helpers import train as T
from gan_helpers.models import MLPDiscriminator, MLPGenerator
from gan_helpers.pacgan import Packed


class Recorder(nn.Module):
    """A D that returns the sum of each pack's features, and keeps its input."""

    def forward(self, x):
        self.seen = x
        return x.flatten(1).sum(1)


def test_packs_hold_consecutive_samples_side_by_side():
    x = torch.arange(12.0).reshape(6, 2)  # six 2-D samples
    D = Recorder()
    out = Packed(D, 3)(x)
    assert D.seen.tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    assert out.tolist() == [15.0, 51.0]
    images = torch.randn(4, 1, 5, 5)
    Packed(D, 2)(images)
    assert (
        D.seen.shape == (2, 2, 5, 5)
        and torch.equal(D.seen[1, 0], images[2, 0])
        and torch.equal(D.seen[1, 1], images[3, 0])
    )
    assert torch.equal(Packed(D, 1)(x), x.sum(1))


def test_the_loop_trains_a_packed_discriminator():
    torch.manual_seed(0)
    G = MLPGenerator(4, out_shape=(2,), hidden=(8,), output="linear")
    D = Packed(MLPDiscriminator((4,), (8,)), 2)
    data = torch.randn(64, 2)
    history = T.train(G, D, data, T.TrainConfig(num_steps=3, batch_size=8, objective="wgan-gp"), progress=False)
    assert len(history) == 3 and history.notna().all().all()


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="multiple of packing=3"):
        Packed(Recorder(), 3)(torch.randn(4, 2))
    with pytest.raises(ValueError, match="packing"):
        Packed(Recorder(), 0)
    with pytest.raises(ValueError, match="class labels"):
        Packed(Recorder(), 2)(torch.randn(4, 2), torch.zeros(4))
