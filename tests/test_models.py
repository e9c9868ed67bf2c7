"""Shapes of every model, maxout by hand, the point of virtual batch norm, bad input."""

import copy

import pytest
import torch
from torch import nn

from gan_helpers import models


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("style", models.GENERATOR_STYLES)
@pytest.mark.parametrize("out_shape", [(1, 28, 28), (2,), (1,)])
def test_generator_shapes(style, out_shape):
    G = models.MLPGenerator(8, out_shape=out_shape, hidden=(16, 32), style=style)
    x = G(torch.randn(5, 8))
    assert G.latent_dim == 8
    assert x.shape == (5, *out_shape)
    assert x.abs().max() <= 1  # tanh output


@pytest.mark.parametrize("style", models.DISCRIMINATOR_STYLES)
@pytest.mark.parametrize("in_shape", [(1, 28, 28), (2,), (1,)])
def test_discriminator_shapes(style, in_shape):
    D = models.MLPDiscriminator(in_shape=in_shape, hidden=(16, 8), style=style)
    assert D(torch.randn(5, *in_shape)).shape == (5,)


def test_discriminator_accepts_a_flat_batch_for_1d_toys_and_flattened_images():
    assert models.MLPDiscriminator(in_shape=(1,), hidden=(4,))(torch.randn(7)).shape == (7,)
    assert models.MLPDiscriminator(hidden=(4,))(torch.randn(3, 784)).shape == (3,)


def test_default_sizes_are_the_documented_ones():
    G, D = models.MLPGenerator(64), models.MLPDiscriminator()
    assert G(torch.randn(2, 64)).shape == (2, 1, 28, 28)
    assert [m.out_features for m in G.modules() if isinstance(m, nn.Linear)] == [256, 512, 784]
    assert [m.out_features for m in D.modules() if isinstance(m, nn.Linear)] == [512, 256, 1]


def test_style_layers():
    def kinds(net):
        return [type(m).__name__ for m in net.net]

    assert kinds(models.MLPGenerator(4, (2,), (8,), style="modern")) == [
        "Linear",
        "BatchNorm1d",
        "LeakyReLU",
        "Linear",
        "Tanh",
    ]
    assert kinds(models.MLPGenerator(4, (2,), (8,), style="modern-vbn")) == [
        "Linear",
        "VirtualBatchNorm",
        "LeakyReLU",
        "Linear",
        "Tanh",
    ]
    assert kinds(models.MLPGenerator(4, (2,), (8,), style="2014")) == ["Linear", "ReLU", "Linear", "Tanh"]
    assert kinds(models.MLPDiscriminator((2,), (8,), style="modern")) == ["Linear", "LeakyReLU", "Dropout", "Linear"]
    d2014 = models.MLPDiscriminator((2,), (8,), style="2014")
    assert kinds(d2014) == ["Dropout", "Maxout", "Dropout", "Linear"]
    assert [m.p for m in d2014.net if isinstance(m, nn.Dropout)] == [0.2, 0.5]
    assert models.MLPDiscriminator((2,), (8,)).dropout == 0.3
    assert models.MLPDiscriminator((2,), (8,), dropout=0.1).dropout == 0.1


def test_discriminator_dropout_is_on_in_train_mode_and_off_in_eval_mode():
    D = models.MLPDiscriminator((2,), (64,), dropout=0.5)
    x = torch.randn(16, 2)
    D.eval()
    assert torch.equal(D(x), D(x))
    D.train()
    assert not torch.equal(D(x), D(x))


# ----------------------------------------------------------------------------
# Maxout
# ----------------------------------------------------------------------------


def test_maxout_is_the_max_of_its_pieces_by_hand():
    layer = models.Maxout(3, 4, pieces=2)
    x = torch.randn(5, 3)
    W, b = layer.linear.weight, layer.linear.bias  # (8, 3), (8,)
    by_hand = torch.stack(
        [torch.maximum(x @ W[2 * j] + b[2 * j], x @ W[2 * j + 1] + b[2 * j + 1]) for j in range(4)], dim=1
    )
    torch.testing.assert_close(layer(x), by_hand)
    assert layer(x).shape == (5, 4)


def test_maxout_with_one_piece_is_linear():
    layer = models.Maxout(3, 4, pieces=1)
    x = torch.randn(5, 3)
    torch.testing.assert_close(layer(x), layer.linear(x))


# ----------------------------------------------------------------------------
# Virtual batch norm
# ----------------------------------------------------------------------------


def test_vbn_normalises_with_the_stats_of_reference_plus_example():
    ref = torch.randn(10, 3, generator=_gen(1)) * 2 + 1
    vbn = models.VirtualBatchNorm(3, reference=ref)
    x = torch.randn(4, 3, generator=_gen(2))
    out = vbn(x)
    for i in range(4):
        joint = torch.cat([ref, x[i : i + 1]])  # (11, 3)
        by_hand = (x[i] - joint.mean(0)) / torch.sqrt(joint.var(0, unbiased=False) + vbn.eps)
        torch.testing.assert_close(out[i], by_hand)


def test_vbn_output_does_not_depend_on_the_rest_of_the_batch_but_batchnorm_does():
    ref = torch.randn(32, 3, generator=_gen(1))
    x, others = torch.randn(8, 3, generator=_gen(2)), torch.randn(8, 3, generator=_gen(3)) * 5
    batch_a = x
    batch_b = torch.cat([x[:1], others[1:]])  # same first example, different company
    vbn = models.VirtualBatchNorm(3, reference=ref)
    assert torch.equal(vbn(batch_a)[0], vbn(batch_b)[0])
    assert torch.equal(vbn(x[:1])[0], vbn(batch_a)[0])  # a batch of one works too
    bn = nn.BatchNorm1d(3).train()
    assert not torch.allclose(bn(batch_a)[0], bn(batch_b)[0])


