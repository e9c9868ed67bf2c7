import hashlib
import shutil

import pytest
import torch
from conftest import load_script

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
    with torch.no_grad():  # eval mode: a sample does not depend on its batch-mates (batch statistics
        # would move it by tenths; float32 products of another batch size, by about 1e-6)
        assert torch.allclose(G(z[:1]), x[:1], atol=1e-5)
        G.train()
        assert not torch.allclose(G(z[:2])[:1], G(z)[:1], atol=1e-3)  # in train mode it does


@pytest.mark.parametrize("name", GENERATORS)
def test_built_networks_are_the_registered_family_and_fit_the_file(name):
    entry = pretrained.get(name)
    G_class, D_class = pretrained.NETWORKS[entry.network]
    G = pretrained.build_generator(name, generator=torch.Generator().manual_seed(0))
    D = pretrained.build_discriminator(name, generator=torch.Generator().manual_seed(0))
    assert type(G) is G_class and type(D) is D_class and G.latent_dim == entry.architecture["latent_dim"]
    state = torch.load(entry.path, weights_only=True)
    assert {k: tuple(v.shape) for k, v in G.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}
    again = pretrained.build_generator(name, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(G.state_dict().values(), again.state_dict().values()))
    with torch.no_grad():
        assert D.eval()(G.eval()(torch.zeros(2, G.latent_dim))).shape == (2,)


def test_dcgan_entry_is_lesson_5s_architecture():
    entry = pretrained.get("dcgan-mnist")
    G = pretrained.build_generator("dcgan-mnist")
    assert entry.network == "dcgan" and G.widths == (64, 32, 16) and G.upsample == "nearest" and G.latent_dim == 64
    assert dict(entry.settings["discriminator"]) == {"widths": (32, 64), "dropout": 0.3}
    assert entry.settings["lr_g"] == entry.settings["lr_d"] == 2e-4 and entry.settings["betas"] == (0.5, 0.999)


def test_build_discriminator_refuses_a_classifier():
    with pytest.raises(ValueError, match="generators"):
        pretrained.build_discriminator("mnist-classifier")


def test_build_generator_matches_the_registered_architecture():
    G = pretrained.build_generator("mlp-gan-mnist")
    arch = pretrained.get("mlp-gan-mnist").architecture
    assert G.latent_dim == arch["latent_dim"] and G.hidden == tuple(arch["hidden"]) and G.style == arch["style"]
    state = torch.load(pretrained.get("mlp-gan-mnist").path, weights_only=True)
    assert {k: tuple(v.shape) for k, v in G.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", GENERATORS)
def test_the_rebuild_command_trains_and_writes_a_loadable_file(name, tmp_path, one_thread):
    """tools/train_weights.py on a few steps: the file it writes loads into the registered architecture."""
    tool = load_script("tools/train_weights.py")
    out = tmp_path / "weights.pt"
    assert tool.main([name, "--steps", "3", "--out", str(out), "--eval-every", "2"]) == 0
    G = pretrained.build_generator(name)
    G.load_state_dict(torch.load(out, weights_only=True))
    with pytest.raises(pretrained.ChecksumError):  # three steps are not the shipped weights
        pretrained.load_generator(name, path=out)
