"""The ``qlsa`` command line. Subcommands import their packages lazily so ``--help`` is fast.

Bad input raises a :class:`qlsa.errors.QlsaError`; ``main`` prints its one-line message on
stderr and exits with code 2 (argparse errors exit 2 as well).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from .errors import InvalidParameterError, QlsaError


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    return value


def _add_estimate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="quantum vs classical cost of solving A x = b for a matrix",
                       description="Estimate κ, d, α, Jennings Q*, qubits and the quantum and classical solve "
                                   "times of a matrix. Without PATH, uses the embedded 64×64-grid 2-D Laplacian.")
    p.add_argument("path", nargs="?", help="matrix file: .npy (no pickle), .npz (scipy.sparse), .mtx")
    p.add_argument("--epsilon", type=_number, default=1e-2, help="target error ε ∈ (0, 1) (default 0.01)")
    p.add_argument("--encoding", choices=("sparse", "dense"), default="sparse", help="block-encoding (default sparse)")
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

    from .report import table, write_json

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
        ("α", result.alpha, s["alpha"]),
        ("ε", result.epsilon, "input"),
        ("Q* (U_A calls)", result.query_count, s.get("query_count", "not applicable")),
        ("success p", result.success_probability, "p = 0.39 − 0.204ε"),
        ("expected calls", result.expected_query_count, s.get("expected_query_count", "not applicable")),
        ("logical qubits", result.logical_qubits, s["logical_qubits"]),
        ("per-query time [s]", result.per_query_seconds, s["per_query_seconds"]),
        ("quantum time [s]", result.quantum_seconds, s.get("quantum_seconds", "not applicable")),
        ("classical time [s]", result.classical_seconds, s["classical_seconds"]),
        ("faster", result.processor, "certain" if result.verdict_certain else "within κ's error bar"),
    ]
    print(table(rows, header=("quantity", "value", "source")))
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="IBM calibration summary; per-query time and gate-time projections",
                       description="Summarise an IBM calibration snapshot (offline fake backend or a properties "
                                   "JSON); with --matrix, time one query on it and project the solve across gate "
                                   "times 1 ns … 1 as against the classical solve.")
    p.add_argument("--backend", metavar="NAME|FILE", help="fake backend name (e.g. fake_sherbrooke) or properties .json")
    p.add_argument("--list", action="store_true", help="list the offline backends shipped with qiskit-ibm-runtime")
    p.add_argument("--matrix", metavar="PATH", help="matrix file (.npy, .npz, .mtx) to project")
    p.add_argument("--epsilon", type=_number, default=1e-2, help="target error ε ∈ (0, 1) (default 0.01)")
    p.add_argument("--encoding", choices=("sparse", "dense"), default="sparse")
    p.add_argument("--no-state-preparation", action="store_true", help="leave the 2Q* U_b calls out")
    p.add_argument("--readout", choices=("none", "measure", "full"), default="measure",
                   help="readout term: none (paper), measure (one per run, default), full (N/ε² repetitions)")
    p.add_argument("--plot", metavar="FILE", help="save a log-log plot of quantum time against gate time")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--out", help="also write the JSON result to this file")
    p.set_defaults(func=_run_calibrate)


def _run_calibrate(args: argparse.Namespace) -> int:
    from estimators import (TimeTerms, break_even_gate_time, estimate, load_calibration, load_matrix,
                            offline_backends, plot_projection, projections)
    from estimators.estimate import check_estimate_parameters

    from .report import fmt, table, write_json

    if args.list:
        names = offline_backends()
        print(write_json({"offline_backends": names}) if args.json else "\n".join(names))
        return 0
    if not args.backend:
        raise InvalidParameterError("give --backend NAME|FILE (or --list to see the offline backends)")
    if args.plot and not args.matrix:
        raise InvalidParameterError("--plot needs --matrix (the projection is of a matrix's solve)")
    check_estimate_parameters(args.epsilon, 1.0, args.encoding)
    cal = load_calibration(args.backend)
    out: dict = cal.to_dict()
    e = None
    terms = TimeTerms(state_preparation=not args.no_state_preparation, readout=args.readout)
    if args.matrix:
        e = estimate(load_matrix(args.matrix), epsilon=args.epsilon, encoding=args.encoding, calibration=cal,
                     refine_kappa=True)
        rows = projections(e, cal, terms)
        out.update(matrix=args.matrix, per_query_seconds=e.device_timing.seconds, per_query=e.device_timing,
                   estimate=e, time_terms=terms, projections=rows, break_even_gate_seconds=break_even_gate_time(e, terms))
        if args.plot:
            out["plot"] = plot_projection(e, args.plot, cal, terms)
    text = write_json(out, args.out)
    if args.json:
        print(text)
        return 0
    print(f"{cal.backend}: {cal.num_qubits} qubits, snapshot {cal.snapshot_date or 'undated'} ({cal.source})")
    print(f"basis gates: {', '.join(cal.basis_gates)}; two-qubit gate: {cal.two_qubit_gate}")
    print(table([(g.name, g.num_qubits, g.count, g.excluded, g.median_seconds, g.min_seconds, g.max_seconds,
                  g.median_error, g.min_error, g.max_error) for g in cal.gates],
                header=("gate", "qubits", "working", "excluded (error 1.0)", "median s", "min s", "max s",
                        "median error", "min error", "max error")))
    print(f"readout: median {fmt(cal.readout_seconds)} s, error {fmt(cal.readout_error)}; "
          f"median T1 {fmt(cal.t1_seconds)} s, T2 {fmt(cal.t2_seconds)} s")
    if e is not None:
        t = e.device_timing
        print(f"\nmatrix {args.matrix}: N = {e.n}, κ = {fmt(e.kappa)} ({e.kappa_method}), d = {e.sparsity}, "
              f"α = {fmt(e.alpha)}, expected U_A calls Q*/p = {fmt(e.expected_query_count)}")
        print(f"one U_A call on {cal.backend}: {fmt(t.seconds)} s, {fmt(t.two_qubit_gates)} two-qubit gates, depth "
              f"{fmt(t.depth)}, success {fmt(t.success_probability)} (Π(1 − gate error))"
              + (f"; LONGER THAN T2 = {fmt(t.t2_seconds)} s" if t.exceeds_t2 else "") + f"\n  [{t.circuit}]")
        print(table([(r.regime, r.per_query_seconds, r.quantum_seconds, r.classical_seconds, r.processor)
                     for r in out["projections"]],
                    header=("gate-time regime", "per-query s", "quantum s", "classical s (fitted)", "faster")))
        print("terms: queries Q*/p × t_query" + (" + state preparation 2Q*/p × t_Ub" if terms.state_preparation else "")
              + {"none": "; readout left out (paper)", "measure": " + readout (1/p) × t_measure",
                 "full": " + readout, × ⌈N/ε²⌉ repetitions (full readout)"}[terms.readout])
        print(f"break-even gate time (sympy): {fmt(out['break_even_gate_seconds'])} s")
        if args.plot:
            print(f"plot: {args.plot}")
    return 0


def _add_circuit(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_run_circuit)


def _run_circuit(args: argparse.Namespace) -> int:
    from .circuit_report import circuit_report

    from .report import table, write_json

    if args.draw == "mpl" and not args.out:
        raise InvalidParameterError("--draw mpl needs --out FILE.png")
    if args.backend and not (args.simulate and args.method == "hhl"):
        raise InvalidParameterError("--backend (noise) applies to `qlsa circuit hhl … --simulate`")
    rep, text = circuit_report(args.method, args.path, args.b, args.epsilon, args.simulate, args.backend,
                               args.draw, args.out, args.qasm, args.encoding)
    if args.json:
        print(write_json(rep))
        return 0
    if text:
        print(text)
    print(table([(k, v) for k, v in rep.items() if not isinstance(v, dict)], header=("quantity", "value")))
    if rep.get("gate_counts"):
        print("gate counts: " + ", ".join(f"{k} {v}" for k, v in rep["gate_counts"].items()))
    return 0


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="Q-Newton hybrid training against SGD, Adam, classical- and quantum-only Newton",
                       description="Train an MLP with each method, routing every Hessian block to the quantum or "
                                   "classical solver; prints a report like the paper's Table 1.")
    p.add_argument("--dataset", default="digits", help="digits (embedded, default) or mnist (needs --data-dir)")
    p.add_argument("--data-dir", help="directory with MNIST IDX files or mnist.npz")
    p.add_argument("--methods", default="sgd,adam,classical,quantum,qnewton", help="comma-separated methods")
    p.add_argument("--steps", type=int, default=400, help="maximum steps per method (default 400)")
    p.add_argument("--target-accuracy", type=float, default=0.90, help="test accuracy to reach, in (0, 1]")
    p.add_argument("--gate-time", type=_number, default=None, help="seconds per gate (default 5e-15)")
    p.add_argument("--backend", metavar="NAME|FILE", help="time quantum queries on an IBM calibration instead")
    p.add_argument("--regularization", type=float, default=None, help="ε of H + εI (default 1e-2)")
    p.add_argument("--prune-d", type=int, default=None, help="non-zeros per row kept by pruning (default 32)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="qlsa-train", help="output directory (default ./qlsa-train)")
    p.add_argument("--resume", metavar="DIR", help="continue the run checkpointed in DIR")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from scheduler.trainer import TrainConfig, Trainer, config_with

    from .report import table, write_json

    if args.backend and args.gate_time is not None:
        raise InvalidParameterError("give either --gate-time or --backend, not both")
    if args.resume:
        trainer = Trainer.resume(args.resume)
    else:
        changes = {k: v for k, v in (("newton_gate_time", args.gate_time),
                                     ("newton_regularization", args.regularization),
                                     ("newton_backend", args.backend),
                                     ("newton_prune_d", args.prune_d)) if v is not None}
        config = config_with(TrainConfig(dataset=args.dataset, data_dir=args.data_dir,
                                         methods=tuple(m.strip() for m in args.methods.split(",") if m.strip()),
                                         steps=args.steps, target_accuracy=args.target_accuracy, seed=args.seed),
                             **changes)
        trainer = Trainer(config, args.out)
    try:
        results = trainer.run()
    except KeyboardInterrupt:
        trainer.write_outputs()
        print(f"qlsa train: interrupted; progress saved in {trainer.out} (continue with --resume {trainer.out})",
              file=sys.stderr)
        return 130
    if args.json:
        print(write_json({"methods": results}))
        return 0
    c = trainer.config
    print(f"dataset {c.dataset}: {len(trainer.data.y_train)} train / {len(trainer.data.y_test)} test; "
          f"target test accuracy {c.target_accuracy:.2f}; Newton: {c.newton.kind} curvature, {c.newton.structure} "
          f"blocks, regularisation {c.newton.regularization:g}, prune d = {c.newton.prune_d}, "
          + (f"queries timed on {c.newton.backend}" if c.newton.backend else f"gate time {c.newton.gate_time:g} s"))
    rows = [(r.method, r.steps_to_target if r.steps_to_target is not None else f">{r.steps_run}",
             f"{r.compute_seconds_per_step:.4g}", f"{r.quantum_seconds_per_step:.3g}", f"{r.total_seconds:.4g}",
             f"{r.predicted_solver_seconds:.4g}", f"{r.final_test_accuracy:.3f}",
             f"{r.quantum_decisions}/{r.classical_decisions}") for r in results]
    print(table(rows, header=("method", "steps to target", "compute s/step (measured)",
                              "quantum s/step (projected)", "total s", "solver s (cost models)", "test acc",
                              "quantum/classical blocks")))
    print(f"ledger, report.json, training.png, decisions.png in {trainer.out}")
    return 0


_SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_estimate, _add_calibrate, _add_circuit, _add_train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qlsa", description="Quantum linear-solver resource estimation, "
                                     "circuits, and Q-Newton hybrid training.")
    parser.add_argument("--version", action="version", version="qlsa 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except QlsaError as exc:
        print(f"qlsa {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"qlsa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
