"""The Dirac-GAN's field and trajectories against hand values and numerical integration."""

import math

import numpy as np
import pytest
from scipy import integrate

from gan_helpers import dirac


def _sigmoid(t):
    return 1 / (1 + math.exp(-t))


def test_field_without_noise_by_hand():
    theta, psi = 0.5, 1.2
    d_theta, d_psi = dirac.dirac_field(theta, psi)
    assert d_theta == pytest.approx(psi * _sigmoid(-psi * theta), abs=1e-12)
    assert d_psi == pytest.approx(-theta * _sigmoid(psi * theta), abs=1e-12)
    assert dirac.dirac_field(theta, psi, g_loss="minimax")[0] == pytest.approx(psi * _sigmoid(psi * theta), abs=1e-12)
    assert dirac.dirac_field(theta, psi, r1_gamma=2.0)[1] == pytest.approx(d_psi - 2.0 * psi, abs=1e-12)


@pytest.mark.parametrize("noise_on", ["fake", "both"])
def test_field_with_noise_matches_numerical_integration(noise_on):
    theta, psi, s = 0.4, -0.9, 0.7

    def expect(f):
        density = lambda e: math.exp(-e * e / (2 * s * s)) / (s * math.sqrt(2 * math.pi))  # noqa: E731
        return integrate.quad(lambda e: f(e) * density(e), -12 * s, 12 * s, epsabs=1e-13)[0]

    fake = expect(lambda e: (theta + e) * _sigmoid(psi * (theta + e)))
    real = expect(lambda e: e * _sigmoid(-psi * e)) if noise_on == "both" else 0.0
    d_theta, d_psi = dirac.dirac_field(theta, psi, noise_scale=s, noise_on=noise_on)
    assert d_psi == pytest.approx(real - fake, abs=1e-9)
    assert d_theta == pytest.approx(psi * _sigmoid(-psi * theta), abs=1e-12)  # G's update sees no noise


def test_trajectory_takes_d_step_first_then_g_step_by_hand():
    lr, theta, psi = 0.1, 1.0, 0.5
    path = dirac.dirac_trajectory(theta, psi, lr=lr, num_steps=2, r1_gamma=0.3)
    expected = [(theta, psi)]
    for _ in range(2):
        psi = psi + lr * (-theta * _sigmoid(psi * theta) - 0.3 * psi)  # D moves first
        theta = theta + lr * psi * _sigmoid(-psi * theta)  # then G, against the new D
        expected.append((theta, psi))
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-14)


def test_bad_options():
    with pytest.raises(ValueError, match="noise_on"):
        dirac.dirac_field(0.0, 0.0, noise_on="real")
    with pytest.raises(ValueError, match="lr"):
        dirac.dirac_trajectory(0.0, 0.0, lr=0.0)
