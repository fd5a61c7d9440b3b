import json
import math
import warnings

import numpy as np
import pytest
import torch

from tests.conftest import walk_step_gates
from estimators import estimate, jennings_expected_query_count
from estimators.classical_cost import ClassicalCostModel
from qlsa.cli import main
from qlsa.errors import InvalidParameterError, MatrixFileError
from scheduler import (ClassicalCholeskyCost, JenningsCost, PaperQuantumCost, Policy, TrainConfig, Trainer,
                       classical_solve, quantum_solve)
from scheduler.data import load_dataset, read_idx
from scheduler.trainer import config_with

MODEL = ClassicalCostModel("cholesky", 1e-11, 1e-4, "test", "-", (1,), (1.0,))


def _spd(n, kappa, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.linspace(1 / kappa, 1, n)) @ q.T


def test_cost_models_follow_their_formulas():
    e = estimate(_spd(20, 10), classical_model=MODEL)
    assert ClassicalCholeskyCost(MODEL).seconds(e) == pytest.approx(1e-11 * 20**3 + 1e-4)
    e9 = estimate(_spd(20, 10), gate_time=1e-9, classical_model=MODEL)
    eq = jennings_expected_query_count(e9.alpha, e9.kappa, e9.epsilon)
    p = e9.success_probability
    assert JenningsCost().seconds(e9) == pytest.approx(
        (eq * (e9.per_query_gates + 2 * e9.state_preparation.gates) + e9.state_preparation.gates / p
         + eq / 4 * walk_step_gates(5, e9.ancilla_qubits)) * 1e-9 + 1e-9 / p)
    assert JenningsCost().seconds(e9) == pytest.approx(e9.quantum_seconds)
    assert PaperQuantumCost(2.0, 1.0).seconds(e) == pytest.approx(2.0 * e.sparsity * e.kappa * math.log(20 / 0.01) + 1)


def test_policies_decide_with_reasons():
    fast, e = estimate(_spd(20, 10), gate_time=1e-30, classical_model=MODEL), estimate(_spd(20, 10), gate_time=1.0,
                                                                                      classical_model=MODEL)
    q = JenningsCost()
    c = ClassicalCholeskyCost(MODEL)
    assert Policy("hybrid", q, c).decide(fast).processor == "quantum"
    d = Policy("hybrid", q, c).decide(e)
    assert d.processor == "classical" and d.quantum_seconds > d.classical_seconds and "≥" in d.reason
    assert Policy("quantum", q, c).decide(e).processor == "quantum"
    assert Policy("threshold", q, c, kappa_max=5).decide(e).processor == "classical"
    assert Policy("threshold", q, c, kappa_max=50).decide(e).processor == "quantum"
    with pytest.raises(InvalidParameterError):
        Policy("greedy", q, c)
    sing = estimate(np.diag([1.0, 0.0]), classical_model=MODEL)
    assert Policy("quantum", q, c).decide(sing).processor == "classical"


def test_solvers_against_numpy():
    A, b = _spd(30, 50), np.arange(30.0)
    x = np.linalg.solve(A, b)
    r = classical_solve(A, b)
    assert r.method == "cholesky" and np.allclose(r.x, x)
    indefinite = np.diag([1.0, -2.0, 3.0])
    assert classical_solve(indefinite, np.ones(3)).method == "lu"
    assert classical_solve(np.diag([1.0, 0.0]), np.ones(2)).method == "lstsq"
    eps = 0.05
    q = quantum_solve(A, b, eps, np.random.default_rng(0)).x
    xn, qn = x / np.linalg.norm(x), q / np.linalg.norm(q)
    assert np.linalg.norm(qn - xn) == pytest.approx(math.sqrt(2 - 2 * math.sqrt(1 - eps**2)), rel=1e-9)
    assert np.linalg.norm(q) / np.linalg.norm(x) == pytest.approx(1 + eps) or \
        np.linalg.norm(q) / np.linalg.norm(x) == pytest.approx(1 - eps)


