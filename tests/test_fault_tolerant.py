"""Fault-tolerant counts (qlsa.clifford_t, estimators.fault_tolerant): the Clifford+T counts of a
solve equal its built circuit decomposed by qiskit; rotation synthesis agrees with Ross–Selinger
sequences of the circuit's own angles; the physical estimate reads back what it was given; the
error budget adds up; bad input is one typed error."""

import json
import math
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit

from estimators import estimate
from estimators.examples import laplacian_2d
from estimators.fault_tolerant import (QUBIT_MODELS, check_error_budget, fault_tolerant_estimate, logical_counts,
                                       split_error_budget)
from qlsa.block_encodings import GateCounts, state_preparation_counts
from qlsa.cli import main
from qlsa.clifford_t import CLIFFORD_T_R_BASIS, TOFFOLI_T, clifford_t, of_circuit, rotation_synthesis
from qlsa.errors import InvalidParameterError
from qlsa.hhl import hhl_circuit
from qlsa.jennings import JenningsBuilder, count_calls
from qlsa.solve_counts import U_B, hhl_solve_counts, jennings_solve_counts
from tests.test_solve_counts import _spd, _without_oracles

warnings.filterwarnings("ignore", category=DeprecationWarning)


def _same(a, b):
    """Equal Clifford+T+R content: T (Toffolis' included), rotations, Cliffords, qubits."""
    return (a.t_count, a.rotations, a.clifford, a.qubits) == (b.t_count, b.rotations, b.clifford, b.qubits)


@pytest.mark.parametrize("encoding, complex_b", [("sparse", False), ("lcu", False), ("sparse", True)])
def test_jennings_clifford_t_equals_the_built_circuit_decomposed(encoding, complex_b):
    """Own gates, U_A and U_b each decomposed by qiskit to Clifford+T+R; calls × boxes + own = the count."""
    rng = np.random.default_rng(3)
    A = _spd(4, 3.0, 4)
    b = rng.standard_normal(4) + (1j * rng.standard_normal(4) if complex_b else 0)
    jb = JenningsBuilder(A, b, 0.2, encoding)
    qc, plan = jb.build()
    sc = jennings_solve_counts(jb.be.gate_counts(), jb.n, jb.be.num_ancillas, sum(plan.walks),
                               plan.filter_half_degree, complex_b)
    u_b = QuantumCircuit(jb.n)
    u_b.append(jb.u_b, u_b.qubits)
    own, u_a, prep = of_circuit(_without_oracles(qc)), of_circuit(jb.be.circuit), of_circuit(u_b)
    assert _same(u_a, clifford_t(jb.be.gate_counts(), jb.be.circuit.num_qubits))
    assert _same(prep, clifford_t(state_preparation_counts(jb.n, complex_b), jb.n))
    n_a, n_b = count_calls(qc, "U_A"), count_calls(qc, "U_b")
    whole = clifford_t(sc.totals, sc.qubits)
    assert whole.t_count == own.t_count + n_a * u_a.t_count + n_b * prep.t_count
    assert whole.rotations == own.rotations + n_a * u_a.rotations + n_b * prep.rotations
    assert whole.clifford == own.clifford + n_a * u_a.clifford + n_b * prep.clifford
    assert whole.qubits == qc.num_qubits
    if encoding == "sparse":
        assert whole.toffoli > 0 and whole.t_gates > 0      # the table oracles' Toffolis and the MCX T gates


def test_hhl_clifford_t_equals_the_built_circuit_apart_from_the_dense_powers():
    A = _spd(4, 4.0, 4)
    b = np.random.default_rng(4).standard_normal(4)
    qc, info = hhl_circuit(A, b, 0.1)
    sc = hhl_solve_counts(2, info["clock_qubits"])
    rest = qc.copy_empty_like()
    for inst in qc.data:
        if inst.operation.name != "c-unitary":
            rest.data.append(inst)
    powers = next(i for i in sc.items if i.name.startswith("controlled e^"))
    expected = clifford_t(sum((i.count * i.each for i in sc.items if i is not powers), GateCounts()), qc.num_qubits)
    assert _same(of_circuit(rest), expected)


