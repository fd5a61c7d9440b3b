"""Benchmark registry and runner: each benchmark returns rows measured against a baseline
timed in the same run, printed as ratios and written as JSON."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from qlsa.report import table
from qlsa.serialization import jsonable


@dataclass(frozen=True)
class BenchRow:
    """One measurement: ``seconds`` of the subject against ``baseline_seconds`` of the baseline."""

    case: str
    seconds: float
    baseline: str
    baseline_seconds: float
    metrics: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds

    def to_dict(self) -> dict:
        return {**jsonable(self), "ratio": self.ratio}


BENCHMARKS: dict[str, Callable[[], list[BenchRow]]] = {}


def benchmark(name: str):
    """Register a benchmark function under ``name``."""
    def deco(fn: Callable[[], list[BenchRow]]):
        BENCHMARKS[name] = fn
        return fn
    return deco


def best_of(fn: Callable[[], object], repeats: int = 3, settle: float = 0.0, warmup: int = 0
            ) -> tuple[float, object]:
    """Minimum wall time of ``repeats`` calls (after ``warmup`` untimed ones) and the last result.

    ``settle`` seconds of idle before each call let the BLAS worker threads of the call before
    park: OpenBLAS's busy-wait for ~0.1 s after a parallel call and take a core from whatever
    runs next (measured: the estimate's scan 11.9 → 15.3 ms right after one ``ssymv``).
    """
    for _ in range(warmup):
        fn()
    best, out = float("inf"), None
    for _ in range(repeats):
        time.sleep(settle)
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def load_all() -> None:
    """Import every benchmark module so each registers itself."""
    from . import (bench_circuits, bench_classical, bench_estimate, bench_hessians, bench_pennylane,  # noqa: F401
                   bench_scheduler, bench_sweep)
    try:
        from . import bench_qualtran  # noqa: F401  (optional anchor: pip install qlsa[bench])
    except ImportError:
        pass


def run(names: list[str] | None = None, out: str | Path | None = None) -> dict[str, list[dict]]:
    """Run the named benchmarks (all by default), print their tables, return and write JSON."""
    load_all()
    results: dict[str, list[dict]] = {}
    for name in names or list(BENCHMARKS):
        rows = BENCHMARKS[name]()
        results[name] = [r.to_dict() for r in rows]
        print(f"\n== {name}")
        print(table([(r.case, f"{r.seconds:.4g}", r.baseline, f"{r.baseline_seconds:.4g}", f"{r.ratio:.3g}",
                      ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.metrics.items()))
                     for r in rows], header=("case", "s", "baseline", "baseline s", "ratio", "metrics")))
    if out:
        Path(out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results