def test_tensor_solvers_equal_the_ndarray_solvers():
    """A tensor block is solved by torch where it is: the same method and x as scipy's for SPD
    (with and without a given factor), indefinite (LU) and singular (least squares) blocks, and
    the same QLSA perturbation from the same generator."""
    A, b = _spd(30, 50), np.arange(30.0)
    for H, g in ((A, b), (np.diag([1.0, -2.0, 3.0]), np.ones(3)), (np.diag([1.0, 0.0]), np.ones(2))):
        ref, got = classical_solve(H, g), classical_solve(torch.from_numpy(H), torch.from_numpy(g))
        assert got.method == ref.method and isinstance(got.x, torch.Tensor)
        np.testing.assert_allclose(got.x.numpy(), ref.x, rtol=1e-10, atol=1e-12)
    L = torch.linalg.cholesky(torch.from_numpy(A))
    np.testing.assert_allclose(classical_solve(torch.from_numpy(A), torch.from_numpy(b), L).x.numpy(),
                               np.linalg.solve(A, b), rtol=1e-10)
    for seed in range(3):
        ref = quantum_solve(A, b, 0.05, np.random.default_rng(seed)).x
        got = quantum_solve(torch.from_numpy(A), torch.from_numpy(b), 0.05, np.random.default_rng(seed)).x
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10)


def _host_reads(monkeypatch, qnewton_module):
    """The sizes of the tensors a QNewton step reads into host memory (``numpy``, ``tolist``,
    ``__array__``), outside its curvature capture."""
    sizes, armed = [], [True]
    for name in ("numpy", "tolist", "__array__"):
        original = getattr(torch.Tensor, name)

        def spy(self, *args, _original=original, **kwargs):
            if armed[0]:
                sizes.append(self.numel())
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(torch.Tensor, name, spy)
    capture_step = qnewton_module.capture_step

    def unarmed(*args, **kwargs):
        armed[0] = False
        try:
            return capture_step(*args, **kwargs)
        finally:
            armed[0] = True
    monkeypatch.setattr(qnewton_module, "capture_step", unarmed)
    return sizes


@pytest.mark.parametrize("strategy,prune_d,kind", [("symmetric", 8, "ggn"), ("random", 8, "ggn"),
                                                   ("symmetric", None, "exact")])
def test_a_resident_step_is_the_host_step_and_reads_no_block_into_host_memory(monkeypatch, fixed_model, strategy,
                                                                              prune_d, kind):
    """resident=True (the CUDA path, run here on the CPU): pruning, κ, estimate, routing and damping
    equal the host path's row for row, the parameters agree to float32 rounding over 3 steps, and
    of a pruned block only its CSR (≤ n·d entries) reaches host memory. The ablation baselines
    (``random``) prune on the host, and an unpruned block (here an indefinite exact Hessian,
    damped) is read by the estimator on the host: the same rows either way."""
    import scheduler.qnewton as qn
    torch.manual_seed(4)
    x, y = torch.randn(128, 15), torch.randint(0, 10, (128,))
    runs = {}
    for resident in (False, True):
        torch.manual_seed(5)
        model = torch.nn.Sequential(torch.nn.Linear(15, 16), torch.nn.Tanh(), torch.nn.Linear(16, 10))
        opt = qn.QNewton(model, torch.nn.functional.cross_entropy, "hybrid", fixed_model, prune_d=prune_d,
                         gate_time=1e-14, prune_strategy=strategy, kind=kind, resident=resident)
        if resident and prune_d and strategy == "symmetric":
            sizes = _host_reads(monkeypatch, qn)
        rows = [r for _ in range(3) for r in opt.step(x, y)]
        runs[resident] = rows, torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    (host, theta_host), (resident, theta) = runs[False], runs[True]
    assert opt.resident and not qn.QNewton(torch.nn.Linear(2, 2), torch.nn.functional.mse_loss).resident
    fields = ("block", "n", "kappa", "sparsity", "alpha", "query_count", "processor", "damping", "kept_fraction",
              "prune_broke_pd", "solver")
    for a, b in zip(host, resident):
        assert [getattr(a, f) for f in fields[:2] + fields[3:]] == [getattr(b, f) for f in fields[:2] + fields[3:]]
        assert b.kappa == pytest.approx(a.kappa, rel=1e-9)
    torch.testing.assert_close(theta, theta_host, rtol=1e-5, atol=1e-6)
    if kind == "exact":
        assert any(r.damping > 1e-2 for r in host)                # the indefinite curvature was damped
    elif strategy == "symmetric":                # both processors and a repair on the way
        assert len({r.processor for r in host}) == 2 and any(r.prune_broke_pd for r in host)
        assert sizes and max(sizes) <= 256 * 8 < 256**2 // 30           # the 256² block's CSR at d = 8


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none here)")
def test_a_cuda_model_is_stepped_on_its_device(fixed_model):
    """On a CUDA model QNewton is resident by default: parameters and update stay there, and the
    ledger agrees with the CPU's (the capture's float32 sums differ in order, so κ to 10⁻³)."""
    from scheduler.qnewton import QNewton
    torch.manual_seed(4)
    x, y = torch.randn(128, 15), torch.randint(0, 10, (128,))
    rows = {}
    for device in ("cpu", "cuda"):
        torch.manual_seed(5)
        model = torch.nn.Sequential(torch.nn.Linear(15, 16), torch.nn.Tanh(), torch.nn.Linear(16, 10)).to(device)
        opt = QNewton(model, torch.nn.functional.cross_entropy, "hybrid", fixed_model, prune_d=8, gate_time=1e-14)
        assert opt.resident == (device == "cuda")
        rows[device] = opt.step(x.to(device), y.to(device))
        assert all(p.device.type == device and bool(torch.isfinite(p).all()) for p in model.parameters())
    for a, b in zip(rows["cpu"], rows["cuda"]):
        assert (a.n, a.sparsity) == (b.n, b.sparsity) and b.kappa == pytest.approx(a.kappa, rel=1e-3)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("train")
    # the classical model is pinned (the fit of a 2-core x86 VM), so the switch does not depend on this machine
    pinned = ClassicalCostModel("cholesky", 4.11e-11, 6.65e-4, "pinned: vm-x86_64-2cpu fit", "-", (1,), (1.0,))
    t = Trainer(config_with(TrainConfig(steps=200, methods=("sgd", "classical", "quantum", "qnewton"))), out,
                progress=False, classical_model=pinned)
    return t, {r.method: r for r in t.run()}, out


