"""Presets, failure types, constructed discriminators and the Dirac-GAN (lesson 2)."""

import numpy as np
import pytest
import torch

from gan_helpers import point

PAIRS = [(1e-2, 1e-2), (1e-2, 1e-1), (1e-1, 1e-1)]


def test_presets_hold_valid_options_including_baseline_and_fixed():
    assert {"baseline", "fixed"} <= set(point.PRESETS)
    for name, options in point.PRESETS.items():
        point.PointConfig.from_options(**options)  # raises if a preset is invalid
        assert point.preset(name) == options
    assert point.preset("fixed", noise_draws=4)["noise_draws"] == 4


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ValueError, match="presets: .*baseline"):
        point.preset("nope")
    with pytest.raises(ValueError, match="presets: .*baseline"):
        point.PRESETS["nope"]


def test_preset_values_and_overrides():
    assert point.preset("fixed") == {"noise_scale": 1.0, "noise_draws": 8, "d_weight_decay": 3e-3}
    assert point.preset("label_easing") == {"real_label": 0.9, "fake_label": 0.1}
    assert point.preset("r1", r1_gamma=1.0) == {"r1_gamma": 1.0}
    options = point.preset("fixed")
    options["noise_scale"] = 9.0  # a copy: the preset stays as it was
    assert point.PRESETS["fixed"]["noise_scale"] == 1.0


def test_contradicting_options_name_both():
    with pytest.raises(ValueError, match="noise_draws.*noise_scale"):
        point.preset("baseline", noise_draws=8)
    with pytest.raises(ValueError, match="unknown option"):
        point.preset("fixed", noise=1.0)


def test_fixed_preset_beats_the_baseline():
    base = point.sweep(range(10), PAIRS, **point.preset("baseline")).success.mean()
    fixed = point.sweep(range(10), PAIRS, **point.preset("fixed")).success.mean()
    assert base <= 0.6 and fixed >= 0.9, (base, fixed)


def test_failure_modes_names_every_run():
    result = point.simulate(range(8), PAIRS, record_every=10)
    modes = point.failure_modes(result)
    assert len(modes) == len(result.frame) and set(modes) <= set(point.FAILURE_TYPES)
    assert (modes == "success").equals(result.frame.success)
    stuck = modes == "stuck (flat D)"
    assert stuck.any(), modes.value_counts()  # lr_d = 0.1 kills D in some of these runs
    assert (result.frame.d_real[stuck] - 0.5).abs().max() < 0.01


def test_failure_modes_needs_history():
    with pytest.raises(ValueError, match="record_every"):
        point.failure_modes(point.simulate([0], [1e-2], num_steps=10))


def test_bell_params_draw_a_bell_and_d_slope_matches_finite_differences():
    p = point.bell_params(1.0, [0.5, 0.05], [6.0, 60.0], 10.0, -5.0)
    grid = np.linspace(-1, 3, 401)
    prob = point.discriminator_prob(p, grid)
    assert np.allclose(grid[prob.argmax(1)], 1.0, atol=0.01)
    assert (prob[:, [0, -1]] < 0.01).all()
    v = np.array([0.7, 1.0, 1.2])
    fd = (point.discriminator_prob(p, v + 1e-3) - point.discriminator_prob(p, v - 1e-3)) / 2e-3
    np.testing.assert_allclose(point.d_slope(p, v), fd, atol=1e-2)
    with pytest.raises(ValueError, match="half_width"):
        point.bell_params(1.0, 0.0, 1.0, 1.0, 0.0)


def test_judge_matches_the_losses_of_the_training_loop():
    gen = torch.Generator().manual_seed(3)
    G, D = point.make_models(gen)
    with torch.no_grad():
        G.linear.weight.fill_(0.3)
        G.linear.bias.fill_(0.8)
    params = {
        "d_w1": D.hidden.weight.detach().numpy().reshape(1, 2),
        "d_b1": D.hidden.bias.detach().numpy()[None],
        "d_w2": D.out.weight.detach().numpy().reshape(1, 2),
        "d_b2": D.out.bias.detach().numpy(),
    }
    row = point.judge(params, 0.3, 0.8, batch_size=64, seed=5).iloc[0]
    x = point.sample_inputs(64, torch.Generator().manual_seed(5))
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    loss_d = bce(D(torch.ones(64)), torch.ones(64)) + bce(D(G(x)), torch.zeros(64))
    loss_g = bce(D(G(x)), torch.ones(64))
    loss_g.backward()
    assert row.loss_d == pytest.approx(loss_d.item(), abs=1e-5) and row.loss_g == pytest.approx(loss_g.item(), abs=1e-5)
    assert row.grad_w == pytest.approx(G.linear.weight.grad.item(), abs=1e-5)
    assert row.grad_b == pytest.approx(G.linear.bias.grad.item(), abs=1e-5)


def test_dirac_field_formulas():
    # unregularised, minimax: a rotation that keeps theta^2 + psi^2 constant
    th, ps = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-2, 2, 9))
    d_th, d_ps = point.dirac_field(th, ps, g_loss="minimax")
    assert np.allclose(th * d_th + ps * d_ps, 0)
    # non-saturating: the radius never grows
    d_th, d_ps = point.dirac_field(th, ps)
    assert (th * d_th + ps * d_ps <= 1e-12).all()
    # R1 adds -gamma * psi to D's update
    assert np.allclose(point.dirac_field(th, ps, r1_gamma=2.0)[1], d_ps - 2.0 * ps)
    # noise on the fakes: -psi s^2 / 4 near the equilibrium
    assert point.dirac_field(0.0, 1e-2, noise_scale=1.0)[1] == pytest.approx(-2.5e-3, rel=1e-3)
    with pytest.raises(ValueError, match="g_loss"):
        point.dirac_field(0.0, 0.0, g_loss="hinge")


def test_dirac_trajectory_circles_without_and_converges_with_regularisation():
    free = point.dirac_trajectory(1.0, 0.0, lr=0.05, num_steps=1000, g_loss="minimax")
    r1 = point.dirac_trajectory(1.0, 0.0, lr=0.05, num_steps=1000, r1_gamma=1.0)
    assert free.shape == (1001, 2) and np.hypot(*free[-1]) > 0.95
    assert np.hypot(*r1[-1]) < 0.01
