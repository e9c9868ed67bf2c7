"""Lesson 5's DCGAN: the course's training loop against a plain reference loop, in one process.

    python benchmarks/bench_dcgan.py                      # 40 steps per measurement, min of 3, one thread
    python benchmarks/bench_dcgan.py --steps 2 --repeats 1 --variants ours reference   # a quick check

Both sides train the same networks (``DCGANGenerator(64, (64, 32, 16))`` and
``DCGANDiscriminator((32, 64))``, lesson 5's widths) on the 4,000 bundled
digits with batch size 64, Adam(2e-4, betas (0.5, 0.999)), on the same number
of CPU threads. "ours" is ``train.train``; "reference" is the loop below,
written in the style of the pytorch/examples DCGAN: two backward passes for D
(reals, then fakes), G's step reusing D's fakes, ``torch.optim.Adam`` with
PyTorch's defaults. Every other variant changes one thing of the reference
loop (or of ours), so each optimisation's effect is measured on its own.

Each measurement is the best (shortest) of ``--repeats`` runs of ``--steps``
training steps, after ``--warmup`` steps that are not timed, with fresh
networks from the same seed (the first call of each variant, which compiles
for torch.compile, is not timed either: its length is printed). The repeats
run in rounds, every variant once per round, so that a change in the load
falls on all of them alike. Each is printed as training images per second
(real images through D per second: steps x batch size / seconds) with the
lowest and highest 1-minute load average seen after its runs
(``os.getloadavg()``), because a shared machine's timings depend on what else runs.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch import nn

from gan_helpers import data, train
from gan_helpers.models import DCGANDiscriminator, DCGANGenerator

LATENT_DIM, G_WIDTHS, D_WIDTHS = 64, (64, 32, 16), (32, 64)
LR, BETAS = 2e-4, (0.5, 0.999)


def make_nets(seed: int = 0, channels_last: bool = False) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    G, D = DCGANGenerator(LATENT_DIM, G_WIDTHS), DCGANDiscriminator(D_WIDTHS)
    if channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    return G, D


def reference_loop(netG, netD, x, steps, batch_size, *, adam=None, set_to_none=True, channels_last=False, seed=0):
    """The pytorch/examples DCGAN loop, with logits and BCEWithLogitsLoss; returns nothing."""
    criterion = nn.BCEWithLogitsLoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=LR, betas=BETAS, **(adam or {}))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=LR, betas=BETAS, **(adam or {}))
    gen = torch.Generator().manual_seed(seed)
    real_label, fake_label = 1.0, 0.0
    for _ in range(steps):
        # (1) Update D: maximise log D(x) + log(1 - D(G(z)))
        real = x[torch.randint(len(x), (batch_size,), generator=gen)]
        if channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        netD.zero_grad(set_to_none=set_to_none)
        label = torch.full((batch_size,), real_label)
        output = netD(real)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = torch.sigmoid(output).mean().item()

        noise = torch.randn(batch_size, LATENT_DIM, generator=gen)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = torch.sigmoid(output).mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        # (2) Update G: maximise log D(G(z))
        netG.zero_grad(set_to_none=set_to_none)
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = torch.sigmoid(output).mean().item()
        optimizerG.step()
        _ = (errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)  # what the example prints


def _adam(name):
    return {"loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}[name]


def _seconds(fn, steps: int, warmup: int) -> tuple[float, float]:
    """Seconds of fn(steps) after fn(warmup) untimed, and the 1-minute load average just after."""
    if warmup:
        fn(warmup)
    t0 = time.perf_counter()
    fn(steps)
    return time.perf_counter() - t0, os.getloadavg()[0]


def measure(variants: dict, steps: int, warmup: int, repeats: int) -> dict[str, dict]:
    """Each variant's best (shortest) time of ``repeats``, taken in rounds that run every variant once,
    so that a change in the machine's load falls on all variants alike; with the load averages seen."""
    out = {}
    for name, fn in variants.items():
        t0 = time.perf_counter()
        fn(1)  # the first call of a variant compiles (torch.compile) or warms caches: not timed
        out[name] = {"first_call": time.perf_counter() - t0, "seconds": [], "loads": []}
    for _ in range(repeats):
        for name, fn in variants.items():
            seconds, load = _seconds(fn, steps, warmup)
            out[name]["seconds"].append(seconds)
            out[name]["loads"].append(load)
    return out


