"""Vectorised single-point GAN sweep against a loop of single runs, in one process.

    python benchmarks/bench_point.py                 # 100 runs x 3,000 steps (about 6 minutes: the loop is slow)
    python benchmarks/bench_point.py --loop-runs 10  # time 10 looped runs and scale to 100

The vectorised side trains all runs at once (``point.simulate``); the loop side
calls ``point.train_single`` once per run, the same loop lesson 1 writes out.
Both use one CPU thread unless ``--threads`` says otherwise. The script checks
that both give the same final (w, b) for the runs they share, and prints the
speed-up against the course's target (>= 100x, vectorised <= 10 s).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import torch

from gan_helpers import point


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=25)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--loop-runs", type=int, default=None, help="time only this many looped runs and scale up")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    lr_pairs = [(3e-2, 3e-3), (1e-2, 1e-2), (3e-2, 1e-2), (1e-2, 1e-1)]
    runs = list(itertools.product(range(args.seeds), lr_pairs))
    n = len(runs)
    print(f"{n} runs x {args.steps} steps, {torch.get_num_threads()} thread(s), torch {torch.__version__}")

    start = time.perf_counter()
    result = point.simulate(range(args.seeds), lr_pairs, num_steps=args.steps)
    t_vec = time.perf_counter() - start
    print(f"vectorised: {t_vec:.2f} s  ({t_vec / args.steps * 1e3:.3f} ms per step for all runs)")

    n_loop = n if args.loop_runs is None else min(args.loop_runs, n)
    start = time.perf_counter()
    finals = []
    for seed, (lr_g, lr_d) in runs[:n_loop]:
        h = point.train_single(seed, lr_g, lr_d, num_steps=args.steps)
        finals.append((h.w.iloc[-1], h.b.iloc[-1]))
    t_loop = (time.perf_counter() - start) * n / n_loop
    note = "" if n_loop == n else f" (timed {n_loop} runs, scaled to {n})"
    print(f"loop of single runs: {t_loop:.1f} s{note}")

    frame = result.frame.iloc[:n_loop]
    gap = np.abs(frame[["w", "b"]].to_numpy() - np.array(finals)).max()
    agree = (frame.success.to_numpy() == point.is_success(*np.array(finals).T)).mean()
    print(f"largest |difference| of final (w, b) between the two: {gap:.2e}; same success verdict: {agree:.0%}")
    speedup = t_loop / t_vec
    print(f"speed-up: {speedup:.0f}x (target >= 100x); vectorised sweep {t_vec:.1f} s (target <= 10 s)")
    print(f"success rate per (lr_g, lr_d):\n{result.frame.groupby(['lr_g', 'lr_d']).success.mean().to_string()}")


if __name__ == "__main__":
    main()
