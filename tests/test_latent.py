"""gan_helpers.latent and latent_losses: interpolation against closed forms, losses by hand, latent search."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from gan_helpers import latent, latent_losses, metrics, models, pretrained
from gan_helpers.latent import (
    PixelMSE,
    Prior,
    WeightedSum,
    classifier_feature_loss,
    discriminator_feature_loss,
    interpolate,
    interpolation_grid,
    lerp,
    search,
    slerp,
)

pytestmark = pytest.mark.usefixtures("one_thread")
D_SMALL = 8


def small_generator(dtype=torch.float32) -> nn.Module:
    """A small DCGAN G (latent size 8) whose weights are scaled up so its images span [-1, 1]."""
    G = models.DCGANGenerator(D_SMALL, widths=(16, 8, 4), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.mul_(10)
    return G.to(dtype).eval()


@pytest.fixture(scope="module")
def G():
    return small_generator()


def known(G, n=4, seed=1):
    z = torch.randn(n, D_SMALL, generator=torch.Generator().manual_seed(seed)).to(next(G.parameters()).dtype)
    with torch.no_grad():
        return z, G(z)


# ----------------------------------------------------------------------------
# Interpolation
# ----------------------------------------------------------------------------


def test_lerp_by_hand():
    z0, z1 = torch.tensor([1.0, 0.0, 2.0]), torch.tensor([0.0, 1.0, -2.0])
    assert torch.allclose(lerp(z0, z1, 0.25), torch.tensor([0.75, 0.25, 1.0]))
    path = lerp(z0, z1, [0.0, 0.5, 1.0])
    assert path.shape == (3, 3)
    assert (
        torch.equal(path[0], z0) and torch.equal(path[2], z1) and torch.allclose(path[1], torch.tensor([0.5, 0.5, 0.0]))
    )


def test_slerp_of_orthogonal_unit_vectors_is_cos_and_sin():
    z0, z1 = torch.tensor([[1.0, 0.0]], dtype=torch.float64), torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    t = torch.linspace(0, 1, 7, dtype=torch.float64)
    expected = torch.stack([torch.cos(t * math.pi / 2), torch.sin(t * math.pi / 2)], dim=1)  # (7, 2)
    assert torch.allclose(slerp(z0, z1, t)[:, 0], expected, atol=1e-12)


def numpy_slerp(z0, z1, t):
    """A second implementation: rotate z0 towards z1 in their plane, scaling the norm as Shoemake's weights do."""
    u0 = z0 / np.linalg.norm(z0)
    w = z1 - (z1 @ u0) * u0
    u1 = w / np.linalg.norm(w)
    omega = np.arccos(np.clip(u0 @ (z1 / np.linalg.norm(z1)), -1, 1))
    a, b = np.sin((1 - t) * omega) / np.sin(omega), np.sin(t * omega) / np.sin(omega)
    return a * z0 + b * (np.linalg.norm(z1) * (np.cos(omega) * u0 + np.sin(omega) * u1))


def test_slerp_matches_a_second_implementation_for_ends_of_different_norms():
    rng = np.random.default_rng(0)
    z0, z1 = rng.normal(size=16), 3 * rng.normal(size=16)
    for t in (0.0, 0.1, 0.5, 0.9, 1.0):
        got = slerp(torch.tensor(z0), torch.tensor(z1), t).numpy()
        np.testing.assert_allclose(got, numpy_slerp(z0, z1, t), atol=1e-12)


def test_slerp_keeps_the_norm_on_the_sphere_and_hits_both_ends():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(50, 64, generator=g), torch.randn(50, 64, generator=g)
    z0, z1 = 8 * z0 / z0.norm(dim=1, keepdim=True), 8 * z1 / z1.norm(dim=1, keepdim=True)
    t = torch.linspace(0, 1, 11)
    path = slerp(z0, z1, t)  # (11, 50, 64)
    assert path.shape == (11, 50, 64)
    assert torch.allclose(path.norm(dim=2), torch.full((11, 50), 8.0), atol=1e-4)
    assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    lerp_mid = lerp(z0, z1, 0.5).norm(dim=1)
    assert (lerp_mid < 8.0 - 1.0).all()  # the chord's midpoint is well inside the sphere


def test_slerp_of_parallel_and_opposite_ends_is_lerp():
    z0 = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    z1 = torch.tensor([[2.0, 4.0, 6.0], [-1.0, -2.0, -3.0]])
    for t in (0.0, 0.3, 1.0):
        got = slerp(z0, z1, t)
        assert torch.isfinite(got).all() and torch.allclose(got, lerp(z0, z1, t))


