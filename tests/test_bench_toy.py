"""benchmarks/bench_toy.py runs, and the committed table it writes is whole: every method on both benchmarks, at the budgets it states."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, load_script

from gan_helpers import toy

SCRIPT = ROOT / "benchmarks" / "bench_toy.py"
TABLE = ROOT / "gan_helpers" / "tables" / "toy_methods.csv"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}


def bench():
    module = load_script(SCRIPT)
    return module


def run(*args):
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=ENV, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.slow
def test_speed_runs_and_checks_a_shared_seed():
    out = run("speed", "--runs", "2", "--steps", "3", "--loop-runs", "1", "--hidden", "8", "--batch-size", "8")
    assert "run-steps/s" in out and "differs from its single run by" in out


@pytest.mark.slow
def test_table_writes_one_row_per_method_and_keeps_the_others(tmp_path):
    out = tmp_path / "t.csv"
    run("table", "--datasets", "ring", "--methods", "gan", "pacgan", "--seeds", "2", "--steps", "3", "--out", str(out))
    first = pd.read_csv(out)
    assert list(first.method) == ["gan", "pacgan"] and (first.seeds == 2).all()
    assert ((first.modes_mean >= 0) & (first.modes_mean <= 8) & (first.hq_mean >= 0) & (first.hq_mean <= 1)).all()
    run("table", "--datasets", "grid", "--methods", "gan", "--seeds", "2", "--steps", "3", "--out", str(out))
    both = pd.read_csv(out)
    assert sorted(zip(both.dataset, both.method)) == [("grid", "gan"), ("ring", "gan"), ("ring", "pacgan")]


@pytest.mark.skipif(not TABLE.exists(), reason="the table is written by python benchmarks/bench_toy.py table")
def test_the_committed_table_covers_every_method_on_both_benchmarks():
    t = pd.read_csv(TABLE)
    recommended = [(d, f"recommended: {m}") for d, (m, _) in toy.RECOMMENDED.items()]
    assert sorted(zip(t.dataset, t.method)) == sorted([(d, m) for d in toy.DATASETS for m in toy.METHODS] + recommended)
    assert (t.seeds >= 5).all()
    for row in t.itertuples():
        modes = len(toy.BENCHMARKS[row.dataset][0])
        assert 0 <= row.modes_mean <= modes and 0 <= row.hq_mean <= 1 and row.modes_se >= 0 and row.hq_se >= 0
        budget = toy.RECOMMENDED[row.dataset][1] if row.method.startswith("recommended") else bench().TABLE_BUDGET
        assert json.loads(row.options) == json.loads(json.dumps(budget)), row  # tuples are written as lists
