"""Toy GANs batched over seeds (``ensemble.train_runs``) against a loop of single runs, in one process.

    python benchmarks/bench_toy.py                    # 8 and 32 seeds x 500 steps on the ring of 8
    python benchmarks/bench_toy.py --runs 8 --steps 200

Both sides train the same networks (G and D: two hidden layers of 64, no
batch norm, no dropout) with the same config on the ring of 8 Gaussians, on
one CPU thread. The loop side calls ``train.train`` once per seed; the batched
side trains every seed at once. The script checks that the two agree on a
seed they share, and prints runs x steps per second and the speed-up
against the course's target (>= 10x at 8 seeds or more).
"""

from __future__ import annotations

import argparse
import time

import torch

from gan_helpers import data, ensemble, train


def make(seed: int):
    from gan_helpers.models import MLPDiscriminator, MLPGenerator

    torch.manual_seed(seed)
    G = MLPGenerator(16, out_shape=(2,), hidden=(64, 64), style="2014", output="linear")
    return G, MLPDiscriminator((2,), (64, 64), dropout=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--loop-runs", type=int, default=4, help="time this many looped runs and scale up")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ring = data.make_sampler(data.ring_2d)
    config = train.TrainConfig(num_steps=args.steps, batch_size=128, lr_g=1e-3, lr_d=1e-3, log_every=args.steps)

    t0 = time.perf_counter()
    singles = {}
    for seed in range(args.loop_runs):
        G, D = make(seed)
        train.train(G, D, ring, train.TrainConfig(**{**config.__dict__, "seed": seed}), progress=False)
        singles[seed] = G
    loop_rate = args.loop_runs * args.steps / (time.perf_counter() - t0)
    print(f"loop of single runs: {loop_rate:8.0f} run-steps/s ({args.loop_runs} runs x {args.steps} steps)")

    for runs in args.runs:
        t0 = time.perf_counter()
        result = ensemble.train_runs(make, range(runs), ring, config, progress=False)
        rate = runs * args.steps / (time.perf_counter() - t0)
        gap = max((a - b).abs().max().item() for a, b in zip(result.generator(0).state_dict().values(), singles[0].state_dict().values()))
        verdict = "meets" if rate >= 10 * loop_rate or runs < 8 else "misses"
        print(f"batched, {runs:3d} runs:  {rate:8.0f} run-steps/s, {rate / loop_rate:5.1f}x the loop "
              f"({verdict} the >= 10x target); seed 0 differs from its single run by {gap:.1e}")


if __name__ == "__main__":
    main()
