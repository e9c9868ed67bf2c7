"""Reading runs: failure types on hand-made histories, D's slope and hand-built D's against closed forms."""

import math

import numpy as np
import pandas as pd
import pytest

from gan_helpers import point_analysis as A
from gan_helpers.point_config import PointConfig
from gan_helpers.point_engine import discriminator_prob
from gan_helpers.point_sweep import SweepResult


def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


FLAT = {"d_w1": [0.0, 0.0], "d_b1": [0.0, 0.0], "d_w2": [0.0, 0.0], "d_b2": 0.0}  # D(v) = 1/2 everywhere


def _bell_at_one():
    p = A.bell_params(1.0, 0.5, 5.0, 10.0, -5.0)  # a soft bell around the real value: a slope near 0.5
    return {k: np.asarray(v)[0].tolist() for k, v in p.items() if k.startswith("d_")}


def _result():
    """Seven runs with made-up histories (T = 40 records of (w, b)), one per case of failure_modes."""
    T = 40
    t = np.arange(T)
    hist = np.zeros((7, T, 2))
    hist[0, :, 1] = 1.0  # success
    hist[1, :, 1] = 1.0  # diverged (frame says so)
    hist[2, :, 1] = 1.0 + 0.3 * np.sin(t)  # circles around b = 1: oscillating
    hist[3, :, 1] = 2.0 + t / T  # keeps moving, far from b = 1: wandering
    hist[4, :, :] = [0.5, 3.0]  # still, D flat: stuck
    hist[5, :, 1] = 0.5  # still, D has a slope at G's outputs: stopped elsewhere
    hist[6, :, 1] = np.where(t < 30, 1.0 + np.sin(t), 3.0)  # moved early, still in the last quarter, D flat: stuck
    frame = pd.DataFrame(
        {
            "w": hist[:, -1, 0],
            "b": hist[:, -1, 1],
            "success": [True, False, False, False, False, False, False],
            "diverged_step": [0, 17, 0, 0, 0, 0, 0],
        }
    )
    ds = [FLAT, FLAT, FLAT, FLAT, FLAT, _bell_at_one(), FLAT]
    params = {k: np.array([d[k] for d in ds], dtype=float) for k in FLAT}
    params["w"], params["b"] = frame.w.to_numpy(), frame.b.to_numpy()
    return SweepResult(frame, params, np.arange(1, T + 1) * 10, hist.astype(np.float32), PointConfig())


def test_failure_modes_names_each_made_up_run():
    modes = A.failure_modes(_result())
    assert modes.tolist() == [
        "success",
        "diverged",
        "oscillating",
        "wandering",
        "stuck (flat D)",
        "stopped elsewhere",
        "stuck (flat D)",
    ]
    assert set(modes) <= set(A.FAILURE_TYPES) and modes.name == "outcome"


def test_failure_modes_thresholds():
    result = _result()
    # a span of 0.6 over the tail is motion only while move_tol is below it
    assert A.failure_modes(result, move_tol=0.7)[2] == "stuck (flat D)"
    # the oscillating run's mean b is within 0.02 of the target: "near" decides between the two moving labels
    assert A.failure_modes(result, near=0.001)[2] == "wandering"
    # the whole history instead of the last quarter: the early motion of run 6 counts
    assert A.failure_modes(result, tail=1.0)[6] == "wandering"
    # the bell's slope at b = 0.5 is about 0.25 > flat_tol; with a higher bar D counts as flat
    assert A.failure_modes(result, flat_tol=10.0)[5] == "stuck (flat D)"


def test_d_slope_is_the_derivative_of_the_probability():
    p = A.bell_params([1.0, 0.3], [0.5, 0.2], [5.0, 8.0], [10.0, 4.0], [-5.0, 1.0])
    v = np.array([-0.5, 0.4, 1.0, 1.7])
    u, c, a, c0 = p["d_w1"][:, None], p["d_b1"][:, None], p["d_w2"][:, None], p["d_b2"][:, None, None]
    h = _sigmoid(v[None, :, None] * u + c)  # (R, N, 2)
    logit = (a * h).sum(-1, keepdims=True) + c0
    expected = (_sigmoid(logit) * (1 - _sigmoid(logit)) * (a * u * h * (1 - h)).sum(-1, keepdims=True))[..., 0]
    np.testing.assert_allclose(A.d_slope(p, v), expected, rtol=1e-4, atol=1e-6)


def test_bell_params_logit_by_hand():
    c, d, k, h, c0 = 1.0, 0.5, 5.0, 10.0, -5.0
    p = A.bell_params(c, d, k, h, c0)
    values = np.array([c, c + d, c - 3.0])
    logit = np.log(discriminator_prob(p, values) / (1 - discriminator_prob(p, values)))[0]
    expected = [
        h * (_sigmoid(k * d) - _sigmoid(-k * d)) + c0,  # at the centre
        h * (_sigmoid(2 * k * d) - 0.5) + c0,  # at the falling edge
        h * (_sigmoid(k * (-3 + d)) - _sigmoid(k * (-3 - d))) + c0,
    ]
    np.testing.assert_allclose(logit, expected, atol=2e-4)
    assert p["w"].tolist() == [0.0] and p["b"].tolist() == [0.0]


def test_judge_of_a_d_that_cannot_tell_by_hand():
    row = A.judge({k: np.asarray(v, dtype=float)[None] for k, v in FLAT.items()}, 0.3, 0.8).iloc[0]
    assert row.loss_d == pytest.approx(2 * math.log(2), abs=1e-6)  # -log(1/2) on both sides
    assert row.loss_g == pytest.approx(math.log(2), abs=1e-6)
    assert row.grad_w == 0 and row.grad_b == 0
