"""Sweeps on a local Ray instance: points as tasks, resume, failures, 1 vs 2 workers, outputs."""

import csv
import json

import numpy as np
import pytest

from qlsa.cli import main
from scheduler.sweep import SweepPoint, run_sweep
from scheduler.sweep_presets import PRESETS, SweepOptions, _banded_spd, crossover_point, train_point, write_outputs


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def _values(records):
    return [(r.key, r.params, r.seed, r.result, r.error) for r in records]


def test_banded_matrix_has_the_exact_kappa_it_claims():
    for n, d, kappa in ((64, 5, 37.0), (50, 9, 1e4), (32, 3, 2.0)):
        A, cond = _banded_spd(n, d, kappa)
        eigs = np.linalg.eigvalsh(A.toarray())
        assert np.count_nonzero(A.toarray(), axis=1).max() == d
        assert cond.kappa == pytest.approx(kappa, rel=1e-9) and eigs[-1] / eigs[0] == pytest.approx(kappa, rel=1e-9)
        assert cond.sigma_max == pytest.approx(eigs[-1], rel=1e-9)


def test_crossover_sweep_resumes_records_failures_and_matches_one_worker(ray_local, tmp_path):
    options = SweepOptions(values=(3, 9), n=64)
    points = PRESETS["crossover"].points(options)
    bad = SweepPoint("bad-epsilon", {**points[0].params, "epsilon": 2.0})
    first = run_sweep(crossover_point, points + [bad], tmp_path / "two", workers=2, progress=False)
    assert [r.key for r in first] == ["d=3", "d=9", "bad-epsilon"]
    assert first[2].result is None and first[2].error.startswith("InvalidParameterError: epsilon must lie in (0, 1)")
    assert all(r.error is None for r in first[:2])                 # the failure did not stop the others
    for r in first[:2]:
        res = r.result
        gaps = np.log(np.array(res["quantum_s"]) / res["classical_s"])
        assert gaps[0] < 0 < gaps[-1] and res["crossover_kappa"] is not None
        i = int(np.argmax(gaps > 0))                               # the crossover lies in the bracket of the sign change
        assert res["kappa"][i - 1] <= res["crossover_kappa"] <= res["kappa"][i]
    again = run_sweep(crossover_point, points, tmp_path / "two", workers=2, progress=False)
    assert again == first[:2]                                      # read back (same measured seconds): not rerun
    one = run_sweep(crossover_point, points, tmp_path / "one", workers=1, progress=False)
    assert _values(one) == _values(first[:2])
    doc = write_outputs(PRESETS["crossover"], options, first, tmp_path / "two")
    assert json.loads((tmp_path / "two" / "crossover.json").read_text())["points"][0]["params"]["d"] == 3
    assert doc["points"][2]["error"] == first[2].error
    with open(tmp_path / "two" / "crossover.csv") as f:
        assert len(list(csv.DictReader(f))) == 2 * len(first[0].result["kappa"])
    assert (tmp_path / "two" / "crossover.png").stat().st_size > 10_000


def test_training_points_are_identical_with_one_or_two_workers(ray_local, tmp_path):
    options = SweepOptions(steps=4, warmup=1, hidden=4, values=(None, 4))
    points = PRESETS["sparsity"].points(options)
    two = run_sweep(train_point, points, tmp_path / "two", workers=2, progress=False)
    one = run_sweep(train_point, points, tmp_path / "one", workers=1, progress=False)
    assert _values(one) == _values(two) and all(r.error is None for r in two)
    full, pruned = (r.result for r in two)
    assert full["pruned_percent"] == 0 and pruned["pruned_percent"] > 50
    assert len(full["per_step"]) == 3                              # Newton steps after one warm-up step


def test_pruning_point_with_the_paper_codes_rowwise_strategy_trains():
    (point,) = [p for p in PRESETS["pruning"].points(SweepOptions(steps=3, warmup=1, hidden=4, values=(4,)))
                if p.params["newton"]["prune_strategy"] == "rowwise"]
    res = train_point(point)
    assert res["pruned_percent"] > 50 and 0 <= res["not_pd_percent"] <= 100
    assert np.isfinite(res["final_loss"]) and len(res["per_step"]) == 2


def test_sweep_cli(ray_local, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["sweep", "crossover", "--values", "3", "--n", "32", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "crossover_kappa" in text and "1 of 1 points done" in text
    assert {p.name for p in out.iterdir()} >= {"crossover.json", "crossover.csv", "crossover.png", "points"}
    for argv, msg in ((["sweep", "crossover", "--values", "4"], "odd whole number"),
                      (["sweep", "crossover", "--workers", "0", "--out", str(out)], "workers must be ≥ 1"),
                      (["sweep", "sparsity", "--seeds", "a"], "--seeds takes comma-separated whole numbers"),
                      (["sweep", "crossover", "--address", "127.0.0.1:1"], "cannot reach the Ray cluster"),
                      (["sweep", "crossover", "--address", "nohost"], "is not host:port")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and msg in err