def test_interpolate_and_the_grid():
    z0, z1 = torch.randn(3, D_SMALL), torch.randn(3, D_SMALL)
    path = interpolate(z0, z1, 5, "lerp")
    assert path.shape == (5, 3, D_SMALL) and torch.allclose(path[2], (z0 + z1) / 2)
    G = small_generator()
    grid = interpolation_grid(G, z0, z1, steps=5, method="slerp")
    assert grid.shape == (3, 5, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(grid[1, 3], G(slerp(z0[1:2], z1[1:2], 0.75))[0], atol=1e-6)


def test_interpolation_names_its_bad_arguments():
    z = torch.zeros(2, 4)
    with pytest.raises(ValueError, match="same shape"):
        lerp(z, torch.zeros(2, 5), 0.5)
    with pytest.raises(ValueError, match="z1 must be a float tensor"):
        slerp(z, [0.0] * 4, 0.5)
    with pytest.raises(ValueError, match="t must be"):
        lerp(z, z, [[0.1]])
    with pytest.raises(ValueError, match=r"method must be one of \('lerp', 'slerp'\)"):
        interpolate(z, z, 4, "cubic")
    with pytest.raises(ValueError, match="steps must be an integer >= 2"):
        interpolate(z, z, 1)


# ----------------------------------------------------------------------------
# Losses, each against a hand computation
# ----------------------------------------------------------------------------


def test_pixel_mse_by_hand():
    x = torch.zeros(2, 1, 2, 2)
    t = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]], [[[0.0, 0.0], [0.0, 0.2]]]])
    got = PixelMSE()(x, t, torch.zeros(2, 3))
    assert torch.allclose(got, torch.tensor([(1 + 1 + 0.25) / 4, 0.04 / 4]))


def test_feature_loss_by_hand():
    weight = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    loss = latent_losses.FeatureLoss(lambda x: x.flatten(1) @ weight.T)  # features: pixel 0, sum of pixels
    x, t = torch.zeros(1, 1, 2, 2), torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]) / 4
    assert torch.allclose(loss(x, t, torch.zeros(1, 2)), torch.tensor([((0.25) ** 2 + 2.5**2) / 2]))


def test_classifier_feature_loss_is_the_mean_squared_feature_difference():
    clf = metrics.load_classifier()
    _, x = known(small_generator(), n=3)
    t = torch.rand(3, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        expected = ((clf.features(x) - clf.features(t)) ** 2).mean(dim=1)
    assert torch.allclose(classifier_feature_loss(clf)(x, t, None), expected, atol=1e-6)
    assert expected.min() > 0


def test_discriminator_feature_loss_uses_the_layers_before_the_logit_in_eval_mode():
    D = pretrained.build_discriminator("dcgan-mnist", generator=torch.Generator().manual_seed(0)).train()
    x, t = torch.rand(3, 1, 28, 28) * 2 - 1, torch.rand(3, 1, 28, 28) * 2 - 1
    loss = discriminator_feature_loss(D)
    D.eval()
    with torch.no_grad():
        phi = lambda v: D.net[:-1](v)  # (B, 64 * 49) before the last linear layer
        expected = ((phi(x) - phi(t)) ** 2).mean(dim=1)
    assert phi(x).shape == (3, 64 * 49)
    assert torch.allclose(loss(x, t, None), expected, atol=1e-6)
    assert torch.equal(loss(x, t, None), loss(x, t, None))  # no dropout
    with pytest.raises(ValueError, match="nn.Sequential ending in nn.Linear"):
        discriminator_feature_loss(nn.Identity())


def test_mlp_discriminator_features_flatten_the_images():
    D = models.MLPDiscriminator(hidden=(32, 16)).eval()
    x, t = torch.rand(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)
    with torch.no_grad():
        expected = ((D.net[:-1](x.flatten(1)) - D.net[:-1](t.flatten(1))) ** 2).mean(1)
    assert torch.allclose(discriminator_feature_loss(D)(x, t, None), expected)


def test_priors_by_hand():
    z = torch.tensor([[3.0, 4.0], [0.0, 0.0]])  # norms 5 and 0, d = 2
    assert torch.allclose(Prior("gaussian")(None, None, z), torch.tensor([25 / 2, 0.0]))
    assert torch.allclose(Prior("shell")(None, None, z), torch.tensor([(5 / math.sqrt(2) - 1) ** 2, 1.0]))
    with pytest.raises(ValueError, match=r"kind must be one of \('gaussian', 'shell'\)"):
        Prior("laplace")


def test_weighted_sum_by_hand_and_by_operators():
    x, t = torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 0.5)
    z = torch.tensor([[3.0, 4.0]])
    expected = 2.0 * 0.25 + 0.5 * 12.5
    by_pairs = WeightedSum([(2.0, PixelMSE()), (0.5, Prior("gaussian"))])
    by_ops = 2 * PixelMSE() + Prior("gaussian") * 0.5
    nested = 2.0 * (PixelMSE() + 0.25 * Prior("gaussian"))
    for loss in (by_pairs, by_ops, nested):
        assert torch.allclose(loss(x, t, z), torch.tensor([expected]))
    assert [w for w, _ in nested.terms()] == [2.0, 0.5]
    assert by_ops.name == "2 pixel MSE + 0.5 prior (gaussian)"
    with pytest.raises(ValueError, match=r"terms\[0\] weight must be >= 0"):
        WeightedSum([(-1.0, PixelMSE())])
    with pytest.raises(ValueError, match=r"terms\[1\] must be a pair"):
        WeightedSum([(1.0, PixelMSE()), PixelMSE()])
    with pytest.raises(ValueError, match="at least one"):
        WeightedSum([])


