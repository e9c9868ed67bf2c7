"""gan_helpers.images: PNGs with known pixels, written here, read back and compared by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gan_helpers import data, images


def scaled(v):
    """Pixel values 0..255 -> [-1, 1], written out: v / 127.5 - 1."""
    return np.asarray(v, dtype=np.float64) / 127.5 - 1.0


def save(folder, name, array, **kwargs):
    Image.fromarray(np.asarray(array)).save(folder / name, **kwargs)
    return folder / name


def test_data_reexports_the_loader():
    assert data.load_image_folder is images.load_image_folder
    for name in images.__all__:
        assert name in data.__all__ and getattr(data, name) is getattr(images, name)


def test_grey_pixels_are_scaled_one_by_one(tmp_path):
    a = np.array([[0, 255, 51], [102, 127, 128], [1, 254, 200]], dtype=np.uint8)
    save(tmp_path, "a.png", a)
    x = data.load_image_folder(tmp_path, size=3)
    assert x.shape == (1, 1, 3, 3) and x.dtype == torch.float32 and x.device.type == "cpu"
    by_hand = [[-1.0, 1.0, -0.6], [-0.2, 127 / 127.5 - 1, 0.5 / 127.5], [1 / 127.5 - 1, 1 - 1 / 127.5, 72.5 / 127.5]]
    np.testing.assert_allclose(x[0, 0].numpy(), by_hand, atol=1e-6)


def test_colour_becomes_grey_with_the_bt601_weights(tmp_path):
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[0, 1] = (0, 255, 0)
    rgb[1, 0] = (0, 0, 255)
    rgb[1, 1] = (10, 20, 30)
    save(tmp_path, "c.png", rgb)
    grey = data.load_image_folder(tmp_path, size=2, channels=1)[0, 0].numpy()
    by_hand = scaled([[0.299 * 255, 0.587 * 255], [0.114 * 255, 0.299 * 10 + 0.587 * 20 + 0.114 * 30]])
    np.testing.assert_allclose(grey, by_hand, atol=1e-6)
    colour = data.load_image_folder(tmp_path, size=2, channels=3)[0].numpy()  # (3, 2, 2)
    np.testing.assert_allclose(colour, scaled(rgb.transpose(2, 0, 1)), atol=1e-6)


def test_grey_is_repeated_into_three_channels(tmp_path):
    a = np.array([[0, 64], [128, 255]], dtype=np.uint8)
    save(tmp_path, "g.png", a)
    x = data.load_image_folder(tmp_path, size=2, channels=3)
    assert x.shape == (1, 3, 2, 2)
    for c in range(3):
        np.testing.assert_allclose(x[0, c].numpy(), scaled(a), atol=1e-6)


def test_alpha_is_composited_onto_black(tmp_path):
    rgba = np.zeros((1, 3, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 255, 255, 0)  # transparent white: black
    rgba[0, 1] = (255, 255, 255, 51)  # white at a fifth: 51
    rgba[0, 2] = (100, 100, 100, 255)  # opaque: as it is
    save(tmp_path, "t.png", np.repeat(rgba, 3, axis=0))  # 3 x 3
    x = data.load_image_folder(tmp_path, size=3)[0, 0].numpy()
    np.testing.assert_allclose(x[0], scaled([0, 51, 100]), atol=1e-6)


def test_palette_and_16_bit_grey_files(tmp_path):
    palette = Image.fromarray(np.array([[0, 1], [1, 0]], dtype=np.uint8), mode="L").convert("P")
    palette.putpalette([0, 0, 0, 200, 200, 200] + [0] * 762)
    palette.save(tmp_path / "p.png")
    deep = np.array([[0, 65535], [32768, 13107]], dtype=np.uint16)
    save(tmp_path, "q.png", deep)
    assert Image.open(tmp_path / "q.png").mode.startswith("I")
    x = data.load_image_folder(tmp_path, size=2)
    np.testing.assert_allclose(x[0, 0].numpy(), scaled([[0, 200], [200, 0]]), atol=1e-6)
    np.testing.assert_allclose(x[1, 0].numpy(), scaled(deep.astype(np.float64) * 255 / 65535), atol=1e-6)


def test_files_are_read_in_sorted_order_without_hidden_or_other_files(tmp_path):
    values = {"b.png": 10, "a.PNG": 20, "c.jpg": 30, "10.jpeg": 40, "2.png": 50}
    for name, v in values.items():
        fmt = "JPEG" if name.endswith(("jpg", "jpeg")) else "PNG"
        save(tmp_path, name, np.full((8, 8), v, dtype=np.uint8), format=fmt)
    save(tmp_path, ".hidden.png", np.full((8, 8), 99, dtype=np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    save(tmp_path / "sub", "d.png", np.full((8, 8), 77, dtype=np.uint8))
    order = ["10.jpeg", "2.png", "a.PNG", "b.png", "c.jpg"]  # Python's string order
    assert [p.name for p in data.image_files(tmp_path)] == order
    x = data.load_image_folder(tmp_path, size=8)
    assert x.shape == (5, 1, 8, 8)
    means = x.mean(dim=(1, 2, 3)).numpy()
    np.testing.assert_allclose(means, scaled([values[n] for n in order]), atol=2 / 127.5)  # JPEG: within 2 levels
    first_two = data.load_image_folder(tmp_path, size=8, limit=2)
    assert torch.equal(first_two, x[:2])
    assert torch.equal(data.load_image_folder(tmp_path, size=8, limit=50), x)


@pytest.mark.parametrize("resample", images.RESAMPLING)
@pytest.mark.parametrize("shape", [(60, 60), (45, 90), (31, 17)])
def test_a_constant_image_stays_constant_at_any_size(tmp_path, resample, shape):
    save(tmp_path, "k.png", np.full(shape, 200, dtype=np.uint8))
    for size in (28, 64, 5):
        x = data.load_image_folder(tmp_path, size=size, resample=resample)
        assert x.shape == (1, 1, size, size)
        np.testing.assert_allclose(x.numpy(), scaled(200), atol=1e-5)


def test_box_reduction_by_two_is_the_mean_of_each_block(tmp_path):
    a = np.random.default_rng(0).integers(0, 256, (56, 56)).astype(np.uint8)
    save(tmp_path, "r.png", a)
    x = data.load_image_folder(tmp_path, size=28)[0, 0].numpy()
    blocks = a.astype(np.float64).reshape(28, 2, 28, 2).mean(axis=(1, 3))  # (28, 28)
    np.testing.assert_allclose(x, scaled(blocks), atol=1e-5)


def test_nearest_enlargement_by_two_repeats_each_pixel(tmp_path):
    a = np.array([[0, 255], [90, 30]], dtype=np.uint8)
    save(tmp_path, "n.png", a)
    x = data.load_image_folder(tmp_path, size=4, resample="nearest")[0, 0].numpy()
    np.testing.assert_allclose(x, scaled(np.kron(a, np.ones((2, 2)))), atol=1e-6)


@pytest.mark.parametrize("transpose", [False, True])
def test_the_largest_centred_square_is_kept(tmp_path, transpose):
    a = np.tile(np.arange(41, dtype=np.uint8) * 5, (20, 1))  # 20 rows, 41 columns: column j holds 5 j
    save(tmp_path, "w.png", a.T if transpose else a)
    x = data.load_image_folder(tmp_path, size=20)[0, 0].numpy()
    kept = a[:, 10:30]  # (41 - 20) // 2 = 10 columns cut on the left, 11 on the right
    np.testing.assert_allclose(x, scaled(kept.T if transpose else kept), atol=1e-6)


def test_exif_orientation_is_applied(tmp_path):
    a = np.array([[0, 255], [0, 0]], dtype=np.uint8)  # white top right
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    save(tmp_path, "o.png", a, exif=exif)
    x = data.load_image_folder(tmp_path, size=2)[0, 0].numpy()
    np.testing.assert_allclose(x, scaled(np.rot90(a, k=-1)), atol=1e-6)  # white bottom right


def test_missing_folder_and_a_file_instead_of_a_folder(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        data.load_image_folder(tmp_path / "nowhere")
    path = save(tmp_path, "x.png", np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="is a file, not a folder"):
        data.load_image_folder(path)
    with pytest.raises(ValueError, match="folder must be a path"):
        data.load_image_folder(3)


def test_no_images_found_names_the_extensions_and_the_subfolders(tmp_path):
    (tmp_path / "notes.txt").write_text("text")
    with pytest.raises(ValueError, match=r"no images found .*\.png, \.jpg, \.jpeg") as err:
        data.load_image_folder(tmp_path)
    assert "sub-folders" not in str(err.value)
    (tmp_path / "cats").mkdir()
    with pytest.raises(ValueError, match=r"sub-folders \['cats'\]: pass one of them"):
        data.image_files(tmp_path)


def test_an_unreadable_file_is_named(tmp_path):
    save(tmp_path, "a.png", np.zeros((4, 4), dtype=np.uint8))
    (tmp_path / "broken.png").write_text("this is not a PNG")
    with pytest.raises(ValueError, match="cannot read 'broken.png' as an image"):
        data.load_image_folder(tmp_path, size=4)
    assert data.load_image_folder(tmp_path, size=4, limit=1).shape == (1, 1, 4, 4)  # a.png comes first


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"size": 0}, "size must be an integer >= 1"),
        ({"size": 2.5}, "size must be an integer"),
        ({"size": True}, "size must be an integer"),
        ({"channels": 2}, r"channels must be one of \(1, 3\)"),
        ({"channels": True}, "channels must be one of"),
        ({"limit": 0}, "limit must be an integer >= 1"),
        ({"resample": "cubic"}, r"resample must be one of \('box', 'bilinear', 'bicubic', 'lanczos', 'nearest'\)"),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    save(tmp_path, "a.png", np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match=message):
        data.load_image_folder(tmp_path, **kwargs)


def test_the_course_dcgan_trains_on_a_loaded_folder(tmp_path, one_thread):
    from gan_helpers import models, train

    rng = np.random.default_rng(1)
    for i in range(8):
        save(tmp_path, f"{i:03d}.png", rng.integers(0, 256, (56, 56)).astype(np.uint8))
    x = data.load_image_folder(tmp_path)  # (8, 1, 28, 28), what the DCGAN takes
    G = models.DCGANGenerator(8, widths=(8, 4, 2), generator=torch.Generator().manual_seed(0))
    D = models.DCGANDiscriminator(widths=(4, 8), generator=torch.Generator().manual_seed(0))
    history = train.train(G, D, x, train.TrainConfig(num_steps=2, batch_size=4), progress=False)
    assert len(history) == 2 and np.isfinite(history["loss_d"]).all()
    # the DCGAN is built for one channel: a colour folder needs a wider first and last layer
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 28, 28\)"):
        D(data.load_image_folder(tmp_path, channels=3))
