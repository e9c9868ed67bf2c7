r"""What latent search minimises: per-image losses between G's output and a target, and priors on z.

Latent search (:func:`gan_helpers.latent.search`) looks for the z whose image
:math:`x = G(z)` is closest to a target image :math:`t`
:cite:p:`zhu2016generative,creswell2019inverting`. "Closest" is a choice; each
loss here returns **one value per image**, a tensor ``(B,)``, so that a batch
of targets and restarts is many independent searches at once:

* :class:`PixelMSE`: :math:`\frac1P \sum_p (x_p - t_p)^2`, the mean over the
  :math:`P` pixels (images in :math:`[-1, 1]`).
* :class:`FeatureLoss`: :math:`\frac1K \sum_k (\phi_k(x) - \phi_k(t))^2`, the
  same mean in the :math:`K`-d features :math:`\phi` of a network, a
  *perceptual* loss :cite:p:`johnson2016perceptual`.
  :func:`classifier_feature_loss` uses the course's MNIST classifier (its 64
  penultimate features); :func:`discriminator_feature_loss` the activations
  before a discriminator's last linear layer. An *untrained* network's
  features are a known baseline: random convolutions already keep much of an
  image's structure :cite:p:`he2016powerful`.
* :class:`Prior`, a term on z alone that keeps it where G's inputs were
  drawn from, :math:`z \sim \mathcal N(0, I_d)`: ``kind="gaussian"`` is
  :math:`\lVert z\rVert^2 / d` (the negative log-density up to a constant,
  scaled by :math:`2/d`; its minimum, z = 0, is an atypical point), and
  ``kind="shell"`` is :math:`(\lVert z\rVert/\sqrt d - 1)^2`, which is
  smallest on the sphere of radius :math:`\sqrt d` where nearly all the
  Gaussian's mass lies in high dimension.
* :class:`WeightedSum`: :math:`\sum_i w_i L_i`, written ``1.0 * PixelMSE() +
  0.1 * Prior("shell")``.

A loss is called as ``loss(x, target, z)``; :meth:`Loss.bind` fixes the
target once (a feature loss computes the target's features only then), which
is what the search loop does.
"""

from __future__ import annotations

import copy
from typing import Callable, Sequence

import torch
from torch import nn

from .classifier import MNISTClassifier, load_classifier
from .utils import check_choice, check_finite

__all__ = [
    "Loss",
    "PixelMSE",
    "FeatureLoss",
    "Prior",
    "WeightedSum",
    "PRIOR_KINDS",
    "classifier_feature_loss",
    "discriminator_feature_loss",
    "check_targets",
]

PRIOR_KINDS = ("gaussian", "shell")
#: Target values this far outside [-1, 1] are accepted (rounding in a tanh).
_RANGE_TOL = 1e-3
Bound = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x, z) -> (B,)


def _per_image_mean(diff: torch.Tensor) -> torch.Tensor:
    return diff.pow(2).flatten(1).mean(dim=1)  # (B,)


