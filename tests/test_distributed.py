"""Data-parallel training (gan_helpers.distributed): two CPU processes with gloo against one process.

The two-process test starts 2 ranks on localhost with ``torch.multiprocessing``
and the environment variables ``torchrun`` would set, and checks against one
process on the same global batch: the gradients after a D and a G update are
the averaged ones, a short ``train.train`` run ends with the same weights and
history, and only rank 0 wrote its checkpoint; then both ranks run
``tools/train_ddp.py``'s ``main`` (what ``torchrun ... tools/train_ddp.py`` runs). The nets are lesson 5's DCGAN,
narrow, with BatchNorm in G and D (whose statistics the ranks all-reduce) and
no dropout (whose masks each rank draws for itself).
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from conftest import load_script
from torch import nn

from gan_helpers import distributed, train
from gan_helpers.models import DCGANDiscriminator, DCGANGenerator

ROOT = Path(__file__).resolve().parents[1]
WORLD = 2
LATENT = 8
B = 16  # the global batch; each rank takes 8
CONFIG = dict(num_steps=3, batch_size=B, lr_g=1e-3, lr_d=1e-3, seed=5)
DATA = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1  # (64, 1, 28, 28) in [-1, 1]


def nets() -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    return DCGANGenerator(LATENT, (8, 4, 4)), DCGANDiscriminator((4, 8), dropout=0.0)


def one_update_each(G, D, parallel=None):
    """Gradients of D after one d_step and of G after one g_step, on the (sharded) fixed batch."""
    shard = (lambda t: t) if parallel is None else parallel.shard
    G_run, D_run = (G, D) if parallel is None else (parallel.wrap(G), parallel.wrap(D))
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    gen = torch.Generator().manual_seed(1)
    x, z_d, z_g = DATA[:B], torch.randn(B, LATENT, generator=gen), torch.randn(B, LATENT, generator=gen)
    train.d_step(G_run, D_run, opt_d, shard(x), shard(z_d))
    grads_d = [p.grad.clone() for p in D.parameters()]
    train.g_step(G_run, D_run, opt_g, shard(z_g))
    return grads_d, [p.grad.clone() for p in G.parameters()]


X_BN = torch.randn(6, 3, 2, 2, generator=torch.Generator().manual_seed(4)) * 3 + 1  # (6, 3, 2, 2)


def batchnorm_on(x: torch.Tensor, parallel=None):
    """Output, gradient of sum(out^3) wrt the input, running mean and variance of a BatchNorm (momentum 0.5)."""
    torch.manual_seed(3)
    bn = nn.Sequential(nn.BatchNorm2d(3, momentum=0.5))
    with torch.no_grad():
        bn[0].weight.uniform_(0.5, 1.5), bn[0].bias.uniform_(-1, 1)
    net = bn if parallel is None else parallel.wrap(bn)
    x = (x if parallel is None else parallel.shard(x)).clone().requires_grad_(True)
    out = net(x)
    out.pow(3).sum().backward()
    return out.detach(), x.grad, bn[0].running_mean.clone(), bn[0].running_var.clone()


def worker(rank: int, port: int, folder: str) -> None:
    """One rank: gradients with and without global BatchNorm, then a short run with a checkpoint."""
    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(WORLD), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    parallel = distributed.init_from_env()
    assert parallel.rank == rank and parallel.world_size == WORLD and parallel.device.type == "cpu"
    bn = batchnorm_on(X_BN, parallel)
    grads = one_update_each(*nets(), parallel)
    local_bn = one_update_each(*nets(), distributed.Parallel(rank, WORLD, sync_batchnorm=False))
    G, D = nets()
    history = train.train(
        G,
        D,
        DATA,
        train.TrainConfig(**CONFIG),
        checkpoint=Path(folder) / f"rank{rank}" / "ckpt.pt",
        progress=False,
        parallel=parallel,
    )
    shared = Path(folder) / "shared.pt"  # one path for every rank, as in a real run: stop after 2 steps, resume to 3
    G2, D2 = nets()
    train.train(
        G2,
        D2,
        DATA,
        train.TrainConfig(**{**CONFIG, "num_steps": 2}),
        checkpoint=shared,
        progress=False,
        parallel=parallel,
    )
    parallel.barrier()  # rank 0's file is complete before any rank reads it
    G2, D2 = nets()
    resumed = train.train(
        G2, D2, DATA, train.TrainConfig(**CONFIG), checkpoint=shared, resume=True, progress=False, parallel=parallel
    )
    torch.save(
        {
            "bn": bn,
            "grads": grads,
            "local_bn": local_bn,
            "G": G.state_dict(),
            "D": D.state_dict(),
            "resumed_G": G2.state_dict(),
            "resumed_history": resumed.drop(columns="seconds").to_dict("list"),
            "history": history.drop(columns="seconds").to_dict("list"),
        },
        Path(folder) / f"result{rank}.pt",
    )
    script = load_script("tools/train_ddp.py")
    with open(Path(folder) / f"stdout{rank}.txt", "w") as out, contextlib.redirect_stdout(out):
        script.main(
            [
                "--steps",
                "2",
                "--batch-size",
                "8",
                "--latent-dim",
                "8",
                "--g-widths",
                "8",
                "4",
                "4",
                "--d-widths",
                "4",
                "8",
                "--source",
                "random",
                "--checkpoint",
                str(Path(folder) / "script" / "dcgan.pt"),
            ]
        )
    distributed.shutdown(parallel)  # main has left the process group already: nothing to do


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def close(a, b) -> bool:
    return all(torch.allclose(x, y, rtol=1e-4, atol=1e-6) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    mp.start_processes(worker, args=(free_port(), str(folder)), nprocs=WORLD, join=True, start_method="spawn")
    return folder, [torch.load(folder / f"result{r}.pt", weights_only=True) for r in range(WORLD)]


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Small nets: one CPU thread each (the two ranks set theirs)."""


