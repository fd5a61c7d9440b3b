"""``qlsa train``: Q-Newton hybrid training against its baselines (a report like the paper's Table 1)."""

from __future__ import annotations

import argparse

import sys

from qlsa.errors import InvalidParameterError

from qlsa.cli import number as _number


def add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="Q-Newton hybrid training against SGD, Adam, classical- and quantum-only Newton",
                       description="Train a model (MLP, CNN or tiny GPT) with each method, routing every Hessian block to the quantum or "
                                   "classical solver; prints a report like the paper's Table 1.")
    p.add_argument("--model", default="mlp", help="mlp (the paper's DNN, default), cnn, or gpt (a tiny "
                                                  "character-level GPT)")
    p.add_argument("--dataset", default=None, help="digits (embedded, default) or mnist (needs --data-dir); for "
                                                   "--model gpt: text (built from Python's own docstrings, default) "
                                                   "or wikitext (needs --data-dir)")
    p.add_argument("--data-dir", help="directory with MNIST IDX files or mnist.npz, or WikiText's wiki.*.tokens")
    p.add_argument("--methods", default="sgd,adam,classical,quantum,qnewton", help="comma-separated methods")
    p.add_argument("--steps", type=int, default=400, help="maximum steps per method (default 400)")
    p.add_argument("--target-accuracy", type=float, default=0.90, help="test accuracy to reach, in (0, 1]")
    p.add_argument("--target-loss", type=float, default=None,
                   help="test loss to reach instead, in nats (--model gpt has one by default: "
                        "scheduler.trainer.GPT_TARGET_LOSS)")
    p.add_argument("--gate-time", type=_number, default=None, help="seconds per gate (default 5e-15)")
    p.add_argument("--backend", metavar="NAME|FILE", help="time quantum queries on an IBM calibration instead")
    p.add_argument("--regularization", type=float, default=None, help="ε of H + εI (default 1e-2)")
    p.add_argument("--curvature", choices=("ggn", "exact", "fisher"), default=None,
                   help="Newton's curvature blocks: ggn (default), exact Hessian, or empirical fisher (default for "
                        "--model gpt, with regularisation 0.1 and a full step)")
    p.add_argument("--blocks", choices=("layer", "param", "full"), default=None,
                   help="one curvature block per layer (default), per parameter tensor, or the full matrix")
    p.add_argument("--batch-size", type=int, default=None, help="samples (sequences) per step (default 256)")
    p.add_argument("--prune-d", type=int, default=None, help="non-zeros per row kept by pruning (default 32)")
    p.add_argument("--device", default="cpu", help="torch device for the model, data and curvature: cpu "
                                                   "(default, the tested path) or cuda[:N]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="qlsa-train", help="output directory (default ./qlsa-train)")
    p.add_argument("--resume", metavar="DIR", help="continue the run checkpointed in DIR")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from scheduler.trainer import GPT_NEWTON, GPT_TARGET_LOSS, TrainConfig, Trainer, config_with

    from qlsa.report import table, write_json

    if args.backend and args.gate_time is not None:
        raise InvalidParameterError("give either --gate-time or --backend, not both")
    if args.resume:
        trainer = Trainer.resume(args.resume)
    else:
        gpt = args.model == "gpt"
        changes = {k: v for k, v in (("newton_gate_time", args.gate_time), ("newton_kind", args.curvature),
                                     ("newton_structure", args.blocks), ("batch_size", args.batch_size),
                                     ("newton_regularization", args.regularization),
                                     ("newton_backend", args.backend),
                                     ("newton_prune_d", args.prune_d)) if v is not None}
        if gpt:
            changes = {**{f"newton_{k}": v for k, v in GPT_NEWTON.items()}, **changes}
        dataset = args.dataset or ("text" if gpt else "digits")
        target_loss = args.target_loss if args.target_loss is not None else (GPT_TARGET_LOSS if gpt else None)
        config = config_with(TrainConfig(dataset=dataset, data_dir=args.data_dir, model=args.model, device=args.device,
                                         target_loss=target_loss,
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
    n_params = sum(p.numel() for p in trainer.new_model().parameters())
    target = (f"target test loss {c.target_loss:g} nats" if c.target_loss is not None
              else f"target test accuracy {c.target_accuracy:.2f}")
    print(f"model {c.model} ({n_params:,} parameters); dataset {c.dataset}: {len(trainer.data.y_train)} train / "
          f"{len(trainer.data.y_test)} test" + (f" sequences of {trainer.data.num_features} characters "
                                                f"({trainer.data.source})" if trainer.data.vocab else "")
          + f"; {target}; Newton: {c.newton.kind} curvature, {c.newton.structure} "
          f"blocks, regularisation {c.newton.regularization:g}, prune d = {c.newton.prune_d}, "
          + (f"queries timed on {c.newton.backend}" if c.newton.backend else f"gate time {c.newton.gate_time:g} s"))
    def opt(v, f="{:.4g}"):
        return "—" if v is None else f.format(v)
    rows = [(r.method, r.warmup_steps, f"{opt(r.warmup_seconds_per_step)}" if r.warmup_steps else "—",
             r.steps_to_target if r.steps_to_target is not None else f">{r.steps_run}",
             opt(r.curvature_seconds_per_step), opt(r.other_seconds_per_step),
             opt(r.classical_solve_seconds_per_step), opt(r.quantum_solve_seconds_per_step, "{:.3g}"),
             opt(r.time_to_target), f"{r.final_test_accuracy:.3f}", f"{r.final_test_loss:.3f}",
             f"{r.quantum_decisions}/{r.classical_decisions}")
            for r in results]
    print(table(rows, header=("method", "warm-up steps", "warm-up s/step (measured)", "steps to target",
                              "curvature s/step (measured)", "other s/step (measured)",
                              "classical solve s/step (measured)", "quantum solve s/step (projected)",
                              "time to target s", "test acc", "test loss", "quantum/classical blocks")))
    quantum_model = (f"on {c.newton.backend}" if c.newton.backend else f"at {c.newton.gate_time:g} s per gate")
    print(f"projected: quantum solves charged Jennings et al. Theorem 1 Q*/p {quantum_model}; Newton s/step over "
          "Newton steps only (warm-up apart); time to target = warm-up + measured + projected seconds")
    for r in results:
        if r.classical_decisions + r.quantum_decisions:
            print(f"{r.method}: cost-model solver seconds on its own trajectory: as chosen "
                  f"{r.solver_seconds_chosen:.4g}, all classical {r.solver_seconds_all_classical:.4g}, "
                  f"all quantum {r.solver_seconds_all_quantum:.4g}")
    from scheduler.trainer import PAPER_TABLE_III, PAPER_TABLE_III_SOURCE
    print(f"for reference, {PAPER_TABLE_III_SOURCE}: " + "; ".join(
        f"{m} {steps} steps, {sps:g} s/step, {tot:g} s" for m, steps, sps, tot in PAPER_TABLE_III))
    print(f"ledger, report.json, training.png, decisions.png in {trainer.out}")
    return 0