# ----------------------------------------------------------------------------
# Search
# ----------------------------------------------------------------------------


def test_search_recovers_a_known_z_of_an_image_g_made(G):
    z_true, x = known(G, n=4)
    result = search(G, x, steps=150, restarts=4, lr=0.1, seed=0)
    assert result.mse.max() < 1e-4, result.mse
    error = (result.z - z_true).norm(dim=1) / z_true.norm(dim=1)
    assert error.max() < 0.05, error
    assert result.z.shape == (4, D_SMALL) and result.images.shape == (4, 1, 28, 28)


def test_search_result_is_consistent_with_its_history(G):
    _, x = known(G, n=3)
    result = search(G, x, loss=PixelMSE() + 0.01 * Prior("shell"), steps=20, restarts=5, seed=3, record_every=5)
    assert result.history.shape == (21, 3, 5) and result.final.shape == (3, 5)
    assert (result.best == result.final.argmin(axis=1)).all()
    assert np.allclose(result.loss, result.final.min(axis=1))
    with torch.no_grad():
        again = G(result.z)
    mse = ((again - x) ** 2).mean(dim=(1, 2, 3)).numpy()
    np.testing.assert_allclose(result.mse, mse, rtol=1e-5)
    by_hand = mse + 0.01 * ((result.z.norm(dim=1) / math.sqrt(D_SMALL) - 1) ** 2).numpy()
    np.testing.assert_allclose(result.loss, by_hand, rtol=1e-4)
    assert result.path.shape == (5, 3, 5, D_SMALL) and result.path_steps == (0, 5, 10, 15, 20)
    assert torch.equal(result.path[0], result.z_init) and torch.equal(result.path[-1], result.z_final)
    assert result.history[0].mean() > result.history[-1].mean()  # the loss went down


def test_search_with_a_constant_rate_is_adam_written_out(G):
    """A second implementation: Adam's moments by hand, on the pixel MSE's gradient from autograd."""
    _, x = known(G, n=2)
    z0 = torch.randn(2, 3, D_SMALL, generator=torch.Generator().manual_seed(5))
    steps, lr, (b1, b2), eps = 10, 0.05, (0.9, 0.999), 1e-8
    result = search(G, x, steps=steps, restarts=3, lr=lr, schedule="constant", z_init=z0)
    z, target = z0.reshape(6, D_SMALL).clone(), x.repeat_interleave(3, dim=0)
    m, v = torch.zeros_like(z), torch.zeros_like(z)
    for k in range(1, steps + 1):
        z.requires_grad_(True)
        g = torch.autograd.grad(((G(z) - target) ** 2).mean(dim=(1, 2, 3)).sum(), z)[0]
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        z = (z - lr * (m / (1 - b1**k)) / ((v / (1 - b2**k)).sqrt() + eps)).detach()
    assert torch.allclose(result.z_final.reshape(6, D_SMALL), z, atol=1e-5)


def test_cosine_schedule_by_hand():
    assert latent._lr_at("cosine", 0.1, 0, 10) == pytest.approx(0.1)
    assert latent._lr_at("cosine", 0.1, 5, 10) == pytest.approx(0.05)
    assert latent._lr_at("cosine", 0.1, 10, 10) == pytest.approx(0.0)
    assert latent._lr_at("constant", 0.1, 7, 10) == 0.1


def test_seeded_search_is_reproducible(G):
    _, x = known(G, n=2)
    a, b = (search(G, x, steps=15, restarts=3, seed=7) for _ in range(2))
    assert torch.equal(a.z_init, b.z_init) and torch.equal(a.z, b.z) and np.array_equal(a.history, b.history)
    c = search(G, x, steps=15, restarts=3, seed=8)
    assert not torch.equal(a.z_init, c.z_init)
    expected = torch.randn(2, 3, D_SMALL, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a.z_init, expected)  # drawn on the CPU from the seed, in (N, R, d) order


