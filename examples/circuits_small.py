"""Block-encode a small matrix three ways, then solve A x = b with HHL, QSVT and the Jennings-style circuit.

Run: python examples/circuits_small.py   (about a minute: QSVT angles and the Jennings simulation)
"""

import numpy as np

import qlsa

A = np.array([[1.0, 0.3], [0.3, 0.6]])
b = np.array([1.0, 0.5])
for kind in ("dense", "sparse", "lcu"):
    be = qlsa.block_encoding(A, kind)
    M = be.matrix.toarray() if hasattr(be.matrix, "toarray") else be.matrix   # sparse kind keeps scipy.sparse
    err = np.abs(be.top_left() - M / be.alpha_raw).max()        # ⟨0|U|0⟩ = A/α_raw; α = α_raw/‖A‖₂
    print(f"{kind:6s} α_raw = {be.alpha_raw:.3f}, α = {be.alpha:.3f}, ancillas {be.num_ancillas}, "
          f"|⟨0|U|0⟩ − A/α_raw| = {err:.1e}")
for method, eps in (("hhl", 1e-2), ("qsvt", 0.05), ("jennings", 0.1)):
    r = qlsa.solve(A, b, method, epsilon=eps)
    print(f"{method:8s} fidelity {r.fidelity:.6f}, success p {r.success_probability:.3f}, "
          f"U_A calls {r.queries}, qubits {r.qubits}")
r = qlsa.solve(A, b, "hhl", epsilon=0.1, clock=4, noise="fake_sherbrooke")
print(f"HHL on ibm_sherbrooke's noise: fidelity {r.noisy_fidelity:.3f} (noiseless {r.fidelity:.4f})")
