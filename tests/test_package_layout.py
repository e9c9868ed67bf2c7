"""The package's seams: one-way imports, short modules with a docstring and ``__all__``, names re-exported."""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gan_helpers"
SPLIT = [
    "point",
    "point_config",
    "point_engine",
    "point_sweep",
    "point_analysis",
    "presets",
    "dirac",
    "classifier",
    "metrics",
    "layers",
    "mlp",
    "models",
    "mnist",
    "toys",
    "data",
    "utils",
    "viz",
]


def _imports(name):
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(node.module or "")
            found.update(alias.name for alias in node.names if node.module is None)
    return found


@pytest.mark.parametrize("name", SPLIT)
def test_module_is_short_documented_and_lists_its_names(name):
    module = importlib.import_module(f"gan_helpers.{name}")
    assert len((PACKAGE / f"{name}.py").read_text().splitlines()) <= 300
    assert module.__doc__ and len(module.__doc__) > 100
    assert all(hasattr(module, n) for n in module.__all__)


@pytest.mark.parametrize(
    "name",
    [
        "classifier",
        "metrics",
        "layers",
        "mlp",
        "models",
        "point",
        "point_config",
        "point_engine",
        "point_sweep",
        "point_analysis",
        "presets",
        "dirac",
    ],
)
def test_networks_and_metrics_import_no_losses_and_no_training_loop(name):
    assert not _imports(name) & {"losses", "train", "objectives"}


def test_imports_run_one_way():
    order = ["utils", "point_config", "point_engine", "point_sweep", "point_analysis", "point"]
    for i, name in enumerate(order):
        assert not _imports(name) & set(order[i + 1 :]), name
    assert _imports("layers") <= {"utils"} and _imports("mlp") <= {"utils", "layers"}
    assert _imports("classifier") <= {"utils", "layers"} and "metrics" not in _imports("classifier")
    assert _imports("mnist") <= {"utils"} and _imports("toys") <= {"utils"} and _imports("dirac") <= {"utils"}


def test_lessons_names_stay_where_they_are_imported_from():
    from gan_helpers import data, metrics, models, point

    for module, names in [
        (
            point,
            [
                "sweep",
                "simulate",
                "train_single",
                "preset",
                "PRESETS",
                "failure_modes",
                "FAILURE_TYPES",
                "dirac_field",
                "dirac_trajectory",
                "bell_params",
                "judge",
                "d_slope",
                "discriminator_prob",
                "make_models",
                "sample_inputs",
                "is_success",
                "SUCCESS_TOL",
                "PointConfig",
                "SweepResult",
            ],
        ),
        (
            metrics,
            ["load_classifier", "predict", "classes_covered", "classifier_score", "frechet_distance", "kl_to_uniform"],
        ),
        (models, ["MLPGenerator", "MLPDiscriminator", "Maxout", "VirtualBatchNorm", "init_normal_"]),
        (data, ["load_mnist", "make_sampler", "ring_centres", "ring_2d", "gaussian_1d", "grid_2d", "grid_centres"]),
    ]:
        assert all(hasattr(module, n) and n in module.__all__ for n in names), module.__name__


ALL = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
NETWORKS_AND_METRICS = {"models", "mlp", "layers", "dcgan", "pacgan", "classifier", "metrics", "toy_metrics"}
TRAINING = {
    "losses",
    "wgan",
    "objectives",
    "steps",
    "train_config",
    "train",
    "ensemble",
    "toy_train",
    "toy",
}  # toy_settings: networks and defaults only


def _ours(name):
    return {m.split(".")[0] for m in _imports(name)} & set(ALL)


def test_nothing_imports_train():
    assert [m for m in ALL if "train" in _ours(m)] == []


@pytest.mark.parametrize("name", sorted(NETWORKS_AND_METRICS))
def test_networks_and_metrics_never_import_the_training_code(name):
    assert not _ours(name) & TRAINING, sorted(_ours(name) & TRAINING)


def test_the_package_has_no_import_cycle():
    state = {}

    def visit(m, path):
        assert state.get(m) != "open", "import cycle: " + " -> ".join(path + [m])
        if state.get(m) is None:
            state[m] = "open"
            for dep in sorted(_ours(m)):
                visit(dep, path + [m])
            state[m] = "done"

    for m in ALL:
        visit(m, [])


@pytest.mark.parametrize("name", ALL)
def test_every_module_is_documented_lists_its_names_and_stays_short(name):
    module = importlib.import_module(f"gan_helpers.{name}")
    lines = len((PACKAGE / f"{name}.py").read_text().splitlines())
    assert lines <= 300, f"{name} has {lines} lines: does it own more than one concept?"
    assert module.__doc__ and len(module.__doc__) > 100
    assert all(hasattr(module, n) for n in module.__all__)


def test_the_package_readme_lists_every_module():
    readme = (PACKAGE / "README.md").read_text()
    assert [m for m in ALL if f"| `{m}` |" not in readme] == []
