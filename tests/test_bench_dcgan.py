"""benchmarks/bench_dcgan.py runs (a few steps, so it cannot rot), and its reference loop is the DCGAN step it claims."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import load_script
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_dcgan.py"


def bench():
    module = load_script(SCRIPT)
    return module


def test_the_benchmark_runs_on_a_tiny_setting():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--steps",
            "2",
            "--warmup",
            "0",
            "--repeats",
            "1",
            "--batch-size",
            "8",
            "--variants",
            "ours",
            "ours, reuse_fakes",
            "reference",
            "reference, Adam fused",
            "--sample-images",
            "16",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    for name in ("ours", "ours, reuse_fakes", "reference", "reference, Adam fused", "sampling G(z), inference_mode"):
        assert any(f"  {name} " in line and "images/s  load" in line for line in lines), (name, proc.stdout)
    assert any("ours / reference = " in line for line in lines), proc.stdout


def test_the_reference_loop_is_the_pytorch_examples_step(one_thread):
    """One step of reference_loop against the same arithmetic written here: D on reals then fakes, G on D's fakes."""
    B = bench()
    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    G, D = B.make_nets()
    B.reference_loop(G, D, x, 1, 8, seed=3)

    G2, D2 = B.make_nets()
    opt_d = torch.optim.Adam(D2.parameters(), lr=B.LR, betas=B.BETAS)
    opt_g = torch.optim.Adam(G2.parameters(), lr=B.LR, betas=B.BETAS)
    gen = torch.Generator().manual_seed(3)
    real = x[torch.randint(16, (8,), generator=gen)]
    fake = G2(torch.randn(8, B.LATENT_DIM, generator=gen))
    loss_d = F.binary_cross_entropy_with_logits(D2(real), torch.ones(8)) + F.binary_cross_entropy_with_logits(
        D2(fake.detach()), torch.zeros(8)
    )
    loss_d.backward()
    opt_d.step()
    G2.zero_grad()
    F.binary_cross_entropy_with_logits(D2(fake), torch.ones(8)).backward()
    opt_g.step()
    for a, b in zip([*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()]):
        assert torch.allclose(a, b, atol=1e-7)


def test_an_unknown_variant_names_the_choices():
    with pytest.raises(SystemExit, match="unknown --variants \\['ours, faster'\\]; choices: \\['ours'"):
        bench().main(["--steps", "1", "--variants", "ours, faster", "--sample-images", "0"])
