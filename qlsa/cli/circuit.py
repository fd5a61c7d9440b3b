"""``qlsa circuit``: build, count, simulate, draw and export QLSA circuits and block-encodings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from qlsa.errors import InvalidParameterError, MatrixFileError

from qlsa.cli import number as _number


def add_circuit(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("circuit", help="build, inspect and simulate QLSA circuits and block-encodings",
                       description="Build the circuit of METHOD for the matrix in PATH and report its qubits, depth, "
                                   "gate counts and U_A calls; --simulate runs it and compares with numpy.")
    p.add_argument("method", choices=("hhl", "qsvt", "jennings", "sparse", "dense", "lcu"),
                   help="solver (hhl, qsvt, jennings) or block-encoding kind (sparse, dense, lcu)")
    p.add_argument("--encoding", choices=("dense", "sparse", "lcu"), default="dense",
                   help="block-encoding inside the jennings circuit (default dense)")
    p.add_argument("path", help="matrix file: .npy (no pickle), .npz (scipy.sparse), .mtx")
    p.add_argument("--b", metavar="PATH", help="right-hand side (.npy); default: the all-ones vector")
    p.add_argument("--epsilon", type=_number, default=1e-2, help="target error ε ∈ (0, 1) (default 0.01)")
    p.add_argument("--simulate", action="store_true", help="simulate and report fidelity and success probability")
    p.add_argument("--backend", metavar="NAME", help="with --simulate and hhl: also run with this snapshot's noise")
    p.add_argument("--draw", choices=("text", "mpl"), help="draw the (top-level) circuit; mpl needs --out FILE.png")
    p.add_argument("--out", metavar="FILE", help="image file for --draw mpl")
    p.add_argument("--qasm", metavar="FILE", help="write the circuit (in u, cx) as OpenQASM 3")
    p.add_argument("--ft", action="store_true",
                   help="add the solve's logical Clifford+T counts and physical estimate (hhl, qsvt, jennings)")
    p.add_argument("--qubit-model", metavar="NAME", default=None, help="qubit model of --ft (default qubit_gate_ns_e3)")
    p.add_argument("--error-budget", type=_number, default=None, metavar="E",
                   help="total error budget E ∈ (ε, 1) of --ft (default 2ε)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_run_circuit)


def _run_circuit(args: argparse.Namespace) -> int:
    from qlsa.report import check_output_path, table, write_json

    for path in (args.qasm, args.out):
        check_output_path(path)
    if args.draw == "mpl" and not args.out:
        raise InvalidParameterError("--draw mpl needs --out FILE.png")
    if args.backend and not (args.simulate and args.method == "hhl"):
        raise InvalidParameterError("--backend (noise) applies to `qlsa circuit hhl … --simulate`")
    if args.ft and args.method not in ("hhl", "qsvt", "jennings"):
        raise InvalidParameterError("--ft costs a solve: use it with hhl, qsvt or jennings")
    from estimators.fault_tolerant import check_ft_options
    from qlsa.checks import check_epsilon
    model = check_ft_options(args.ft, args.qubit_model, args.error_budget, check_epsilon(args.epsilon))
    ft = None if model is None else (model, args.error_budget)
    rep, text = circuit_report(args.method, args.path, args.b, args.epsilon, args.simulate, args.backend,
                               args.draw, args.out, args.qasm, args.encoding, ft)
    if args.json:
        print(write_json(rep))
        return 0
    if text:
        print(text)
    print(table([(k, v) for k, v in rep.items() if not isinstance(v, dict)], header=("quantity", "value")))
    if rep.get("gate_counts"):
        print("gate counts: " + ", ".join(f"{k} {v}" for k, v in rep["gate_counts"].items()))
    if rep.get("solve_counts"):
        sc = rep["solve_counts"]
        print(f"gates of one run ({sc['rule']}; qlsa.solve_counts): "
              + ", ".join(f"{k} {sc['totals'][k]:.4g}" for k in ("cx", "toffoli", "t", "rotations", "clifford")))
    if rep.get("fault_tolerant"):
        f, ph = rep["fault_tolerant"], rep["fault_tolerant"]["physical"]
        run = f["per_run"]
        print(f"fault-tolerant, one run ({run['synthesis']['method'] if run['synthesis'] else 'no rotations'}): "
              f"T {run['t_count']:.4g}, Toffoli {run['toffoli']:.4g}, rotations {run['rotations']:.4g}, "
              f"Clifford {run['clifford_total']:.4g}, {run['qubits']} logical qubits; expected T "
              f"{f['expected_t_count']:.4g} over {f['runs']:.4g} runs ({rep['fault_tolerant_runs']})")
        print(f"physical ({ph['source']}, {ph['qec_scheme']}): {ph['physical_qubits']} qubits, code distance "
              f"{ph['code_distance']}, runtime {ph['runtime_seconds']:.4g} s per run")
    return 0


def _fault_tolerant(rep: dict[str, Any], ft: tuple[str, float | None] | None, counts, per_query, query_qubits: int,
                    p: float | None, epsilon: float) -> None:
    """rep["fault_tolerant"]: the Clifford+T counts and physical estimate of ``counts`` (one run)."""
    if ft is None:
        return
    from estimators.fault_tolerant import fault_tolerant_estimate
    rep["fault_tolerant"] = fault_tolerant_estimate(per_query, query_qubits, counts, 1 / p if p else 1.0, epsilon,
                                                    ft[1], ft[0]).to_dict()
    rep["fault_tolerant_runs"] = ("1/p, p simulated" if "success_probability" in rep else
                                  "1/p, p = 0.39 − 0.204ε (Jennings et al.)" if p else
                                  "one run: p unknown without --simulate")


def _load_b(path: str | None, n: int) -> tuple[np.ndarray, str]:
    from qlsa.checks import check_rhs
    if path is None:
        return np.ones(n), "all-ones (default)"
    try:
        b = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise MatrixFileError(f"{path}: not a readable .npy vector ({exc})") from None
    if not isinstance(b, np.ndarray):
        raise MatrixFileError(f"{path}: holds an .npz archive; save b with numpy.save as one .npy array")
    return check_rhs(b, n, f"--b {path}"), path


def circuit_report(method: str, path: str, b_path: str | None, epsilon: float, simulate: bool, backend: str | None,
                   draw: str | None, out: str | None, qasm: str | None, encoding: str = "dense",
                   ft: tuple[str, float | None] | None = None) -> tuple[dict[str, Any], str]:
    from qlsa.checks import check_epsilon
    check_epsilon(epsilon)
    if qasm and method in ("jennings", "qsvt"):
        raise InvalidParameterError(f"--qasm exports hhl and block-encodings; the {method} circuit is made of oracle "
                                    f"boxes (jennings) or a PennyLane tape (qsvt) — export its U_A with "
                                    f"`qlsa circuit sparse|lcu|dense PATH --qasm FILE`")
    if draw and method in ("jennings", "qsvt"):
        raise InvalidParameterError(f"--draw applies to hhl and block-encodings, not {method}")
    from qiskit import qasm3, transpile

    from qlsa.block_encodings import COUNT_BASIS
    from qlsa.block_encodings.primitives import has_phases
    from qlsa.matrices import is_hermitian, load_matrix
    from qlsa.simulate import MAX_BUILD_GATES, MAX_SIMULATED_QUBITS
    A = load_matrix(path)
    rep: dict[str, Any] = {"method": method, "matrix": path, "N": A.shape[0]}
    text = ""
    if method in ("sparse", "dense", "lcu"):
        from qlsa.block_encodings import GateCounts, block_encoding
        be = block_encoding(A, method)
        rep.update(alpha=be.alpha, alpha_raw=be.alpha_raw, system_qubits=be.num_system_qubits,
                   ancilla_qubits=be.num_ancillas, dilated=be.dilated, padded=be.padded,
                   symmetrized=be.symmetrized, oracle=be.oracle, U_A_calls=1,
                   per_query_counts=be.gate_counts().to_dict())
        predicted = be.gate_counts().operations
        if predicted > MAX_BUILD_GATES:                 # decided from the spec, before building
            rep["built"] = (f"no: {predicted} gates predicted by the spec, above the {MAX_BUILD_GATES} built; the "
                            f"counts above are the spec's (use `qlsa estimate` for its cost)")
            return rep, text
        qc = be.circuit
        built = GateCounts.of_circuit(qc)
        rep["built_counts_equal_spec"] = built == be.gate_counts() if method != "dense" else \
            "≤ (the QSD count is the generic bound)"
        if simulate:
            if qc.num_qubits + be.num_system_qubits > MAX_SIMULATED_QUBITS:
                rep["simulated"] = f"no: {qc.num_qubits} qubits (+{be.num_system_qubits} reference) over the limit"
            else:
                rep["max_error_top_left_vs_A/alpha_raw"] = float(np.max(np.abs(be.top_left() - be.matrix / be.alpha_raw)))
    elif method == "jennings":
        from estimators import jennings_query_count, jennings_parameters
        from estimators.query_counts import jennings_success_probability

        from qlsa.jennings import MAX_U_A_CALLS, JenningsBuilder, count_calls
        from qlsa.linear_system import prepare_system
        from qlsa.solve_counts import jennings_solve_counts
        b, rep["b"] = _load_b(b_path, A.shape[0])
        prep = prepare_system(A, b, keep_sparse=(encoding == "sparse"))
        jb = JenningsBuilder(prep.matrix, prep.b, epsilon, encoding)
        plan = jb.plan()
        params = jennings_parameters(plan.kappa, min(epsilon, 0.24))
        q_star = jennings_query_count(plan.alpha, params.kappa, params.epsilon)
        counts = jennings_solve_counts(jb.be.gate_counts(), jb.n, jb.be.num_ancillas, sum(plan.walks),
                                       plan.filter_half_degree, has_phases(prep.b))
        rep.update(system_qubits=jb.n, kappa=plan.kappa, alpha=plan.alpha, adiabatic_points=len(plan.fs),
                   walk_steps=sum(plan.walks), filter_degree=2 * plan.filter_half_degree, closed_form_Q_star=q_star,
                   ancilla_qubits=counts.qubits - jb.n, qubits=counts.qubits, U_A_calls=counts.u_a_calls,
                   U_b_calls=counts.count("U_b"), counted_over_Q_star=counts.u_a_calls / q_star,
                   solve_counts=counts.to_dict())
        query_qubits = jb.n + jb.be.num_ancillas

        def jennings_ft(p: float) -> None:
            _fault_tolerant(rep, ft, counts, jb.be.gate_counts(), query_qubits, p, epsilon)
        per_call = jb.be.gate_counts().operations
        if plan.u_a_calls > MAX_U_A_CALLS or per_call > MAX_BUILD_GATES:
            rep["built"] = (f"no: {plan.u_a_calls} U_A calls, above the {MAX_U_A_CALLS} an explicit circuit is built "
                            f"with; counted from the schedule" if plan.u_a_calls > MAX_U_A_CALLS else
                            f"no: one U_A call is {per_call} gates by its spec, above the {MAX_BUILD_GATES} built; "
                            f"counted from the schedule")
            jennings_ft(jennings_success_probability(min(epsilon, 0.24)))
            return rep, text
        adiabatic, filt, plan = jb.stages()
        qc = jb.assemble(adiabatic, filt)
        rep["built_counts_equal_solve_counts"] = (qc.num_qubits == counts.qubits
                                                  and count_calls(qc, "U_A") == counts.u_a_calls
                                                  and count_calls(qc, "U_b") == counts.count("U_b"))
        if simulate:
            if qc.num_qubits > MAX_SIMULATED_QUBITS:
                rep["simulated"] = f"no: {qc.num_qubits} qubits over the {MAX_SIMULATED_QUBITS}-qubit limit"
            else:
                y, p = jb.simulate(adiabatic, filt)
                x = prep.solution_part(y)
                xe = np.linalg.solve(np.asarray(A.toarray() if hasattr(A, "toarray") else A), b)
                rep.update(fidelity=float(abs(np.vdot(xe, x)) ** 2 / (np.vdot(xe, xe).real * np.vdot(x, x).real)),
                           success_probability=p)
        jennings_ft(rep.get("success_probability") or jennings_success_probability(min(epsilon, 0.24)))
        return rep, text
    elif method == "qsvt":
        from qlsa.solver import solve
        from qlsa.qsvt import MAX_DEGREE, amplified_rounds, inverse_polynomial
        from qlsa.linear_system import prepare_system
        from qlsa.solve_counts import qsvt_solve_counts
        b, rep["b"] = _load_b(b_path, A.shape[0])
        dense = np.asarray(A.toarray() if hasattr(A, "toarray") else A)
        s = np.linalg.svd(dense, compute_uv=False)
        kappa = float(s[0] / s[-1])
        _, scale, degree = inverse_polynomial(kappa, epsilon)       # closed form: any κ, no fit
        r = None
        if simulate and degree <= MAX_DEGREE:
            r = solve(dense, b, "qsvt", epsilon)
        elif simulate:
            rep["built"] = (f"no: degree {degree} is above the {MAX_DEGREE} whose phases are solved; counted from the "
                            f"minimax degree")
        counts = qsvt_solve_counts(prepare_system(dense, b).num_qubits, degree, has_phases(b))
        rep.update(kappa=kappa, polynomial_degree=degree, polynomial_scale=scale, U_A_calls=counts.u_a_calls,
                   qubits=counts.qubits, solve_counts=counts.to_dict())
        if r is not None:
            p = r.parameters["success_probability_raw"]
            rep.update(fidelity=r.fidelity, success_probability=r.success_probability,
                       expected_U_A_calls_repeating=degree / p,
                       expected_U_A_calls_amplified=amplified_rounds(p) * degree,
                       expected_cost_rule="repeat until success: D/p; amplitude amplification at known p: "
                                          "(2k + 1)·D, k = ⌈π/(4·arcsin√p) − ½⌉ (Brassard et al. 2002)")
        _fault_tolerant(rep, ft, counts, counts.items[0].each, counts.qubits - 1, rep.get("success_probability"),
                        epsilon)
        return rep, text
    else:
        from qlsa.hhl import MAX_SYSTEM_QUBITS, clock_qubits, hhl_circuit
        from qlsa.linear_system import prepare_system
        from qlsa.solve_counts import hhl_solve_counts
        b, rep["b"] = _load_b(b_path, A.shape[0])
        complex_b = has_phases(b)
        from estimators import condition_number
        from estimators.query_counts import system_qubits
        cond = condition_number(A)
        n_sys = system_qubits(A.shape[0]) + (0 if is_hermitian(A) else 1)   # +1: the dilation
        t = clock_qubits(cond.kappa, epsilon)
        counts = hhl_solve_counts(n_sys, t, complex_b)
        predicted = sum(counts.totals[k] for k in ("cx", "toffoli", "t", "rotations", "clifford"))
        if A.shape[0] > 2**MAX_SYSTEM_QUBITS or predicted > MAX_BUILD_GATES:   # decided before building
            limit = (f"limit N = {2**MAX_SYSTEM_QUBITS}" if A.shape[0] > 2**MAX_SYSTEM_QUBITS else
                     f"{predicted:.3g} gates predicted, above the {MAX_BUILD_GATES} built")
            rep.update(built=f"no: HHL's controlled e^(iAt) are dense 2ⁿ×2ⁿ unitaries ({limit}); counted from its "
                             f"formulas", kappa=cond.kappa,
                       kappa_method=cond.describe(), system_qubits=n_sys, clock_qubits=t, ancilla_qubits=1,
                       qubits=counts.qubits, U_A_calls=2 * (2**t - 1), solve_counts=counts.to_dict(),
                       oracle="controlled e^(iAt0), counted in applications (power 2^k = 2^k calls)")
            _fault_tolerant(rep, ft, counts, counts.items[1].each, n_sys + 1, None, epsilon)
            return rep, text
        prep = prepare_system(A, b)
        qc, info = hhl_circuit(np.asarray(prep.matrix), prep.b, epsilon)
        counts = hhl_solve_counts(prep.num_qubits, info["clock_qubits"], complex_b)
        rep.update(system_qubits=prep.num_qubits, clock_qubits=info["clock_qubits"], ancilla_qubits=1,
                   dilated=prep.dilated, padded=prep.padded, U_A_calls=2 * (2 ** info["clock_qubits"] - 1),
                   oracle="controlled e^(iAt0), counted in applications (power 2^k = 2^k calls)",
                   solve_counts=counts.to_dict(), built_qubits_equal_solve_counts=qc.num_qubits == counts.qubits)
        if simulate:
            if qc.num_qubits > MAX_SIMULATED_QUBITS:
                rep["simulated"] = f"no: {qc.num_qubits} qubits over the {MAX_SIMULATED_QUBITS}-qubit limit"
            else:
                from qlsa.solver import solve
                r = solve(A, b, "hhl", epsilon, noise=backend, clock=info["clock_qubits"])
                rep.update(fidelity=r.fidelity, success_probability=r.success_probability)
                if backend:
                    rep.update(backend=r.backend, noisy_fidelity=r.noisy_fidelity,
                               noisy_success_probability=r.noisy_success_probability)
        _fault_tolerant(rep, ft, counts, counts.items[1].each, prep.num_qubits + 1, rep.get("success_probability"),
                        epsilon)
    # lowered without optimisation: every level-≥1 pass is free to assume the |0…0⟩ input, and an
    # exported block-encoding must stay the operator it claims to be on every input
    tq = transpile(qc, basis_gates=list(COUNT_BASIS), optimization_level=0)
    rep.update(qubits=qc.num_qubits, depth=tq.depth(), gate_counts={k: int(v) for k, v in tq.count_ops().items()})
    if qasm:
        out_qc = tq
        if abs(tq.global_phase) > 1e-15:    # OpenQASM 3 files drop a circuit's global phase, which a
            out_qc = tq.copy()              # controlled use of U_A sees: write it as P(φ)·X·P(φ)·X
            phi, out_qc.global_phase = float(tq.global_phase), 0.0
            for gate in ("p", "x", "p", "x"):
                out_qc.p(phi, 0) if gate == "p" else out_qc.x(0)
            rep["qasm_global_phase"] = f"{phi:.12g} rad, written as P(φ)·X·P(φ)·X on qubit 0"
        from qlsa.report import atomic_output
        with atomic_output(qasm) as tmp, open(tmp, "w") as fh:
            qasm3.dump(out_qc, fh)
        rep["qasm"] = qasm
    if draw == "text":
        text = str(qc.draw("text", fold=120))
    elif draw == "mpl":
        import matplotlib.pyplot as plt
        from qlsa.report import atomic_output
        fig = qc.draw("mpl")
        with atomic_output(out) as tmp:
            fig.savefig(tmp, dpi=100, format=Path(out).suffix.lstrip(".") or "png")
        plt.close(fig)
        rep["figure"] = out
    return rep, text
