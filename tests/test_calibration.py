"""Calibration snapshots and time projections, against the raw IBM JSON and closed forms."""

import json
import math
import statistics
from pathlib import Path

import numpy as np
import pytest
import qiskit_ibm_runtime
import scipy.sparse as sp
from qiskit import QuantumCircuit

from qlsa.block_encodings import GateCounts, state_preparation_counts
from tests.conftest import walk_step_counts, walk_step_gates
from estimators.device_time import device_gate_seconds
from estimators import (TimeTerms, break_even_gate_time, estimate,
                        jennings_expected_query_count, load_calibration, offline_backends, projections,
                        query_timing)
from estimators.device_time import uniform_projection
from estimators.examples import laplacian_2d
from qlsa.cli import main
from qlsa.errors import CalibrationError, InvalidParameterError, ResourceLimitError

FAKE_DIR = Path(qiskit_ibm_runtime.__file__).parent / "fake_provider" / "backends"


def _props(short: str) -> dict:
    return json.loads((FAKE_DIR / short / f"props_{short}.json").read_text())


def _raw_medians(props: dict, gate: str) -> tuple[float, float, int]:
    """Median gate_length [s] and gate_error over entries with error < 1, read straight from the JSON."""
    lengths, errors, bad = [], [], 0
    for g in props["gates"]:
        if g["gate"] != gate:
            continue
        p = {x["name"]: x["value"] for x in g["parameters"]}
        if p.get("gate_error", 0.0) >= 1.0:
            bad += 1
            continue
        lengths.append(p["gate_length"] * 1e-9)
        errors.append(p["gate_error"])
    return statistics.median(lengths), statistics.median(errors), bad


def _qubit_median(props: dict, name: str, scale: float) -> float:
    return statistics.median(next(x["value"] for x in q if x["name"] == name) * scale for q in props["qubits"])


@pytest.mark.parametrize("name, short, gate", [("fake_sherbrooke", "sherbrooke", "ecr"), ("torino", "torino", "cz"),
                                               ("ibmq_montreal", "montreal", "cx")])