def test_default_run_newton_beats_sgd_and_hybrid_switches(run):
    t, res, out = run
    assert res["qnewton"].steps_to_target is not None
    assert res["sgd"].steps_to_target is None or res["qnewton"].steps_to_target < res["sgd"].steps_to_target
    procs = {r.processor for r in t.ledger if r.method == "qnewton"}
    assert procs == {"quantum", "classical"}
    rep = json.loads((out / "report.json").read_text())
    # on its own trajectory the hybrid's cost-model solver time is no worse than all-classical or all-quantum
    h = res["qnewton"]
    assert h.solver_seconds_chosen <= min(h.solver_seconds_all_classical, h.solver_seconds_all_quantum) * (1 + 1e-12)
    assert h.solver_seconds_chosen < max(h.solver_seconds_all_classical, h.solver_seconds_all_quantum)
    newton = [r for r in t.ledger if r.method == "qnewton"]
    assert h.quantum_solve_seconds_per_step == pytest.approx(
        sum(r.charged_seconds for r in newton if r.processor == "quantum") / (h.steps_run - h.warmup_steps))
    assert h.warmup_steps == 5 and h.warmup_seconds_per_step > 0 and res["sgd"].warmup_steps == 0
    assert h.time_to_target > 0 and all(r.capture_seconds > 0 and r.kappa_seconds > 0 for r in newton)
    assert rep["paper_table_iii"]["rows"][3] == {"method": "qnewton", "steps": 1000, "seconds_per_step": 0.15,
                                                 "total_seconds": 123.0}
    assert {m["method"] for m in rep["methods"]} == {"sgd", "classical", "quantum", "qnewton"}
    assert (out / "ledger.csv").read_text().splitlines()[0].startswith("method,step,block,n,kappa")
    assert (out / "training.png").read_bytes()[:4] == b"\x89PNG" and (out / "decisions.png").is_file()
    row = t.ledger[-1]
    assert row.n in (1040, 170) and row.sparsity <= 32 and row.kappa >= 1


def test_deterministic_and_resume_reproduces(tmp_path):
    cfg = TrainConfig(steps=12, methods=("adam", "qnewton"), target_accuracy=1.0, warmup=3)
    a = Trainer(cfg, tmp_path / "a", progress=False).run()
    b = Trainer(cfg, tmp_path / "b", progress=False).run()
    assert [r.final_loss for r in a] == [r.final_loss for r in b]
    # interrupted run: stop after 7 steps of qnewton, resume, compare with the uninterrupted one
    part = Trainer(config_with(cfg, steps=7), tmp_path / "c", progress=False)
    part.run()
    ck = torch.load(tmp_path / "c" / "checkpoint.pt", weights_only=True)
    ck["config"] = json.dumps({**json.loads(ck["config"]), "steps": 12})
    part.results = part.results[:1]  # adam finished; qnewton was cut short
    torch.save(ck, tmp_path / "c" / "checkpoint.pt")
    resumed = Trainer.resume(tmp_path / "c", progress=False)
    resumed.results = [r for r in resumed.results if r.method == "adam"]
    out = resumed.run()
    assert out[-1].final_loss == pytest.approx(a[-1].final_loss, rel=1e-6)


