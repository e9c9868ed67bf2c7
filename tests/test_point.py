import math

import numpy as np
import pandas as pd
import pytest
import torch

from gan_helpers import point

SHORT = dict(num_steps=200, batch_size=8)


def _single_vs_sweep(seed, lr_g, lr_d, **options):
    single = point.train_single(seed, lr_g, lr_d, **options)
    result = point.simulate([seed, seed + 1], [(lr_g, lr_d), (1e-3, 2e-3)], record_every=1, **options)
    run = result.history[0]  # the run (seed, lr_g, lr_d) comes first: seeds x pairs, seed-major
    return single, run, result


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"optimizer": "sgd"},
        {"real_label": 0.9, "fake_label": 0.1, "fake_weight": 0.5},
        {"d_weight_decay": 0.1},
        {"noise_scale": 1.5, "noise_draws": 4},
        {"r1_gamma": 2.0},
    ],
    ids=["plain", "sgd", "easing+weight", "weight-decay", "noise", "r1"],
)
def test_sweep_matches_single_run_loop_step_by_step(options):
    single, run, _ = _single_vs_sweep(3, 3e-2, 1e-2, **SHORT, **options)
    np.testing.assert_allclose(run[:, 0], single.w.to_numpy(), atol=1e-5)
    np.testing.assert_allclose(run[:, 1], single.b.to_numpy(), atol=1e-5)


def test_full_length_run_agrees_at_the_end():
    single = point.train_single(9, 3e-2, 3e-3)
    row = point.sweep([9], [(3e-2, 3e-3)]).iloc[0]
    assert row.success and point.is_success(single.w.iloc[-1], single.b.iloc[-1])
    assert abs(row.w - single.w.iloc[-1]) < 1e-4 and abs(row.b - single.b.iloc[-1]) < 1e-4


def test_a_run_does_not_depend_on_its_neighbours():
    alone = point.sweep([4], [(1e-2, 3e-2)], **SHORT)
    crowd = point.sweep([7, 4, 11], [(3e-3, 3e-3), (1e-2, 3e-2)], **SHORT)
    same = crowd[(crowd.seed == 4) & (crowd.lr_d == 3e-2)].iloc[0]
    assert same.w == pytest.approx(alone.w[0], abs=1e-6) and same.b == pytest.approx(alone.b[0], abs=1e-6)


def test_chunking_of_random_numbers_does_not_change_runs():
    a = point.simulate([1, 2], [1e-2], chunk=7, **SHORT).frame
    b = point.simulate([1, 2], [1e-2], chunk=1000, **SHORT).frame
    pd.testing.assert_frame_equal(a, b)


def test_sweep_frame_columns_and_success_rule():
    df = point.sweep(range(3), [1e-2, (3e-2, 3e-3)], **SHORT)
    assert list(df.columns[:6]) == ["seed", "lr_g", "lr_d", "w", "b", "success"]
    assert len(df) == 6 and df.seed.tolist() == [0, 0, 1, 1, 2, 2]
    assert df.lr_g.tolist()[:2] == pytest.approx([1e-2, 3e-2]) and df.lr_d.tolist()[:2] == pytest.approx([1e-2, 3e-3])
    expected = (df.w.abs() < 0.1) & ((df.b - 1).abs() < 0.1) & (df.diverged_step == 0)
    assert (df.success == expected).all()


def test_the_default_setting_learns_the_point_for_most_seeds():
    df = point.sweep(range(20), [(3e-2, 3e-3)])
    assert df.success.mean() >= 0.9, df.success.mean()
    ok = df[df.success]
    assert ok.w.abs().max() < 0.1 and (ok.b - 1).abs().max() < 0.1
    assert (ok.d_real - 0.5).abs().max() < 0.05  # at the equilibrium D cannot tell: D(1) = 1/2


