"""``qlsa estimate``: κ, d, α, Q*, qubits, gate counts and the quantum vs classical time of a matrix."""

from __future__ import annotations

import argparse

from qlsa.errors import InvalidParameterError

from qlsa.cli import number as _number


def add_estimate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="quantum vs classical cost of solving A x = b for a matrix",
                       description="Estimate κ, d, α, Jennings Q*, qubits and the quantum and classical solve "
                                   "times of a matrix. Without PATH, uses the embedded 64×64-grid 2-D Laplacian.")
    p.add_argument("path", nargs="?", help="matrix file: .npy (no pickle), .npz (scipy.sparse), .mtx")
    p.add_argument("--epsilon", type=_number, default=1e-2, help="target error ε ∈ (0, 1) (default 0.01)")
    p.add_argument("--encoding", choices=("sparse", "lcu", "dense"), default="sparse",
                   help="block-encoding: sparse access (default), Pauli LCU, or dense dilation")
    p.add_argument("--gate-time", type=_number, default=None,
                   help="seconds per gate (default 1e-18, the paper's attosecond scenario)")
    p.add_argument("--backend", metavar="NAME|FILE",
                   help="time one query on an IBM calibration (fake backend name or properties .json) instead")
    p.add_argument("--kappa-method", default="auto",
                   choices=("auto", "exact", "lanczos", "shift-invert", "lobpcg-amg", "merikoski"))
    p.add_argument("--algorithm", default="jennings-v1", metavar="NAME",
                   help="quantum cost model of the verdict: jennings-v1 (default; the bound with explicit constants); "
                        "hhl and cks are scalings, shown by --compare only")
    p.add_argument("--classical", default="auto", metavar="SOLVER",
                   help="classical solver of the verdict: auto (default: the fastest model that applies), cholesky, "
                        "lu, superlu, cholmod (needs scikit-sparse) or cg (needs a positive definite A)")
    p.add_argument("--compare", action="store_true", help="print every quantum cost model's U_A calls side by side")
    p.add_argument("--refine-kappa", action="store_true",
                   help="refine κ to ±5%% even where a certified lower bound already makes the verdict classical")
    p.add_argument("--refresh-calibration", action="store_true", help="refit every classical cost model of this machine (dense, sparse direct, CG)")
    ft = p.add_argument_group("fault-tolerant cost (Clifford+T counts, physical estimate by qdk.estimator)")
    ft.add_argument("--ft", action="store_true",
                    help="add logical Clifford+T counts and physical surface/Floquet-code estimates")
    ft.add_argument("--qubit-model", metavar="NAME", default=None,
                    help="resource-estimator qubit model: qubit_gate_ns_e3 (default), qubit_gate_ns_e4, "
                         "qubit_gate_us_e3, qubit_gate_us_e4, qubit_maj_ns_e4, qubit_maj_ns_e6")
    ft.add_argument("--error-budget", type=_number, default=None, metavar="E",
                    help="total error budget E ∈ (ε, 1) of one run (default 2ε): ε for the algorithm, the rest "
                         "split evenly between rotation synthesis, logical errors and magic states")
    ft.add_argument("--export-logical-counts", metavar="FILE",
                    help="write one run's logical counts as the qsharp/qdk estimator's LogicalCounts JSON "
                         "(implies --ft)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", help="also write the JSON result to this file")
    p.set_defaults(func=_run_estimate)


