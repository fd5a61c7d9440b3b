"""The Q-Newton paper's Figure 2 panels as sweeps (:mod:`scheduler.sweep` runs them on Ray).

=================  ======  =================================================================
preset             panel   each point
=================  ======  =================================================================
``sparsity``       2(b)    a hybrid Q-Newton run at one pruning budget d: test accuracy against
                           the measured share of curvature entries pruned
``decisions``      2(c)    one longer hybrid run per seed: each Newton step's projected quantum
                           and classical solver seconds, and the first step routed to quantum
``regularization`` 2(d)    a hybrid run at one regularisation δ: mean κ of H + δI and accuracy
``crossover``      2(f)    one sparsity d: projected quantum seconds against κ (no training) and
                           the κ where they meet the calibrated classical solve
``pruning``        2(g)    a hybrid run with one pruning strategy (symmetric magnitude, the paper
                           code's row-wise top-d, random pairs, banded) at one budget d: accuracy
                           against the share pruned, and how often the pruned block was not PD
=================  ======  =================================================================

Every training point runs :class:`scheduler.trainer.Trainer` on the embedded digits set with
the classical model fitted once in the driver and shipped to each task, so no point depends on
which worker (or machine) ran it.
"""

from __future__ import annotations

import csv
import math
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from estimators.classical_cost import ClassicalCostModel
from qlsa.errors import InvalidParameterError
from qlsa.report import atomic_output, write_json

from .sweep import PointRecord, SweepPoint


@dataclass(frozen=True)
class SweepOptions:
    """What a sweep is run with; ``values`` replaces the preset's grid."""

    steps: int = 20
    warmup: int = 5
    hidden: int = 16
    seeds: tuple[int, ...] = (0,)
    values: tuple[float, ...] | None = None
    gate_time: float = 5e-15
    n: int = 1024                                  # crossover: matrix size

    def __post_init__(self) -> None:
        if self.steps < 1 or self.warmup < 0 or self.hidden < 1 or not self.seeds or self.n < 8:
            raise InvalidParameterError("sweep: steps and hidden ≥ 1, warm-up ≥ 0, at least one seed, n ≥ 8")


# ------------------------------------------------------------------ points
def _classical_dict() -> dict:
    from estimators.classical_cost import classical_cost_model
    return classical_cost_model("cholesky").to_dict()


def _train_points(o: SweepOptions, field_name: str, grid: tuple, steps: int | None = None) -> list[SweepPoint]:
    classical = _classical_dict()
    values = o.values if o.values is not None else grid
    return [SweepPoint(f"{field_name}={v:g}-seed={s}" if v is not None else f"{field_name}=none-seed={s}",
                       {"newton": {field_name: (None if v is None else (int(v) if field_name == "prune_d" else v)),
                                   "gate_time": o.gate_time},
                        "steps": steps or o.steps, "warmup": o.warmup, "hidden": o.hidden, "classical": classical},
                       s)
            for v in values for s in o.seeds]


def train_point(point: SweepPoint) -> dict:
    """One hybrid Q-Newton run; its final accuracy and, per Newton step, the ledger's summary."""
    from .qnewton import NewtonSettings
    from .trainer import TrainConfig, Trainer
    p = point.params
    config = TrainConfig(methods=("qnewton",), steps=p["steps"], warmup=p["warmup"], hidden=p["hidden"],
                         seed=point.seed, target_accuracy=1.0, newton=replace(NewtonSettings(), **p["newton"]))
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(config, out, progress=False, classical_model=ClassicalCostModel.from_dict(p["classical"]))
        (result,) = trainer.run()
        ledger = trainer.ledger
    steps = sorted({r.step for r in ledger})
    per_step = [{"step": k,
                 "quantum_s": sum(r.predicted_quantum_seconds for r in ledger if r.step == k),
                 "classical_s": sum(r.predicted_classical_seconds for r in ledger if r.step == k),
                 "quantum_blocks": sum(r.processor == "quantum" for r in ledger if r.step == k),
                 "kappa_max": max(r.kappa for r in ledger if r.step == k)} for k in steps]
    entries = sum(r.n * r.n for r in ledger)
    first_quantum = next((s["step"] for s in per_step if s["quantum_blocks"]), None)
    pruned = [r for r in ledger if r.kept_fraction < 1]
    return {"final_test_accuracy": result.final_test_accuracy, "final_loss": result.final_loss,
            "kappa_mean": float(np.mean([r.kappa for r in ledger])) if ledger else math.nan,
            "pruned_percent": 100 * (1 - sum(r.kept_fraction * r.n * r.n for r in ledger) / entries) if entries
            else 0.0,
            "not_pd_percent": 100 * sum(r.prune_broke_pd for r in pruned) / len(pruned) if pruned else 0.0,
            "first_quantum_step": first_quantum, "per_step": per_step,
            "quantum_blocks": result.quantum_decisions, "classical_blocks": result.classical_decisions}