def test_the_trainer_warms_the_capture_once_untimed_before_the_methods(tmp_path, monkeypatch):
    """One capture on the first batch before any method (torch.func's first use in a process is
    not charged to the first Newton method), none for first-order methods alone; the ledger holds
    only the methods' own steps."""
    import scheduler.trainer as trainer_module
    calls = []
    real = trainer_module.capture_step
    monkeypatch.setattr(trainer_module, "capture_step", lambda *a, **k: calls.append(a[2].shape) or real(*a, **k))
    Trainer(TrainConfig(steps=4, methods=("sgd",), target_accuracy=1.0), tmp_path / "a", progress=False).run()
    assert calls == []
    t = Trainer(TrainConfig(steps=4, methods=("sgd", "classical", "qnewton"), target_accuracy=1.0, warmup=2),
                tmp_path / "b", progress=False)
    t.run()
    assert calls == [t._batch(0)[0].shape]
    assert len(t.ledger) == 2 * 2 * 2                      # 2 Newton methods × 2 Newton steps × 2 blocks


def test_data_loading_and_bad_input(tmp_path):
    d = load_dataset("digits")
    assert d.num_features == 64 and d.num_classes == 10 and len(d.y_train) + len(d.y_test) == 1797
    with pytest.raises(InvalidParameterError, match="unknown dataset"):
        load_dataset("cifar")
    with pytest.raises(InvalidParameterError, match="--data-dir"):
        load_dataset("mnist")
    with pytest.raises(InvalidParameterError, match="no train-images"):
        load_dataset("mnist", tmp_path)
    # tiny IDX files the test writes itself
    rng = np.random.default_rng(0)
    for stem, shape in (("train-images-idx3-ubyte", (20, 4, 4)), ("t10k-images-idx3-ubyte", (6, 4, 4)),
                        ("train-labels-idx1-ubyte", (20,)), ("t10k-labels-idx1-ubyte", (6,))):
        data = rng.integers(0, 10 if "labels" in stem else 256, size=shape, dtype=np.uint8)
        header = bytes([0, 0, 8, len(shape)]) + b"".join(s.to_bytes(4, "big") for s in shape)
        (tmp_path / stem).write_bytes(header + data.tobytes())
    m = load_dataset("mnist", tmp_path)
    assert m.x_train.shape == (20, 16) and float(m.x_train.max()) <= 1.0
    assert np.array_equal(read_idx(tmp_path / "t10k-labels-idx1-ubyte"), m.y_test.numpy())
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(MatrixFileError, match="magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "trunc").write_bytes(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x00" * 3)
    with pytest.raises(MatrixFileError, match="truncated"):
        read_idx(tmp_path / "trunc")


@pytest.mark.parametrize("argv,match", [
    (["train", "--dataset", "cifar"], "unknown dataset"),
    (["train", "--methods", "sgd,lbfgs"], "unknown method"),
    (["train", "--target-accuracy", "1.5"], "target accuracy"),
    (["train", "--target-accuracy", "0"], "target accuracy"),
    (["train", "--dataset", "mnist", "--data-dir", "/nonexistent"], "does not exist"),
    (["train", "--resume", "/nonexistent"], "no checkpoint"),
    (["train", "--gate-time", "-1"], "gate time"),
])
def test_cli_train_bad_input(argv, match, capsys, tmp_path):
    code = main(argv + ["--out", str(tmp_path)] if "--resume" not in argv else argv)
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


def test_nan_loss_stops_with_clear_error_and_keeps_checkpoint(tmp_path):
    from scheduler import TrainingDivergedError

    from dataclasses import replace

    t = Trainer(TrainConfig(steps=30, methods=("sgd",), target_accuracy=1.0), tmp_path, progress=False)
    x = t.data.x_train.clone()
    x[:, 0] = float("nan")  # poisoned data: the loss turns NaN on the first step
    t.data = replace(t.data, x_train=x)
    with pytest.raises(TrainingDivergedError, match="checkpoint"):
        t.run()
    assert (tmp_path / "checkpoint.pt").is_file()
    with pytest.raises(InvalidParameterError, match="learning rate"):
        TrainConfig(sgd_lr=float("inf"))


