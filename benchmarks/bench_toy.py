"""The toy GANs of lessons 6 and 7: the batched trainer's speed, and the table of every method.

    python benchmarks/bench_toy.py speed                 # 8 and 32 seeds against a loop of single runs
    python benchmarks/bench_toy.py speed --hidden 128 --batch-size 256   # the lessons' larger networks
    python benchmarks/bench_toy.py table                 # every method x 5 seeds on the ring and the grid
    python benchmarks/bench_toy.py table --datasets ring --methods gan pacgan

``speed`` trains the same networks with the same settings two ways, in one
process on one CPU thread: a Python loop of ``train.train`` calls, one per
seed, and ``toy.train_toys`` with every seed at once. It checks that the two
agree on a seed they share and prints runs x steps per second and the
speed-up against the course's target (>= 10x at 8 seeds or more). Batching
removes per-step overhead, so it gains most on small networks; on larger
ones the arithmetic itself dominates and the gain shrinks.

``table`` trains every method with its defaults and one budget for all
(:data:`TABLE_BUDGET`), then the lessons' recommendation for each benchmark
(``toy.RECOMMENDED``) at its own budget, 5 seeds each; it judges 2,500
samples per run with VEEGAN's definitions and writes one row per benchmark
and method (mean and standard error over the seeds, CPU seconds per run) to
``gan_helpers/tables/toy_methods.csv``, which ships with the package:
``toy.results_table()`` gives it, beside the published rows, to lessons 6 and 7.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import pandas as pd
import torch

from gan_helpers import data, objectives, toy, toy_train, train

OUT = (
    Path(toy.__file__).resolve().parent / "tables" / "toy_methods.csv"
)  # shipped with the package: toy.results_table()
COLUMNS = [
    "dataset",
    "method",
    "options",
    "seeds",
    "modes_mean",
    "modes_se",
    "hq_mean",
    "hq_se",
    "diverged",
    "cpu_s_per_run",
    "load",
]


def speed(runs: list[int], steps: int, loop_runs: int, hidden: int, batch_size: int, repeats: int = 3) -> None:
    sizes = {"g_hidden": (hidden, hidden), "d_hidden": (hidden, hidden), "batch_size": batch_size}
    s = toy_train.settings("gan", steps=steps, log_every=steps, **sizes)
    print(f"G and D: two hidden layers of {hidden}; batches of {batch_size}; load {os.getloadavg()[0]:.1f}")
    ring = data.make_sampler(data.ring_2d)
    config = train.TrainConfig(
        num_steps=steps,
        batch_size=s.batch_size,
        lr_g=s.lr_g,
        lr_d=s.lr_d,
        betas=s.betas,
        objective=objectives.get("non_saturating"),
        log_every=steps,
    )

    def loop():
        singles = {}
        for seed in range(loop_runs):
            G, D = toy_train.make_networks(s, seed)
            train.train(G, D, ring, train.TrainConfig(**{**config.__dict__, "seed": seed}), progress=False)
            singles[seed] = G
        return singles

    def batched(r):
        return toy.train_toys("ring", "gan", range(r), steps=steps, log_every=steps, progress=False, **sizes)

    singles, seconds = best_of(repeats, loop)
    loop_rate = loop_runs * steps / seconds
    print(
        f"loop of single runs (train.train): {loop_rate:8.0f} run-steps/s "
        f"({loop_runs} runs x {steps} steps, best of {repeats})"
    )
    for r in runs:
        result, seconds = best_of(repeats, batched, r)
        rate = r * steps / seconds
        gap = max(
            (a - b).abs().max().item()
            for a, b in zip(result.generator(0).state_dict().values(), singles[0].state_dict().values())
        )
        verdict = "meets" if rate >= 10 * loop_rate else "misses"
        print(
            f"batched, {r:3d} runs:  {rate:8.0f} run-steps/s, {rate / loop_rate:5.1f}x the loop "
            f"({verdict} the >= 10x target); seed 0 differs from its single run by {gap:.1e}"
        )


def best_of(repeats: int, fn, *args):
    """``fn(*args)`` once to warm up (first calls allocate and pick kernels), then ``repeats`` timed calls:
    the last result and the shortest wall time, as ``timeit`` reports."""
    fn(*args)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    return result, min(times)


#: The table's budget, the same for every method: G steps, batch size, learning-rate decay.
TABLE_BUDGET = {"steps": 3000, "batch_size": 256, "lr_final": 0.05}


def table(datasets: list[str], methods: list[str], seeds: int, out: Path, steps: int | None = None) -> pd.DataFrame:
    rows = []
    old = pd.read_csv(out) if out.exists() else pd.DataFrame(columns=COLUMNS)
    for dataset in datasets:
        for method in methods:
            if method == "recommended":  # the lessons' recommendation for this benchmark, at its own budget
                name, options = toy.RECOMMENDED[dataset]
            else:
                name, options = method, dict(TABLE_BUDGET)
            if steps is not None:
                options = {**options, "steps": steps}
            runs = toy.train_toys(dataset, name, range(seeds), progress=True, **options)
            m = runs.metrics(n=2500, seed=0)
            ok = m[m.diverged < 0]
            rows.append(
                {
                    "dataset": dataset,
                    "method": method if method != "recommended" else f"recommended: {name}",
                    "options": json.dumps(options, sort_keys=True),
                    "seeds": seeds,
                    "modes_mean": ok.modes_covered.mean(),
                    "modes_se": ok.modes_covered.std() / math.sqrt(len(ok)),
                    "hq_mean": ok.high_quality.mean(),
                    "hq_se": ok.high_quality.std() / math.sqrt(len(ok)),
                    "diverged": int((m.diverged >= 0).sum()),
                    "cpu_s_per_run": runs.cpu_seconds / seeds,
                    "load": round(os.getloadavg()[0], 1),
                }
            )
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1), flush=True)
            new = pd.DataFrame(rows, columns=COLUMNS)  # written after every row: a long run keeps what it has done
            keep = old[~old.set_index(["dataset", "method"]).index.isin(new.set_index(["dataset", "method"]).index)]
            result = pd.concat([keep, new]).sort_values(["dataset", "method"]).reset_index(drop=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            result.to_csv(out, index=False, float_format="%.4g")
    print(f"wrote {out}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("speed")
    p.add_argument("--runs", type=int, nargs="+", default=[8, 32])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--loop-runs", type=int, default=4, help="time this many looped runs and scale up")
    p.add_argument("--hidden", type=int, default=32, help="width of G's and D's hidden layers (the lessons: 64 to 128)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each, after one to warm up; the best counts")
    p = sub.add_parser("table")
    p.add_argument("--datasets", nargs="+", default=list(toy.DATASETS), choices=list(toy.DATASETS))
    p.add_argument("--methods", nargs="+", default=[*toy.METHODS, "recommended"], choices=[*toy.METHODS, "recommended"])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--steps", type=int, default=None, help="override the recommended step budget (a quick check)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.command == "speed":
        speed(args.runs, args.steps, args.loop_runs, args.hidden, args.batch_size, args.repeats)
    else:
        table(args.datasets, args.methods, args.seeds, args.out, args.steps)


if __name__ == "__main__":
    main()