def _run_estimate(args: argparse.Namespace) -> int:
    from estimators import DEFAULT_GATE_TIME, estimate, load_matrix
    from estimators.estimate import check_estimate_parameters
    from estimators.examples import laplacian_2d

    from qlsa.report import check_output_path, table, write_json

    for path in (args.out, args.export_logical_counts):      # refused before any work is done
        check_output_path(path)
    gate_time = DEFAULT_GATE_TIME if args.gate_time is None else args.gate_time
    ft = args.ft or bool(args.export_logical_counts)
    check_estimate_parameters(args.epsilon, gate_time, args.encoding, args.kappa_method, ft, args.qubit_model,
                              args.error_budget, args.algorithm, args.classical)
    if args.path:
        A, label = load_matrix(args.path), args.path
    else:
        A, label = laplacian_2d(64), "embedded default: 2-D Laplacian, 64×64 grid (N = 4096)"
    if args.refresh_calibration:
        from estimators.classical_solvers import refresh_models
        refresh_models()
    if args.backend and args.gate_time is not None:
        raise InvalidParameterError("give either --gate-time or --backend, not both")
    result = estimate(A, epsilon=args.epsilon, encoding=args.encoding, gate_time=gate_time,
                      kappa_method=args.kappa_method, calibration=args.backend,
                      refine_kappa=args.refine_kappa, fault_tolerant=ft, qubit_model=args.qubit_model,
                      error_budget=args.error_budget, algorithm=args.algorithm, classical=args.classical)
    text = write_json(result, args.out)
    if args.export_logical_counts:
        from estimators.fault_tolerant import logical_counts
        if result.fault_tolerant is None:
            raise InvalidParameterError("no logical counts to export: the quantum solver does not apply (κ = ∞)")
        write_json(logical_counts(result.fault_tolerant.per_run), args.export_logical_counts)
    if args.json:
        print(text)
        return 0
    s = result.sources
    rows = [
        ("matrix", label, ""),
        ("N", result.n, "shape" + (" (dilated to 2N for the quantum side)" if result.dilated else "")),
        ("nnz / d", f"{result.nnz} / {result.sparsity}", s["sparsity"]),
        ("‖A‖₂", result.norm_2, s["norm_2"]),
        ("‖A‖_max", result.norm_max, "max |a_ij|"),
        ("κ", result.kappa, s["kappa"]),
        ("block-encoding", result.block_encoding, "qlsa.block_encodings spec (--encoding)"),
        ("α_raw / α", f"{result.alpha_raw:.4g} / {result.alpha:.4g}", s["alpha"]),
        ("ε", result.epsilon, "input"),
        ("Q* (U_A calls)", result.query_count, s.get("query_count", "not applicable")),
        ("success p", result.success_probability, "p = 0.39 − 0.204ε"),
        ("expected calls", result.expected_query_count, s.get("expected_query_count", "not applicable")),
        ("logical qubits", result.logical_qubits, s["logical_qubits"]),
        ("per-query gates", ", ".join(f"{k} {v}" for k, v in result.per_query_counts.to_dict().items()),
         s["per_query_counts"]),
        ("gates of one run", _totals(result.solve_counts),
         result.solve_counts.rule + " (qlsa.solve_counts)" if result.solve_counts else "not applicable"),
        ("per-query time [s]", result.per_query_seconds, s["per_query_seconds"]),
        ("quantum time [s]", result.quantum_seconds, s.get("quantum_seconds", "not applicable")),
        ("classical time [s]", result.classical_seconds, s["classical_seconds"]),
        ("classical models [s]", ", ".join(f"{k} {v:.3g}" for k, v in result.classical_models.items()),
         f"chosen: {result.classical_solver}"),
        ("faster", result.processor, "certain" if result.verdict_certain else "within κ's error bar"),
    ]
    if result.fault_tolerant is not None:
        rows += _ft_rows(result.fault_tolerant)
    print(table(rows, header=("quantity", "value", "source")))
    if args.compare and result.quantum_models:
        print()
        print(table([(m.name + (" (verdict)" if m.name == result.algorithm else ""), m.calls, m.kind, m.source)
                     for m in result.quantum_models], header=("quantum model", "expected U_A calls", "kind", "source")))
    if args.export_logical_counts:
        print(f"logical counts of one run written to {args.export_logical_counts} (qdk.estimator LogicalCounts)")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _totals(counts) -> str:
    if counts is None:
        return "—"
    t = counts.totals
    return ", ".join(f"{k} {t[k]:.4g}" for k in ("cx", "toffoli", "t", "rotations", "clifford"))


def _ft_rows(ft) -> list[tuple]:
    """The fault-tolerant rows: logical counts (qlsa.clifford_t) and the physical estimate (qdk)."""
    run, syn, b = ft.per_run, ft.per_run.synthesis, ft.budget
    lowering = "Clifford+T: Toffoli as 7 T" + (f", rotations at δ = {syn.precision:.3g} ({syn.method}, "
                                               f"{syn.t_per_rotation:.4g} T each)" if syn else "")
    rows = [("FT: T count per query", ft.per_query.t_count, lowering + " (qlsa.clifford_t)"),
            ("FT: Toffoli / T / rotations of one run", f"{run.toffoli:.4g} / {run.t_gates:.4g} / {run.rotations:.4g}",
             "the solve's counts (qlsa.solve_counts)"),
            ("FT: T count of one run", run.t_count, lowering + f"; {run.t_count_4t:.4g} with Jones's 4-T Toffoli"),
            ("FT: Clifford of one run", run.clifford_total, "circuit Cliffords + those of the rotation sequences"),
            ("FT: T-depth of one run", f"≤ {run.t_depth_bound:.4g}", "serial bound (depth proxy): T-depth ≤ T count"),
            ("FT: expected T count", ft.expected_t_count, f"one run × {ft.runs:.4g} expected runs (1/p)"),
            ("FT: error budget", b.total, f"ε {b.algorithm:.3g} + rotations {b.rotations:.3g} (state preparation "
                                          f"{b.state_preparation:.3g}) + logical {b.logical:.3g} + T states "
                                          f"{b.t_states:.3g}")]
    ph = ft.physical
    if ph is not None:
        src = ph.source + f", {ph.qec_scheme}"
        rows += [("FT: physical qubits", ph.physical_qubits,
                  f"{src}; {ph.t_factories} T factories use {ph.t_factory_physical_qubits}"),
                 ("FT: code distance", ph.code_distance, src),
                 ("FT: logical cycle [s]", ph.logical_cycle_seconds, src),
                 ("FT: runtime of one run [s]", ph.runtime_seconds, f"{src}; logical depth {ph.logical_depth:.4g}"),
                 ("FT: expected runtime [s]", ft.expected_runtime_seconds, "one run × 1/p"),
                 ("FT: break-even logical cycle [s]", ft.break_even_logical_cycle_seconds,
                  "classical time / (1/p × logical depth)"),
                 ("FT: break-even T-state rate [1/s]", ft.break_even_t_state_rate,
                  "1/p × T states (CCZ as 4) / classical time")]
    return rows