def test_classical_solve_of_a_nonsymmetric_block_is_lu():
    from scheduler.solvers import classical_solve
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 20))
    H = X @ X.T / 20 + 0.05 * np.eye(20) + np.triu(rng.standard_normal((20, 20)), 1) * 0.1     # not symmetric, Cholesky would misread it
    g = rng.standard_normal(20)
    r = classical_solve(H, g)
    assert r.method == "lu" and np.allclose(r.x, np.linalg.solve(H, g))
    for a in (H, g):
        a.setflags(write=False)                     # read-only arrays (a memory map): solved on a copy, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(classical_solve(H, g).x, r.x)


def test_qnewton_in_one_line_takes_a_batch_or_a_closure_and_is_a_damped_newton_step(fixed_model):
    """QNewton(model, loss_fn, ...) with defaults; classical policy, exact Hessian, one full block,
    no pruning: the update is lr·(H + δI)⁻¹g with H and g from torch.autograd.functional."""
    from torch.func import functional_call

    from scheduler.qnewton import NewtonSettings, QNewton
    torch.manual_seed(0)
    x, y = torch.randn(24, 5), torch.randint(0, 3, (24,))
    loss_fn = torch.nn.functional.cross_entropy

    def make():
        torch.manual_seed(1)
        return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3)).double()
    model = make()
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss_of(flat):
        parts, off = {}, 0
        for n, shp in zip(names, shapes):
            parts[n] = flat[off: off + shp.numel()].reshape(shp)
            off += shp.numel()
        return loss_fn(functional_call(model, parts, (x.double(),)), y)
    H = torch.autograd.functional.hessian(loss_of, theta).numpy()
    g = torch.autograd.functional.jacobian(loss_of, theta).numpy()
    expected = theta.numpy() - 0.5 * np.linalg.solve(H + np.eye(len(g)), g)

    opt = QNewton(model, loss_fn, "classical", fixed_model, lr=0.5, regularization=1.0, kind="exact",
                  structure="full", prune_d=None)
    rows = opt.step(x.double(), y)
    got = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()
    assert np.allclose(got, expected, atol=1e-8) and rows[0].processor == "classical"
    twin = make()
    QNewton(twin, loss_fn, "classical", fixed_model, lr=0.5, regularization=1.0, kind="exact", structure="full",
            prune_d=None).step(lambda: (x.double(), y))
    assert torch.equal(torch.cat([p.detach().reshape(-1) for p in twin.parameters()]), torch.as_tensor(got))
    default = QNewton(make(), loss_fn)                               # one line: hybrid, cached fit, defaults
    assert default.policy.name == "hybrid" and default.settings == NewtonSettings()
    for kwargs, match in ((dict(policy="fastest"), "unknown policy"), (dict(gate_tme=1e-9), "NewtonSettings fields"),
                          (dict(settings=NewtonSettings(), lr=0.1), "not both")):
        with pytest.raises(InvalidParameterError, match=match):
            QNewton(make(), loss_fn, **kwargs)
    with pytest.raises(InvalidParameterError, match="takes \\(inputs, targets\\) or a closure"):
        default.step(x.double())
    with pytest.raises(InvalidParameterError, match="Sequential has no trainable parameters"):
        QNewton(make().requires_grad_(False), loss_fn)
    with pytest.raises(InvalidParameterError, match="the model failed on this batch"):
        default.step(x.double()[:, :3], y)


def test_qnewton_kappa_of_a_repaired_block_is_the_exact_kappa_of_the_matrix_it_solves(fixed_model):
    """A pruned block that lost positive definiteness is repaired by δ·I; its κ in the ledger comes
    from the repair's exact eigenvalues, and equals eigvalsh's κ of the pruned, regularised block.
    Unpruned, the same blocks keep it, and their κ is eigvalsh's too."""
    from hessians import capture, prune
    from scheduler.qnewton import QNewton
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    x, y = torch.randn(40, 6), torch.randint(0, 3, (40,))
    loss_fn = torch.nn.functional.cross_entropy
    blocks = capture(model, loss_fn, x, y, "layer", "ggn", progress=False)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    expected = []
    for b in blocks:
        pr = prune(b.matrix.numpy(), d=3, track_eigs=False, seed=0, lambda_min=1e-2, shift=1e-2)
        lam = np.linalg.eigvalsh(pr.matrix)
        expected.append((pr.broke_pd, lam[-1] / lam[0]))
    assert any(broke for broke, _ in expected)
    unpruned = [np.linalg.eigvalsh(b.matrix.numpy().astype(float) + 1e-2 * np.eye(b.size)) for b in blocks]
    rows = QNewton(model, loss_fn, "classical", fixed_model, prune_d=3).step(x, y)
    for row, (broke, kappa) in zip(rows, expected):
        assert row.prune_broke_pd == broke and row.kappa == pytest.approx(kappa, rel=1e-9)
    model.load_state_dict(start)                                        # the same blocks again
    rows = QNewton(model, loss_fn, "classical", fixed_model, prune_d=None).step(x, y)     # PD blocks, no repair
    for row, lam in zip(rows, unpruned):
        assert not row.prune_broke_pd and row.kappa == pytest.approx(lam[-1] / lam[0], rel=1e-9)


