"""The data the lessons train on, imported from one place.

* :mod:`gan_helpers.mnist`: :func:`~gan_helpers.mnist.load_mnist` (the 5,000
  bundled digits offline, or torchvision's full MNIST) and its constants;
* :mod:`gan_helpers.toys`: the toy distributions
  (:func:`~gan_helpers.toys.gaussian_1d`, :func:`~gan_helpers.toys.ring_2d`,
  :func:`~gan_helpers.toys.grid_2d`), their mode centres and
  :func:`~gan_helpers.toys.make_sampler`;
* :mod:`gan_helpers.images`: :func:`~gan_helpers.images.load_image_folder`,
  a folder of your own PNG or JPEG images, scaled as the digits are.

Every name of the three modules is re-exported here.
"""

from __future__ import annotations

from .images import CHANNELS, IMAGE_EXTENSIONS, LUMA_WEIGHTS, RESAMPLING, image_files, load_image_folder
from .mnist import BUNDLED_SEED, BUNDLED_TRAIN_SIZE, SOURCES, SPLITS, default_cache_dir, load_mnist
from .toys import gaussian_1d, grid_2d, grid_centres, make_sampler, ring_2d, ring_centres

__all__ = [
    "SOURCES",
    "SPLITS",
    "BUNDLED_SEED",
    "BUNDLED_TRAIN_SIZE",
    "default_cache_dir",
    "load_mnist",
    "gaussian_1d",
    "ring_2d",
    "ring_centres",
    "grid_2d",
    "grid_centres",
    "make_sampler",
    "IMAGE_EXTENSIONS",
    "CHANNELS",
    "RESAMPLING",
    "LUMA_WEIGHTS",
    "image_files",
    "load_image_folder",
]
