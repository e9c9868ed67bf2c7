"""The loop's speed options: D's step runs G without a graph; ``reuse_fakes`` saves G's second forward pass."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from gan_helpers import train as T
from gan_helpers.models import DCGANDiscriminator, DCGANGenerator

LATENT, B = 8, 8
DATA = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1  # (32, 1, 28, 28)


@pytest.fixture(autouse=True)
def _small_nets_run_on_one_thread(one_thread):
    """Small nets: one CPU thread."""


def nets():
    torch.manual_seed(0)
    return DCGANGenerator(LATENT, (8, 4, 4)), DCGANDiscriminator((4, 8), dropout=0.0)


def count_forwards(G: nn.Module) -> list[bool]:
    """A list that gets, for each forward pass of G, whether autograd was recording."""
    calls = []
    G.register_forward_hook(lambda module, inputs, output: calls.append(torch.is_grad_enabled()))
    return calls


def test_d_step_runs_g_without_a_graph_and_g_step_with_one():
    G, D = nets()
    calls = count_forwards(G)
    T.train(G, D, DATA, T.TrainConfig(num_steps=2, batch_size=B), progress=False)
    assert calls == [False, True, False, True]  # per step: D's update (no graph), G's update


def test_reuse_fakes_makes_one_forward_pass_of_g_per_step():
    G, D = nets()
    calls = count_forwards(G)
    T.train(G, D, DATA, T.TrainConfig(num_steps=3, batch_size=B, reuse_fakes=True), progress=False)
    assert calls == [True, True, True]


def test_reuse_fakes_is_the_pytorch_examples_step_written_by_hand():
    """Two steps of the loop against the same steps written out: G's update on the fakes of D's update."""
    G, D = nets()
    config = T.TrainConfig(num_steps=2, batch_size=B, lr_g=1e-3, lr_d=2e-3, reuse_fakes=True, seed=4)
    history = T.train(G, D, DATA, config, progress=False)

    G2, D2 = nets()
    opt_g = torch.optim.Adam(G2.parameters(), lr=1e-3, betas=T.ADAM_BETAS)
    opt_d = torch.optim.Adam(D2.parameters(), lr=2e-3, betas=T.ADAM_BETAS)
    gen = torch.Generator().manual_seed(4)
    losses = []
    for _ in range(2):
        x_real = DATA[torch.randint(len(DATA), (B,), generator=gen)]
        z = torch.randn(B, LATENT, generator=gen)
        fake = G2(z)
        real_out, fake_out = D2(x_real), D2(fake.detach())
        loss_d = F.binary_cross_entropy_with_logits(real_out, torch.ones(B)) + F.binary_cross_entropy_with_logits(
            fake_out, torch.zeros(B)
        )
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(D2(fake), torch.ones(B))  # the same fakes, D updated
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        losses.append((loss_d.item(), loss_g.item()))
    assert history["loss_d"].tolist() == pytest.approx([d for d, _ in losses], rel=1e-6)
    assert history["loss_g"].tolist() == pytest.approx([g for _, g in losses], rel=1e-6)
    for a, b in zip(G.state_dict().values(), G2.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-7)


def test_reuse_fakes_changes_the_run_and_the_default_stays():
    runs = {}
    for reuse in (False, True):
        G, D = nets()
        runs[reuse] = T.train(G, D, DATA, T.TrainConfig(num_steps=2, batch_size=B, reuse_fakes=reuse), progress=False)
    assert runs[True]["loss_d"][0] == runs[False]["loss_d"][0]  # the same first D update
    assert runs[True]["loss_g"][0] != runs[False]["loss_g"][0]  # G's update on other fakes


@pytest.mark.parametrize(
    "options, message",
    [
        ({"reuse_fakes": 1}, "reuse_fakes must be True or False"),
        ({"reuse_fakes": True, "g_steps": 2}, "reuse_fakes=True needs g_steps=1 and detach=True, got g_steps=2"),
        (
            {"reuse_fakes": True, "detach": False},
            "reuse_fakes=True needs g_steps=1 and detach=True, got g_steps=1, detach=False",
        ),
    ],
)
def test_bad_reuse_fakes_names_the_problem(options, message):
    with pytest.raises(ValueError, match=message):
        T.TrainConfig(**options)


def test_d_step_can_hand_its_fakes_to_g_step():
    G, D = nets()
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    z = torch.randn(B, LATENT, generator=torch.Generator().manual_seed(1))
    logs, x_fake = T.d_step(G, D, opt_d, DATA[:B], z, return_fake=True)
    assert set(logs) == {"loss_d", "d_real", "d_fake"} and x_fake.requires_grad and x_fake.shape == (B, 1, 28, 28)
    assert all(p.grad is None for p in G.parameters())  # D's loss did not reach G
    T.g_step(G, D, opt_g, None, x_fake=x_fake)
    assert all(p.grad is not None for p in G.parameters())