def _pruning_points(o: SweepOptions) -> list[SweepPoint]:
    from hessians.prune import STRATEGIES
    classical = _classical_dict()
    ds = o.values if o.values is not None else (256, 64, 16)
    return [SweepPoint(f"{strategy}-d={int(d)}-seed={s}",
                       {"newton": {"prune_d": int(d), "prune_strategy": strategy, "gate_time": o.gate_time},
                        "steps": o.steps, "warmup": o.warmup, "hidden": o.hidden, "classical": classical}, s)
            for strategy in STRATEGIES for d in ds for s in o.seeds]


def _banded_spd(n: int, d: int, kappa: float):
    """A symmetric circulant with d non-zeros per row (ones at offsets 1…(d−1)/2 either side),
    shifted by c·I so that κ is exact: λ_k = c + 2Σⱼ cos(2πjk/n), c = (λmax − κλmin)/(κ − 1)."""
    import scipy.sparse as sp

    from estimators.condition import ConditionEstimate
    m = (d - 1) // 2
    k = np.arange(n)
    lam = 2 * sum(np.cos(2 * np.pi * j * k / n) for j in range(1, m + 1)) if m else np.zeros(n)
    lo, hi = float(lam.min()), float(lam.max())
    c = (hi - kappa * lo) / (kappa - 1) if kappa > 1 else 1.0
    offsets = [o for j in range(1, m + 1) for o in (j, -j, n - j, j - n)]
    A = sp.diags([np.full(n - abs(o), 1.0) for o in offsets] + [np.full(n, c)], offsets + [0], format="csr")
    cond = ConditionEstimate(kappa=(c + hi) / (c + lo), sigma_max=c + hi, sigma_min=c + lo, method="exact",
                             kind="exact", rel_error=0.0, definite=True)
    return A, cond


def crossover_point(point: SweepPoint) -> dict:
    """Projected quantum seconds (``estimate`` on an exact-κ d-sparse matrix) over the κ grid, the
    classical model's seconds, and the κ where they meet (Brent on log κ)."""
    from scipy.optimize import brentq

    from estimators import estimate
    p = point.params
    model = ClassicalCostModel.from_dict(p["classical"])

    def seconds(kappa: float) -> tuple[float, float]:
        A, cond = _banded_spd(p["n"], p["d"], kappa)
        e = estimate(A, epsilon=p["epsilon"], gate_time=p["gate_time"], classical_model=model, condition=cond)
        return e.quantum_seconds, e.classical_seconds
    kappas = np.geomspace(2, 1e6, 25)
    curve = [seconds(float(k)) for k in kappas]
    gap = [math.log(q / c) for q, c in curve]
    meet = None
    for i in range(len(gap) - 1):
        if gap[i] <= 0 < gap[i + 1]:
            meet = math.exp(brentq(lambda lk: math.log(seconds(math.exp(lk))[0] / curve[0][1]),
                                   math.log(kappas[i]), math.log(kappas[i + 1]), rtol=1e-3))
            break
    return {"kappa": kappas.tolist(), "quantum_s": [q for q, _ in curve], "classical_s": curve[0][1],
            "crossover_kappa": meet}