def test_a_diverging_run_is_marked_and_does_not_stop_the_others():
    # plain SGD with a learning rate near float32's limit overflows within a few steps
    df = point.sweep([0, 1], [(1e-2, 1e-2), (1e38, 1e38)], optimizer="sgd", **SHORT)
    bad, good = df[df.lr_g > 1], df[df.lr_g < 1]
    assert (bad.diverged_step > 0).all() and not bad.success.any()
    assert np.isfinite(df[["w", "b", "loss_d", "loss_g", "d_real"]].to_numpy()).all()
    reference = point.sweep([0, 1], [(1e-2, 1e-2)], optimizer="sgd", **SHORT)
    np.testing.assert_allclose(good.w.to_numpy(), reference.w.to_numpy(), atol=1e-6)
    assert (good.diverged_step == 0).all()
    # the single-run loop stops at the same step, and says which
    step = int(bad.diverged_step.iloc[0])
    with pytest.raises(FloatingPointError, match=rf"diverged at step {step}:"):
        point.train_single(0, 1e38, 1e38, optimizer="sgd", **SHORT)


def test_sweep_reports_the_last_losses_of_the_single_loop():
    for options in ({}, {"r1_gamma": 1.0, "noise_scale": 0.5, "noise_draws": 3}):
        single = point.train_single(2, 1e-2, 1e-2, **SHORT, **options).iloc[-1]
        row = point.sweep([2], [1e-2], **SHORT, **options).iloc[0]
        assert row.loss_d == pytest.approx(single.loss_d, abs=1e-5)
        assert row.loss_g == pytest.approx(single.loss_g, abs=1e-5)


def test_history_records_every_k_steps():
    r = point.simulate([0], [1e-2], record_every=50, **SHORT)
    assert r.steps.tolist() == [50, 100, 150, 200] and r.history.shape == (1, 4, 2)
    assert r.history[0, -1, 0] == pytest.approx(r.frame.w[0]) and r.history[0, -1, 1] == pytest.approx(r.frame.b[0])


def test_discriminator_prob_matches_the_module():
    gen = torch.Generator().manual_seed(5)
    _, D = point.make_models(gen)
    params = {
        "w": np.zeros(1),
        "b": np.zeros(1),
        "d_w1": D.hidden.weight.detach().numpy().reshape(1, 2),
        "d_b1": D.hidden.bias.detach().numpy()[None],
        "d_w2": D.out.weight.detach().numpy().reshape(1, 2),
        "d_b2": D.out.bias.detach().numpy(),
    }
    grid = np.linspace(-2, 3, 7)
    with torch.no_grad():
        expected = torch.sigmoid(D(torch.tensor(grid, dtype=torch.float32))).numpy()
    np.testing.assert_allclose(point.discriminator_prob(params, grid)[0], expected, atol=1e-6)


def test_sample_normal_is_standard_normal():
    z = point.sample_normal(20000, torch.Generator().manual_seed(0))
    assert z.shape == (20000, 2)
    assert abs(z.mean().item()) < 0.02 and abs(z.std().item() - 1) < 0.02
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 0.03


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(seeds=[], lrs=[1e-2]), "seeds"),
        (dict(seeds=[0], lrs=[]), "lrs"),
        (dict(seeds=[0], lrs=[0.0]), "lr_g"),
        (dict(seeds=[0], lrs=[(1e-2, -1e-3)]), "lr_d"),
        (dict(seeds=[0], lrs=[math.nan]), "finite"),
        (dict(seeds=[-1], lrs=[1e-2]), "seeds"),
        (dict(seeds=[0], lrs=[1e-2], num_step=10), "unknown option.*num_step.*allowed"),
        (dict(seeds=[0], lrs=[1e-2], noise_scale=math.inf), "noise_scale.*finite"),
        (dict(seeds=[0], lrs=[1e-2], noise_draws=4), "noise_draws.*noise_scale"),
        (dict(seeds=[0], lrs=[1e-2], real_label=1.5), "real_label"),
        (dict(seeds=[0], lrs=[1e-2], optimizer="rmsprop"), "optimizer"),
        (dict(seeds=[0], lrs=[1e-2], batch_size=0), "batch_size"),
        (dict(seeds=[0], lrs=[1e-2], betas=(0.9, 1.0)), "betas"),
    ],
)
def test_bad_input_raises_value_error_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        point.sweep(**kwargs)


