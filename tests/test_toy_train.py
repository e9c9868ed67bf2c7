"""The toy trainer batched over seeds: every method against the ordinary loop or a single-run reference."""

import pytest
import torch
from torch.func import functional_call

from gan_helpers import data, objectives, toy, toy_settings, toy_train
from gan_helpers import train as T
from gan_helpers.pacgan import Packed

RING = data.make_sampler(data.ring_2d)
SMALL = {"steps": 12, "batch_size": 16, "latent_dim": 3, "g_hidden": (8, 8), "d_hidden": (8,), "log_every": 3}


@pytest.fixture(autouse=True)
def _tiny_nets_run_on_one_thread(one_thread):
    """These nets are tiny: one CPU thread is fastest, and does not fight other processes."""


def max_difference(a, b):
    return max((x - y).abs().max().item() for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def ordinary_loop(method, seed, **options):
    """The same run by ``train.train``: G, D and the config it needs for ``method``."""
    s = toy_train.settings(method, **{**SMALL, **options})
    G, D = toy_train.make_networks(s, seed)
    if s.packing > 1:
        D = Packed(D, s.packing)
    name = "wgan" if s.clip else "wgan-gp" if s.gp_weight else s.loss
    kwargs = {"clip": s.clip} if s.clip else {"gp_weight": s.gp_weight} if s.gp_weight else {}
    objective = objectives.get(name, r1_gamma=s.gamma, **kwargs)
    config = T.TrainConfig(
        num_steps=s.steps,
        batch_size=s.batch_size,
        lr_g=s.lr_g,
        lr_d=s.lr_d,
        betas=s.betas,
        optimizer=s.optimizer,
        d_steps=s.d_steps,
        objective=objective,
        seed=seed,
        log_every=s.log_every,
    )
    history = T.train(G, D, RING, config, progress=False)
    return G, (D.D if s.packing > 1 else D), history


CASES = [
    ("gan", {}),
    ("gan", {"loss": "minimax", "d_steps": 2}),
    ("r1", {"gamma": 5.0}),
    ("pacgan", {"packing": 4}),
    ("wgan", {"lr_d": 5e-3}),
    ("wgan-gp", {"gp_weight": 10.0, "d_steps": 2}),
]


@pytest.mark.parametrize("method, options", CASES)
def test_each_run_matches_the_ordinary_loop_step_by_step(method, options):
    runs = toy.train_toys("ring", method, [5, 8], progress=False, **{**SMALL, **options})
    G, D, history = ordinary_loop(method, 8, **options)
    mine = runs.history[runs.history.seed == 8].reset_index(drop=True)
    for column in ["step", "loss_d", "loss_g", "d_real", "d_fake", "wasserstein", "r1", "gp"]:
        if column in history:
            assert column in mine, column
            assert mine[column].to_numpy() == pytest.approx(history[column].to_numpy(), rel=1e-4, abs=1e-5), column
    assert max_difference(runs.generator(1), G) < 1e-5
    assert max_difference(runs.discriminator(1), D) < 1e-5


@pytest.mark.parametrize("method", ["gan", "unrolled", "wgan-gp", "pacgan"])
def test_a_run_gives_the_same_result_whichever_runs_share_the_batch(method):
    options = {**SMALL, "unroll": 2} if method == "unrolled" else SMALL
    alone = toy.train_toys("grid", method, [3], progress=False, **options)
    crowd = toy.train_toys("grid", method, [1, 3, 2, 9], progress=False, **options)
    assert max_difference(alone.generator(0), crowd.generator(1)) < 1e-6
    a = alone.history.drop(columns=["run"]).to_numpy()
    b = crowd.history[crowd.history.seed == 3].drop(columns=["run"]).to_numpy()
    assert a == pytest.approx(b, rel=1e-5, abs=1e-7)


def unrolled_reference(seed, unroll, **options):
    """Unrolled GAN, one run, written on modules: D's unrolled weights through torch.func.functional_call."""
    s = toy_train.settings("unrolled", **{**SMALL, "unroll": unroll, **options})
    G, D = toy_train.make_networks(s, seed)
    opt_g = torch.optim.Adam(G.parameters(), lr=s.lr_g, betas=s.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=s.lr_d, betas=s.betas)
    gen = torch.Generator().manual_seed(seed)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    names = [n for n, _ in D.named_parameters()]
    for _ in range(s.steps):
        x = RING(s.batch_size, gen)
        fake = G(torch.randn(s.batch_size, s.latent_dim, generator=gen)).detach()
        real_out, fake_out = D(x), D(fake)
        loss = bce(real_out, torch.ones_like(real_out)) + bce(fake_out, torch.zeros_like(fake_out))
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
        fake = G(torch.randn(s.batch_size, s.latent_dim, generator=gen))
        params = dict(D.named_parameters())
        state = {n: opt_d.state[p] for n, p in params.items()}
        m = {n: state[n]["exp_avg"] for n in names}
        v = {n: state[n]["exp_avg_sq"] for n in names}
        t = int(state[names[0]]["step"])
        for _ in range(unroll):
            r, f = functional_call(D, params, (x,)), functional_call(D, params, (fake,))
            loss = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
            grads = dict(zip(names, torch.autograd.grad(loss, list(params.values()), create_graph=True)))
            t += 1
            b1, b2 = s.betas
            m = {n: b1 * m[n] + (1 - b1) * grads[n] for n in names}
            v = {n: b2 * v[n] + (1 - b2) * grads[n] ** 2 for n in names}
            params = {
                n: params[n] - s.lr_d * (m[n] / (1 - b1**t)) / ((v[n] / (1 - b2**t)).sqrt() + 1e-8) for n in names
            }
        out = functional_call(D, params, (fake,))
        loss_g = bce(out, torch.ones_like(out))
        opt_g.zero_grad()
        loss_g.backward(inputs=list(G.parameters()))
        opt_g.step()
    return G, D


def test_unrolled_matches_a_single_run_written_on_modules():
    runs = toy.train_toys("ring", "unrolled", [0, 4], progress=False, **{**SMALL, "unroll": 3})
    G, D = unrolled_reference(4, 3)
    assert max_difference(runs.generator(1), G) < 1e-5
    assert max_difference(runs.discriminator(1), D) < 1e-5


def test_unrolling_changes_g_and_zero_unroll_steps_is_the_gan():
    gan = toy.train_toys("ring", "gan", [2], progress=False, **SMALL)
    zero = toy.train_toys("ring", "unrolled", [2], progress=False, **{**SMALL, "unroll": 0})
    one = toy.train_toys("ring", "unrolled", [2], progress=False, **{**SMALL, "unroll": 1})
    assert max_difference(gan.generator(0), zero.generator(0)) < 1e-7
    assert max_difference(gan.generator(0), one.generator(0)) > 1e-4


def test_an_unrolled_step_is_the_optimiser_s_own_step_from_its_state():
    s = toy_train.settings("unrolled", **{**SMALL, "unroll": 1})
    runs = toy.train_toys("ring", "gan", [6], progress=False, **{**SMALL, "steps": 3})
    G, D = runs.G, runs.D
    x_real = RING(16, torch.Generator().manual_seed(1))[None]  # (1, 16, 2)
    x_fake = G(torch.randn(1, 16, 3, generator=torch.Generator().manual_seed(2))).detach()
    opt = torch.optim.Adam(D.parameters(), lr=s.lr_d, betas=s.betas)
    for _ in range(3):  # unroll from a state with history (t = 0 would hide a wrong bias correction)
        x_real = x_real.flip(1)
        loss, _ = toy_train._d_loss(D, x_real, x_fake, s)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    before = [w.detach().clone() for w in D.weights]
    unrolled = toy_train._unrolled_weights(D, opt, x_real, x_fake, s)
    assert len(unrolled) == len(before) == 2 * len(D.linear)  # a weight and a bias per Linear layer
    assert all(torch.equal(w, b) for w, b in zip(D.weights, before))  # unrolling leaves D as it was
    loss, _ = toy_train._d_loss(D, x_real, x_fake, s)
    opt.zero_grad()
    loss.sum().backward()
    opt.step()
    for w, p, b in zip(unrolled, D.weights, before, strict=True):
        assert not torch.equal(p, b)
        assert torch.allclose(w, p, atol=1e-7, rtol=1e-5)


def test_weight_clipping_holds_for_every_run_and_is_reached():
    runs = toy.train_toys("ring", "wgan", [0, 1, 2], progress=False, **{**SMALL, "lr_d": 0.05})
    for r in range(3):
        assert max(p.abs().max().item() for p in runs.discriminator(r).parameters()) == pytest.approx(0.01)


def test_a_diverging_run_is_marked_with_its_step_and_the_others_go_on(monkeypatch):
    make = toy_train.make_networks

    def poisoned(s, seed):
        G, D = make(s, seed)
        if seed == 13:
            with torch.no_grad():
                G.net[0].weight[0, 0] = float("nan")
        return G, D

    monkeypatch.setattr(toy_train, "make_networks", poisoned)
    runs = toy.train_toys("ring", "gan", [0, 13, 1], progress=False, **SMALL)
    monkeypatch.setattr(toy_train, "make_networks", make)
    alone = toy.train_toys("ring", "gan", [1], progress=False, **SMALL)
    assert runs.diverged == (None, 1, None)
    assert max_difference(runs.generator(2), alone.generator(0)) < 1e-6
    metrics = runs.metrics(n=100)
    assert metrics.diverged.tolist() == [-1, 1, -1] and metrics.high_quality.isna().tolist() == [False, True, False]


def test_samples_snapshots_and_metrics_agree_with_the_single_generator():
    runs = toy.train_toys("grid", "gan", [4, 7], progress=False, snapshot_every=6, snapshot_n=50, **SMALL)
    assert runs.snapshot_steps == (0, 6, 12) and runs.snapshots.shape == (3, 2, 50, 2)
    G = runs.generator(1)
    x = toy.sample(G, 300, seed=5)
    assert x.shape == (300, 2) and torch.equal(x, toy.sample(G, 300, seed=5))
    assert torch.allclose(runs.samples(300, seed=5)[1], x, atol=1e-6)
    z = torch.randn(50, 3, generator=torch.Generator().manual_seed(7 + 1_000_003))
    with torch.no_grad():
        assert torch.allclose(runs.snapshots[-1, 1], G(z), atol=1e-6)
        assert torch.allclose(runs.snapshots[0, 1], toy_train.make_networks(runs.settings, 7)[0](z), atol=1e-6)
    row = runs.metrics(n=300, seed=5).iloc[1]
    m = toy.mode_metrics(x, "grid")
    assert (row.modes_covered, row.high_quality) == (m.modes_covered, pytest.approx(m.high_quality))


def test_train_toy_is_one_run_of_train_toys():
    G = toy.train_toy("ring", "r1", 3, **SMALL)
    assert max_difference(G, toy.train_toys("ring", "r1", [3, 4], progress=False, **SMALL).generator(0)) < 1e-6


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: toy.train_toys("moons", "gan", [0]), "ring"),
        (lambda: toy.train_toys("ring", "veegan", [0]), "wgan-gp"),
        (lambda: toy.train_toys("ring", "gan", [0], lr=1e-3), "lr_g"),
        (lambda: toy.train_toys("ring", "gan", [0, 0]), "distinct"),
        (lambda: toy.train_toys("ring", "pacgan", [0], packing=3, batch_size=16), "multiple"),
        (lambda: toy.train_toys("ring", "unrolled", [0], optimizer="rmsprop"), "adam"),
        (lambda: toy.train_toys("ring", "gan", [0], steps=0), "steps"),
        (lambda: toy.train_toys("ring", "gan", [0], lr_d=float("nan")), "lr_d"),
        (lambda: toy.train_toys("ring", "gan", [0], lr_g=0.0), r"^lr_g must be > 0, got 0.0$"),
        (lambda: toy.train_toys("ring", "r1", [0], gamma=-1.0), r"^gamma must be >= 0, got -1.0$"),
        (lambda: toy.sample(torch.nn.Linear(2, 2), 10), "latent_dim"),
        (lambda: toy.sample(toy_train.make_networks(toy_train.settings("gan"), 0)[0], 0), "n"),
    ],
)
def test_bad_input_names_the_choices(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_recommended_settings_are_valid_for_each_benchmark():
    assert set(toy.RECOMMENDED) == {"ring", "grid"}
    for method, options in toy.RECOMMENDED.values():
        toy.settings(method, **options)


def test_ema_returns_the_moving_average_of_g_s_weights():
    def weights(steps, **options):
        return [
            p.detach() for p in toy.train_toy("ring", "gan", 3, **{**SMALL, "steps": steps, **options}).parameters()
        ]

    init = [p.detach() for p in toy_train.make_networks(toy_train.settings("gan", **SMALL), 3)[0].parameters()]
    g1, g2, averaged = weights(1), weights(2), weights(2, ema=0.75)
    for e0, a, b, got in zip(init, g1, g2, averaged):
        assert torch.allclose(got, 0.75 * (0.75 * e0 + 0.25 * a) + 0.25 * b, atol=1e-7)


def test_lr_final_scales_the_last_step_and_leaves_the_first():
    def d_weights(steps, **options):
        runs = toy.train_toys("ring", "gan", [1], progress=False, **{**SMALL, "steps": steps, **options})
        return [p.detach() for p in runs.discriminator(0).parameters()]

    # D's second update sees the same G and batch in both runs: with lr_final = 0.5 it is half as long
    one, constant, decayed = d_weights(1), d_weights(2), d_weights(2, lr_final=0.5)
    assert all(
        torch.allclose(c - o, 2 * (d - o), atol=1e-7) and not torch.equal(c, o)
        for o, c, d in zip(one, constant, decayed)
    )
    assert all(torch.equal(a, b) for a, b in zip(one, d_weights(1, lr_final=0.5)))  # a one-step run keeps its rate


def test_published_rows_are_within_each_benchmark_s_range():
    assert {row[0] for row in toy.PUBLISHED} == {"VEEGAN Table 1", "PacGAN Table 1"}
    for source, dataset, method, modes, quality, trials in toy.PUBLISHED:
        assert 0 <= modes <= len(toy.BENCHMARKS[dataset][0]) and 0 <= quality <= 1 and trials >= 5, (source, method)


@pytest.mark.parametrize("dataset", ["ring", "grid"])
def test_real_batches_are_each_runs_own_sampler_draws_exactly(dataset):
    """The trainer draws every run's reals at once; each run's batch is its sampler's, bit for bit."""
    seeds = [4, 0, 11]
    batched = toy_settings.draw_real(dataset, 33, [torch.Generator().manual_seed(s) for s in seeds])
    one_by_one = torch.stack([toy_train.DATASETS[dataset](33, torch.Generator().manual_seed(s)) for s in seeds])
    assert batched.shape == (3, 33, 2)
    assert torch.equal(batched, one_by_one)
