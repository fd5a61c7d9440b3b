"""What ``qlsa circuit`` reports: build the circuit, count it, optionally simulate, draw, export."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import qasm3, transpile

from estimators import load_matrix
from qlsa.errors import MatrixFileError, ResourceLimitError

from .simulate import MAX_SIMULATED_QUBITS


def _load_b(path: str | None, n: int) -> tuple[np.ndarray, str]:
    if path is None:
        return np.ones(n), "all-ones (default)"
    try:
        b = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise MatrixFileError(f"{path}: not a readable .npy vector ({exc})") from None
    return np.asarray(b).ravel(), path


def _hermitian(A) -> bool:
    from estimators.properties import is_hermitian
    return is_hermitian(A)


def circuit_report(method: str, path: str, b_path: str | None, epsilon: float, simulate: bool, backend: str | None,
                   draw: str | None, out: str | None, qasm: str | None, encoding: str = "dense"
                   ) -> tuple[dict[str, Any], str]:
    A = load_matrix(path)
    rep: dict[str, Any] = {"method": method, "matrix": path, "N": A.shape[0]}
    text = ""
    if method in ("sparse", "dense", "lcu"):
        from .encodings import block_encoding
        be = block_encoding(A, method)
        qc = be.circuit
        rep.update(alpha=be.alpha, system_qubits=be.num_system_qubits, ancilla_qubits=be.num_ancillas,
                   dilated=be.dilated, padded=be.padded, oracle=be.oracle, U_A_calls=1)
        if simulate:
            if qc.num_qubits + be.num_system_qubits > MAX_SIMULATED_QUBITS:
                rep["simulated"] = f"no: {qc.num_qubits} qubits (+{be.num_system_qubits} reference) over the limit"
            else:
                M = be.matrix.toarray() if hasattr(be.matrix, "toarray") else np.asarray(be.matrix)
                rep["max_error_top_left_vs_A/alpha"] = float(np.max(np.abs(be.top_left() - M / be.alpha)))
    elif method == "jennings":
        from estimators import jennings_query_count, jennings_parameters

        from .jennings import MAX_U_A_CALLS, JenningsBuilder, count_calls
        from .linear_system import prepare_system
        b, rep["b"] = _load_b(b_path, A.shape[0])
        prep = prepare_system(A, b, keep_sparse=(encoding == "sparse"))
        jb = JenningsBuilder(prep.matrix, prep.b, epsilon, encoding)
        plan = jb.plan()
        params = jennings_parameters(plan.kappa, min(epsilon, 0.24))
        q_star = jennings_query_count(plan.alpha, params.kappa, params.epsilon)
        rep.update(system_qubits=jb.n, kappa=plan.kappa, alpha=plan.alpha, adiabatic_points=len(plan.fs),
                   walk_steps=sum(plan.walks), filter_degree=2 * plan.filter_half_degree, closed_form_Q_star=q_star)
        if plan.u_a_calls > MAX_U_A_CALLS:
            rep.update(built=f"no: {plan.u_a_calls} U_A calls, above the {MAX_U_A_CALLS} an explicit circuit is built "
                             f"with; counted from the schedule", U_A_calls=plan.u_a_calls,
                       counted_over_Q_star=plan.u_a_calls / q_star)
            return rep, text
        adiabatic, filt, plan = jb.stages()
        qc = jb.assemble(adiabatic, filt)
        calls = count_calls(qc, "U_A")
        rep.update(ancilla_qubits=qc.num_qubits - jb.n, qubits=qc.num_qubits, U_A_calls=calls,
                   U_b_calls=count_calls(qc, "U_b"), counted_over_Q_star=calls / q_star)
        if simulate:
            if qc.num_qubits > MAX_SIMULATED_QUBITS:
                rep["simulated"] = f"no: {qc.num_qubits} qubits over the {MAX_SIMULATED_QUBITS}-qubit limit"
            else:
                y, p = jb.simulate(adiabatic, filt)
                x = prep.solution_part(y)
                xe = np.linalg.solve(np.asarray(A.toarray() if hasattr(A, "toarray") else A), b)
                rep.update(fidelity=float(abs(np.vdot(xe, x)) ** 2 / (np.vdot(xe, xe).real * np.vdot(x, x).real)),
                           success_probability=p)
        if draw or qasm:
            rep["note"] = "--draw and --qasm apply to hhl and block-encodings (the jennings circuit is boxes)"
        return rep, text
    elif method == "qsvt":
        from .solver import solve
        from .qsvt import MAX_DEGREE, cks_degree, inverse_polynomial
        b, rep["b"] = _load_b(b_path, A.shape[0])
        dense = np.asarray(A.toarray() if hasattr(A, "toarray") else A)
        s = np.linalg.svd(dense, compute_uv=False)
        kappa = float(s[0] / s[-1])
        try:   # with --simulate the solve fits the polynomial; without, only the fit runs
            r = solve(dense, b, "qsvt", epsilon) if simulate else None
            if r is not None:
                scale, degree = r.parameters["scale"], r.parameters["degree"]
            else:
                _, scale, degree = inverse_polynomial(kappa, epsilon)
        except ResourceLimitError:
            degree = cks_degree(kappa, epsilon)
            rep.update(kappa=kappa, polynomial_degree=degree, U_A_calls=2 * degree,
                       built=f"no: the fitted polynomial would exceed degree {MAX_DEGREE}; degree and calls are the "
                             f"Childs–Kothari–Somma bound 2⌈√(b·ln(4b/ε))⌉ + 1, b = ⌈κ²·ln(κ/ε)⌉")
            return rep, text
        rep.update(kappa=kappa, polynomial_degree=degree, polynomial_scale=scale, U_A_calls=2 * degree)
        if r is not None:
            rep.update(qubits=r.qubits, fidelity=r.fidelity, success_probability=r.success_probability)
        if draw or qasm:
            rep["note"] = "qsvt runs as a PennyLane tape; --draw and --qasm apply to hhl and block-encodings"
        return rep, text
    else:
        from .hhl import MAX_SYSTEM_QUBITS, clock_qubits, hhl_circuit
        from .linear_system import prepare_system
        b, rep["b"] = _load_b(b_path, A.shape[0])
        if A.shape[0] > 2**MAX_SYSTEM_QUBITS:   # too large to build: count from the formulas instead
            from estimators import condition_number
            from estimators.query_counts import system_qubits
            cond = condition_number(A)
            n_sys = system_qubits(A.shape[0]) + (0 if _hermitian(A) else 1)   # +1: the dilation
            t = clock_qubits(cond.kappa, epsilon)
            rep.update(built=f"no: HHL's controlled e^(iAt) are dense 2ⁿ×2ⁿ unitaries (limit N = "
                             f"{2**MAX_SYSTEM_QUBITS}); counted from its formulas", kappa=cond.kappa,
                       kappa_method=cond.describe(), system_qubits=n_sys, clock_qubits=t, ancilla_qubits=1,
                       qubits=n_sys + t + 1, U_A_calls=2 * (2**t - 1),
                       oracle="controlled e^(iAt0), counted in applications (power 2^k = 2^k calls)")
            return rep, text
        prep = prepare_system(A, b)
        qc, info = hhl_circuit(np.asarray(prep.matrix), prep.b, epsilon)
        rep.update(system_qubits=prep.num_qubits, clock_qubits=info["clock_qubits"], ancilla_qubits=1,
                   dilated=prep.dilated, padded=prep.padded, U_A_calls=2 * (2 ** info["clock_qubits"] - 1),
                   oracle="controlled e^(iAt0), counted in applications (power 2^k = 2^k calls)")
        if simulate:
            if qc.num_qubits > MAX_SIMULATED_QUBITS:
                rep["simulated"] = f"no: {qc.num_qubits} qubits over the {MAX_SIMULATED_QUBITS}-qubit limit"
            else:
                from .solver import solve
                r = solve(A, b, "hhl", epsilon, noise=backend, clock=info["clock_qubits"])
                rep.update(fidelity=r.fidelity, success_probability=r.success_probability)
                if backend:
                    rep.update(backend=r.backend, noisy_fidelity=r.noisy_fidelity,
                               noisy_success_probability=r.noisy_success_probability)
    tq = transpile(qc, basis_gates=["u", "cx"], optimization_level=1)
    rep.update(qubits=qc.num_qubits, depth=tq.depth(), gate_counts={k: int(v) for k, v in tq.count_ops().items()})
    if qasm:
        with open(qasm, "w") as fh:
            qasm3.dump(tq, fh)
        rep["qasm"] = qasm
    if draw == "text":
        text = str(qc.draw("text", fold=120))
    elif draw == "mpl":
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = qc.draw("mpl")
        fig.savefig(out, dpi=100)
        plt.close(fig)
        rep["figure"] = out
    return rep, text
