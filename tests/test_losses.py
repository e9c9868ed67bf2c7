"""The losses equal their formulas, computed by hand with sigmoid and log."""

import pytest
import torch

from gan_helpers import losses


@pytest.fixture
def logits():
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(64, generator=gen, dtype=torch.float64) * 3
    fake = torch.randn(48, generator=gen, dtype=torch.float64) * 3  # another batch size on purpose
    return real, fake


def test_d_loss_is_minus_log_d_real_minus_log_one_minus_d_fake(logits):
    real, fake = logits
    by_hand = -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()
    torch.testing.assert_close(losses.d_loss(real, fake), by_hand)


def test_one_sided_label_smoothing_changes_only_the_real_half(logits):
    real, fake = logits
    s = 0.9
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    real_half = -(s * torch.log(p_real) + (1 - s) * torch.log(1 - p_real)).mean()
    fake_half = -torch.log(1 - p_fake).mean()
    torch.testing.assert_close(losses.d_loss(real, fake, real_label=s), real_half + fake_half)
    # and a fake label, if asked for, is the same formula on the other half
    f = 0.1
    fake_eased = -(f * torch.log(p_fake) + (1 - f) * torch.log(1 - p_fake)).mean()
    torch.testing.assert_close(losses.d_loss(real, fake, real_label=s, fake_label=f), real_half + fake_eased)


def test_g_loss_minimax_is_mean_log_one_minus_d_fake(logits):
    _, fake = logits
    by_hand = torch.log(1 - torch.sigmoid(fake)).mean()
    torch.testing.assert_close(losses.g_loss_minimax(fake), by_hand)
    assert losses.g_loss_minimax(fake) <= 0


def test_g_loss_non_saturating_is_minus_mean_log_d_fake(logits):
    _, fake = logits
    by_hand = -torch.log(torch.sigmoid(fake)).mean()
    torch.testing.assert_close(losses.g_loss_non_saturating(fake), by_hand)
    assert losses.g_loss_non_saturating(fake) >= 0


def test_minimax_saturates_where_d_rejects_the_fakes_and_non_saturating_does_not():
    grads = {}
    for name, fn in losses.G_LOSSES.items():
        fake = torch.full((4,), -10.0, requires_grad=True)  # D is sure these are fake
        fn(fake).backward()
        grads[name] = fake.grad.abs().sum().item()  # sum over the batch of |d loss / d logit|
    assert grads["minimax"] < 1e-3  # sigmoid(-10) = 4.5e-5
    assert grads["non_saturating"] > 0.99  # 1 - sigmoid(-10)


def test_losses_are_stable_on_extreme_logits():
    big = torch.tensor([-200.0, 200.0])
    for value in (losses.d_loss(big, big), losses.g_loss_minimax(big), losses.g_loss_non_saturating(big)):
        assert torch.isfinite(value)


def test_get_g_loss_by_name_and_unknown_name():
    assert losses.get_g_loss("minimax") is losses.g_loss_minimax
    assert losses.get_g_loss("non_saturating") is losses.g_loss_non_saturating
    with pytest.raises(ValueError, match="minimax.*non_saturating|non_saturating.*minimax"):
        losses.get_g_loss("wasserstein")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: losses.d_loss(torch.tensor([1, 2]), torch.zeros(2)), "real_logits.*floating"),
        (lambda: losses.d_loss(torch.zeros(2), [0.0, 1.0]), "fake_logits.*tensor"),
        (lambda: losses.d_loss(torch.zeros(2), torch.zeros(0)), "fake_logits.*empty"),
        (lambda: losses.d_loss(torch.zeros(2), torch.zeros(2), real_label=1.5), "real_label.*\\[0, 1\\]"),
        (lambda: losses.d_loss(torch.zeros(2), torch.zeros(2), fake_label=-0.1), "fake_label.*\\[0, 1\\]"),
        (lambda: losses.g_loss_minimax(torch.ones(3, dtype=torch.long)), "fake_logits.*floating"),
        (lambda: losses.g_loss_non_saturating(torch.ones(3, dtype=torch.bool)), "fake_logits.*floating"),
    ],
)
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
