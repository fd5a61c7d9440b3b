"""Estimate the quantum cost of a 2-D Laplacian and project it onto IBM Sherbrooke and 1 ns … 1 as gates.

Run: python examples/estimate_and_project.py   (writes projection.png)
"""

from estimators import break_even_gate_time, estimate, load_calibration, plot_projection, projections
from estimators.examples import laplacian_2d

A = laplacian_2d(16)                              # N = 256, κ ≈ 116, d = 5
cal = load_calibration("fake_sherbrooke")         # offline snapshot shipped with qiskit-ibm-runtime
e = estimate(A, epsilon=1e-2, calibration=cal, refine_kappa=True)   # κ refined: projected to faster gates
print(f"{e.sources['kappa']}, α = {e.alpha:.3g}, Q*/p = {e.expected_query_count:.4g}")
for p in projections(e, cal):
    print(f"{p.regime:40s} quantum {p.quantum_seconds:10.3g} s   classical {p.classical_seconds:.3g} s   → {p.processor}")
print(f"break-even gate time: {break_even_gate_time(e):.3g} s")
print("plot:", plot_projection(e, "projection.png", cal))
