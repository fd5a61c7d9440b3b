"""The scripts in examples/ run as a user would run them, and print what numpy says they should."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-W", "ignore", str(EXAMPLES / name)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _floats(pattern: str, text: str) -> list[float]:
    return [float(x) for x in re.findall(pattern, text)]


def test_circuits_example(tmp_path):
    out = _run("circuits_small.py", tmp_path)
    assert len(errs := _floats(r"A/α_raw\| = ([0-9.e+-]+)", out)) == 3 and max(errs) < 1e-12
    A = np.array([[1.0, 0.3], [0.3, 0.6]])
    assert re.search(r"dense  α_raw = ([0-9.]+)", out).group(1) == f"{np.linalg.norm(A, 2):.3f}"   # α_raw = ‖A‖₂
    fid = dict(re.findall(r"^(hhl|qsvt|jennings)\s+fidelity ([0-9.]+)", out, flags=re.M))
    assert set(fid) == {"hhl", "qsvt", "jennings"} and min(map(float, fid.values())) > 0.99


def test_estimate_and_project_example(tmp_path):
    from estimators.examples import laplacian_2d
    out = _run("estimate_and_project.py", tmp_path)
    lam = np.linalg.eigvalsh(laplacian_2d(16).toarray())
    assert _floats(r"κ: ([0-9.]+)", out)[0] == pytest.approx(lam[-1] / lam[0], rel=1e-3)
    assert "break-even gate time" in out and (tmp_path / "projection.png").stat().st_size > 0


def test_hessian_example(tmp_path):
    out = _run("hessian_of_a_model.py", tmp_path)
    rows = re.findall(r"n =\s+(\d+)\s+κ =\s+([0-9.]+)\s+d =\s+(\d+)", out)
    assert [(int(n), int(d)) for n, _, d in rows] == [(1040, 32), (170, 32)]
    assert all(float(k) >= 1 for _, k, _ in rows)
