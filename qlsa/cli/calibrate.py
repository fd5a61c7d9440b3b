"""``qlsa calibrate``: an IBM calibration snapshot, and a matrix's solve projected across gate times."""

from __future__ import annotations

import argparse

from qlsa.errors import InvalidParameterError

from qlsa.cli import number as _number


def add_calibrate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="IBM calibration summary; per-query time and gate-time projections",
                       description="Summarise an IBM calibration snapshot (offline fake backend or a properties "
                                   "JSON); with --matrix, time one query on it and project the solve across gate "
                                   "times 1 ns … 1 as against the classical solve.")
    p.add_argument("--backend", metavar="NAME|FILE", help="fake backend name (e.g. fake_sherbrooke) or properties .json")
    p.add_argument("--list", action="store_true", help="list the offline backends shipped with qiskit-ibm-runtime")
    p.add_argument("--matrix", metavar="PATH", help="matrix file (.npy, .npz, .mtx) to project")
    p.add_argument("--epsilon", type=_number, default=1e-2, help="target error ε ∈ (0, 1) (default 0.01)")
    p.add_argument("--encoding", choices=("sparse", "lcu", "dense"), default="sparse")
    p.add_argument("--no-state-preparation", action="store_true", help="leave the 2Q* + 1 U_b calls out")
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

    from qlsa.report import check_output_path, fmt, table, write_json

    check_output_path(args.out)

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
        print("terms: queries Q*/p × t_query" + (" + state preparation (2Q* + 1)/p × t_Ub" if terms.state_preparation
                                                 else "") + " + the walk's own gates (Q*/4)/p × t_step"
              + {"none": "; readout left out (paper)", "measure": " + readout (1/p) × t_measure",
                 "full": " + readout, × ⌈N/ε²⌉ repetitions (full readout)"}[terms.readout])
        print(f"break-even gate time (sympy): {fmt(out['break_even_gate_seconds'])} s")
        if args.plot:
            print(f"plot: {args.plot}")
    return 0
