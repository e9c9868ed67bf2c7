r"""Your own images, as the course's networks take them: :func:`load_image_folder`.

A folder of PNG or JPEG files becomes one float tensor ``(N, C, size, size)``
with values in :math:`[-1, 1]`, the range of a generator that ends in
``tanh``, so that it can replace the digits of :func:`~gan_helpers.mnist.load_mnist`
in :func:`gan_helpers.train.train`. Each file goes through these steps, in
this order, with Pillow reading it:

1. **Orientation.** A photo's EXIF orientation tag is applied
   (``ImageOps.exif_transpose``), so the image is upright as a viewer shows it.
2. **Values.** The pixels become floating-point values :math:`v \in [0, 255]`
   per channel: 8-bit files as they are, 16-bit grey PNGs scaled by
   :math:`255 / 65535`. An alpha channel :math:`a` is composited onto black,
   :math:`v \cdot a / 255`, and then dropped; palette images are expanded to
   their colours.
3. **Channels.** ``channels=1``: colour is turned into grey with the luma
   weights of ITU-R BT.601 (those of Pillow's ``convert("L")``, here without
   its rounding to integers):

   .. math:: Y = 0.299\,R + 0.587\,G + 0.114\,B .

   ``channels=3``: a grey image is repeated into three equal channels.
4. **Square.** The largest centred square is cut out: an image of width
   :math:`W > H` loses :math:`\lfloor (W - H) / 2 \rfloor` columns on the
   left and the rest on the right (likewise rows when :math:`H > W`), so the
   shapes are not stretched.
5. **Size.** Each channel is resized to ``size`` x ``size`` with Pillow's
   filter ``resample`` (default ``"box"``: every output pixel is the mean of
   the input pixels it covers, weighted by how much of each it covers; for
   a reduction by a whole factor :math:`k` that is the mean of each
   :math:`k \times k` block). Resizing works on the floating-point values,
   not on rounded 8-bit ones. The filters that can overshoot (``"bicubic"``,
   ``"lanczos"``) are clipped back to :math:`[0, 255]`.
6. **Range.** :math:`x = v / 127.5 - 1`, as :func:`~gan_helpers.mnist.load_mnist`
   scales its digits.

Files are those directly inside the folder whose names end in one of
:data:`IMAGE_EXTENSIONS` (in any case), except hidden files (names starting
with a dot), in sorted order of their names (Python's string order: pad
numbers, ``img002`` before ``img010``), so the rows come in the same order on
every machine. :func:`image_files` lists them. Unlike
``torchvision.datasets.ImageFolder``, which reads one sub-folder per class,
sub-folders are not read: pass the sub-folder itself.
:mod:`gan_helpers.data` re-exports every name.

The course's DCGAN (:mod:`gan_helpers.dcgan`) is built for 28x28 grey
images and takes no channel count: use it with ``size=28, channels=1``.
Colour (``channels=3``) needs a generator whose last convolution writes three
channels and a discriminator whose first convolution reads three.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .utils import check_choice, check_int

__all__ = ["IMAGE_EXTENSIONS", "CHANNELS", "RESAMPLING", "LUMA_WEIGHTS", "image_files", "load_image_folder"]

#: The file name endings :func:`image_files` takes (compared in lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
#: The channel counts :func:`load_image_folder` returns: grey or RGB.
CHANNELS = (1, 3)
#: Pillow's resampling filters, by the names :func:`load_image_folder` takes.
RESAMPLING = ("box", "bilinear", "bicubic", "lanczos", "nearest")
#: ITU-R BT.601's weights of R, G and B in grey (as Pillow's ``convert("L")``).
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def _folder(folder: str | os.PathLike) -> Path:
    if not isinstance(folder, (str, os.PathLike)):
        raise ValueError(f"folder must be a path (str or pathlib.Path), got {type(folder).__name__}")
    path = Path(folder).expanduser()
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "does not exist"
        raise ValueError(f"folder {os.fspath(folder)!r} {what}")
    return path


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The image files :func:`load_image_folder` reads from ``folder``, in the order it reads them.

    Files directly in ``folder`` ending in :data:`IMAGE_EXTENSIONS` (any
    case), hidden files left out, sorted by name. ``ValueError`` when the
    folder is missing or holds no such file (naming the endings looked for,
    and the sub-folders, if it has any).
    """
    path = _folder(folder)
    entries = sorted(path.iterdir(), key=lambda p: p.name)
    files = [p for p in entries if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS]
    if not files:
        subfolders = [p.name for p in entries if p.is_dir() and not p.name.startswith(".")]
        hint = f"; it has sub-folders {subfolders[:5]}: pass one of them" if subfolders else ""
        raise ValueError(
            f"no images found in {os.fspath(folder)!r} (looked for names ending in "
            f"{', '.join(IMAGE_EXTENSIONS)}, in any case){hint}"
        )
    return files


