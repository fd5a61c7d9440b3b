"""The per-step ledger as CSV/JSON, and the run's figures (matplotlib, saved to files)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from qlsa.report import atomic_output, write_text

from .qnewton import LedgerRow


def write_ledger(rows: list[LedgerRow], out: Path) -> None:
    """``ledger.csv`` and ``ledger.json`` with one row per step per block."""
    dicts = [r.to_dict() for r in rows]
    write_text(out / "ledger.json", json.dumps(dicts, indent=1))
    fields = list(LedgerRow.__dataclass_fields__)
    with atomic_output(out / "ledger.csv") as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(dicts)


def plot_run(history: list[dict], ledger: list[LedgerRow], out: Path) -> list[Path]:
    """training.png (loss, accuracy per method), decisions.png (processor per block over steps,
    like the paper's Fig. 2c) and blocks.png (κ and d per block over steps)."""
    from matplotlib.figure import Figure   # an explicit Figure: the caller's pyplot backend is left alone

    paths = []
    fig = Figure(figsize=(10, 4))
    a1, a2 = fig.subplots(1, 2)
    for m in dict.fromkeys(h["method"] for h in history):
        hs = [h for h in history if h["method"] == m]
        a1.plot([h["step"] for h in hs], [h["loss"] for h in hs], label=m)
        a2.plot([h["step"] for h in hs], [h["test_accuracy"] for h in hs], label=m)
    a1.set(xlabel="step", ylabel="training loss", yscale="log")
    a2.set(xlabel="step", ylabel="test accuracy")
    a1.legend()
    fig.tight_layout()
    paths.append(out / "training.png")
    _save(fig, paths[-1])

    hybrid = [r for r in ledger if r.method == "qnewton"] or ledger
    if hybrid:
        blocks = list(dict.fromkeys(r.block for r in hybrid))
        fig = Figure(figsize=(14, 4))
        b1, b2, b3 = fig.subplots(1, 3)
        for proc, color in (("quantum", "tab:purple"), ("classical", "tab:orange")):
            rs = [r for r in hybrid if r.processor == proc]
            b1.scatter([r.step for r in rs], [blocks.index(r.block) for r in rs], c=color, label=proc, s=14)
        b1.set(xlabel="step", ylabel="block", yticks=range(len(blocks)), yticklabels=blocks,
               title=f"decisions ({hybrid[0].method})")
        b1.legend()
        for blk in blocks:
            rs = [r for r in hybrid if r.block == blk]
            b2.plot([r.step for r in rs], [r.kappa for r in rs], label=blk)
            b3.plot([r.step for r in rs], [r.sparsity for r in rs], label=blk)
        b2.set(xlabel="step", ylabel="κ", yscale="log", title="condition number")
        b3.set(xlabel="step", ylabel="d", title="sparsity d")
        b2.legend()
        fig.tight_layout()
        paths.append(out / "decisions.png")
        _save(fig, paths[-1])
        return paths


def _save(fig, path: Path) -> None:
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
