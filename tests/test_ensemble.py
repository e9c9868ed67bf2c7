"""The loop batched over seeds: each run matches the ordinary loop, and does not depend on its companions."""

import pytest
import torch

from gan_helpers import data, ensemble
from gan_helpers import train as T
from gan_helpers.models import MLPDiscriminator, MLPGenerator

RING = data.make_sampler(data.ring_2d)


@pytest.fixture(autouse=True)
def _tiny_nets_run_on_one_thread(one_thread):
    """These nets are tiny: one CPU thread is fastest, and does not fight other processes."""


def make(seed, hidden=(16, 16)):
    torch.manual_seed(seed)
    G = MLPGenerator(4, out_shape=(2,), hidden=hidden, style="2014", output="linear")
    return G, MLPDiscriminator((2,), hidden, dropout=0.0)


def config(**options):
    return T.TrainConfig(**{"num_steps": 40, "batch_size": 32, "lr_g": 1e-3, "lr_d": 1e-3, "log_every": 10, **options})


def max_difference(a, b):
    return max((x - y).abs().max().item() for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"objective": "minimax", "d_steps": 2},
        {"objective": "wgan", "optimizer": "rmsprop", "lr_d": 5e-3},
        {"real_label": 0.9, "g_steps": 2},
        {"optimizer": "sgd", "lr_g": 0.02, "lr_d": 0.02, "objective": "hinge"},
    ],
)
def test_each_run_matches_the_ordinary_loop_with_its_seed(options):
    runs = ensemble.train_runs(make, [4, 7], RING, config(**options), progress=False)
    G, D = make(7)
    history = T.train(G, D, RING, config(seed=7, **options), progress=False)
    mine = runs.history[runs.history.seed == 7].reset_index(drop=True)
    assert list(mine.columns) == ["run", "seed", *history.columns]
    for column in history.columns.drop("seconds"):
        assert mine[column].to_numpy() == pytest.approx(history[column].to_numpy(), rel=1e-4, abs=1e-5), column
    assert max_difference(runs.generator(1), G) < 1e-5
    assert max_difference(runs.discriminator(1), D) < 1e-5


def test_a_run_gives_the_same_result_whichever_runs_share_the_batch():
    alone = ensemble.train_runs(make, [3], RING, config(), progress=False)
    crowd = ensemble.train_runs(make, [1, 3, 2, 9], RING, config(), progress=False)
    assert max_difference(alone.generator(0), crowd.generator(1)) < 1e-6
    a = alone.history.drop(columns=["run", "seconds"]).to_numpy()
    b = crowd.history[crowd.history.seed == 3].drop(columns=["run", "seconds"]).to_numpy()
    assert a == pytest.approx(b, rel=1e-5)


def test_clipping_holds_for_every_run():
    runs = ensemble.train_runs(
        make, [0, 1, 2], RING, config(objective="wgan", optimizer="rmsprop", lr_d=0.05), progress=False
    )
    for r in range(3):
        assert max(p.abs().max().item() for p in runs.discriminator(r).parameters()) == pytest.approx(0.01)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="dropout p=0.3"):
        ensemble.train_runs(lambda s: (make(s)[0], MLPDiscriminator((2,), (8,))), [0], RING, config(), progress=False)
    with pytest.raises(ValueError, match="BatchNorm1d"):
        ensemble.train_runs(
            lambda s: (MLPGenerator(4, (2,), (8,), output="linear"), make(s)[1]), [0], RING, config(), progress=False
        )
    with pytest.raises(ValueError, match="gradient penalties"):
        ensemble.train_runs(make, [0], RING, config(objective="wgan-gp"), progress=False)
    with pytest.raises(ValueError, match="distinct"):
        ensemble.train_runs(make, [1, 1], RING, config(), progress=False)
    with pytest.raises(ValueError, match="same shape"):
        ensemble.train_runs(lambda s: make(s, hidden=(8,) * (1 + s)), [0, 1], RING, config(), progress=False)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_flat_adam_is_torch_adam_bit_for_bit(dtype):
    gen = torch.Generator().manual_seed(0)
    start = torch.randn(257, generator=gen, dtype=dtype)
    a, b = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    ours = ensemble.FlatAdam(a, lr=3e-3, betas=(0.5, 0.9))
    torch_adam = torch.optim.Adam([b], lr=3e-3, betas=(0.5, 0.9), foreach=True)
    for step in range(1, 41):
        grad = torch.randn(257, generator=gen, dtype=dtype) * 10.0 ** (step % 7 - 3)  # from 1e-3 to 1e3
        for p, opt in ((a, ours), (b, torch_adam)):
            p.grad = grad.clone()
            if step > 20:  # a decaying lr, as toy_train's lr_final writes it
                opt.param_groups[0]["lr"] = 3e-3 * (41 - step) / 20
            opt.step()
        assert torch.equal(a, b), step
        for key in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(ours.state[a][key], torch_adam.state[b][key]), key
    assert ours.state[a]["step"].dtype == torch_adam.state[b]["step"].dtype
    assert (a - start).abs().max() > 0.02  # it moved (40 steps of at most lr each, in random directions)


def test_flat_adam_skips_a_missing_gradient_and_refuses_a_closure():
    p = torch.nn.Parameter(torch.ones(3))
    opt = ensemble.FlatAdam(p, lr=0.1, betas=(0.9, 0.999))
    opt.step()
    assert torch.equal(p, torch.ones(3)) and not opt.state[p]
    with pytest.raises(ValueError, match="FlatAdam.step takes no closure"):
        opt.step(lambda: 0.0)
    p.grad = torch.ones(3)
    opt.zero_grad()
    assert p.grad is None
    with pytest.raises(ValueError, match="FlatAdam.zero_grad only sets the gradient to None"):
        opt.zero_grad(set_to_none=False)
