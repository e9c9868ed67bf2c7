"""The losses' arguments: G's loss by name, and messages that name the bad argument."""

import pytest
import torch

from gan_helpers import losses


def test_get_g_loss_returns_the_named_function_and_its_value():
    logits = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64)
    assert losses.get_g_loss("minimax") is losses.g_loss_minimax
    assert losses.get_g_loss("non_saturating") is losses.g_loss_non_saturating
    # mean log(1 - s(l)) and -mean log s(l), by hand
    s = torch.sigmoid(logits)
    assert losses.get_g_loss("minimax")(logits).item() == pytest.approx(torch.log(1 - s).mean().item(), rel=1e-12)
    assert losses.get_g_loss("non_saturating")(logits).item() == pytest.approx(-torch.log(s).mean().item(), rel=1e-12)


def test_get_g_loss_names_the_argument_and_lists_the_choices():
    with pytest.raises(ValueError, match=r"^g_loss must be one of \('minimax', 'non_saturating'\), got 'hinge'$"):
        losses.get_g_loss("hinge")


GOOD = torch.zeros(3)


@pytest.mark.parametrize(
    "loss, args, name",
    [
        (losses.d_loss, ("bad", GOOD), "real_logits"),
        (losses.d_loss, (GOOD, "bad"), "fake_logits"),
        (losses.g_loss_minimax, ("bad",), "fake_logits"),
        (losses.g_loss_non_saturating, ("bad",), "fake_logits"),
        (losses.d_loss_hinge, ("bad", GOOD), "real_out"),
        (losses.d_loss_hinge, (GOOD, "bad"), "fake_out"),
        (losses.g_loss_hinge, ("bad",), "fake_out"),
    ],
)
def test_each_loss_names_the_bad_argument(loss, args, name):
    with pytest.raises(ValueError, match=rf"^{name} must be a tensor of logits, got str$"):
        loss(*args)
    args = tuple(torch.zeros(3, dtype=torch.int64) if a == "bad" else a for a in args)
    with pytest.raises(ValueError, match=rf"^{name} must be a floating-point tensor of logits, got dtype torch.int64$"):
        loss(*args)
    args = tuple(torch.zeros(0) if a.dtype == torch.int64 else a for a in args)
    with pytest.raises(ValueError, match=rf"^{name} must not be empty, got shape \(0,\)$"):
        loss(*args)


@pytest.mark.parametrize("name", ["real_label", "fake_label"])
def test_d_loss_names_a_label_outside_0_1(name):
    with pytest.raises(ValueError, match=rf"^{name} must be in \[0, 1\], got 1.5$"):
        losses.d_loss(GOOD, GOOD, **{name: 1.5})
