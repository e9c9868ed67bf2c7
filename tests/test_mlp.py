"""Initial weights of the MLPs and layers: the default path as before, and drawn from a generator."""

import math

import pytest
import torch
from torch import nn

from gan_helpers import layers, mlp, models


def _same_state(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("style", mlp.GENERATOR_STYLES)
def test_generator_weights_from_a_generator_are_torch_defaults_under_that_seed(style):
    torch.manual_seed(11)
    with_global = mlp.MLPGenerator(6, (2,), hidden=(8, 16), style=style)
    state = torch.random.get_rng_state()
    with_generator = mlp.MLPGenerator(6, (2,), hidden=(8, 16), style=style, generator=torch.Generator().manual_seed(11))
    assert _same_state(with_global, with_generator)
    assert torch.equal(state, torch.random.get_rng_state())  # the global RNG did not move
    other = mlp.MLPGenerator(6, (2,), hidden=(8, 16), style=style, generator=torch.Generator().manual_seed(12))
    assert not _same_state(with_global, other)


@pytest.mark.parametrize("style", mlp.DISCRIMINATOR_STYLES)
def test_discriminator_weights_from_a_generator_are_torch_defaults_under_that_seed(style):
    torch.manual_seed(5)
    with_global = mlp.MLPDiscriminator((3,), hidden=(8, 4), style=style)
    state = torch.random.get_rng_state()
    with_generator = mlp.MLPDiscriminator((3,), hidden=(8, 4), style=style, generator=torch.Generator().manual_seed(5))
    assert _same_state(with_global, with_generator)
    assert torch.equal(state, torch.random.get_rng_state())


def test_default_path_draws_the_layers_in_order_from_the_global_rng():
    # a second implementation of the modern G's layers, built under the same seed
    torch.manual_seed(3)
    G = models.MLPGenerator(4, (1, 2, 2), hidden=(5,))
    torch.manual_seed(3)
    first, last = nn.Linear(4, 5, bias=False), nn.Linear(5, 4)
    assert torch.equal(G.net[0].weight, first.weight)
    assert torch.equal(G.net[3].weight, last.weight) and torch.equal(G.net[3].bias, last.bias)
    assert torch.equal(G.net[1].weight, torch.ones(5)) and torch.equal(G.net[1].bias, torch.zeros(5))


def test_default_init_draws_within_the_kaiming_uniform_bounds():
    net = nn.Sequential(nn.Linear(400, 300), nn.ReLU(), nn.Linear(300, 2))
    layers.default_init_(net, torch.Generator().manual_seed(0))
    bound = 1 / math.sqrt(400)
    w, b = net[0].weight, net[0].bias
    assert w.abs().max() <= bound and b.abs().max() <= bound
    assert w.var().item() == pytest.approx(bound**2 / 3, rel=0.02)  # variance of U(-a, a) is a^2 / 3
    assert net[2].weight.abs().max() <= 1 / math.sqrt(300) and net[2].weight.abs().max() > 0.9 / math.sqrt(300)
    before = [p.clone() for p in net.parameters()]
    assert layers.default_init_(net, None) is net and all(torch.equal(p, q) for p, q in zip(before, net.parameters()))


def test_bad_generator_is_a_value_error():
    with pytest.raises(ValueError, match="generator"):
        mlp.MLPGenerator(4, (2,), hidden=(3,), generator=0)
    with pytest.raises(ValueError, match="generator"):
        mlp.MLPDiscriminator((2,), hidden=(3,), generator="seed")


def test_models_re_exports_the_networks_and_layers():
    assert models.MLPGenerator is mlp.MLPGenerator and models.MLPDiscriminator is mlp.MLPDiscriminator
    assert models.Maxout is layers.Maxout and models.VirtualBatchNorm is layers.VirtualBatchNorm
    assert models.init_normal_ is layers.init_normal_
    assert set(models.__all__) >= set(mlp.__all__) | set(layers.__all__)


def test_classifier_weights_from_a_generator_are_torch_defaults_under_that_seed():
    from gan_helpers.classifier import MNISTClassifier

    torch.manual_seed(2)
    with_global = MNISTClassifier()
    state = torch.random.get_rng_state()
    assert _same_state(with_global, MNISTClassifier(generator=torch.Generator().manual_seed(2)))
    assert torch.equal(state, torch.random.get_rng_state())
