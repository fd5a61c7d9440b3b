"""Statevector simulation of the toolkit's circuits with qiskit-aer.

Circuits are first lowered to {u, cx, ccx} without optimisation (Aer would otherwise receive
high-level instructions it does not take; no pass may assume the |0…0⟩ input of a circuit that
is an operator), then run once.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator  # also adds QuantumCircuit.set_statevector / save_statevector

from qlsa.errors import ResourceLimitError

MAX_SIMULATED_QUBITS = 22
# circuits predicted (by their counts model) to hold more gates are counted, not built: building and
# lowering run at ~10⁴ gates/s, so this keeps `qlsa circuit` within seconds and bounded memory
MAX_BUILD_GATES = 60_000
_BASIS = ["u", "cx", "ccx"]


def _check(num_qubits: int) -> None:
    if num_qubits > MAX_SIMULATED_QUBITS:
        raise ResourceLimitError(f"simulating {num_qubits} qubits needs {16 * 2**num_qubits / 2**30:.3g} GiB of "
                                 f"statevector (limit {MAX_SIMULATED_QUBITS} qubits); inspect it without --simulate")


def statevector(circuit: QuantumCircuit, initial: np.ndarray | None = None) -> np.ndarray:
    """Final state of ``circuit`` from |0…0⟩, or from the state ``initial`` (qiskit little-endian order)."""
    _check(circuit.num_qubits)
    tq = transpile(circuit, basis_gates=_BASIS, optimization_level=0)
    if initial is not None:
        start = QuantumCircuit(*tq.qregs, *tq.cregs)
        start.set_statevector(initial)
        tq = start.compose(tq)
    tq.save_statevector()
    return np.asarray(AerSimulator(method="statevector").run(tq).result().get_statevector())


def top_left_block(circuit: QuantumCircuit, num_system_qubits: int) -> np.ndarray:
    """The all-ancillas-zero block ⟨0|U|0⟩ of ``circuit`` (system = its lowest qubits), from one run.

    A reference register entangled with the system, Σ_j |j⟩_sys|j⟩_ref/√N, turns the columns
    of U into amplitudes: ⟨i, 0_anc, j_ref| (U ⊗ I)|Φ⟩ = U_{i0,j0}/√N.
    """
    n, q = num_system_qubits, circuit.num_qubits
    N = 2**n
    full = QuantumCircuit(q + n)
    for k in range(n):
        full.h(q + k)
        full.cx(q + k, k)
    full.compose(circuit, qubits=range(q), inplace=True)
    psi = statevector(full).reshape(N, 2 ** (q - n), N)
    return psi[:, 0, :].T * np.sqrt(N)

