"""Train the MNIST classifier of gan_helpers.classifier (behind gan_helpers.metrics) and write its weights.

Usage: make classifier
   or: python tools/train_classifier.py [--epochs 20] [--seed 0] [--out gan_helpers/weights/mnist_classifier.pt]

Trains :class:`gan_helpers.classifier.MNISTClassifier` on the 4,000 bundled
"train" digits (``load_mnist("bundled", "train")``) on the CPU, with light
augmentation (random shifts of up to 2 pixels, rotations of up to 10 degrees,
scaling by 0.9 to 1.1), reports the accuracy on the 1,000 "heldout" digits,
which it never trains on, writes the ``state_dict`` with ``torch.save`` and
prints the file's sha256. The run is seeded; on the same machine and torch
release it rewrites the same bytes. Elsewhere the weights may differ in the
last bits: then set ``CLASSIFIER_SHA256`` in gan_helpers/classifier.py to the
printed sha256 (``load_classifier`` refuses a file whose sha256 differs).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_helpers.classifier import CLASSIFIER_PATH, CLASSIFIER_SHA256, MNISTClassifier
from gan_helpers.mnist import load_mnist
from gan_helpers.utils import seed_everything

MIN_ACCURACY = 0.96


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random small affine moves of a batch ``(B, 1, 28, 28)`` in [-1, 1]; the background stays -1."""
    B = x.shape[0]
    u = torch.rand(B, 4, generator=generator) * 2 - 1  # (B, 4) in [-1, 1)
    angle = u[:, 0] * math.radians(10)
    scale = 1 + 0.1 * u[:, 1]
    shift = u[:, 2:] * (2 / 14)  # up to 2 pixels: one pixel is 2/28 in grid coordinates
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, 28, 28, 2)
    moved = F.grid_sample(x + 1, grid, padding_mode="zeros", align_corners=False)  # shift so the border is 0
    return moved - 1


def accuracy(model: MNISTClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(images[i : i + 500]).argmax(1) for i in range(0, len(images), 500)])
    return (pred == labels).double().mean().item()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=CLASSIFIER_PATH)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    seed_everything(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    x_train, y_train = load_mnist("bundled", "train")  # (4000, 1, 28, 28), (4000,)
    x_held, y_held = load_mnist("bundled", "heldout")  # (1000, 1, 28, 28), (1000,)

    model = MNISTClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = math.ceil(len(x_train) / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(x_train), args.batch_size):
            idx = order[i : i + args.batch_size]
            x, y = augment(x_train[idx], gen), y_train[idx]
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if epoch % 5 == 0 or epoch == args.epochs:
            print(
                f"epoch {epoch:2d}  train loss {total / len(x_train):.4f}  "
                f"train acc {accuracy(model, x_train, y_train):.4f}  ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    held = accuracy(model, x_held, y_held)
    elapsed = time.perf_counter() - start

    buffer = io.BytesIO()  # through a buffer: the bytes do not depend on the file's name
    torch.save(model.state_dict(), buffer)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    print(f"held-out accuracy {held:.4f} on {len(y_held)} bundled digits; trained in {elapsed:.0f} s")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    print(f"sha256 {digest}")
    if digest != CLASSIFIER_SHA256:
        print("this differs from CLASSIFIER_SHA256 in gan_helpers/classifier.py: set it to the sha256 above")
    if held < MIN_ACCURACY:
        print(f"held-out accuracy {held:.4f} is below {MIN_ACCURACY}: the metrics' tests will fail", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
