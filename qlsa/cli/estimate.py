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
    p.add_argument("--refine-kappa", action="store_true",
                   help="refine κ to ±5%% even where a certified lower bound already makes the verdict classical")
    p.add_argument("--refresh-calibration", action="store_true", help="refit the classical c1·n³ + c2 model")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", help="also write the JSON result to this file")
    p.set_defaults(func=_run_estimate)


def _run_estimate(args: argparse.Namespace) -> int:
    from estimators import DEFAULT_GATE_TIME, classical_cost_model, estimate, load_matrix
    from estimators.estimate import check_estimate_parameters
    from estimators.examples import laplacian_2d

    from qlsa.report import table, write_json

    gate_time = DEFAULT_GATE_TIME if args.gate_time is None else args.gate_time
    check_estimate_parameters(args.epsilon, gate_time, args.encoding, args.kappa_method)
    if args.path:
        A, label = load_matrix(args.path), args.path
    else:
        A, label = laplacian_2d(64), "embedded default: 2-D Laplacian, 64×64 grid (N = 4096)"
    model = classical_cost_model("cholesky", refresh=True) if args.refresh_calibration else None
    if args.backend and args.gate_time is not None:
        raise InvalidParameterError("give either --gate-time or --backend, not both")
    result = estimate(A, epsilon=args.epsilon, encoding=args.encoding, gate_time=gate_time,
                      kappa_method=args.kappa_method, classical_model=model, calibration=args.backend,
                      refine_kappa=args.refine_kappa)
    text = write_json(result, args.out)
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
        ("faster", result.processor, "certain" if result.verdict_certain else "within κ's error bar"),
    ]
    print(table(rows, header=("quantity", "value", "source")))
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _totals(counts) -> str:
    if counts is None:
        return "—"
    t = counts.totals
    return ", ".join(f"{k} {t[k]:.4g}" for k in ("cx", "toffoli", "t", "rotations", "clifford"))