def _crossover_points(o: SweepOptions) -> list[SweepPoint]:
    classical = _classical_dict()
    ds = o.values if o.values is not None else (3, 5, 9, 17, 33)
    for d in ds:
        if int(d) != d or d < 3 or d % 2 == 0 or d > o.n:
            raise InvalidParameterError(f"crossover: sparsity d must be an odd whole number in [3, n] (a diagonal "
                                        f"matrix cannot be given a κ), got {d:g}")
    return [SweepPoint(f"d={int(d)}", {"d": int(d), "n": o.n, "epsilon": 1e-2, "gate_time": o.gate_time,
                                       "classical": classical}) for d in ds]


# ------------------------------------------------------------------ CSV and figures
def _rows(records: list[PointRecord], fields: tuple[str, ...]) -> list[dict]:
    return [{"key": r.key, "seed": r.seed, "error": r.error or "",
             **{f: (r.result or {}).get(f) for f in fields}} for r in records]


def _per_step_rows(records: list[PointRecord]) -> list[dict]:
    return [{"key": r.key, "seed": r.seed, **s} for r in records if r.result for s in r.result["per_step"]]


def _crossover_rows(records: list[PointRecord]) -> list[dict]:
    return [{"key": r.key, "d": r.params["d"], "kappa": k, "quantum_s": q, "classical_s": r.result["classical_s"],
             "crossover_kappa": r.result["crossover_kappa"]}
            for r in records if r.result for k, q in zip(r.result["kappa"], r.result["quantum_s"])]


def _ok(records):
    return [r for r in records if r.result is not None]


def _plot_sparsity(records, ax):
    ok = sorted(_ok(records), key=lambda r: r.result["pruned_percent"])
    ax.plot([r.result["pruned_percent"] for r in ok], [r.result["final_test_accuracy"] for r in ok], "o-")
    ax.set(xlabel="curvature entries pruned [%] (measured)", ylabel="test accuracy (measured)",
           title="Fig. 2(b): accuracy against oracle sparsity")


def _plot_decisions(records, ax):
    for r in _ok(records):
        st = r.result["per_step"]
        ax.semilogy([s["step"] for s in st], [s["quantum_s"] for s in st], "-", label=f"quantum, seed {r.seed}")
        ax.semilogy([s["step"] for s in st], [s["classical_s"] for s in st], "--", label=f"classical, seed {r.seed}")
        if r.result["first_quantum_step"] is not None:
            ax.axvline(r.result["first_quantum_step"], color="k", lw=0.8, ls=":")
    ax.set(xlabel="training step", ylabel="solver seconds per step (projected)",
           title="Fig. 2(c): per-step solver cost; dotted: first step routed to quantum")
    ax.legend(fontsize=7, loc="upper left")
    ax2 = ax.twinx()
    for r in _ok(records):
        st = r.result["per_step"]
        if st and "kappa_max" in st[0]:
            ax2.semilogy([s["step"] for s in st], [s["kappa_max"] for s in st], color="0.6", lw=0.8)
    ax2.set_ylabel("largest κ of the step's blocks (measured, grey)", color="0.4")


def _plot_regularization(records, ax):
    ok = sorted(_ok(records), key=lambda r: r.params["newton"]["regularization"])
    x = [r.params["newton"]["regularization"] for r in ok]
    ax.loglog(x, [r.result["kappa_mean"] for r in ok], "o-", color="C0")
    ax.set(xlabel="regularisation δ", ylabel="mean κ of H + δI (measured)", title="Fig. 2(d): regularisation")
    ax2 = ax.twinx()
    ax2.semilogx(x, [r.result["final_test_accuracy"] for r in ok], "s--", color="C1")
    ax2.set_ylabel("test accuracy (measured)", color="C1")


def _plot_pruning(records, ax):
    ok = _ok(records)
    for i, strategy in enumerate(dict.fromkeys(r.params["newton"]["prune_strategy"] for r in ok)):
        pts = sorted((r.result["pruned_percent"], r.result["final_test_accuracy"], r.result["not_pd_percent"])
                     for r in ok if r.params["newton"]["prune_strategy"] == strategy)
        label = f"{strategy} (not PD before repair: {np.mean([p[2] for p in pts]):.0f} % of pruned blocks)"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=f"C{i}", label=label)
    ax.set(xlabel="curvature entries pruned [%] (measured)", ylabel="test accuracy (measured)",
           title="Fig. 2(g): pruning strategies at equal row budgets d")
    ax.legend(fontsize=7)