def _read(path: Path) -> np.ndarray:
    """One file as float64 values in [0, 255], (H, W) for grey or (H, W, 3) for colour (steps 1-2)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as err:
        raise ValueError(f"cannot read {path.name!r} as an image ({type(err).__name__}: {err})") from None
    if image.mode == "P":  # a palette: its colours, with their transparency
        image = image.convert("RGBA")
    if image.mode in ("1", "L"):
        return np.asarray(image.convert("L"), dtype=np.float64)
    if image.mode.startswith("I;16") or image.mode == "I":  # 16-bit grey PNG
        return np.asarray(image, dtype=np.float64) * (255.0 / 65535.0)
    if image.mode == "LA":
        grey, alpha = (np.asarray(band, dtype=np.float64) for band in image.split())
        return grey * alpha / 255.0
    if image.mode in ("RGBA", "RGBa", "PA"):
        values = np.asarray(image.convert("RGBA"), dtype=np.float64)  # (H, W, 4)
        return values[..., :3] * values[..., 3:] / 255.0
    return np.asarray(image.convert("RGB"), dtype=np.float64)  # RGB, CMYK, YCbCr, ...: (H, W, 3)


def _centre_square(values: np.ndarray) -> np.ndarray:
    """The largest centred square of (H, W, ...) values (step 4)."""
    h, w = values.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return values[top : top + side, left : left + side]


def _resize(plane: np.ndarray, size: int, resample: str) -> np.ndarray:
    """One (S, S) channel of float values resized to (size, size) by Pillow's filter (step 5)."""
    from PIL import Image

    if plane.shape == (size, size):
        return plane
    filters = {
        "box": Image.Resampling.BOX,
        "bilinear": Image.Resampling.BILINEAR,
        "bicubic": Image.Resampling.BICUBIC,
        "lanczos": Image.Resampling.LANCZOS,
        "nearest": Image.Resampling.NEAREST,
    }
    image = Image.fromarray(plane.astype(np.float32))  # 32-bit float: no rounding to 0..255
    return np.asarray(image.resize((size, size), resample=filters[resample]), dtype=np.float64)


def load_image_folder(
    folder: str | os.PathLike,
    size: int = 28,
    channels: int = 1,
    limit: int | None = None,
    resample: str = "box",
) -> torch.Tensor:
    """The images of ``folder`` as a float32 tensor ``(N, channels, size, size)`` in ``[-1, 1]``, on the CPU.

    The steps (orientation, values, channels, centred square, resizing,
    range) are those of the module docstring; the rows follow
    :func:`image_files`. ``limit``: read only the first ``limit`` files of
    that order (None: all). ``resample``: one of :data:`RESAMPLING`.
    ``ValueError`` for a missing folder, a folder without images, a file
    that cannot be read as an image (naming it), or a bad ``size``,
    ``channels``, ``limit`` or ``resample``.
    """
    size = check_int("size", size, minimum=1)
    if isinstance(channels, bool) or channels not in CHANNELS:
        raise ValueError(f"channels must be one of {CHANNELS} (grey or RGB), got {channels!r}")
    if limit is not None:
        limit = check_int("limit", limit, minimum=1)
    check_choice("resample", resample, RESAMPLING)
    files = image_files(folder)[:limit]
    out = np.empty((len(files), channels, size, size), dtype=np.float32)
    for i, path in enumerate(files):
        values = _read(path)  # (H, W) or (H, W, 3)
        if values.shape[0] == 0 or values.shape[1] == 0:
            raise ValueError(f"cannot read {path.name!r} as an image (it has no pixels)")
        if channels == 1 and values.ndim == 3:
            values = values @ np.array(LUMA_WEIGHTS)  # (H, W)
        planes = [values] if values.ndim == 2 else [values[..., c] for c in range(3)]
        square = [_centre_square(p) for p in planes]
        resized = [np.clip(_resize(p, size, resample), 0.0, 255.0) for p in square]
        if channels == 3 and len(resized) == 1:
            resized = resized * 3
        out[i] = np.stack(resized) / 127.5 - 1.0  # (channels, size, size)
    return torch.from_numpy(out)
