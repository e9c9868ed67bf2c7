"""Bad checkpoint files: damaged, of another kind, of another architecture; and saves that stop half way.

Each bad file gets a ``ValueError`` from ``load_checkpoint`` that names the
file and the problem (not a raw unpickling or zip message), and G, D and the
optimisers are left as they were.
"""

from __future__ import annotations

import os
import struct
import zipfile

import pytest
import torch
from torch import nn

from gan_helpers import train as T
from gan_helpers.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator

DATA = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)) * 0.05  # (64, 2)


@pytest.fixture(autouse=True)
def _tiny_nets_run_on_one_thread(one_thread):
    """Tiny nets: one CPU thread."""


def tiny(seed=0, hidden=(16,)):
    torch.manual_seed(seed)
    return MLPGenerator(4, out_shape=(2,), hidden=hidden), MLPDiscriminator((2,), (16,))


def config(**options):
    return T.TrainConfig(**{"num_steps": 2, "batch_size": 8, "lr_g": 1e-3, "lr_d": 1e-3, **options})


@pytest.fixture
def saved(tmp_path):
    """A real checkpoint's path and bytes."""
    path = tmp_path / "ckpt.pt"
    T.train(*tiny(), DATA, config(), checkpoint=path, progress=False)
    return path, path.read_bytes()


def snapshot(*nets):
    return [{k: v.clone() for k, v in net.state_dict().items()} for net in nets]


def unchanged(before, *nets) -> bool:
    return all(torch.equal(v, b[k]) for b, net in zip(before, nets) for k, v in net.state_dict().items())


def flip_a_byte_of_the_largest_record(raw: bytes, path) -> bytes:
    """``raw`` with one byte of the largest record's data inverted (its CRC-32 then fails)."""
    with zipfile.ZipFile(path) as archive:
        info = max(archive.infolist(), key=lambda i: i.file_size)
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    at = info.header_offset + 30 + name_len + extra_len + info.file_size // 2  # torch stores records uncompressed
    return raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]


def write_object(path, obj) -> bytes:
    torch.save(obj, path)
    return path.read_bytes()


BAD_FILES = {
    "cut in half": (lambda raw, p: raw[: len(raw) // 2], "not the zip archive torch.save writes"),
    "empty": (lambda raw, p: b"", "not the zip archive torch.save writes"),
    "text": (lambda raw, p: b"step,loss_d\n1,0.69\n" * 20, "not the zip archive torch.save writes"),
    "one byte changed": (flip_a_byte_of_the_largest_record, "damaged: its record .* fails its CRC-32 check"),
    "a pickled module": (
        lambda raw, p: write_object(p, nn.Linear(2, 2)),
        "not a training checkpoint: it holds Python objects other than tensors",
    ),
    "a tensor": (
        lambda raw, p: write_object(p, torch.zeros(3)),
        "not a training checkpoint: it holds a Tensor, not a dict",
    ),
    "G's weights only": (
        lambda raw, p: write_object(p, tiny()[0].state_dict()),
        "not a training checkpoint: it lacks \\['D'",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_raises_a_value_error_naming_it_and_loads_nothing(saved, kind):
    path, raw = saved
    make, message = BAD_FILES[kind]
    path.write_bytes(make(raw, path))
    G, D = tiny(seed=1)
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    before = snapshot(G, D)
    with pytest.raises(ValueError, match=f"'{path}' (is|holds) .*{message}") as err:
        T.load_checkpoint(path, G, D, opt_g, opt_d)
    assert "Weights only load failed" not in str(err.value)  # the raw message stays in the cause, not the error
    assert unchanged(before, G, D) and opt_g.state_dict()["state"] == {} and opt_d.state_dict()["state"] == {}


def test_the_good_file_itself_loads(saved):
    path, _ = saved
    state = T.load_checkpoint(path, *tiny(seed=1))
    assert state["step"] == 2


def test_resuming_from_a_damaged_file_fails_before_training(saved):
    path, raw = saved
    path.write_bytes(flip_a_byte_of_the_largest_record(raw, path))
    G, D = tiny(seed=1)
    before = snapshot(G, D)
    with pytest.raises(ValueError, match="fails its CRC-32 check"):
        T.train(G, D, DATA, config(num_steps=4), checkpoint=path, resume=True, progress=False)
    assert unchanged(before, G, D)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file at"):
        T.load_checkpoint(tmp_path / "nowhere.pt", *tiny())


def test_another_architecture_names_the_difference(tmp_path):
    """Lesson 5's DCGAN saved, then loaded into other widths, another upsampling and another kind of net."""
    path = tmp_path / "dcgan.pt"
    torch.manual_seed(0)
    G, D = DCGANGenerator(8, (8, 4, 4)), DCGANDiscriminator((4, 8), dropout=0.0)
    x = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    T.train(G, D, x, config(num_steps=1), checkpoint=path, progress=False)

    wider = DCGANGenerator(8, (16, 4, 4))
    before = snapshot(wider, D)
    with pytest.raises(
        ValueError, match="G's 'project.weight' has shape \\(392, 8\\) in the checkpoint but \\(784, 8\\) here"
    ):
        T.load_checkpoint(path, wider, D)
    assert unchanged(before, wider, D)
    transposed = DCGANGenerator(8, (8, 4, 4), upsample="transposed")
    a, b = G.state_dict(), transposed.state_dict()
    differences = len(a.keys() ^ b.keys()) + sum(a[k].shape != b[k].shape for k in a.keys() & b.keys())
    with pytest.raises(
        ValueError,
        match="G's 'net.3.weight' has shape \\(4, 8, 3, 3\\) in the checkpoint but \\(4,\\) here "
        f"\\({differences - 1} more differences: another G architecture\\)",
    ):
        T.load_checkpoint(path, transposed, D)
    with pytest.raises(ValueError, match="checkpoint's D is a DCGANDiscriminator, this D is a MLPDiscriminator"):
        T.load_checkpoint(path, G, MLPDiscriminator((1, 28, 28), (16,)))
    G2, D2 = tiny()
    with pytest.raises(ValueError, match="opt_d does not match the checkpoint"):
        T.load_checkpoint(path, G, D, torch.optim.Adam(G.parameters()), torch.optim.Adam(D2.parameters()))


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
def test_a_save_stopped_half_way_leaves_the_old_file_and_no_temporary_file(saved, monkeypatch, interruption):
    path, raw = saved

    def stops_half_way(obj, f):
        f.write(b"PK\x03\x04 half a zip")
        raise interruption

    monkeypatch.setattr(T.torch, "save", stops_half_way)
    with pytest.raises(type(interruption)):
        T.save_checkpoint(
            path, *tiny(), *(torch.optim.Adam(n.parameters()) for n in tiny()), 3, {}, torch.Generator().get_state()
        )
    assert path.read_bytes() == raw and os.listdir(path.parent) == [path.name]
    assert T.load_checkpoint(path, *tiny())["step"] == 2
