"""``qlsa sweep`` on Ray: the same sweep with 1 and with 2 workers, and Ray's own cost per task.

``sweep_workers``: four independent training points (``sparsity`` preset, 8 steps, hidden 8)
run with ``workers=1`` and then ``workers=2`` on one local Ray instance with 2 CPUs, each into
a fresh folder so nothing is skipped; ratio = 2-worker / 1-worker wall time (ideal 0.5).
``ray_task_overhead``: 200 tasks whose point function returns at once, against 200 direct calls
of the same function: the difference per task is what Ray adds to every point.
"""

from __future__ import annotations

import sys
import tempfile
import time

from scheduler.sweep import SweepPoint, _call, run_sweep
from scheduler.sweep_presets import PRESETS, SweepOptions, train_point

from .runner import BenchRow, benchmark


def _nothing(point: SweepPoint) -> dict:
    return {"key": point.key}


def _ray():
    import ray
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])      # workers need not import benchmarks/
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return ray


@benchmark("sweep_workers")
def sweep_workers() -> list[BenchRow]:
    _ray()
    points = PRESETS["sparsity"].points(SweepOptions(steps=8, warmup=2, hidden=8, values=(None, 16, 8, 4)))
    walls = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            records = run_sweep(train_point, points, out, workers=workers, progress=False)
            walls[workers] = time.perf_counter() - t0
    task_s = sum(r.seconds for r in records)
    return [BenchRow("4 training points", walls[2], "same sweep, 1 worker", walls[1],
                     {"speedup": walls[1] / walls[2], "sum_of_task_seconds_2_workers": task_s})]


@benchmark("ray_task_overhead")
def ray_task_overhead() -> list[BenchRow]:
    ray = _ray()
    task = ray.remote(num_cpus=1)(_call)
    points = [SweepPoint(f"p{i}") for i in range(200)]
    ray.get([task.remote(_nothing, p) for p in points[:4]])            # workers started and warm
    t0 = time.perf_counter()
    ray.get([task.remote(_nothing, p) for p in points])
    per_task = (time.perf_counter() - t0) / len(points)
    t0 = time.perf_counter()
    for p in points:
        _call(_nothing, p)
    direct = (time.perf_counter() - t0) / len(points)
    return [BenchRow("200 empty points, 2 CPUs", per_task, "direct call", direct,
                     {"ray_overhead_per_task_s": per_task - direct})]
