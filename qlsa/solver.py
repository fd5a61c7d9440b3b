"""``qlsa.solve``: run a quantum linear solver circuit on A x = b and compare with numpy.

Methods: ``hhl`` (qiskit circuit, simulated with qiskit-aer; optionally with the noise model
of an IBM calibration snapshot), ``qsvt`` (PennyLane) and ``jennings`` (qiskit circuit of
U_A/U_b boxes: randomized walk-operator adiabatic stage + eigenstate filtering; Hermitian
positive-definite A; options ``encoding`` = dense|sparse|lcu and ``seed``). Non-Hermitian A is solved through
its dilation, non-power-of-two N padded (:mod:`qlsa.linear_system`); ``state`` is the
normalised solution of the original system read from the circuit's output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qlsa.errors import InvalidMatrixError, InvalidParameterError
from qlsa.checks import check_epsilon, check_rhs
from qlsa.serialization import jsonable

from .linear_system import prepare_system

METHODS = ("hhl", "qsvt", "jennings")


@dataclass(frozen=True)
class SolveResult:
    """What one simulated solve produced and what it cost."""

    method: str
    state: np.ndarray
    fidelity: float
    success_probability: float
    queries: int
    qubits: int
    depth: int | None
    gate_counts: dict[str, int]
    parameters: dict[str, Any]
    noisy_fidelity: float | None = None
    noisy_success_probability: float | None = None
    backend: str | None = None
    circuit: Any = field(default=None, repr=False)

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "circuit"}
        return jsonable(d)


def _check(A: np.ndarray, epsilon: float, method: str) -> None:
    if method not in METHODS:
        raise InvalidParameterError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    check_epsilon(epsilon)
    s = np.linalg.svd(A, compute_uv=False)
    if s[-1] <= s[0] * 1e-12:
        raise InvalidMatrixError("A is singular (κ = ∞): a quantum linear solver does not apply")


def solve(A, b, method: str = "hhl", epsilon: float = 1e-2, noise: Any = None, **options) -> SolveResult:
    """Simulate ``method`` on A x = b; ``noise`` (a calibration source) adds a noisy HHL run."""
    check_rhs(b, np.shape(A)[0] if hasattr(A, "shape") else len(A))
    prep = prepare_system(A, b)
    M = np.asarray(prep.matrix)
    _check(M, epsilon, method)
    if noise is not None and method != "hhl":
        raise InvalidParameterError("noisy simulation is available for method 'hhl'")
    x_exact = np.linalg.solve(np.asarray(A.toarray() if hasattr(A, "toarray") else A, dtype=complex),
                              np.asarray(b, dtype=complex))
    x_exact /= np.linalg.norm(x_exact)
    n = prep.num_qubits

    if method == "hhl":
        from .hhl import hhl_circuit, postselect
        from .simulate import statevector
        from qiskit import transpile

        qc, info = hhl_circuit(M, prep.b, epsilon, options.get("clock"))
        y, p = postselect(statevector(qc), n, info["clock_qubits"])
        tq = transpile(qc, basis_gates=["u", "cx"], optimization_level=1)
        counts = {k: int(v) for k, v in tq.count_ops().items()}
        queries = 2 * (2 ** info["clock_qubits"] - 1)   # controlled e^{iAt₀} applications, QPE and its inverse
        x = _normalised(prep.solution_part(y))
        result = dict(method="hhl", state=x, fidelity=_fidelity(x, x_exact), success_probability=p * _norm2(
            prep.solution_part(y)), queries=queries, qubits=qc.num_qubits, depth=tq.depth(), gate_counts=counts,
            parameters=info, circuit=qc)
        if noise is not None:
            from .noisy import noisy_hhl
            fid, p_noisy, backend = noisy_hhl(qc, n, info["clock_qubits"], prep, x_exact, noise)
            result.update(noisy_fidelity=fid, noisy_success_probability=p_noisy, backend=backend)
        return SolveResult(**result)

    if method == "jennings":
        from .jennings import jennings_state
        y, p, info = jennings_state(M, prep.b, epsilon, options.get("encoding", "dense"), options.get("seed", 0))
        qc = info.pop("circuit")
        x = _normalised(prep.solution_part(y))
        return SolveResult("jennings", x, _fidelity(x, x_exact), p * _norm2(prep.solution_part(y)), info["queries"],
                           info["qubits"], None, {"U_A": info["queries"], "U_b": info["U_b_calls"]}, info,
                           circuit=qc)

    from .qsvt import qsvt_state
    y, p, info = qsvt_state(M, prep.b, epsilon)
    x = _normalised(prep.solution_part(y))
    return SolveResult("qsvt", x, _fidelity(x, x_exact), p * _norm2(prep.solution_part(y)), info["queries"],
                       info["qubits"], info["depth"], info["gate_counts"],
                       {k: v for k, v in info.items() if k not in ("gate_counts",)})


def _norm2(v: np.ndarray) -> float:
    return float(np.vdot(v, v).real)


def _normalised(v: np.ndarray) -> np.ndarray:
    nv = math.sqrt(_norm2(v))
    return v / nv if nv > 0 else v


def _fidelity(x: np.ndarray, x_exact: np.ndarray) -> float:
    return float(abs(np.vdot(x_exact, x)) ** 2)
