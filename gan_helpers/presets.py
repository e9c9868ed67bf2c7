"""Named settings of the single-point GAN: the options lesson 2 compares.

:data:`PRESETS` maps a name to keyword options of
:func:`gan_helpers.point.sweep`; :func:`preset` returns one with overrides,
checked by :class:`~gan_helpers.point_config.PointConfig`. An unknown name
raises ``ValueError`` listing the presets, both as ``PRESETS[name]`` and as
``preset(name)``. :mod:`gan_helpers.point` re-exports both names.
"""

from __future__ import annotations

from .point_config import PointConfig

__all__ = ["PRESETS", "preset"]


class _Presets(dict):
    """A dict of named option sets; an unknown name raises ``ValueError`` listing the names."""

    def __missing__(self, key):
        raise ValueError(f"unknown preset {key!r}; presets: {sorted(self)}")


#: Keyword options of :func:`~gan_helpers.point.sweep` for each setting of
#: lesson 2. ``"fixed"`` is the fix that lesson's search selects (noise on G's
#: parameters during D's step, 8 draws, scale 1.0, with a small weight decay on
#: D); ``"seed_recipe"`` is the noise-plus-weight-decay setting as first
#: proposed (scale 1.5, weight decay 0.1), which fails here (see lesson 2);
#: ``"r1"`` is the R1 penalty of :cite:t:`mescheder2018training` with
#: :math:`\gamma = 10`.
PRESETS: dict[str, dict] = _Presets(
    baseline={},
    label_easing={"real_label": 0.9, "fake_label": 0.1},
    fake_weight={"fake_weight": 0.5},
    weight_decay={"d_weight_decay": 0.1},
    noise_0_5={"noise_scale": 0.5, "noise_draws": 8},
    noise_1_5={"noise_scale": 1.5, "noise_draws": 8},
    seed_recipe={"noise_scale": 1.5, "noise_draws": 8, "d_weight_decay": 0.1},
    r1={"r1_gamma": 10.0},
    fixed={"noise_scale": 1.0, "noise_draws": 8, "d_weight_decay": 3e-3},
)


def preset(name: str, **overrides) -> dict:
    """The options of preset ``name`` with ``overrides`` on top, checked (a new dict).

    Unknown names raise ``ValueError`` listing the presets; contradicting or
    invalid options raise ``ValueError`` from :class:`~gan_helpers.point_config.PointConfig`.
    """
    options = {**PRESETS[name], **overrides}
    PointConfig.from_options(**options)  # validate now, not in the middle of a sweep
    return options
