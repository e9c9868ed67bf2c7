"""Train a generator the course ships and write its weights (registered in gan_helpers.pretrained).

Usage: make weights   (every shipped generator, one after the other)
   or: python tools/train_weights.py [mlp-gan-mnist|dcgan-mnist] [--steps N] [--out PATH] [--eval-every N]

Reads the architecture and training settings of the named generator from
``gan_helpers.pretrained.REGISTRY`` (so the registry and the command cannot
disagree), trains it with ``gan_helpers.train.train`` on the bundled digits on
the CPU, prints the classifier metrics of 1,000 samples every ``--eval-every``
steps (the evaluation draws from its own generator, so it does not change the
run; loading the classifier does not move torch's global RNG either), and, for
a generator registered with an ``ema_decay``, the same for the moving average
of G's weights (``callbacks.WeightAverage``), whose weights are then the ones
written. It writes the float32 ``state_dict`` with ``torch.save`` and prints the
file's size, the training time and its sha256. The run is seeded and single
threaded; on the same machine and torch release it rewrites the same bytes.
Elsewhere the weights may differ in the last bits: then set ``sha256`` of the
entry in gan_helpers/pretrained.py to the printed one (``load_generator``
refuses a file whose sha256 differs). ``--steps`` other than the registered
number is for trying things out: such a file is not the shipped one.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
from pathlib import Path

import torch

from gan_helpers import callbacks, metrics, pretrained, train
from gan_helpers.data import load_mnist
from gan_helpers.utils import seed_everything

TRAIN_FIELDS = ("num_steps", "batch_size", "lr_g", "lr_d", "betas", "optimizer", "d_steps", "g_steps", "seed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", default="mlp-gan-mnist", choices=pretrained.names("generator"))
    parser.add_argument("--steps", type=int, default=None, help="override the registered number of steps")
    parser.add_argument("--out", type=Path, default=None, help="default: the registered file")
    parser.add_argument("--eval-every", type=int, default=2000)
    args = parser.parse_args(argv)

    entry = pretrained.get(args.name)
    settings = dict(entry.settings)
    if args.steps is not None:
        settings["num_steps"] = args.steps
    out = entry.path if args.out is None else args.out
    torch.set_num_threads(settings["threads"])

    x_train, _ = load_mnist("bundled", "train")  # (4000, 1, 28, 28) in [-1, 1]
    x_held, _ = load_mnist("bundled", "heldout")  # (1000, 1, 28, 28)
    seed = seed_everything(settings["seed"])
    G = pretrained.build_generator(args.name)
    D = pretrained.build_discriminator(args.name)
    config = train.TrainConfig(
        **{k: settings[k] for k in TRAIN_FIELDS if k != "num_steps"}, num_steps=settings["num_steps"], log_every=100
    )
    z_eval = torch.randn(1000, G.latent_dim, generator=torch.Generator().manual_seed(seed + 1))  # (1000, latent)
    start = time.perf_counter()

    average = None
    if settings.get("ema_decay") is not None:  # the shipped weights are the moving average of G's
        average = callbacks.WeightAverage(G, decay=settings["ema_decay"])

    def scores(net) -> dict[str, float]:
        with torch.no_grad():
            x = net(z_eval)  # (1000, 1, 28, 28)
        counts = metrics.class_histogram(x)
        return {
            "frechet": metrics.frechet_distance(x, x_held),
            "classes": metrics.classes_covered(x),
            "largest_class": float(counts.max()) / len(x),
            "confidence": metrics.mean_confidence(x),
            "kl_uniform": metrics.kl_to_uniform(x),
            "score": metrics.classifier_score(x),
        }

    def show(label: str, row: dict) -> None:
        print(
            f"  {label:>4}  "
            + "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
            flush=True,
        )

    def evaluate(G, D) -> dict[str, float]:
        row = scores(G)
        show("G", row)
        if average is not None:
            show("EMA", scores(average.model))
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
        return row

    every = min(args.eval_every, settings["num_steps"])
    probe = train.MetricEvery(every, evaluate)
    extra = [] if average is None else [average]
    history = train.train(G, D, x_train, config, callbacks=[*extra, probe], progress=False)
    elapsed = time.perf_counter() - start

    if average is not None:
        G = average.model
    G.eval()
    state = G.state_dict()
    wrong = [k for k, v in state.items() if v.is_floating_point() and v.dtype != torch.float32]
    if wrong:
        raise RuntimeError(f"these tensors are not float32: {wrong}")
    buffer = io.BytesIO()  # through a buffer: the bytes do not depend on the file's name
    torch.save(state, buffer)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    last = history.iloc[-100:]
    print(
        f"{settings['num_steps']:,} steps in {elapsed:.0f} s ({elapsed / settings['num_steps'] * 1e3:.1f} ms/step, "
        f"{torch.get_num_threads()} thread); last 100 steps: loss_d {last.loss_d.mean():.3f}, loss_g {last.loss_g.mean():.3f}"
    )
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
    print(f"sha256 {digest}")
    if digest != entry.sha256:
        print(f"this differs from the sha256 registered for {args.name!r} in gan_helpers/pretrained.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