def test_toffoli_lowers_to_seven_t():
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    assert of_circuit(qc).t_count == TOFFOLI_T == clifford_t(GateCounts(toffoli=1), 3).t_count
    assert "ccx" not in CLIFFORD_T_R_BASIS


def test_rotation_synthesis_matches_ross_selinger_on_the_circuits_own_angles():
    """The pinned-angle mean T per rotation agrees with gridsynth of the sparse U_A's real angles."""
    from qiskit import transpile
    from qiskit.synthesis import gridsynth_rz

    delta = 1e-6
    syn = rotation_synthesis(delta)
    log = math.log2(1 / delta)
    assert 3 * log - 2 <= syn.t_per_rotation <= 3 * log + 4 * math.log2(log)     # 3·log₂(1/δ) + O(log log)
    jb = JenningsBuilder(_spd(4, 3.0, 4), np.ones(4), 0.2, "sparse")
    tq = transpile(jb.be.circuit, basis_gates=list(CLIFFORD_T_R_BASIS), optimization_level=0)
    angles = [float(i.operation.params[0]) for i in tq.data if i.operation.name in ("ry", "rz")]
    angles = [a for a in angles if abs(math.remainder(a, math.pi / 2)) > 1e-6]     # exact Cliffords cost no T
    ts = [sum(v for g, v in gridsynth_rz(a, delta).count_ops().items() if g in ("t", "tdg")) for a in angles]
    assert len(ts) >= 8 and np.mean(ts) == pytest.approx(syn.t_per_rotation, rel=0.08)
    assert max(ts) <= syn.t_max + 4


def test_error_budget_adds_up_and_rejects_too_small_budgets():
    b = split_error_budget(0.03, 0.01, rotations=1000, state_prep_rotations=250)
    assert b.algorithm + b.rotations + b.logical + b.t_states == pytest.approx(0.03)
    assert b.state_preparation == pytest.approx(b.rotations / 4)
    for bad in (0.005, 0.01, 1.0, 0.0, -1):
        with pytest.raises(InvalidParameterError):
            check_error_budget(bad, 0.01)


@pytest.fixture(scope="module")
def ft_estimate():
    return estimate(laplacian_2d(8), epsilon=0.01, fault_tolerant=True, error_budget=0.03)


def test_estimate_ft_counts_follow_the_solve_counts(ft_estimate):
    e = ft_estimate
    ft, tot = e.fault_tolerant, e.solve_counts.totals
    syn = ft.per_run.synthesis
    assert syn.precision == pytest.approx(ft.budget.rotations / tot["rotations"])
    assert ft.per_run.t_count == pytest.approx(tot["t"] + 7 * tot["toffoli"] + syn.t_per_rotation * tot["rotations"])
    assert ft.per_run.rotation_error == pytest.approx(ft.budget.rotations)
    assert ft.per_run.qubits == e.logical_qubits
    assert ft.expected_t_count == pytest.approx(ft.per_run.t_count / e.success_probability)
    prep = sum(i.count * i.each.rotations for i in e.solve_counts.items if i.name == U_B)
    assert ft.budget.state_preparation == pytest.approx(ft.budget.rotations * prep / tot["rotations"])
    assert ft.per_query.t_count == pytest.approx(7 * e.per_query_counts.toffoli + e.per_query_counts.t
                                                 + syn.t_per_rotation * e.per_query_counts.rotations)


def test_physical_estimate_reads_back_the_counts_it_was_given(ft_estimate):
    e = ft_estimate
    ph, lc = e.fault_tolerant.physical, logical_counts(e.fault_tolerant.per_run)
    assert ph.t_states == lc["tCount"] + 4 * lc["cczCount"]            # its T-state count: T + 4 per CCZ
    assert ph.runtime_seconds == pytest.approx(ph.logical_depth * ph.logical_cycle_seconds)
    assert ph.physical_qubits > ph.t_factory_physical_qubits > 0 and ph.code_distance % 2 == 1
    ft = e.fault_tolerant
    assert ft.break_even_logical_cycle_seconds * ft.runs * ph.logical_depth == pytest.approx(e.classical_seconds)
    tighter = fault_tolerant_estimate(e.per_query_counts, 10, e.solve_counts, ft.runs, 0.01, 0.0101)
    assert tighter.physical.code_distance >= ph.code_distance and tighter.per_run.t_count > ft.per_run.t_count
    majorana = fault_tolerant_estimate(e.per_query_counts, 10, e.solve_counts, ft.runs, 0.01, 0.03, "qubit_maj_ns_e6")
    assert majorana.physical.qubit_model == "qubit_maj_ns_e6" and majorana.physical.physical_qubits > 0


