"""Train lesson 5's DCGAN data-parallel: one process per GPU (or several on a CPU), with torchrun.

    torchrun --standalone --nproc_per_node=2 tools/train_ddp.py --steps 500 --checkpoint runs/dcgan.pt
    torchrun --standalone --nproc_per_node=4 tools/train_ddp.py --source torchvision --batch-size 256 --steps 5000 \\
        --g-widths 128 64 32 --d-widths 64 128 --checkpoint runs/dcgan.pt --resume
    python tools/train_ddp.py --steps 10     # one process, the same run

``--batch-size`` is the global batch: each of the ``--nproc_per_node`` ranks
takes an equal shard of it (gan_helpers.distributed), so the run does not
depend on the number of processes, only on ``--seed`` (up to D's dropout,
which each rank draws for itself: ``--dropout 0`` removes it, and BatchNorm's
floating-point sums). On GPUs the ranks talk over NCCL, on the CPU over gloo.
Rank 0 alone prints the log lines and writes ``--checkpoint`` (atomically);
``--resume`` continues from it. ``--out-generator`` writes G's weights at the end.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from gan_helpers import distributed, train
from gan_helpers.data import load_mnist
from gan_helpers.models import DCGANDiscriminator, DCGANGenerator
from gan_helpers.utils import seed_everything


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch, shared by all ranks")
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--g-widths", type=int, nargs=3, default=[64, 32, 16])
    parser.add_argument("--d-widths", type=int, nargs=2, default=[32, 64])
    parser.add_argument("--dropout", type=float, default=0.3, help="D's dropout (lesson 5: 0.3)")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--seed", type=int, default=0, help="the same on every rank: one run, not one per rank")
    parser.add_argument(
        "--source",
        default="bundled",
        choices=["bundled", "torchvision", "random"],
        help="MNIST digits (gan_helpers.data.load_mnist), or random images for a quick check",
    )
    parser.add_argument("--log-every", type=int, default=1)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--out-generator", type=Path, default=None, help="write G's state_dict here at the end (rank 0)"
    )
    parser.add_argument("--no-sync-batchnorm", action="store_true", help="BatchNorm on each rank's shard only")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per process")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    parallel = distributed.init_from_env(sync_batchnorm=not args.no_sync_batchnorm)
    seed_everything(args.seed)  # the same initial weights and dropout seed on every rank
    if args.source == "random":
        x = torch.rand(256, 1, 28, 28, generator=torch.Generator().manual_seed(args.seed)) * 2 - 1
    else:
        x = load_mnist(args.source, "train")[0]  # (N, 1, 28, 28) in [-1, 1]
    G = DCGANGenerator(args.latent_dim, args.g_widths)
    D = DCGANDiscriminator(args.d_widths, dropout=args.dropout)
    config = train.TrainConfig(
        num_steps=args.steps,
        batch_size=args.batch_size,
        lr_g=args.lr,
        lr_d=args.lr,
        seed=args.seed,
        log_every=args.log_every,
    )

    def log(step, G, D, row):  # every rank gets the same row: the means over the ranks
        if parallel.is_main and step % args.log_every == 0:
            print(
                f"step {step}  loss_d {row['loss_d']:.4f}  loss_g {row['loss_g']:.4f}  "
                f"d_real {row['d_real']:.3f}  d_fake {row['d_fake']:.3f}",
                flush=True,
            )

    if parallel.is_main:
        print(
            f"{parallel.world_size} process(es) on {parallel.device}; global batch {args.batch_size}, "
            f"{args.batch_size // parallel.world_size} per process",
            flush=True,
        )
    # An error on one rank ends the run: torchrun then stops the others.
    train.train(
        G,
        D,
        x,
        config,
        callbacks=[log],
        checkpoint=args.checkpoint,
        resume=args.resume,
        progress=False,
        device=parallel.device,
        parallel=parallel,
    )
    if parallel.is_main and args.out_generator is not None:
        args.out_generator.parent.mkdir(parents=True, exist_ok=True)
        torch.save(G.state_dict(), args.out_generator)
    distributed.shutdown(parallel)  # waits for every rank, rank 0's last checkpoint written


if __name__ == "__main__":
    main()
