import math
import random

import numpy as np
import pytest
import torch
from torch import nn

from gan_helpers import utils


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    utils.seed_everything(123)
    first = draw()
    utils.seed_everything(123)
    assert draw() == first
    utils.seed_everything(124)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        utils.seed_everything(bad)


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert utils.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert utils.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert utils.get_device() == torch.device("cuda")


def test_get_device_errors_name_the_choices(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="not available"):
        utils.get_device("cuda")
    with pytest.raises(ValueError, match="one of"):
        utils.get_device("tpu")
    assert utils.get_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("value", [0, -1e-3, math.nan, math.inf, "x", None])
def test_check_positive_rejects(value):
    with pytest.raises(ValueError, match="lr_g"):
        utils.check_positive("lr_g", value)


def test_checks_accept_and_convert():
    assert utils.check_positive("a", 2) == 2.0
    assert utils.check_nonnegative("a", 0) == 0.0
    assert utils.check_unit_interval("a", 1) == 1.0
    assert utils.check_int("a", np.int64(3), minimum=0) == 3
    assert utils.check_choice("a", "sgd", ("adam", "sgd")) == "sgd"
    with pytest.raises(ValueError, match=r"\('adam', 'sgd'\)"):
        utils.check_choice("optimizer", "rmsprop", ("adam", "sgd"))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        utils.check_unit_interval("real_label", 1.2)


def test_device_of_reads_parameters_then_buffers_then_defaults_to_cpu():
    assert utils.device_of(nn.Linear(2, 3)) == torch.device("cpu")
    assert utils.device_of(nn.Linear(2, 3, device="meta")) == torch.device("meta")
    only_buffer = nn.Module()
    only_buffer.register_buffer("b", torch.zeros(1, device="meta"))
    assert utils.device_of(only_buffer) == torch.device("meta")
    both = nn.Linear(1, 1)  # parameters on the CPU, a buffer elsewhere: the parameters decide
    both.register_buffer("b", torch.zeros(1, device="meta"))
    assert utils.device_of(both) == torch.device("cpu")
    assert utils.device_of(nn.ReLU()) == torch.device("cpu")
    with pytest.raises(ValueError, match="module"):
        utils.device_of(torch.zeros(1))


def test_torch_threads_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    with utils.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with utils.torch_threads(1):
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before
    with utils.torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        with utils.torch_threads(0):
            pass
