import hashlib
import shutil

import pytest
import torch

from gan_helpers import metrics, pretrained

GENERATORS = pretrained.names("generator")


def test_registry_lists_every_file_in_the_weights_folder_and_nothing_else():
    on_disk = {p.name for p in pretrained.WEIGHTS_DIR.iterdir() if p.is_file()}
    registered = {entry.filename for entry in pretrained.REGISTRY.values()}
    assert on_disk == registered


@pytest.mark.parametrize("name", pretrained.names())
def test_registered_sha256_is_the_files(name):
    entry = pretrained.get(name)
    assert hashlib.sha256(entry.path.read_bytes()).hexdigest() == entry.sha256
    assert pretrained.file_sha256(entry.path) == entry.sha256
    assert pretrained.verify(name) == entry.path


@pytest.mark.parametrize("name", pretrained.names())
def test_every_entry_is_small_and_says_how_to_rebuild_it(name):
    entry = pretrained.get(name)
    assert entry.path.stat().st_size < 5_000_000
    assert entry.command.startswith("make ") and "tools/" in entry.command
    assert entry.settings and entry.kind in ("generator", "classifier")


def test_classifier_entry_is_the_metrics_classifier():
    entry = pretrained.get("mnist-classifier")
    assert entry.sha256 == metrics.CLASSIFIER_SHA256
    assert entry.path == metrics.CLASSIFIER_PATH


def test_unknown_name_raises_value_error_listing_the_names():
    with pytest.raises(ValueError) as err:
        pretrained.get("dcgan-cifar")
    for name in pretrained.names():
        assert name in str(err.value)
    with pytest.raises(ValueError) as err:
        pretrained.load_generator("dcgan-cifar")
    assert "dcgan-cifar" in str(err.value)
    for name in GENERATORS:
        assert name in str(err.value)


def test_a_classifier_is_not_a_generator():
    with pytest.raises(ValueError, match="generators"):
        pretrained.load_generator("mnist-classifier")
    with pytest.raises(ValueError, match="kind"):
        pretrained.names("discriminator")


@pytest.mark.parametrize("name", GENERATORS)
def test_checksum_mismatch_raises_a_clear_error(name, tmp_path):
    copy = tmp_path / "copy.pt"
    shutil.copyfile(pretrained.get(name).path, copy)
    pretrained.load_generator(name, path=copy)  # an intact copy loads
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte flipped, somewhere in the tensors
    copy.write_bytes(bytes(data))
    with pytest.raises(pretrained.ChecksumError, match="does not match") as err:
        pretrained.load_generator(name, path=copy)
    assert "make weights" in str(err.value) and pretrained.file_sha256(copy) in str(err.value)


def test_missing_file_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="make weights"):
        pretrained.load_generator("mlp-gan-mnist", path=tmp_path / "nowhere.pt")


@pytest.mark.parametrize("name", GENERATORS)
def test_loaded_generator_has_the_files_weights_and_the_right_shapes(name, monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    G = pretrained.load_generator(name)
    assert calls == [True]
    assert not G.training
    state = real_load(pretrained.get(name).path, weights_only=True)
    for key, value in G.state_dict().items():
        assert torch.equal(value, state[key]), key
        if value.is_floating_point():
            assert value.dtype == torch.float32, key
    arch = pretrained.get(name).architecture
    z = torch.randn(5, arch["latent_dim"], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        x = G(z)
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    with torch.no_grad():  # eval mode: a sample does not depend on its batch-mates
        assert torch.allclose(G(z[:1]), x[:1], atol=1e-6)


def test_build_generator_matches_the_registered_architecture():
    G = pretrained.build_generator("mlp-gan-mnist")
    arch = pretrained.get("mlp-gan-mnist").architecture
    assert G.latent_dim == arch["latent_dim"] and G.hidden == tuple(arch["hidden"]) and G.style == arch["style"]
    state = torch.load(pretrained.get("mlp-gan-mnist").path, weights_only=True)
    assert {k: tuple(v.shape) for k, v in G.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}