class Loss:
    """A loss of latent search: ``loss(x, target, z)`` gives one value per image, ``(B,)``.

    Subclasses implement :meth:`bind`. Losses add (``a + b``) and scale
    (``0.5 * a``) into a :class:`WeightedSum`.
    """

    name = "loss"

    def bind(self, target: torch.Tensor) -> Bound:
        """The loss with ``target`` fixed: a function ``(x, z) -> (B,)``."""
        raise NotImplementedError

    def __call__(self, x: torch.Tensor, target: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.bind(target)(x, z)

    def terms(self) -> tuple[tuple[float, "Loss"], ...]:
        """The ``(weight, loss)`` pairs of the loss as a weighted sum (one pair, weight 1, for a plain loss)."""
        return ((1.0, self),)

    def __add__(self, other: "Loss") -> "WeightedSum":
        if not isinstance(other, Loss):
            return NotImplemented
        return WeightedSum(self.terms() + other.terms())

    def __mul__(self, weight: float) -> "WeightedSum":
        if isinstance(weight, Loss) or isinstance(weight, bool) or not isinstance(weight, (int, float)):
            return NotImplemented
        return WeightedSum(tuple((float(weight) * w, loss) for w, loss in self.terms()))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return self.name


class PixelMSE(Loss):
    r"""Pixel mean squared error, :math:`\frac1P \sum_p (x_p - t_p)^2` per image."""

    name = "pixel MSE"

    def bind(self, target: torch.Tensor) -> Bound:
        return lambda x, z: _per_image_mean(x - target)


class FeatureLoss(Loss):
    r"""Mean squared difference of features, :math:`\frac1K \sum_k (\phi_k(x) - \phi_k(t))^2` per image.

    ``features`` maps images ``(B, C, H, W)`` to features ``(B, ...)``;
    it should be a network in eval mode whose parameters do not require
    gradients (see :func:`classifier_feature_loss`,
    :func:`discriminator_feature_loss`). The target's features are computed
    once, without gradients, when the loss is bound.
    """

    def __init__(self, features: Callable[[torch.Tensor], torch.Tensor], name: str = "feature MSE"):
        if not callable(features):
            raise ValueError(f"features must be a callable from images to features, got {features!r}")
        self.features, self.name = features, str(name)

    def bind(self, target: torch.Tensor) -> Bound:
        with torch.no_grad():
            phi_t = self.features(target).float().flatten(1)  # (B, K)
        return lambda x, z: _per_image_mean(self.features(x).float().flatten(1) - phi_t)


class Prior(Loss):
    r"""A term on z alone: ``"gaussian"`` :math:`\lVert z\rVert^2/d`, or ``"shell"`` :math:`(\lVert z\rVert/\sqrt d - 1)^2`."""

    def __init__(self, kind: str = "shell"):
        self.kind = check_choice("kind", kind, PRIOR_KINDS)
        self.name = f"prior ({self.kind})"

    def bind(self, target: torch.Tensor) -> Bound:
        return self.penalty_of

    def penalty_of(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        z = z.float()
        d = z.shape[1]
        if self.kind == "gaussian":
            return z.pow(2).sum(dim=1) / d  # (B,)
        return (z.norm(dim=1) / d**0.5 - 1).pow(2)  # (B,)


class WeightedSum(Loss):
    r""":math:`\sum_i w_i L_i` for ``terms`` = ``((w_1, L_1), (w_2, L_2), ...)``; weights finite and >= 0."""

    def __init__(self, terms: Sequence[tuple[float, Loss]]):
        pairs = []
        for i, term in enumerate(terms):
            if not (isinstance(term, tuple) and len(term) == 2 and isinstance(term[1], Loss)):
                raise ValueError(f"terms[{i}] must be a pair (weight, Loss), got {term!r}")
            weight = check_finite(f"terms[{i}] weight", term[0])
            if weight < 0:
                raise ValueError(f"terms[{i}] weight must be >= 0, got {weight!r}")
            pairs += [(weight * w, loss) for w, loss in term[1].terms()]
        if not pairs:
            raise ValueError("terms must hold at least one (weight, Loss) pair")
        self._terms = tuple(pairs)
        self.name = " + ".join(f"{w:g} {loss.name}" for w, loss in self._terms)

    def terms(self) -> tuple[tuple[float, Loss], ...]:
        return self._terms

    def bind(self, target: torch.Tensor) -> Bound:
        bound = [(w, loss.bind(target)) for w, loss in self._terms]
        return lambda x, z: sum(w * f(x, z) for w, f in bound)


def classifier_feature_loss(classifier: MNISTClassifier | None = None) -> FeatureLoss:
    """:class:`FeatureLoss` in the course classifier's 64 penultimate features (default: the shipped classifier, on the CPU).

    Put the classifier on G's device: ``classifier_feature_loss(metrics.load_classifier(device))``.
    """
    if classifier is None:
        classifier = load_classifier()
    if not isinstance(classifier, MNISTClassifier):
        raise ValueError(
            f"classifier must be an MNISTClassifier (see metrics.load_classifier) or None, got {classifier!r}"
        )
    return FeatureLoss(classifier.features, name="classifier features")


def discriminator_feature_loss(D: nn.Module) -> FeatureLoss:
    """:class:`FeatureLoss` in the activations of ``D`` before its last linear layer.

    ``D`` must keep its layers in an ``nn.Sequential`` called ``net`` that
    ends with an ``nn.Linear`` (as :class:`~gan_helpers.dcgan.DCGANDiscriminator`
    and :class:`~gan_helpers.mlp.MLPDiscriminator` do). The loss uses a frozen
    copy of those layers in eval mode (no dropout, BatchNorm's running
    statistics), so training ``D`` further does not change it.
    """
    net = getattr(D, "net", None)
    if not isinstance(D, nn.Module) or not isinstance(net, nn.Sequential) or not isinstance(net[-1], nn.Linear):
        raise ValueError(
            f"D must be a discriminator whose `net` is an nn.Sequential ending in nn.Linear, got {type(D).__name__}"
        )
    layers = copy.deepcopy(net[:-1]).eval().requires_grad_(False)
    if hasattr(D, "in_shape"):  # the MLP discriminator takes images and flattens them itself
        return FeatureLoss(lambda x: layers(x.flatten(1)), name="discriminator features")
    return FeatureLoss(layers, name="discriminator features")


def check_targets(name: str, target, shape: Sequence[int]) -> torch.Tensor:
    """``target`` unchanged, or ``ValueError`` unless it is a finite float tensor ``(N, *shape)`` in [-1, 1]."""
    expected = f"a float tensor (N, {', '.join(map(str, shape))}) with values in [-1, 1], like G's images"
    if not isinstance(target, torch.Tensor) or not target.is_floating_point():
        got = f"dtype {target.dtype}" if isinstance(target, torch.Tensor) else type(target).__name__
        raise ValueError(f"{name} must be {expected}; got {got}")
    if target.dim() != len(shape) + 1 or tuple(target.shape[1:]) != tuple(shape) or len(target) == 0:
        hint = " (one image? use target.unsqueeze(0))" if tuple(target.shape) == tuple(shape) else ""
        raise ValueError(f"{name} must be {expected}; got shape {tuple(target.shape)}{hint}")
    if not torch.isfinite(target).all():
        raise ValueError(f"{name} must be {expected}; got NaN or infinite values")
    lo, hi = target.min().item(), target.max().item()
    if lo < -1 - _RANGE_TOL or hi > 1 + _RANGE_TOL:
        hint = " (in [0, 1]? use target * 2 - 1; in 0..255? target / 127.5 - 1)" if lo >= -_RANGE_TOL else ""
        raise ValueError(f"{name} must be {expected}; got values in [{lo:.4g}, {hi:.4g}]{hint}")
    return target
