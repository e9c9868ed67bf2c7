"""DCGAN networks: shapes at every latent size, parameter counts by hand, the N(0, 0.02) draw, bad input."""

import pytest
import torch
from torch import nn

from gan_helpers.dcgan import DCGANDiscriminator, DCGANGenerator


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("latent_dim", [2, 16, 100])
@pytest.mark.parametrize("upsample", ["nearest", "transposed"])
def test_generator_maps_z_to_28x28_images_in_the_tanh_range(latent_dim, upsample):
    G = DCGANGenerator(latent_dim, widths=(16, 8, 4), upsample=upsample).eval()
    x = G(torch.randn(5, latent_dim))
    assert x.shape == (5, 1, 28, 28)
    assert x.abs().max() <= 1


def test_discriminator_gives_one_logit_per_image():
    D = DCGANDiscriminator(widths=(8, 16)).eval()
    assert D(torch.randn(7, 1, 28, 28)).shape == (7,)


def test_parameter_counts_by_hand():
    # G: Linear 100 -> 128*49 (no bias); BN(128); up-conv 3x3 128->64 (no bias) + BN(64);
    # up-conv 3x3 64->32 (no bias) + BN(32); conv 3x3 32->1 with bias
    g = 100 * 128 * 49 + 2 * 128 + 9 * 128 * 64 + 2 * 64 + 9 * 64 * 32 + 2 * 32 + 9 * 32 + 1
    assert count(DCGANGenerator()) == g
    # transposed: 4x4 kernels instead of 3x3 in the two doubling blocks
    g_t = g - 9 * (128 * 64 + 64 * 32) + 16 * (128 * 64 + 64 * 32)
    assert count(DCGANGenerator(upsample="transposed")) == g_t
    # D: conv 4x4 1->64 with bias; conv 4x4 64->128 (no bias) + BN(128); Linear 128*49 -> 1
    d = 16 * 64 + 64 + 16 * 64 * 128 + 2 * 128 + 128 * 49 + 1
    assert count(DCGANDiscriminator()) == d


def test_weights_are_drawn_from_n_0_002_and_the_generator_makes_them_repeat():
    G1 = DCGANGenerator(generator=torch.Generator().manual_seed(3))
    G2 = DCGANGenerator(generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(G1.parameters(), G2.parameters()))
    w = G1.project.weight  # 627,200 draws
    assert abs(w.mean().item()) < 1e-4 and w.std().item() == pytest.approx(0.02, rel=0.01)
    bn = G1.net[0]
    assert bn.weight.mean().item() == pytest.approx(1.0, abs=0.01) and torch.all(bn.bias == 0)
    assert torch.all(G1.net[-2].bias == 0)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="upsample must be one of"):
        DCGANGenerator(upsample="bilinear")
    with pytest.raises(ValueError, match="widths must be a sequence of 3"):
        DCGANGenerator(widths=(8, 4))
    with pytest.raises(ValueError, match="z must have shape"):
        DCGANGenerator(8)(torch.randn(2, 9))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 28, 28\)"):
        DCGANDiscriminator()(torch.randn(2, 28, 28))
    with pytest.raises(ValueError, match="dropout"):
        DCGANDiscriminator(dropout=1.5)


def test_one_training_step_of_the_loop_updates_both_networks():
    from gan_helpers import train as T

    G = DCGANGenerator(8, widths=(8, 4, 4), generator=torch.Generator().manual_seed(0))
    D = DCGANDiscriminator(widths=(4, 8), generator=torch.Generator().manual_seed(1))
    before = [p.detach().clone() for p in (*G.parameters(), *D.parameters())]
    data = torch.rand(32, 1, 28, 28) * 2 - 1
    history = T.train(G, D, data, T.TrainConfig(num_steps=1, batch_size=8), progress=False)
    after = list(G.parameters()) + list(D.parameters())
    assert len(history) == 1 and history.notna().all().all()
    assert any(not torch.equal(a, b) for a, b in zip(before[: len(list(G.parameters()))], after))
    assert any(
        not torch.equal(a, b) for a, b in zip(before[len(list(G.parameters())) :], after[len(list(G.parameters())) :])
    )


@pytest.mark.parametrize("norm", ["layer", "none"])
def test_a_critic_without_batch_norm_scores_each_image_alone(norm):
    """A gradient penalty needs D(x_i) to depend on x_i only; batch norm in train mode mixes the batch."""
    x = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    D = DCGANDiscriminator(widths=(4, 8), dropout=0.0, norm=norm, generator=torch.Generator().manual_seed(1)).train()
    torch.testing.assert_close(D(x)[:3], D(x[:3]), rtol=0, atol=1e-6)
    grad = torch.autograd.grad(D(x.requires_grad_(True))[0], x)[0]
    assert grad[1:].abs().max().item() == 0.0 and grad[0].abs().max().item() > 0  # image 0's score sees only image 0
    D_bn = DCGANDiscriminator(widths=(4, 8), dropout=0.0, generator=torch.Generator().manual_seed(1)).train()
    assert (D_bn(x)[:3] - D_bn(x[:3])).abs().max().item() > 1e-3


def test_critic_norm_layers_and_parameter_counts_by_hand():
    w0, w1 = 4, 8
    conv1, linear = 16 * w0 + w0, w1 * 49 + 1
    counts = {"batch": 16 * w0 * w1 + 2 * w1, "layer": 16 * w0 * w1 + 2 * w1, "none": 16 * w0 * w1 + w1}
    for norm, middle in counts.items():
        D = DCGANDiscriminator(widths=(w0, w1), norm=norm)
        assert count(D) == conv1 + middle + linear, norm
        kinds = {type(m) for m in D.modules()}
        assert (nn.BatchNorm2d in kinds) == (norm == "batch") and (nn.GroupNorm in kinds) == (norm == "layer")
    D = DCGANDiscriminator(widths=(64, 128), norm="layer", generator=torch.Generator().manual_seed(2))
    scale = next(m for m in D.modules() if isinstance(m, nn.GroupNorm)).weight
    assert scale.mean().item() == pytest.approx(1.0, abs=0.01) and 0.01 < scale.std().item() < 0.03
    assert next(m for m in D.modules() if isinstance(m, nn.GroupNorm)).num_groups == 1  # layer norm: one group
    with pytest.raises(ValueError, match=r"norm must be one of \('batch', 'layer', 'none'\)"):
        DCGANDiscriminator(norm="instance")