def test_train_single_rejects_bad_input():
    with pytest.raises(ValueError, match="lr_d"):
        point.train_single(0, 1e-2, 0.0)
    with pytest.raises(ValueError, match="unknown option"):
        point.train_single(0, 1e-2, 1e-2, steps=10)
    with pytest.raises(ValueError, match="not both"):
        point.train_single(0, 1e-2, 1e-2, point.PointConfig(), num_steps=10)


def test_simulate_restores_the_thread_setting():
    outer = torch.get_num_threads()
    torch.set_num_threads(2)  # not the runs' 1, so that a run left on the caller's setting shows
    try:
        point.sweep([0], [1e-2], num_steps=5, threads=1)
        assert torch.get_num_threads() == 2
        seen = []
        point.train_single(0, 1e-2, 1e-2, num_steps=2, callback=lambda *_: seen.append(torch.get_num_threads()))
        assert seen == [1, 1] and torch.get_num_threads() == 2
        seen.clear()
        point.train_single(
            0, 1e-2, 1e-2, num_steps=1, threads=None, callback=lambda *_: seen.append(torch.get_num_threads())
        )
        assert seen == [2]  # None leaves the caller's setting
    finally:
        torch.set_num_threads(outer)
    with pytest.raises(ValueError, match="threads"):
        point.sweep([0], [1e-2], num_steps=5, threads=0)


def test_train_single_first_two_steps_by_hand():
    # plain SGD, written out: D's step on the real value and G's (detached) outputs, then G's step on new inputs
    lr_g, lr_d, B = 0.3, 0.2, 4
    gen = torch.Generator().manual_seed(8)
    u = (torch.rand(9, generator=gen) * 2 - 1).double()
    w, b = u[0].clone(), u[1].clone()
    d = u[2:].clone()  # u1, u2, c1, c2, a1, a2, c0

    def logit(d, v):
        return d[4] * torch.sigmoid(d[0] * v + d[2]) + d[5] * torch.sigmoid(d[1] * v + d[3]) + d[6]

    rows = []
    for step in (1, 2):
        x = (torch.rand(B, generator=gen) * 2 - 1).double()
        d = d.detach().requires_grad_(True)
        loss_d = (
            -torch.log(torch.sigmoid(logit(d, torch.ones(B, dtype=torch.float64)))).mean()
            - torch.log(torch.sigmoid(-logit(d, w * x + b))).mean()
        )
        (grad_d,) = torch.autograd.grad(loss_d, d)
        d = d.detach() - lr_d * grad_d
        x = (torch.rand(B, generator=gen) * 2 - 1).double()
        wb = torch.stack([w, b]).requires_grad_(True)
        loss_g = -torch.log(torch.sigmoid(logit(d, wb[0] * x + wb[1]))).mean()
        (grad_g,) = torch.autograd.grad(loss_g, wb)
        w, b = (wb.detach() - lr_g * grad_g).unbind()
        rows.append([step, w.item(), b.item(), loss_d.item(), loss_g.item()])
    history = point.train_single(8, lr_g, lr_d, num_steps=2, batch_size=B, optimizer="sgd")
    np.testing.assert_allclose(history.to_numpy(), np.array(rows), rtol=0, atol=1e-6)


def test_sgd_momentum_in_the_sweep_matches_torch_optim_in_the_single_loop():
    single, run, _ = _single_vs_sweep(3, 3e-2, 1e-2, **SHORT, optimizer="sgd", momentum=0.9)
    np.testing.assert_allclose(run[:, 0], single.w.to_numpy(), atol=1e-5)
    np.testing.assert_allclose(run[:, 1], single.b.to_numpy(), atol=1e-5)
    plain = point.train_single(3, 3e-2, 1e-2, **SHORT, optimizer="sgd")
    assert abs(plain.w.iloc[-1] - single.w.iloc[-1]) > 1e-3  # momentum changes the run
    # plain SGD is momentum 0, exactly
    pd.testing.assert_frame_equal(plain, point.train_single(3, 3e-2, 1e-2, **SHORT, optimizer="sgd", momentum=0.0))


def test_sweep_d_real_is_the_final_ds_probability_at_the_target():
    result = point.simulate([0, 1], [1e-2], **SHORT, target=2.0)
    np.testing.assert_allclose(
        result.frame.d_real, point.discriminator_prob(result.params, [2.0])[:, 0], rtol=0, atol=0
    )
    assert result.frame.d_real.between(0, 1).all() and result.frame.d_real.std() > 0


