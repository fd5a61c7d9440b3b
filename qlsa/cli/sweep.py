"""``qlsa sweep``: the paper's Figure 2 panels as parallel sweeps on Ray (scheduler.sweep_presets)."""

from __future__ import annotations

import argparse

from qlsa.errors import InvalidParameterError

from qlsa.cli import number as _number

PRESET_NAMES = ("sparsity", "decisions", "regularization", "crossover", "pruning")


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(_number(t) for t in text.split(",") if t.strip())


def add_sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="Figure 2 ablations of the Q-Newton paper as parallel sweeps on Ray",
                       description="Run one preset's points as Ray tasks (a local instance with one worker per "
                                   "core, or --address); write PRESET.json (every point with its seed and "
                                   "settings), PRESET.csv and PRESET.png to --out. Re-running into the same --out "
                                   "skips the points already done.")
    p.add_argument("preset", choices=PRESET_NAMES, help="sparsity (2b), decisions (2c), regularization (2d), "
                                                        "crossover (2f), pruning (2g)")
    p.add_argument("--out", help="output directory (default ./qlsa-sweep-PRESET)")
    p.add_argument("--workers", type=int, default=None, help="points in flight at once (default: all cores)")
    p.add_argument("--address", help="join the Ray cluster at this address instead of starting a local one")
    p.add_argument("--steps", type=int, default=20, help="training steps per point (decisions: twice this)")
    p.add_argument("--warmup", type=int, default=5, help="SGD steps before Newton starts (default 5)")
    p.add_argument("--hidden", type=int, default=16, help="hidden width of the MLP (default 16)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds; every value runs once per seed")
    p.add_argument("--values", type=_numbers, default=None,
                   help="comma-separated grid replacing the preset's: prune d (sparsity, pruning), δ (regularization), "
                        "odd row sparsity d (crossover)")
    p.add_argument("--gate-time", type=_number, default=5e-15, help="seconds per gate (default 5e-15)")
    p.add_argument("--n", type=int, default=1024, help="crossover: matrix size (default 1024)")
    p.add_argument("--json", action="store_true", help="print the sweep's JSON instead of a table")
    p.set_defaults(func=_run_sweep)


def _run_sweep(args: argparse.Namespace) -> int:
    import json

    from scheduler.sweep import check_reachable, check_workers, run_sweep
    from scheduler.sweep_presets import PRESETS, SweepOptions, write_outputs

    from qlsa.report import check_output_path, table

    try:
        seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
    except ValueError:
        raise InvalidParameterError(f"--seeds takes comma-separated whole numbers, got {args.seeds!r}") from None
    check_workers(args.workers)
    if args.address:
        check_reachable(args.address)
    out = args.out or f"qlsa-sweep-{args.preset}"
    check_output_path(f"{out}/{args.preset}.json")
    options = SweepOptions(args.steps, args.warmup, args.hidden, seeds, args.values, args.gate_time, args.n)
    preset = PRESETS[args.preset]
    points = preset.points(options)
    records = run_sweep(preset.run, points, out, workers=args.workers, address=args.address, desc=preset.name)
    doc = write_outputs(preset, options, records, out)
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        rows = preset.summarise(records)
        print(table([[_fmt(v) for v in r.values()] for r in rows], header=list(rows[0])))
        failed = [r for r in records if r.error]
        print(f"{len(records) - len(failed)} of {len(records)} points done; wrote {out}/{preset.name}.json, "
              f"{preset.name}.csv, {preset.name}.png")
        for r in failed:
            print(f"failed: {r.key}: {r.error}")
    return 1 if any(r.error for r in records) else 0


def _fmt(v):
    return "" if v is None else v