@pytest.mark.parametrize("dtype, atol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_batching_over_targets_is_searching_one_at_a_time(dtype, atol):
    G = small_generator(dtype)
    _, x = known(G, n=3)
    z0 = torch.randn(3, 2, D_SMALL, generator=torch.Generator().manual_seed(2), dtype=dtype)
    loss = PixelMSE() + 0.1 * classifier_feature_loss() + 0.01 * Prior("shell")
    if dtype == torch.float64:
        loss = PixelMSE() + 0.01 * Prior("shell")  # the classifier is float32
    together = search(G, x, loss=loss, steps=25, restarts=2, z_init=z0)
    for i in range(3):
        alone = search(G, x[i : i + 1], loss=loss, steps=25, restarts=2, z_init=z0[i : i + 1])
        assert torch.allclose(alone.z_final[0], together.z_final[i], atol=atol)
        np.testing.assert_allclose(alone.history[:, 0], together.history[:, i], atol=atol, rtol=1e-4)
        assert alone.best[0] == together.best[i]


def test_search_leaves_g_as_it_was_and_gives_it_no_gradients():
    G = small_generator().train()
    _, x = known(G.eval(), n=2)
    G.train()
    before = {k: v.clone() for k, v in G.state_dict().items()}
    search(G, x, steps=5, restarts=2)
    assert G.training and all(p.grad is None for p in G.parameters())
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())  # BatchNorm's statistics too


def test_bfloat16_autocast_finds_nearly_the_same_z(G):
    _, x = known(G, n=2)
    full = search(G, x, steps=60, restarts=2, lr=0.1, seed=0)
    half = search(G, x, steps=60, restarts=2, lr=0.1, seed=0, autocast=True)
    assert half.images.dtype == torch.float32
    assert abs(half.mse.mean() - full.mse.mean()) < 0.01


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_search_on_the_gpu_draws_the_same_starts_and_agrees():
    G = small_generator()
    _, x = known(G, n=2)
    cpu = search(G, x, steps=30, restarts=2, seed=4)
    gpu = search(G.cuda(), x.cuda(), steps=30, restarts=2, seed=4)
    assert torch.equal(cpu.z_init, gpu.z_init) and gpu.z.device.type == "cuda"
    assert torch.allclose(cpu.z_final, gpu.z_final, atol=1e-3)


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------


def test_search_names_a_bad_target(G):
    _, x = known(G, n=2)
    with pytest.raises(
        ValueError, match=r"target must be a float tensor \(N, 1, 28, 28\).*shape \(1, 28, 28\).*unsqueeze"
    ):
        search(G, x[0], steps=1)
    with pytest.raises(ValueError, match=r"target must be .*shape \(2, 1, 32, 32\)"):
        search(G, torch.zeros(2, 1, 32, 32), steps=1)
    with pytest.raises(ValueError, match=r"values in \[-1, 1\].*got values in \[8.*, 25.*\].*127.5"):
        search(G, (x + 1) * 127.5, steps=1)
    with pytest.raises(ValueError, match="dtype torch.uint8"):
        search(G, torch.zeros(2, 1, 28, 28, dtype=torch.uint8), steps=1)
    with pytest.raises(ValueError, match="NaN"):
        search(G, torch.full((1, 1, 28, 28), float("nan")), steps=1)


def test_search_names_a_latent_size_that_does_not_match(G):
    _, x = known(G, n=2)
    with pytest.raises(ValueError, match="latent_dim=64 does not match the generator: G.latent_dim is 8"):
        search(G, x, latent_dim=64, steps=1)
    with pytest.raises(
        ValueError, match=r"z_init must be \(N targets, restarts, latent_dim\) = \(2, 4, 8\), got \(2, 4, 64\)"
    ):
        search(G, x, z_init=torch.zeros(2, 4, 64), steps=1)
    bare = nn.Sequential(nn.Linear(8, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
    with pytest.raises(ValueError, match="G has no `latent_dim` attribute"):
        search(bare, x, steps=1)
    with pytest.raises(ValueError, match="G does not take latent vectors of size 16"):
        search(bare, x, latent_dim=16, steps=1)
    assert search(bare, x, latent_dim=8, steps=2).z.shape == (2, 8)


def test_search_names_its_other_bad_arguments(G):
    _, x = known(G, n=1)
    for kwargs, message in [
        ({"loss": torch.nn.MSELoss()}, "loss must be a latent_losses.Loss"),
        ({"steps": 0}, "steps must be an integer >= 1"),
        ({"restarts": 0}, "restarts must be an integer >= 1"),
        ({"lr": -1.0}, "lr must be > 0"),
        ({"schedule": "step"}, r"schedule must be one of \('constant', 'cosine'\)"),
        ({"record_every": 0}, "record_every must be an integer >= 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            search(G, x, **kwargs)
    with pytest.raises(ValueError, match="G must be a generator"):
        search(lambda z: z, x)
    with pytest.raises(ValueError, match="classifier must be an MNISTClassifier"):
        classifier_feature_loss(G)