def test_estimate_ft_bad_input_is_typed():
    for kw in ({"qubit_model": "qubit_transmon"}, {"error_budget": 0.005}, {"error_budget": 1.5}):
        with pytest.raises(InvalidParameterError):
            estimate(np.eye(4) * 2, epsilon=0.01, fault_tolerant=True, **kw)
    with pytest.raises(InvalidParameterError):
        estimate(np.eye(4) * 2, epsilon=0.01, qubit_model=QUBIT_MODELS[0])     # without fault_tolerant=True


def test_cli_ft_table_json_and_export(tmp_path, capsys):
    np.save(tmp_path / "a.npy", laplacian_2d(4).toarray())
    path = tmp_path / "lc.json"
    assert main(["estimate", str(tmp_path / "a.npy"), "--ft", "--qubit-model", "qubit_gate_us_e4", "--json",
                 "--export-logical-counts", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    ft = out["fault_tolerant"]
    assert ft["physical"]["qubit_model"] == "qubit_gate_us_e4" and ft["per_run"]["t_count"] > 0
    exported = json.loads(path.read_text())
    assert exported == logical_counts(estimate(laplacian_2d(4), fault_tolerant=True).fault_tolerant.per_run)
    from qdk.estimator import LogicalCounts                      # the estimator reads the exported file
    assert LogicalCounts(exported).estimate()["physicalCounts"]["physicalQubits"] > 0
    assert main(["estimate", str(tmp_path / "a.npy"), "--ft"]) == 0
    text = capsys.readouterr().out
    assert "FT: T count of one run" in text and "Ross–Selinger" in text and "qdk.estimator" in text


@pytest.mark.parametrize("argv, match", [
    (["--ft", "--qubit-model", "transmon"], "unknown qubit model"),
    (["--ft", "--error-budget", "0.005"], "error budget"),
    (["--ft", "--error-budget", "2"], "error budget"),
    (["--error-budget", "0.1"], "add --ft"),
])
def test_cli_ft_bad_input_exit_2_one_line(tmp_path, capsys, argv, match):
    np.save(tmp_path / "a.npy", np.eye(4) * 2)
    code = main(["estimate", str(tmp_path / "a.npy"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


def test_cli_circuit_ft_json(tmp_path, capsys):
    np.save(tmp_path / "a.npy", laplacian_2d(2).toarray())
    assert main(["circuit", "jennings", str(tmp_path / "a.npy"), "--encoding", "sparse", "--ft", "--json",
                 "--epsilon", "0.1"]) == 0
    rep = json.loads(capsys.readouterr().out)
    ft = rep["fault_tolerant"]
    assert ft["per_run"]["qubits"] == rep["qubits"]
    assert ft["per_run"]["toffoli"] == rep["solve_counts"]["totals"]["toffoli"]
    assert main(["circuit", "sparse", str(tmp_path / "a.npy"), "--ft"]) == 2


def test_t_count_with_the_measured_toffoli():
    c = clifford_t(GateCounts(toffoli=10, t=3), 5)
    assert c.t_count == 73 and c.t_count_4t == 43


def test_missing_estimator_package_is_one_typed_error(monkeypatch, ft_estimate):
    import sys

    from estimators.fault_tolerant import physical_estimate
    from qlsa.errors import EstimatorUnavailableError
    monkeypatch.setitem(sys.modules, "qdk", None)              # as if qdk were not installed
    with pytest.raises(EstimatorUnavailableError, match="pip install qdk"):
        physical_estimate(ft_estimate.fault_tolerant.per_run, ft_estimate.fault_tolerant.budget)
