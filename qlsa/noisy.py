"""Noisy simulation of a small circuit with the noise model of an IBM calibration snapshot.

The circuit is transpiled to the snapshot's Target (layout, routing, basis gates) and run
with ``qiskit_aer.noise.NoiseModel.from_backend`` on the density-matrix simulator; the
system + ancilla + clock state is read back through the final layout, post-selected like
the noiseless run, and compared with the exact solution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from .backends import device_name, fake_backend
from .errors import CalibrationError, ResourceLimitError

MAX_NOISY_QUBITS = 10   # density matrix 4^q


def noise_backend(source: Any) -> Any:
    """A backend to take a noise model from: a fake-backend name, or a BackendV2 object."""
    if hasattr(source, "target") and hasattr(source, "name"):
        return source
    backend = fake_backend(source) if isinstance(source, str) else None
    if backend is None:
        raise CalibrationError(f"noise needs an offline fake backend name (e.g. fake_sherbrooke) or a backend object, "
                               f"got {source!r}; `qlsa calibrate --list` shows the names")
    return backend


def noisy_hhl(qc: QuantumCircuit, n: int, t: int, prep, x_exact: np.ndarray, source) -> tuple[float, float, str]:
    """Fidelity and success probability of ``qc`` (HHL) under the snapshot's noise."""
    backend = noise_backend(source)
    if qc.num_qubits > MAX_NOISY_QUBITS:
        raise ResourceLimitError(f"the noisy density-matrix run takes at most {MAX_NOISY_QUBITS} qubits; this HHL "
                                 f"circuit has {qc.num_qubits} (use N = 2 and a larger ε, or clock=…)")
    noise = NoiseModel.from_backend(backend)
    tq = transpile(qc, target=backend.target, optimization_level=1, seed_transpiler=0)
    layout = tq.layout.final_index_layout()
    tq.save_density_matrix(qubits=layout)
    sim = AerSimulator(method="density_matrix", noise_model=noise)
    rho = np.asarray(sim.run(tq).result().data()["density_matrix"])
    q = qc.num_qubits
    rho = rho.reshape((2**q,) * 2)
    # rows/cols ordered like qc's qubits (save_density_matrix keeps the given order: logical 0 … q−1)
    sel = np.array([(1 << (q - 1)) | k for k in range(2**n)])   # ancilla = 1, clock = 0, system = k
    block = rho[np.ix_(sel, sel)]
    p = float(np.trace(block).real)
    if p <= 0:
        return 0.0, 0.0, device_name(backend)
    block = block / p
    start = prep.n_original if prep.dilated else 0
    sub = block[start: start + prep.n_original, start: start + prep.n_original]
    w = float(np.trace(sub).real)
    fid = float(np.real(np.vdot(x_exact, sub @ x_exact)) / w) if w > 0 else 0.0
    return fid, p * w, device_name(backend)
