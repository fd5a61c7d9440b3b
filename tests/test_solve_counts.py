"""Solver-level counts (qlsa.solve_counts) equal the built HHL and Jennings circuits: oracle
calls counted by box, the rest lowered to COUNT_BASIS with the oracle boxes left out; qubits
equal the circuit's; QSVT's calls and phases equal PennyLane's template decomposition."""

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qlsa.block_encodings import GateCounts, state_preparation_counts
from qlsa.hhl import hhl_circuit
from qlsa.jennings import JenningsBuilder, count_calls
from qlsa.solve_counts import U_A, U_B, hhl_solve_counts, jennings_solve_counts, qsvt_solve_counts

ORACLES = ("U_A", "U_A_dg", "U_b", "U_b_dg")


def _without_oracles(qc: QuantumCircuit) -> QuantumCircuit:
    """``qc`` flattened, every U_A/U_b box (controlled or not) and every measurement dropped."""
    out = QuantumCircuit(qc.num_qubits, global_phase=qc.global_phase)

    def visit(circuit: QuantumCircuit, qubits: list) -> None:
        for inst in circuit.data:
            op = inst.operation
            base = getattr(op, "base_gate", None) or getattr(op, "base_op", None)
            if op.name in ORACLES or (base is not None and base.name in ORACLES) or op.name in ("measure", "barrier"):
                continue
            mapped = [qubits[circuit.find_bit(q).index] for q in inst.qubits]
            if op.name in ("x", "h", "cx", "ccx", "ry", "rz", "p", "t", "tdg", "s", "sdg", "z", "y", "u", "swap"):
                out.append(op, [out.qubits[i] for i in mapped])
            else:
                assert op.definition is not None, op.name
                visit(op.definition, mapped)

    visit(qc, list(range(qc.num_qubits)))
    return out


def _spd(n, kappa, seed):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return (Q * np.linspace(1 / kappa, 1, n)) @ Q.T


@pytest.mark.parametrize("n, encoding, complex_b", [(2, "dense", False), (4, "dense", True), (4, "sparse", False),
                                                    (4, "lcu", False)])
def test_jennings_counts_equal_the_built_circuit(n, encoding, complex_b):
    rng = np.random.default_rng(n)
    A = _spd(n, 3.0, n)
    b = rng.standard_normal(n) + (1j * rng.standard_normal(n) if complex_b else 0)
    jb = JenningsBuilder(A, b, 0.2, encoding)
    qc, plan = jb.build()
    sc = jennings_solve_counts(jb.be.gate_counts(), jb.n, jb.be.num_ancillas, sum(plan.walks),
                               plan.filter_half_degree, complex_b)
    assert sc.qubits == qc.num_qubits == jb.n + jb.be.num_ancillas + 4
    assert sc.u_a_calls == count_calls(qc, "U_A") == plan.u_a_calls
    assert sc.count(U_B) == count_calls(qc, "U_b")
    own = sum((item.count * item.each for item in sc.own), GateCounts())
    assert GateCounts.of_circuit(_without_oracles(qc)) == own
    u_b = QuantumCircuit(jb.n)
    u_b.append(jb.u_b, u_b.qubits)
    assert GateCounts.of_circuit(u_b) == state_preparation_counts(jb.n, complex_b)


@pytest.mark.parametrize("n, complex_b", [(2, False), (4, True), (8, False)])
def test_hhl_counts_bound_the_built_circuit(n, complex_b):
    rng = np.random.default_rng(n)
    A = _spd(n, 4.0, n)
    b = rng.standard_normal(n) + (1j * rng.standard_normal(n) if complex_b else 0)
    qc, info = hhl_circuit(A, b, 0.1)
    sc = hhl_solve_counts(int(math.log2(n)), info["clock_qubits"], complex_b)
    assert sc.qubits == qc.num_qubits
    powers = next(i for i in sc.items if i.name.startswith("controlled e^"))
    rest, boxes = qc.copy_empty_like(), []
    for inst in qc.data:
        (boxes if inst.operation.name == "c-unitary" else rest.data).append(inst)
    # exact apart from the dense controlled powers; each of those is bounded by its QSD count
    assert GateCounts.of_circuit(rest) == sum((i.count * i.each for i in sc.items if i is not powers), GateCounts())
    assert len(boxes) == powers.count == 2 * info["clock_qubits"]
    for inst in boxes:
        one = qc.copy_empty_like()
        one.append(inst)
        c = GateCounts.of_circuit(one)
        assert c.cx <= powers.each.cx and c.rotations + c.clifford <= powers.each.rotations


def test_qsvt_counts_follow_the_simulated_circuit():
    """D shared U_A calls and D + 1 sign-controlled phases: the sequence qlsa.qsvt runs."""
    import qlsa

    A = _spd(4, 5.0, 7)
    r = qlsa.solve(A, np.ones(4), "qsvt", epsilon=0.1)
    degree = r.parameters["degree"]
    sc = qsvt_solve_counts(2, degree)
    assert sc.u_a_calls == r.queries == r.gate_counts["U_A (QubitUnitary)"] == degree
    phases = next(i for i in sc.items if i.name.startswith("sign-controlled"))
    assert phases.count == r.gate_counts["PCPhase"] == degree + 1
    assert phases.count * phases.each.cx == r.gate_counts["CNOT"]
    assert sc.qubits == r.qubits == 4


def test_qsvt_phase_with_many_ancillas_counts_its_flag():
    from qlsa.block_encodings.primitives import mcx_counts
    from qlsa.solve_counts import qsvt_phase_counts
    assert qsvt_phase_counts(1) == GateCounts(cx=2, rotations=1)
    assert qsvt_phase_counts(5) == GateCounts(cx=2, rotations=1, clifford=20) + 2 * mcx_counts(5)
    assert qsvt_solve_counts(3, 11, per_query=GateCounts(toffoli=4), ancillas=5).qubits == 3 + 5 + 2


def test_totals_add_every_item():
    sc = jennings_solve_counts(GateCounts(cx=10, toffoli=2), 3, 5, walk_steps=7.5, filter_half_degree=2)
    tot = sc.totals
    assert tot["cx"] == pytest.approx(sum(i.count * i.each.cx for i in sc.items))
    assert tot["gates"] == pytest.approx(sum(i.count * i.each.gates for i in sc.items))
    assert sc.u_a_calls == 4 * 7.5 + 8 and sc.count(U_A) == sc.u_a_calls