def test_medians_match_the_raw_snapshot(name, short, gate):
    cal, props = load_calibration(name), _props(short)
    med_len, med_err, bad = _raw_medians(props, gate)
    assert cal.two_qubit_gate == gate
    assert cal.median_2q_seconds == pytest.approx(med_len, rel=1e-12)
    assert cal.median_2q_error == pytest.approx(med_err, rel=1e-12)
    assert cal.gate(gate).excluded == (bad // 2 if gate == "cz" else bad)   # raw lists each CZ coupler both ways
    assert cal.median_1q_seconds == pytest.approx(_raw_medians(props, "sx")[0], rel=1e-12)
    assert cal.readout_seconds == pytest.approx(_qubit_median(props, "readout_length", 1e-9), rel=1e-12)
    assert cal.t1_seconds == pytest.approx(_qubit_median(props, "T1", 1e-6), rel=1e-9)
    assert cal.t2_seconds == pytest.approx(_qubit_median(props, "T2", 1e-6), rel=1e-9)
    assert cal.snapshot_date and cal.snapshot_date[:10] == props["last_update_date"][:10]


def test_sherbrooke_reference_values_from_design():
    cal = load_calibration("fake_sherbrooke")
    assert cal.num_qubits == 127 and "ecr" in cal.basis_gates
    assert cal.median_1q_seconds == pytest.approx(56.9e-9, rel=1e-3)
    assert cal.median_2q_seconds == pytest.approx(533e-9, rel=1e-3)
    assert cal.readout_seconds == pytest.approx(1216e-9, rel=1e-6)
    assert cal.t1_seconds == pytest.approx(278e-6, rel=1e-2) and cal.t2_seconds == pytest.approx(170e-6, rel=1e-2)
    assert cal.gate("rz").median_seconds == 0.0 and cal.gate("ecr").excluded > 0


def test_every_source_gives_the_same_summary():
    by_name = load_calibration("fake_sherbrooke")
    by_file = load_calibration(str(FAKE_DIR / "sherbrooke" / "props_sherbrooke.json"))
    by_target = load_calibration(by_name.target)
    by_backend = load_calibration(by_name.backend_object)
    for other in (by_file, by_target, by_backend):
        assert other.median_2q_seconds == by_name.median_2q_seconds
        assert other.median_1q_seconds == by_name.median_1q_seconds
        assert other.readout_seconds == by_name.readout_seconds and other.t2_seconds == by_name.t2_seconds
    assert by_file.backend == "ibm_sherbrooke" and by_target.backend == "target"
    json.dumps(by_name.to_dict())
    assert {"fake_sherbrooke", "fake_torino", "fake_fez"} <= set(offline_backends()) and len(offline_backends()) > 50


def test_bad_sources(tmp_path):
    with pytest.raises(CalibrationError, match="did you mean fake_sherbrooke"):
        load_calibration("sherbroke")
    with pytest.raises(CalibrationError, match="no two-qubit gate data"):
        load_calibration("fake_armonk")
    truncated = tmp_path / "props.json"
    truncated.write_text((FAKE_DIR / "sherbrooke" / "props_sherbrooke.json").read_text()[:5000])
    with pytest.raises(CalibrationError, match="not valid JSON"):
        load_calibration(str(truncated))
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(CalibrationError, match="not a BackendProperties"):
        load_calibration(str(tmp_path / "list.json"))
    with pytest.raises(CalibrationError, match="does not exist"):
        load_calibration(str(tmp_path / "missing.json"))
    with pytest.raises(CalibrationError):
        load_calibration(42)


def test_query_timing_is_bounded_by_the_calibration():
    cal = load_calibration("fake_sherbrooke")
    cost = GateCounts(cx=40, toffoli=8, rotations=30, clifford=20)
    t = query_timing(cal, cost, 6)
    # each stand-in CX becomes one ECR plus one-qubit gates; at most ⌊q/2⌋ ECRs run at once,
    # and the duration cannot exceed running every gate one after another
    assert t.two_qubit_gates == pytest.approx(cost.two_qubit_gates)
    ecr = cal.gate("ecr")
    assert cost.two_qubit_gates * ecr.min_seconds / (t.qubits // 2) <= t.seconds
    assert t.seconds <= cost.gates * (ecr.max_seconds + 4 * cal.gate("sx").max_seconds)
    assert 0 < t.success_probability < 1 and t.exceeds_t2 == (t.seconds > cal.t2_seconds)
    # scaling a shorter transpiled stand-in linearly agrees with a longer one
    big = cost * 100
    a, b = query_timing(cal, big, 12, max_two_qubit=1000), query_timing(cal, big, 12, max_two_qubit=2000)
    assert a.seconds == pytest.approx(b.seconds, rel=0.05) and "scaled" in a.circuit
    # an explicit circuit: a generic one-qubit unitary needs two sx pulses, no two-qubit gates
    qc = QuantumCircuit(1)
    qc.sx(0)
    qc.rz(0.3, 0)
    qc.sx(0)
    e = query_timing(cal, cost, 2, circuit=qc)
    assert e.two_qubit_gates == 0 and e.seconds >= 2 * cal.gate("sx").min_seconds and "explicit" in e.circuit


def test_matrix_too_large_for_the_backend():
    cal = load_calibration("fake_almaden")   # 20 qubits
    # constant diagonal: banded sparse access, d = 1, a = n (row) + 1 (slot) + 1 → 7 + 9 + 4 = 20 qubits
    assert estimate(2 * np.eye(128), calibration=cal).logical_qubits == 20
    with pytest.raises(ResourceLimitError, match="needs 22 logical qubits; .* has 20"):
        estimate(2 * np.eye(256), calibration=cal)
    with pytest.raises(ResourceLimitError, match="needs .* qubits"):
        query_timing(cal, GateCounts(cx=10), 40)


def test_projections_follow_the_time_model(fixed_model):
    A = laplacian_2d(8)
    e = estimate(A, epsilon=1e-2, classical_model=fixed_model)
    eq = jennings_expected_query_count(e.alpha, e.kappa, 1e-2)
    p = e.success_probability
    step = walk_step_gates(6, e.ancilla_qubits)  # own gates per walk step = 4 U_A calls
    ub = state_preparation_counts(6)
    assert e.state_preparation == ub and ub.two_qubit_gates == 2**6 - 2 and ub.gates == 2**6 - 2 + 2**6 - 1
    # one time per command: the estimate's own quantum seconds are its gate time's projection
    assert uniform_projection(e, e.gate_time).quantum_seconds == pytest.approx(e.quantum_seconds, rel=1e-12)
    for g in (1e-9, 1e-18):
        full = uniform_projection(e, g, TimeTerms(True, "measure"))
        own = eq / 4 * step * g
        assert full.quantum_seconds == pytest.approx(eq * e.per_query_gates * g + (2 * eq + 1 / p) * ub.gates * g
                                                     + own + g / 0.38796, rel=1e-9)
        bare = uniform_projection(e, g, TimeTerms(False, "none"))
        assert bare.quantum_seconds == pytest.approx(eq * e.per_query_gates * g + own, rel=1e-9)
        tomo = uniform_projection(e, g, TimeTerms(False, "full"))
        assert tomo.quantum_seconds == pytest.approx((eq * e.per_query_gates * g + own + g / 0.38796) * 64 / 1e-4,
                                                     rel=1e-9)
    g_star = break_even_gate_time(e)
    assert uniform_projection(e, g_star).quantum_seconds == pytest.approx(e.classical_seconds, rel=1e-9)
    regimes = [p.gate_seconds for p in projections(e)]
    assert regimes == [1e-9, 1e-12, 1e-15, 1e-18]
    with pytest.raises(InvalidParameterError):
        uniform_projection(e, 0.0)
    with pytest.raises(InvalidParameterError):
        TimeTerms(readout="tomography")


def test_device_projection_uses_the_transpiled_query(fixed_model):
    cal = load_calibration("fake_torino")
    e = estimate(laplacian_2d(4), classical_model=fixed_model, calibration=cal)
    t = e.device_timing
    assert e.backend == "ibm_torino" and e.per_query_seconds == t.seconds and e.gate_time is None
    assert projections(e, cal)[0].quantum_seconds == pytest.approx(e.quantum_seconds, rel=1e-12)
    assert e.quantum_seconds > e.expected_query_count * t.seconds        # + state preparation + readout
    dev = projections(e, cal, TimeTerms(False, "none"))[0]
    own = e.expected_query_count / 4 * device_gate_seconds(walk_step_counts(4, e.ancilla_qubits), cal)
    assert dev.quantum_seconds == pytest.approx(e.expected_query_count * t.seconds + own)
    assert cal.backend in e.sources["per_query_seconds"]
    assert t.exceeds_t2 == (t.seconds > cal.t2_seconds)
    assert any("T2" in n for n in e.notes) == t.exceeds_t2


def test_cli_calibrate(tmp_path, capsys):
    sp.save_npz(tmp_path / "lap.npz", laplacian_2d(4).tocsr())
    png = tmp_path / "p.png"
    assert main(["calibrate", "--backend", "fake_sherbrooke", "--matrix", str(tmp_path / "lap.npz"), "--json",
                 "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("backend", "basis_gates", "median_1q_seconds", "median_2q_seconds", "readout_seconds", "t1_seconds",
                "t2_seconds", "per_query_seconds", "projections", "break_even_gate_seconds"):
        assert key in out
    assert [p["gate_seconds"] for p in out["projections"][1:]] == [1e-9, 1e-12, 1e-15, 1e-18]
    assert {"gate_seconds", "quantum_seconds", "classical_seconds", "processor"} <= set(out["projections"][0])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["calibrate", "--list"]) == 0 and "fake_fez" in capsys.readouterr().out
    assert main(["estimate", str(tmp_path / "lap.npz"), "--backend", "fake_fez", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["backend"] == "ibm_fez"


@pytest.mark.parametrize("argv, match", [
    (["calibrate", "--backend", "fake_nowhere"], "unknown backend"),
    (["calibrate"], "--backend"),
    (["calibrate", "--backend", "fake_armonk"], "no two-qubit"),
    (["calibrate", "--backend", "fake_fez", "--epsilon", "2"], "epsilon"),
    (["estimate", "--backend", "fake_fez", "--gate-time", "1e-9"], "not both"),
])
def test_cli_calibrate_bad_input(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and "Traceback" not in err


def test_trainer_charges_the_transpiled_query_time(tmp_path):
    from scheduler import TrainConfig, Trainer
    from scheduler.trainer import config_with

    cfg = config_with(TrainConfig(steps=7, methods=("quantum",), warmup=5, target_accuracy=1.0),
                      newton_backend="fake_fez")
    t = Trainer(cfg, tmp_path, progress=False)
    t.run()
    rows = [r for r in t.ledger if r.method == "quantum"]
    assert rows and all(r.processor == "quantum" for r in rows)
    cal = load_calibration("fake_fez")
    for r in rows:   # charged at the device's scheduled durations (µs per call), not 5e-15 s per gate
        per_call = r.predicted_quantum_seconds / jennings_expected_query_count(r.alpha, max(r.kappa, math.sqrt(12)), 1e-2)
        assert per_call > 100 * cal.median_2q_seconds
    with pytest.raises(CalibrationError):
        config_with(TrainConfig(), newton_backend="fake_nowhere")


def test_a_symmetric_coupler_is_one_edge():
    """Heron CZ is listed on (a, b) and (b, a): one working edge, not two."""
    cal = load_calibration("fake_torino")
    cz = cal.gate("cz")
    target = cal.target["cz"]
    pairs = {tuple(sorted(q)) for q, p in target.items() if p is not None and not (p.error is not None and p.error >= 1)}
    assert cz.count == len(pairs)