def training_variants(x, batch_size):
    """name -> fn(steps): one training run of that many steps, fresh networks each call."""

    def reference(**options):
        channels_last = options.get("channels_last", False)
        compiled = options.pop("compile", False)

        def run(steps):
            G, D = make_nets(channels_last=channels_last)
            if compiled:
                G, D = torch.compile(G), torch.compile(D)
            reference_loop(G, D, x, steps, batch_size, **options)

        return run

    def ours(compile=False, **options):
        def run(steps):
            G, D = make_nets()
            if compile:
                G, D = torch.compile(G), torch.compile(D)
            config = train.TrainConfig(num_steps=steps, batch_size=batch_size, lr_g=LR, lr_d=LR, betas=BETAS, **options)
            train.train(G, D, x, config, progress=False)

        return run

    return {
        "ours": ours(),
        "ours, reuse_fakes": ours(reuse_fakes=True),
        "reference": reference(),
        "reference, channels_last": reference(channels_last=True),
        "reference, zero_grad(set_to_none=False)": reference(set_to_none=False),
        "reference, Adam foreach": reference(adam=_adam("foreach")),
        "reference, Adam fused": reference(adam=_adam("fused")),
        "reference, torch.compile": reference(compile=True),
        "ours, torch.compile": ours(compile=True),
        "ours, reuse_fakes, torch.compile": ours(compile=True, reuse_fakes=True),
    }


def sampling_run(G: nn.Module, mode: str, images: int):
    """fn(_) that makes ``images`` samples G(z) in eval mode, batches of 256: autograd on, no_grad or inference_mode."""
    G.eval()
    z = torch.randn(images, LATENT_DIM, generator=torch.Generator().manual_seed(1))
    context = {"grad": torch.enable_grad, "no_grad": torch.no_grad, "inference_mode": torch.inference_mode}[mode]

    def run(_steps):
        with context():
            for chunk in z.split(256):
                G(chunk)

    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before each measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements; the best is kept")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1], help="torch CPU threads; several: each is measured"
    )
    parser.add_argument("--variants", nargs="+", default=None, help="which training variants (default: all)")
    parser.add_argument(
        "--sample-images", type=int, default=2048, help="images generated per sampling measurement (0: skip)"
    )
    args = parser.parse_args(argv)
    x = data.load_mnist("bundled", "train")[0]  # (4000, 1, 28, 28)
    before = torch.get_num_threads()
    print(
        f"DCGAN G{G_WIDTHS} D{D_WIDTHS}, latent {LATENT_DIM}, batch {args.batch_size}; "
        f"best of {args.repeats} x {args.steps} steps; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
    )
    try:
        for threads in args.threads:
            torch.set_num_threads(threads)
            variants = training_variants(x, args.batch_size)
            names = args.variants or list(variants)
            unknown = sorted(set(names) - set(variants))
            if unknown:
                raise SystemExit(f"unknown --variants {unknown}; choices: {list(variants)}")
            results = measure({name: variants[name] for name in names}, args.steps, args.warmup, args.repeats)
            rates = {name: args.steps * args.batch_size / min(r["seconds"]) for name, r in results.items()}
            for name, r in results.items():
                ratio = f"{rates[name] / rates['reference']:5.2f}x the reference" if "reference" in rates else ""
                loads = "-".join(f"{min(r['loads']):.2f} {max(r['loads']):.2f}".split())
                print(
                    f"threads {threads}  {name:42s} {rates[name]:7.0f} images/s  load {loads:9s}  "
                    f"first call {r['first_call']:5.1f} s  {ratio}",
                    flush=True,
                )
            if "ours" in rates and "reference" in rates:
                ratio = rates["ours"] / rates["reference"]
                verdict = "meets" if ratio >= 1.2 else "misses"
                print(f"threads {threads}  ours / reference = {ratio:.2f} ({verdict} the >= 1.2x target)")
            if args.sample_images:
                G, _ = make_nets()
                modes = {
                    mode: sampling_run(G, mode, args.sample_images) for mode in ("grad", "no_grad", "inference_mode")
                }
                for mode, r in measure(modes, 1, 0, args.repeats).items():
                    loads = "-".join(f"{min(r['loads']):.2f} {max(r['loads']):.2f}".split())
                    print(
                        f"threads {threads}  sampling G(z), {mode:37s} {args.sample_images / min(r['seconds']):7.0f} "
                        f"images/s  load {loads}",
                        flush=True,
                    )
    finally:
        torch.set_num_threads(before)


if __name__ == "__main__":
    main()