def test_global_batchnorm_on_two_ranks_is_batchnorm_on_the_whole_batch(two_ranks):
    _, results = two_ranks
    out, grad, mean, var = batchnorm_on(X_BN)
    for rank, result in enumerate(results):
        r_out, r_grad, r_mean, r_var = result["bn"]
        rows = slice(3 * rank, 3 * rank + 3)
        # the statistics' backward all-reduces too: each rank's rows get the gradient of the whole batch's loss
        assert torch.allclose(r_out, out[rows], atol=1e-6) and torch.allclose(r_grad, grad[rows], atol=1e-5)
        assert torch.allclose(r_mean, mean, atol=1e-6) and torch.allclose(r_var, var, rtol=1e-6)


def test_gradients_are_the_average_over_ranks_which_is_one_process_on_the_global_batch(two_ranks):
    _, results = two_ranks
    grads_d, grads_g = one_update_each(*nets())
    for result in results:
        assert close(result["grads"][0], grads_d) and close(result["grads"][1], grads_g)
    # without global BatchNorm each rank normalises its own half: another gradient, as the page says
    assert not close(results[0]["local_bn"][0], grads_d)


def test_a_run_on_two_ranks_ends_where_one_process_ends(two_ranks):
    _, results = two_ranks
    G, D = nets()
    history = train.train(G, D, DATA, train.TrainConfig(**CONFIG), progress=False)
    for result in results:
        assert close(result["G"].values(), G.state_dict().values())
        assert close(result["D"].values(), D.state_dict().values())
        for net, name in ((G, "G"), (D, "D")):  # BatchNorm's running statistics, tighter
            for key, value in net.state_dict().items():
                if key.startswith("running", key.rfind(".") + 1):
                    assert torch.allclose(result[name][key], value, rtol=1e-6, atol=1e-9), (name, key)
        for column, values in history.drop(columns="seconds").items():
            assert result["history"][column] == pytest.approx(values.tolist(), rel=1e-4, abs=1e-6), column


def test_two_ranks_resume_from_rank_0s_checkpoint_where_one_process_would_be(two_ranks):
    _, results = two_ranks
    G, D = nets()
    history = train.train(G, D, DATA, train.TrainConfig(**CONFIG), progress=False)
    for result in results:
        assert close(result["resumed_G"].values(), G.state_dict().values())
        assert result["resumed_history"]["loss_g"] == pytest.approx(history["loss_g"].tolist(), rel=1e-4, abs=1e-6)


def test_only_rank_0_writes_the_checkpoint(two_ranks):
    folder, results = two_ranks
    assert (folder / "rank0" / "ckpt.pt").exists() and not (folder / "rank1").exists()
    state = torch.load(folder / "rank0" / "ckpt.pt", weights_only=True)
    assert state["step"] == CONFIG["num_steps"]
    assert all(torch.equal(state["G"][k], v) for k, v in results[0]["G"].items())


def test_the_script_runs_on_two_ranks_and_rank_0_alone_prints_and_writes(two_ranks):
    folder, _ = two_ranks
    out = folder / "script" / "dcgan.pt"
    assert torch.load(out, weights_only=True)["step"] == 2
    assert os.listdir(out.parent) == ["dcgan.pt"]
    printed = [(folder / f"stdout{rank}.txt").read_text() for rank in range(WORLD)]
    assert "2 process(es) on cpu; global batch 8, 4 per process" in printed[0] and "step 2  loss_d" in printed[0]
    assert printed[1] == ""


def test_one_process_changes_nothing():
    parallel = distributed.Parallel()
    x = torch.arange(6.0).view(3, 2)
    assert parallel.is_main and torch.equal(parallel.shard(x), x)
    G, _ = nets()
    assert parallel.wrap(G) is G
    assert parallel.mean_logs({"loss_d": 1.5}) == {"loss_d": 1.5}


def test_shards_are_consecutive_equal_rows():
    x = torch.arange(12).view(6, 2)
    parts = [distributed.Parallel(r, 3).shard(x) for r in range(3)]
    assert torch.equal(torch.cat(parts), x) and all(len(p) == 2 for p in parts)


def test_global_batchnorm_outside_a_process_group_is_batchnorm():
    bn = nn.BatchNorm2d(3, momentum=0.3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5), bn.bias.uniform_(-1, 1)
    mine = distributed.GlobalBatchNorm(3, momentum=0.3)
    mine.load_state_dict(bn.state_dict())
    x = torch.randn(5, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    assert torch.equal(mine(x), bn(x)) and torch.equal(mine.running_var, bn.running_var)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: distributed.Parallel(2, 2), "rank must be in \\[0, world_size=2\\)"),
        (lambda: distributed.Parallel(0, 0), "world_size"),
        (lambda: distributed.Parallel(sync_batchnorm="yes"), "sync_batchnorm"),
        (
            lambda: distributed.Parallel(0, 3).shard(torch.zeros(8, 2)),
            "batch_size \\(8\\) must be a multiple of world_size \\(3\\)",
        ),
    ],
)
def test_bad_arguments_name_the_problem(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_train_rejects_a_batch_the_ranks_cannot_share():
    G, D = nets()
    with pytest.raises(ValueError, match="batch_size \\(15\\) must be a multiple of world_size \\(2\\)"):
        train.train(
            G,
            D,
            DATA,
            train.TrainConfig(**{**CONFIG, "batch_size": 15}),
            progress=False,
            parallel=distributed.Parallel(0, 2),
        )