def test_vbn_set_reference_returns_the_reference_normalised():
    vbn = models.VirtualBatchNorm(3)
    ref_out = vbn.set_reference(torch.randn(50, 3, generator=_gen(0)) * 3 + 2)
    torch.testing.assert_close(ref_out.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(ref_out.var(0, unbiased=False), torch.ones(3), atol=1e-4, rtol=0)
    assert vbn.ref_size == 50


def test_vbn_behaves_the_same_in_train_and_eval_mode():
    vbn = models.VirtualBatchNorm(3, reference=torch.randn(8, 3))
    x = torch.randn(4, 3)
    assert torch.equal(vbn.train()(x), vbn.eval()(x))


def test_vbn_generator_output_for_one_z_does_not_depend_on_its_batch():
    G = models.MLPGenerator(4, (2,), (16, 16), style="modern-vbn").train()
    z = torch.randn(6, 4, generator=_gen(0))
    other = torch.cat([z[:1], torch.randn(5, 4, generator=_gen(1)) * 3])
    assert torch.equal(G(z)[0], G(other)[0])
    assert G(z[:1]).shape == (1, 2)  # batch of one: fine with VBN
    G_bn = models.MLPGenerator(4, (2,), (16, 16), style="modern").train()
    assert not torch.allclose(G_bn(z)[0], G_bn(other)[0])


def test_vbn_generator_reference_batch_is_fixed_by_its_seed_not_by_global_rng():
    torch.manual_seed(1)
    a = models.MLPGenerator(4, (2,), (8,), style="modern-vbn", reference_size=16, reference_seed=3)
    torch.manual_seed(2)
    b = models.MLPGenerator(4, (2,), (8,), style="modern-vbn", reference_size=16, reference_seed=3)
    assert a.z_ref.shape == (16, 4)
    assert torch.equal(a.z_ref, b.z_ref)
    assert "z_ref" in a.state_dict()


def test_vbn_generator_trains_through_the_reference_stats_and_can_be_copied():
    G = models.MLPGenerator(4, (2,), (8,), style="modern-vbn")
    G(torch.randn(3, 4)).sum().backward()
    assert all(p.grad is not None for p in G.parameters())
    clone = copy.deepcopy(G)  # the layers keep no autograd graph between calls
    z = torch.randn(3, 4)
    assert torch.equal(clone(z), G(z))


def test_vbn_needs_a_reference_and_the_right_shape():
    with pytest.raises(RuntimeError, match="set_reference"):
        models.VirtualBatchNorm(3)(torch.randn(2, 3))
    with pytest.raises(ValueError, match="x_ref must have shape \\(B, 3\\)"):
        models.VirtualBatchNorm(3, reference=torch.randn(4, 2))
    with pytest.raises(ValueError, match="num_features"):
        models.VirtualBatchNorm(0)


# ----------------------------------------------------------------------------
# Initialisation, bad input
# ----------------------------------------------------------------------------


def test_init_normal_draws_dcgan_weights():
    G = models.MLPGenerator(100, hidden=(256, 512))
    models.init_normal_(G, std=0.02, generator=_gen(0))
    linears = [m for m in G.modules() if isinstance(m, nn.Linear)]
    weights = torch.cat([m.weight.flatten() for m in linears])
    assert abs(weights.std().item() - 0.02) < 1e-3 and abs(weights.mean().item()) < 1e-3
    assert all(torch.all(m.bias == 0) for m in linears if m.bias is not None)
    bn = [m for m in G.modules() if isinstance(m, nn.BatchNorm1d)]
    assert abs(torch.cat([m.weight for m in bn]).mean().item() - 1) < 0.01
    again = models.init_normal_(models.MLPGenerator(100, hidden=(256, 512)), generator=_gen(0))
    assert all(torch.equal(p, q) for p, q in zip(G.parameters(), again.parameters()))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: models.MLPGenerator(0), "latent_dim"),
        (lambda: models.MLPGenerator(4, out_shape=(0, 2)), "out_shape\\[0\\]"),
        (lambda: models.MLPGenerator(4, out_shape=784), "out_shape"),
        (lambda: models.MLPGenerator(4, hidden=()), "hidden"),
        (lambda: models.MLPGenerator(4, style="dcgan"), "style.*modern"),
        (lambda: models.MLPGenerator(4, style="modern-vbn", reference_size=0), "reference_size"),
        (lambda: models.MLPDiscriminator(style="modern-vbn"), "style"),
        (lambda: models.MLPDiscriminator(dropout=1.0), "dropout.*\\[0, 1\\)"),
        (lambda: models.MLPDiscriminator(style="2014", maxout_pieces=0), "maxout_pieces"),
        (lambda: models.Maxout(3, 4, pieces=0), "pieces"),
        (lambda: models.init_normal_(nn.Linear(2, 2), std=0), "std"),
        (lambda: models.MLPGenerator(4, (2,), (8,))(torch.randn(3, 5)), "z must have shape \\(B, latent_dim=4\\)"),
        (lambda: models.MLPDiscriminator((2,), (8,))(torch.randn(3, 3)), "x must have shape"),
    ],
)
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
