import numpy as np
import pytest

from estimators.classical_cost import ClassicalCostModel


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep the classical-model cache out of the user's home during tests."""
    mp = pytest.MonkeyPatch()
    mp.setenv("QLSA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture
def fixed_model() -> ClassicalCostModel:
    """A classical model with known constants, so verdicts do not depend on the machine."""
    return ClassicalCostModel("cholesky", 1e-11, 1e-4, "test", "2026-01-01", (1,), (1.0,))


def spd_with_spectrum(eigs, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(eigs)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q * np.asarray(eigs)) @ q.T
    return (a + a.T) / 2


def walk_step_counts(system_qubits, ancillas):
    """Own gates of one Jennings walk step (4 U_A calls), as tests/test_solve_counts.py holds them
    equal to the built circuit."""
    from qlsa.solve_counts import reflection_counts, u_h_own_counts
    return 2 * u_h_own_counts(system_qubits) + 2 * reflection_counts(ancillas + 2)


def walk_step_gates(system_qubits, ancillas):
    return walk_step_counts(system_qubits, ancillas).gates


def flat_loss(model, x, y, loss_fn=None):
    """L(θ) of the flattened trainable parameters θ and θ itself: the reference that
    ``torch.autograd.functional.hessian`` differentiates (default loss: cross-entropy)."""
    import torch
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    params = dict(model.named_parameters())
    names, shapes = list(params), [p.shape for p in params.values()]
    numels = [p.numel() for p in params.values()]

    def f(flat):
        parts = torch.split(flat, numels)
        p = {n: t.reshape(s) for n, t, s in zip(names, parts, shapes)}
        return loss_fn(torch.func.functional_call(model, p, (x,)), y)

    return f, torch.cat([p.detach().reshape(-1) for p in params.values()])
