"""Objectives' options: each bad one named in full, and a conditional critic's R1 and GP by hand.

These kill the mutants of ``objectives`` that the value tests of ``test_objectives.py`` left
alive: messages that lost their argument's name, and WGAN-GP dropping the labels from the R1
term it shares with every objective.
"""

import re

import pytest
import torch

from gan_helpers import objectives


@pytest.mark.parametrize("weight", [0.0, -1.0])
def test_wgan_gp_names_its_weight_when_it_is_not_positive(weight):
    with pytest.raises(ValueError, match=rf"^gp_weight must be > 0, got {re.escape(repr(weight))}$"):
        objectives.get("wgan-gp", gp_weight=weight)


def test_wgan_names_its_clip_when_it_is_not_positive():
    with pytest.raises(ValueError, match=r"^clip must be > 0, got 0\.0$"):
        objectives.get("wgan", clip=0.0)


def test_get_refuses_options_beside_an_instance_and_names_them():
    message = "options ['clip', 'r1_gamma'] given with an Objective instance; set them on the instance"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        objectives.get(objectives.WGAN(), r1_gamma=1.0, clip=0.1)


def test_get_refuses_what_is_neither_a_name_nor_an_objective_and_lists_the_names():
    names = ("minimax", "non_saturating", "hinge", "wgan", "wgan-gp")
    message = f"objective must be a name {names} or an Objective, got 3"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        objectives.get(3)


@pytest.mark.parametrize("label", [1.5, -0.1])
def test_check_real_label_names_the_label(label):
    with pytest.raises(ValueError, match=rf"^real_label must be in \[0, 1\], got {re.escape(repr(label))}$"):
        objectives.check_real_label(objectives.get("non_saturating"), label)


def test_wgan_gp_with_r1_passes_the_labels_to_both_penalties():
    # a linear conditional critic D(x, y) = w_y . x: its input gradient is w_y, so
    # R1 = mean |w_y|^2 and GP = mean (|w_y| - 1)^2, by hand from the rows of W
    W = torch.tensor([[3.0, 4.0], [0.6, 0.8], [1.0, 0.0]], dtype=torch.float64)  # |w_y| = 5, 1, 1
    critic = lambda x, y: (x * W[y]).sum(1)  # noqa: E731
    y = torch.tensor([0, 1, 2, 0])
    g = torch.Generator().manual_seed(0)
    x_real = torch.randn(4, 2, generator=g, dtype=torch.float64)
    x_fake = torch.randn(4, 2, generator=g, dtype=torch.float64)
    terms = objectives.get("wgan-gp", gp_weight=2.0, r1_gamma=4.0).penalties(critic, x_real, x_fake, y)
    norms = W[y].norm(dim=1)
    assert set(terms) == {"r1", "gp"}
    assert terms["r1"].item() == pytest.approx(4.0 / 2 * (norms**2).mean().item(), rel=1e-12)  # 2 * 13
    assert terms["gp"].item() == pytest.approx(2.0 * ((norms - 1) ** 2).mean().item(), rel=1e-12)  # 2 * 8