def test_qnewton_step_runs_openblas_on_one_thread_and_restores_it(fixed_model, monkeypatch):
    """Inside a step NumPy's and SciPy's OpenBLAS run on one thread (torch has the cores: an idle
    OpenBLAS worker would spin on them); outside it, as the caller set them."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import scheduler.qnewton as qn

    def openblas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["internal_api"] == "openblas"]
    inside = []
    estimate = qn.estimate
    monkeypatch.setattr(qn, "estimate", lambda *a, **kw: inside.append(openblas_threads()) or estimate(*a, **kw))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    x, y = torch.randn(20, 5), torch.randint(0, 3, (20,))
    with threadpool_limits(limits=2, user_api="blas"):
        before = openblas_threads()
        if not before or max(before) < 2:
            pytest.skip("OpenBLAS runs one thread on this machine")
        qn.QNewton(model, torch.nn.functional.cross_entropy, "classical", fixed_model).step(x, y)
        assert openblas_threads() == before
    assert inside and all(threads == [1] * len(before) for threads in inside)


def test_qnewton_kappa_of_a_large_repaired_block_reuses_the_repairs_lanczos_run(fixed_model, monkeypatch):
    """Beyond EXACT_EIGS_MAX_N the repair's λ_min, λ_max are Lanczos Ritz values with error
    estimates; shifted by δ they are κ of the block solved (the same Krylov space), used where
    their error is within KAPPA_TOL, so condition_number runs only for the blocks left. The κ
    is eigvalsh's within that error."""
    import scheduler.qnewton as qn
    from estimators import definite_condition
    from hessians import capture, prune
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(40, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))   # blocks 328², 27²
    x, y = torch.randn(64, 40), torch.randint(0, 3, (64,))
    loss_fn = torch.nn.functional.cross_entropy
    big = capture(model, loss_fn, x, y, "layer", "ggn", progress=False)[0]
    pr = prune(big.matrix.numpy(), d=3, track_eigs=False, seed=0, lambda_min=1e-2, shift=1e-2)
    assert big.size > qn.EXACT_EIGS_MAX_N and pr.broke_pd and not pr.eigs_exact and min(pr.eigs_error) > 0
    reused = definite_condition(*pr.eigs_after, pr.eigs_error)
    assert reused.method == "lanczos" and reused.rel_error <= qn.KAPPA_TOL
    lam = np.linalg.eigvalsh(pr.matrix)
    assert abs(reused.kappa / (lam[-1] / lam[0]) - 1) <= reused.rel_error
    sizes = []
    counted = qn.condition_number
    monkeypatch.setattr(qn, "condition_number", lambda H, **kw: sizes.append(H.shape[0]) or counted(H, **kw))
    row = qn.QNewton(model, loss_fn, "classical", fixed_model, prune_d=3).step(x, y)[0]
    assert row.prune_broke_pd and row.kappa == reused.kappa and big.size not in sizes


def test_qnewton_steps_a_model_with_embedding_attention_and_layernorm(fixed_model):
    from scheduler.qnewton import QNewton

    class TinyAttention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.ln, self.out = torch.nn.Embedding(12, 6), torch.nn.LayerNorm(6), torch.nn.Linear(6, 12)
            self.att = torch.nn.MultiheadAttention(6, 2, batch_first=True)

        def forward(self, tokens):
            h = self.emb(tokens)
            return self.out(self.ln(h + self.att(h, h, h, need_weights=False)[0])).mean(1)
    torch.manual_seed(0)
    model, tokens, targets = TinyAttention(), torch.randint(0, 12, (16, 5)), torch.randint(0, 12, (16,))
    opt = QNewton(model, torch.nn.functional.cross_entropy, "classical", fixed_model)
    losses = [opt.step(tokens, targets)[0].loss for _ in range(4)]
    assert len({r.block for r in opt.step(tokens, targets)}) >= 4          # per-layer blocks follow the modules
    assert losses[-1] < losses[0]