def test_point_make_optimizer_passes_betas_momentum_and_weight_decay():
    params = [torch.nn.Parameter(torch.zeros(2))]
    adam = point.make_optimizer(params, 0.1, point.PointConfig(betas=(0.5, 0.9)), weight_decay=0.3)
    assert isinstance(adam, torch.optim.Adam)
    assert adam.param_groups[0]["betas"] == (0.5, 0.9) and adam.param_groups[0]["weight_decay"] == 0.3
    sgd = point.make_optimizer(params, 0.1, point.PointConfig(optimizer="sgd", momentum=0.4), weight_decay=0.2)
    assert isinstance(sgd, torch.optim.SGD)
    assert sgd.param_groups[0]["momentum"] == 0.4 and sgd.param_groups[0]["weight_decay"] == 0.2


def test_train_single_columns_callback_and_the_arguments_its_errors_name():
    seen = []
    history = point.train_single(
        3, 1e-2, 1e-2, num_steps=3, callback=lambda step, G, D: seen.append((step, type(G).__name__, type(D).__name__))
    )
    assert list(history.columns) == ["step", "w", "b", "loss_d", "loss_g"]
    assert seen == [(s, "Generator", "Discriminator") for s in (1, 2, 3)]
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        point.train_single(-1, 1e-2, 1e-2, num_steps=2)
    with pytest.raises(ValueError, match="lr_g must be > 0"):
        point.train_single(0, 0.0, 1e-2, num_steps=2)
    with pytest.raises(ValueError, match="lr_d must be > 0"):
        point.train_single(0, 1e-2, -1.0, num_steps=2)


def test_train_single_init_scale_scales_the_starting_weights():
    # with learning rates of 1e-12 one step leaves the weights where they started
    full = point.train_single(4, 1e-12, 1e-12, num_steps=1, init_scale=1.0)
    small = point.train_single(4, 1e-12, 1e-12, num_steps=1, init_scale=0.1)
    assert small.w[0] == pytest.approx(0.1 * full.w[0], rel=1e-6)
    assert small.b[0] == pytest.approx(0.1 * full.b[0], rel=1e-6)


def test_the_divergence_message_gives_the_values_of_that_step_in_order():
    """The message's w and b are G's parameters after the failing step, then D's loss (here the overflow) and G's."""
    kept = {}
    with pytest.raises(FloatingPointError) as err:
        point.train_single(0, 1e38, 1e38, optimizer="sgd", callback=lambda step, G, D: kept.update(G=G), **SHORT)
    fields = dict(part.split("=") for part in str(err.value).split(": ", 1)[1].split(", "))
    assert list(fields) == ["w", "b", "loss_d", "loss_g"]
    G = kept["G"]  # the same module, stepped once more before the check failed
    assert float(fields["w"]) == G.linear.weight.item() and float(fields["b"]) == G.linear.bias.item()
    assert float(fields["w"]) != float(fields["b"])
    assert float(fields["loss_d"]) == math.inf and math.isfinite(float(fields["loss_g"]))


def test_generator_and_discriminator_act_element_by_element_on_any_shape():
    torch.manual_seed(0)
    G, D = point.Generator(), point.Discriminator()
    x = torch.randn(2, 3, dtype=torch.float32)
    w, b = G.linear.weight.item(), G.linear.bias.item()
    with torch.no_grad():
        assert G(x).shape == (2, 3)
        torch.testing.assert_close(G(x), w * x + b)
        # D on a (2, 3) batch is D on each row of it
        assert D(x).shape == (2, 3)
        torch.testing.assert_close(D(x), torch.stack([D(row) for row in x]))
        # and on a (B,) batch it is the hand-written 1 -> 2 -> 1 MLP
        v = x[0].double()
        h = torch.sigmoid(v[:, None] * D.hidden.weight.double().view(1, 2) + D.hidden.bias.double())
        expected = h @ D.out.weight.double().view(2) + D.out.bias.double()
        torch.testing.assert_close(D(x[0]).double(), expected, rtol=1e-6, atol=1e-6)