def _plot_crossover(records, ax):
    ok = _ok(records)
    for i, r in enumerate(ok):
        ax.loglog(r.result["kappa"], r.result["quantum_s"], color=f"C{i}", label=f"quantum, d = {r.params['d']}")
        if r.result["crossover_kappa"]:
            ax.plot([r.result["crossover_kappa"]], [r.result["classical_s"]], "o", color=f"C{i}")
    if ok:
        ax.axhline(ok[0].result["classical_s"], color="k", ls="--", label="classical (dense Cholesky, fitted)")
    ax.set(xlabel="κ", ylabel="solve seconds (projected)",
           title=f"Fig. 2(f): quantum runtime against κ, n = {ok[0].params['n'] if ok else '?'}; dots: crossovers")
    ax.legend(fontsize=7)


@dataclass(frozen=True)
class Preset:
    name: str
    panel: str
    points: Callable[[SweepOptions], list[SweepPoint]]
    run: Callable[[SweepPoint], dict]
    rows: Callable[[list[PointRecord]], list[dict]]
    plot: Callable
    summary: tuple[str, ...]                       # the per-point fields ``qlsa sweep`` prints

    def summarise(self, records: list[PointRecord]) -> list[dict]:
        return _rows(records, self.summary)


TRAIN_FIELDS = ("pruned_percent", "kappa_mean", "final_test_accuracy", "quantum_blocks", "classical_blocks")
PRUNING_FIELDS = ("pruned_percent", "not_pd_percent", "final_test_accuracy", "kappa_mean")
PRESETS = {p.name: p for p in (
    Preset("sparsity", "2(b)", lambda o: _train_points(o, "prune_d", (None, 512, 256, 128, 64, 32, 16, 8)), train_point,
           lambda r: _rows(r, TRAIN_FIELDS), _plot_sparsity, TRAIN_FIELDS),
    Preset("decisions", "2(c)", lambda o: _train_points(replace(o, values=(o.gate_time,)), "gate_time", (),
                                                        steps=2 * o.steps),
           train_point, _per_step_rows, _plot_decisions, ("first_quantum_step", "quantum_blocks", "classical_blocks",
                                                           "final_test_accuracy")),
    Preset("regularization", "2(d)", lambda o: _train_points(o, "regularization", (1e-3, 1e-2, 1e-1, 1.0, 10.0)),
           train_point, lambda r: _rows(r, TRAIN_FIELDS), _plot_regularization, TRAIN_FIELDS),
    Preset("pruning", "2(g)", _pruning_points, train_point, lambda r: _rows(r, PRUNING_FIELDS), _plot_pruning,
           PRUNING_FIELDS),
    Preset("crossover", "2(f)", _crossover_points, crossover_point, _crossover_rows, _plot_crossover,
           ("crossover_kappa", "classical_s")),
)}


def write_outputs(preset: Preset, options: SweepOptions, records: list[PointRecord], out: str | Path) -> dict:
    """``<name>.json`` (every point with its seed and settings), ``<name>.csv`` and ``<name>.png``."""
    import matplotlib.figure

    out = Path(out)
    doc = {"preset": preset.name, "panel": f"Q-Newton paper, Figure {preset.panel}", "options": asdict(options),
           "points": [r.to_dict() for r in records]}
    write_json(doc, out / f"{preset.name}.json")
    rows = preset.rows(records)
    with atomic_output(out / f"{preset.name}.csv") as tmp, open(tmp, "w", newline="") as f:
        if rows:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    fig = matplotlib.figure.Figure(figsize=(6.4, 4.2), layout="constrained")
    preset.plot(records, fig.add_subplot())
    with atomic_output(out / f"{preset.name}.png") as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return doc
