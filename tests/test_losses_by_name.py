"""Looking up G's loss by name: the functions themselves, and the message for an unknown name."""

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
