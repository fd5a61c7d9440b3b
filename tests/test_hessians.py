import math

import numpy as np
import pytest
import torch
from torch import nn

from hessians import block_specs, capture, capture_step, flat_gradient, p_sparsity, plot_p_sparsity, prune, regularize, row_sparsity
from qlsa.errors import InvalidParameterError, ResourceLimitError
from hessians.gram import Gram
from tests.conftest import flat_loss

D = torch.float64
F = nn.functional


@pytest.fixture(autouse=True)
def _math_attention():
    # the references differentiate attention twice too: use the differentiable math kernel
    with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
        yield


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        h = torch.tanh(self.conv(x))            # B×2×2×2
        return self.head(self.norm(h.flatten(1)))


class OneBlockTransformer(nn.Module):
    def __init__(self, vocab=7, dim=4, classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.attn = nn.MultiheadAttention(dim, 1, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.emb(tokens)
        a, _ = self.attn(h, h, h, need_weights=False)
        return self.out(self.norm(h + a).mean(1))


def _cases():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    return [
        ("mlp", mlp.double(), torch.randn(6, 4, dtype=D), torch.randint(0, 3, (6,))),
        ("cnn", SmallCNN().double(), torch.randn(5, 1, 4, 4, dtype=D), torch.randint(0, 3, (5,))),
        ("transformer", OneBlockTransformer().double(), torch.randint(0, 7, (4, 3)), torch.randint(0, 3, (4,))),
    ]


@pytest.mark.parametrize("name,model,x,y", _cases())
def test_exact_matches_autograd_hessian_in_every_structure(name, model, x, y):
    f, flat = flat_loss(model, x, y)
    H = torch.autograd.functional.hessian(f, flat)
    full = capture(model, F.cross_entropy, x, y, structure="full", kind="exact", chunk_size=7, progress=False)
    assert len(full) == 1
    torch.testing.assert_close(full[0].matrix, H, rtol=1e-5, atol=1e-8)
    for structure in ("layer", "param"):
        for b in capture(model, F.cross_entropy, x, y, structure=structure, kind="exact", progress=False):
            sl = slice(b.offset, b.offset + b.size)
            torch.testing.assert_close(b.matrix, H[sl, sl], rtol=1e-5, atol=1e-8)
    g = flat_gradient(model, F.cross_entropy, x, y)
    torch.testing.assert_close(g, torch.func.grad(f)(flat))
    for kind in ("exact", "ggn", "fisher"):                   # the same passes give the gradient and the loss
        step = capture_step(model, F.cross_entropy, x, y, structure="layer", kind=kind, progress=False)
        torch.testing.assert_close(step.gradient, g, rtol=1e-12, atol=1e-14)
        assert step.loss == pytest.approx(float(f(flat)), rel=1e-12)
        alone = capture(model, F.cross_entropy, x, y, "layer", kind, progress=False)
        assert [b.offset for b in step.blocks] == [b.offset for b in alone]


def _explicit_ggn(model, x, y, loss_fn=F.cross_entropy) -> torch.Tensor:
    """Jᵀ·H_ℓ·J from the whole batch's output Jacobian and the loss Hessian in the outputs."""
    params = dict(model.named_parameters())
    names, shapes = list(params), [p.shape for p in params.values()]
    numels = [p.numel() for p in params.values()]
    flat = torch.cat([p.detach().reshape(-1) for p in params.values()])

    def out(fl):
        parts = torch.split(fl, numels)
        return torch.func.functional_call(model, {n: t.reshape(s) for n, t, s in zip(names, parts, shapes)}, (x,))

    J = torch.autograd.functional.jacobian(out, flat).reshape(-1, flat.numel())
    o = out(flat).detach()
    HL = torch.autograd.functional.hessian(lambda z: loss_fn(z.reshape(o.shape), y), o.reshape(-1))
    return J.T @ HL @ J


@pytest.mark.parametrize("name,model,x,y", _cases())
def test_ggn_matches_explicit_jacobian_product(name, model, x, y):
    G = _explicit_ggn(model, x, y)
    (blk,) = capture(model, F.cross_entropy, x, y, structure="full", kind="ggn", progress=False)
    torch.testing.assert_close(blk.matrix, G, rtol=1e-5, atol=1e-8)
    assert torch.linalg.eigvalsh(blk.matrix).min() > -1e-10  # PSD for the convex cross-entropy
    for structure in ("layer", "param"):
        for b in capture(model, F.cross_entropy, x, y, structure=structure, kind="ggn", progress=False):
            sl = slice(b.offset, b.offset + b.size)
            torch.testing.assert_close(b.matrix, G[sl, sl], rtol=1e-5, atol=1e-8)


def test_ggn_with_indefinite_loss_curvature_matches_explicit_product():
    """ℓ = Σ_c cos(f_c − y_c): H_ℓ = −diag(cos(f − y)) has both signs, so G = S₊ᵀS₊ − S₋ᵀS₋."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    x, y = torch.randn(9, 4, dtype=D), 3 * torch.randn(9, 3, dtype=D)
    def loss(o, t):
        return torch.cos(o - t).sum(1).mean()
    G = _explicit_ggn(model, x, y, loss)
    assert torch.linalg.eigvalsh(G).min() < -1e-3 < 1e-3 < torch.linalg.eigvalsh(G).max()
    for structure in ("full", "layer"):
        for b in capture(model, loss, x, y, structure=structure, kind="ggn", progress=False):
            sl = slice(b.offset, b.offset + b.size)
            torch.testing.assert_close(b.matrix, G[sl, sl], rtol=1e-5, atol=1e-8)
            assert not b.psd                        # a non-convex loss: not PSD by construction


def test_blocks_say_whether_they_are_psd_by_construction():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    x, y = torch.randn(8, 4, dtype=D), torch.randint(0, 3, (8,))
    for kind, psd in (("ggn", True), ("fisher", True), ("exact", False)):
        for b in capture(model, F.cross_entropy, x, y, structure="layer", kind=kind, progress=False):
            assert b.psd is psd, kind
            if psd:
                assert torch.linalg.eigvalsh(b.matrix).min() > -1e-12


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_gram_accumulator_against_numpy(dtype):
    """Σ α·SᵀS by tile-row GEMMs (one triangle, mirrored in 256-tiles) equals the dense products."""
    rng = np.random.default_rng(0)
    n = 600                                        # three tile rows: diagonal, off-diagonal and ragged tiles
    terms = [(rng.standard_normal((m, n)), a) for m, a in ((40, 0.5), (7, -0.25), (1, 2.0))]
    g = Gram(n, dtype)
    for S, a in terms:
        g.add(torch.as_tensor(S, dtype=dtype), a)
    C = g.matrix()
    ref = sum(a * S.T @ S for S, a in terms)
    assert C.dtype == dtype and C.is_contiguous() and torch.equal(C, C.T)
    np.testing.assert_allclose(C.double().numpy(), ref, rtol=0, atol=1e-10 if dtype == torch.float64 else 1e-3)


def test_ggn_of_a_model_whose_batch_norm_couples_samples():
    """Batch norm in training mode: per-sample Jacobians would be wrong; the product path is used."""
    torch.manual_seed(0)
    x, y = torch.randn(8, 4, dtype=D), torch.randint(0, 3, (8,))
    tracking = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Linear(5, 3)).double()
    with pytest.raises(InvalidParameterError, match="module '1' \\(BatchNorm1d\\) updates its running statistics"):
        capture(tracking, F.cross_entropy, x, y, kind="ggn", progress=False)
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5, track_running_stats=False), nn.Tanh(),
                          nn.Linear(5, 3)).double()
    (blk,) = capture(model, F.cross_entropy, x, y, structure="full", kind="ggn", progress=False)
    torch.testing.assert_close(blk.matrix, _explicit_ggn(model, x, y), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss_fn", [F.mse_loss, F.huber_loss])
def test_losses_without_forward_mode_second_derivatives_take_reverse_over_reverse(loss_fn):
    """torch's mse_loss (mean) fails under a jvp of its gradient and huber_loss has none: the exact
    Hessian by products (a model that is not a Sequential) in every structure, and the GGN of a
    model whose batch norm couples samples (G = Jᵀ·H_ℓ·J with H_ℓ = 2/(B·C)·I for MSE, 1/(B·C)·I
    for huber where every residual lies within its δ = 1), against autograd."""
    from hessians.capture import _forward_over_reverse

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 5), nn.Linear(5, 3)

        def forward(self, x):
            return self.b(torch.tanh(self.a(x)))
    torch.manual_seed(0)
    model = Net().double()
    x, y = torch.randn(9, 4, dtype=D), torch.randn(9, 3, dtype=D)
    assert not _forward_over_reverse(loss_fn, model(x).detach(), y)
    f, theta = flat_loss(model, x, y, loss_fn)
    H = torch.autograd.functional.hessian(f, theta)
    for structure in ("full", "layer", "param"):
        for b in capture(model, loss_fn, x, y, structure=structure, kind="exact", progress=False):
            sl = slice(b.offset, b.offset + b.size)
            torch.testing.assert_close(b.matrix, H[sl, sl], rtol=1e-9, atol=1e-12)
    coupled = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5, track_running_stats=False), nn.Tanh(),
                            nn.Linear(5, 3)).double()
    y = coupled(x).detach() + 0.1 * torch.randn(9, 3, dtype=D)       # residuals within huber's δ = 1
    _, theta = flat_loss(coupled, x, y, loss_fn)
    names, shapes = [n for n, _ in coupled.named_parameters()], [p.shape for p in coupled.parameters()]

    def outputs(flat):
        parts = torch.split(flat, [p.numel() for p in coupled.parameters()])
        return torch.func.functional_call(coupled, {n: t.reshape(s) for n, t, s in zip(names, parts, shapes)}, (x,))
    J = torch.autograd.functional.jacobian(outputs, theta).reshape(27, -1)
    (blk,) = capture(coupled, loss_fn, x, y, structure="full", kind="ggn", progress=False)
    scale = (2 if loss_fn is F.mse_loss else 1) / 27
    torch.testing.assert_close(blk.matrix, scale * J.T @ J, rtol=1e-9, atol=1e-12)


def test_float32_exact_blocks_are_exactly_symmetric():
    """Every exact block of a float32 model is symmetric bit for bit (the estimator's Hermitian test
    has a 1e-10 tolerance, far below float32's rounding): the leading-Linear path's GEMM blocks and
    its bias block (a reduction over samples) are averaged with their transposes, as the product
    path's blocks are. Before, the first layer's block was read as not Hermitian: costed through
    its dilation, solved by LU, and not damped where indefinite."""
    torch.manual_seed(0)
    x, y = torch.randn(32, 8), torch.randint(0, 4, (32,))
    for model in (nn.Sequential(nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 4)),
                  nn.Sequential(nn.Linear(8, 6), nn.BatchNorm1d(6, track_running_stats=False), nn.Tanh(),
                                nn.Linear(6, 4))):
        for structure in ("full", "layer", "param"):
            for b in capture(model, F.cross_entropy, x, y, structure=structure, kind="exact", progress=False):
                assert torch.equal(b.matrix, b.matrix.T), (model, structure, b.name)


def test_batch_statistics_couple_samples_exact_by_products_fisher_refused():
    """Batch norm that normalises by the batch's statistics (training mode, or no running
    statistics even in eval mode) couples the samples: the exact Hessian comes from whole-batch
    products (against autograd), the empirical Fisher and its factor, which need per-sample
    gradients, are refused in one line; with running statistics in eval mode all three apply."""
    from hessians import fisher_factor
    torch.manual_seed(1)
    x, y = torch.randn(12, 4, dtype=D), torch.randint(0, 3, (12,))
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5, track_running_stats=False), nn.Tanh(),
                          nn.Linear(5, 3)).double()
    f, theta = flat_loss(model, x, y)
    H = torch.autograd.functional.hessian(f, theta)
    for mode in ("train", "eval"):
        getattr(model, mode)()
        (blk,) = capture(model, F.cross_entropy, x, y, structure="full", kind="exact", progress=False)
        torch.testing.assert_close(blk.matrix, H, rtol=1e-9, atol=1e-12)
        with pytest.raises(InvalidParameterError, match="module '1' \\(BatchNorm1d\\) normalises by batch statistics"):
            capture(model, F.cross_entropy, x, y, kind="fisher", progress=False)
        with pytest.raises(InvalidParameterError, match="fisher_factor needs per-sample gradients"):
            fisher_factor(model, F.cross_entropy, x, y)
    running = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 3)).double().eval()
    for kind in ("exact", "ggn", "fisher"):
        assert capture(running, F.cross_entropy, x, y, kind=kind, progress=False)


def _per_sample_gradients(model, x, y) -> torch.Tensor:
    """B × P gradients of each sample's loss by an explicit loop (the independent reference)."""
    grads = []
    for i in range(x.shape[0]):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        grads.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
    return torch.stack(grads)


@pytest.mark.parametrize("name,model,x,y", _cases())
def test_fisher_matches_per_sample_loop(name, model, x, y):
    Gs = _per_sample_gradients(model, x, y)
    Fexp = Gs.T @ Gs / x.shape[0]
    for b in capture(model, F.cross_entropy, x, y, structure="layer", kind="fisher", progress=False):
        sl = slice(b.offset, b.offset + b.size)
        torch.testing.assert_close(b.matrix, Fexp[sl, sl], rtol=1e-5, atol=1e-10)


def test_fisher_orientation_for_3d_inputs():
    # a Linear applied to B×T×D inputs: per-sample gradient must flatten like weight.reshape(-1)
    torch.manual_seed(1)
    lin = nn.Linear(3, 2, bias=False).double()
    x, y = torch.randn(4, 5, 3, dtype=D), torch.randn(4, 5, 2, dtype=D)
    loss = lambda out, tgt: F.mse_loss(out, tgt)  # noqa: E731
    (b,) = capture(lin, loss, x, y, structure="param", kind="fisher", progress=False)
    g0 = torch.autograd.grad(loss(lin(x[:1]), y[:1]), lin.weight)[0].reshape(-1)  # row-major (out, in)
    gs = [torch.autograd.grad(loss(lin(x[i:i + 1]), y[i:i + 1]), lin.weight)[0].reshape(-1) for i in range(4)]
    torch.testing.assert_close(b.matrix, torch.stack(gs).T @ torch.stack(gs) / 4)
    assert torch.allclose(gs[0], g0)


def test_block_specs_order_and_layer_grouping():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    specs = block_specs(model, "layer")
    assert [s.name for s in specs] == ["0", "2"]
    assert [(s.offset, s.size) for s in specs] == [(0, 16), (16, 10)]
    assert sum(s.size for s in block_specs(model, "param")) == 26


def test_bad_inputs_raise_clearly():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    x, y = torch.randn(4, 3), torch.randint(0, 2, (4,))
    frozen = nn.Linear(3, 2).requires_grad_(False)
    with pytest.raises(InvalidParameterError, match="no trainable parameters"):
        capture(frozen, F.cross_entropy, x, y)
    with pytest.raises(InvalidParameterError, match="scalar"):
        capture(model, lambda o, t: F.cross_entropy(o, t, reduction="none"), x, y)
    with pytest.raises(InvalidParameterError, match="loss is nan"):
        capture(model, F.cross_entropy, torch.full((4, 3), math.nan), y)
    with pytest.raises(ResourceLimitError, match="structure='layer'"):
        capture(model, F.cross_entropy, x, y, structure="full", max_bytes=100)
    with pytest.raises(InvalidParameterError, match="structure"):
        capture(model, F.cross_entropy, x, y, structure="rows")
    with pytest.raises(InvalidParameterError, match="kind"):
        capture(model, F.cross_entropy, x, y, kind="kfac")
    # a batch the model or the loss cannot take: torch's first line, naming the batch, not its traceback
    for inputs, targets, match in ((torch.randn(4, 5), y, r"the model failed on this batch \(inputs \(4, 5\) float32"),
                                   (x.long(), y, "the model failed on this batch .* same dtype"),
                                   (x, torch.randn(4, 7), r"loss_fn failed on this batch .*targets \(4, 7\) float32"),
                                   (x, y + 5, "loss_fn failed on this batch .*out of bounds; check the batch")):
        for call in (lambda: capture(model, F.cross_entropy, inputs, targets, progress=False),
                     lambda: flat_gradient(model, F.cross_entropy, inputs, targets)):
            with pytest.raises(InvalidParameterError, match=match):
                call()


# ---------------------------------------------------------------- sparsity, pruning
def test_p_sparsity_against_a_direct_loop():
    rng = np.random.default_rng(0)
    H = rng.standard_normal((30, 30))
    H[3] = 0.0
    for p in (50, 75, 90, 95, 100):
        got = p_sparsity(H, p)
        for i, row in enumerate(np.abs(H)):
            total, acc, k = row.sum(), 0.0, 0
            for v in sorted(row, reverse=True):
                if total == 0 or acc >= p / 100 * total * (1 - 1e-12):
                    break
                acc += v
                k += 1
            assert got[i] == k
    assert row_sparsity(H) == 30
    for bad in (0, -5, 101):
        with pytest.raises(InvalidParameterError):
            p_sparsity(H, bad)


def test_plot_p_sparsity_writes_png(tmp_path):
    H = np.random.default_rng(0).standard_normal((40, 40))
    path = plot_p_sparsity(H, tmp_path / "fig3.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _spd(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n))
    return X @ X.T / n + 0.05 * np.eye(n)


@pytest.mark.parametrize("d", [1, 3, 8, 40])
def test_prune_is_symmetric_bounded_diagonal_kept_and_pd(d):
    H = _spd(40)
    r = prune(H, d=d)
    P = r.matrix
    assert np.array_equal(P, P.T) and r.sparse.has_canonical_format     # CSR: sorted, no duplicates
    assert np.count_nonzero(P, axis=1).max() <= d
    off = ~np.eye(40, dtype=bool)
    assert np.all((P[off] == 0) | (P[off] == H[off]))  # entries kept verbatim (repair touches only the diagonal)
    assert np.all(np.diag(P) >= np.diag(H))
    assert np.linalg.eigvalsh(P).min() > 0
    if r.damping:
        assert "δ" in r.notes[0] and np.allclose(np.diag(P) - np.diag(H), r.damping)
        assert r.eigs_after[0] == pytest.approx(np.linalg.eigvalsh(P).min(), rel=1e-9)
    if d == 40:
        assert np.array_equal(P, H) and r.damping == 0


def test_prune_in_place_with_a_known_lambda_min():
    """overwrite=True: H's memory becomes the PD test's factor, the result (sparse) is the same
    as a copying prune's, and a repair lifts λ_min to the caller's bound."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 30))
    H = X @ X.T / 30 + 0.1 * np.eye(300)                    # PSD + 0.1·I, rank-deficient Gram part
    ref = prune(H, d=4, track_eigs=False)
    assert ref.broke_pd
    work = H.copy()
    r = prune(work, d=4, track_eigs=False, lambda_min=0.1, overwrite=True)
    assert r.cholesky.data_ptr() == work.__array_interface__["data"][0]     # factorised in H's memory
    diff = (r.sparse - ref.sparse).toarray()
    diff[np.diag_indices(300)] = 0                           # off-diagonal pattern and values identical
    assert np.array_equal(diff, np.zeros_like(diff))
    assert np.linalg.eigvalsh(r.matrix).min() >= 0.1 * (1 - 1e-3)
    b = rng.standard_normal(300)
    x = torch.cholesky_solve(torch.from_numpy(b)[:, None], r.cholesky)[:, 0].numpy()
    np.testing.assert_allclose(x, np.linalg.solve(r.matrix, b), rtol=1e-8)
    same = prune(H.copy(), d=4, track_eigs=False, overwrite=True)   # no bound given: λ_min(H) taken first
    assert same.damping == ref.damping and (same.sparse != ref.sparse).nnz == 0


def test_a_repair_reports_the_pruned_spectrum_shifted_by_its_damping():
    """Without eigenvalue tracking a repair still needs the pruned form's extremes; after adding δ·I
    they are reported shifted by δ (exact: eigvalsh at n ≤ 256), equal to the repaired matrix's."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((120, 12))
    H = X @ X.T / 12                                                      # PSD, rank 12: pruning breaks PD
    r = prune(H, d=3, track_eigs=False, lambda_min=0.05, shift=0.05)
    assert r.broke_pd and r.damping > 0 and r.eigs_exact
    np.testing.assert_allclose(r.eigs_after, np.linalg.eigvalsh(r.matrix)[[0, -1]], rtol=1e-9)
    assert r.eigs_after[0] >= 0.05 * (1 - 1e-9)                           # lifted to the caller's bound
    clean = prune(H + 0.05 * np.eye(120), d=119, track_eigs=False)        # no repair: nothing computed
    assert not clean.broke_pd and np.isnan(clean.eigs_after).all()


def test_the_repair_shift_equals_scipys_sum():
    """S + δ·I in place on the stored diagonal equals scipy's (S + δ·I).tocsr() array for array:
    with the diagonal stored, with one diagonal entry missing, and with a_ii = −δ (dropped)."""
    from hessians.prune import _shifted
    import scipy.sparse as sp
    rng = np.random.default_rng(5)
    M = sp.random(30, 30, density=0.2, random_state=5, format="csr")
    full = ((M + M.T) + sp.diags(rng.uniform(0.5, 1.0, 30))).tocsr()
    holed = full.tolil()
    holed[3, 3] = 0
    cancelled = full.tolil()
    cancelled[7, 7] = -0.25
    for S in (full, holed.tocsr(), cancelled.tocsr()):
        S.eliminate_zeros()
        ref, got = (S + 0.25 * sp.eye(30)).tocsr(), _shifted(S.copy(), 0.25)
        for a, b in ((ref.indptr, got.indptr), (ref.indices, got.indices), (ref.data, got.data)):
            assert np.array_equal(a, b)


def test_prune_keeps_largest_pairs_greedily():
    H = np.array([[5.0, 4.0, 1.0], [4.0, 5.0, 3.0], [1.0, 3.0, 5.0]])
    P = prune(H, d=2, repair=False).matrix
    # (0,1) first: rows 0 and 1 are full; (1,2) and (0,2) rejected
    assert np.array_equal(P, np.array([[5.0, 4.0, 0.0], [4.0, 5.0, 0.0], [0.0, 0.0, 5.0]]))


def test_prune_by_p_and_bad_arguments():
    H = _spd(25)
    r = prune(H, p=60)
    assert np.array_equal(r.matrix, r.matrix.T)
    assert np.all(np.count_nonzero(r.matrix, axis=1) <= np.maximum(p_sparsity(H, 60), 1) + (r.damping > 0))
    for kwargs in (dict(d=0), dict(d=2.5), dict(p=0), dict(p=120), dict(), dict(d=2, p=50)):
        with pytest.raises(InvalidParameterError):
            prune(H, **kwargs)
    with pytest.raises(InvalidParameterError, match="symmetric"):
        prune(np.triu(H), d=3)
    for bad in (np.nan, np.inf):
        Hb = H.astype(np.float32)
        Hb[2, 5] = Hb[5, 2] = bad
        with pytest.raises(InvalidParameterError, match="NaN or Inf"):
            prune(Hb, d=3)


def _sequential_greedy(A, budget, seed=None):
    """The definition, one pair at a time: pairs by decreasing |a_ij| (ties row-major) — or, with
    ``seed``, in the order of a seeded permutation of the non-zero upper pairs listed row-major —
    kept while both rows are under budget, the diagonal always kept."""
    n = len(A)
    keep = np.diag(np.diag(A) != 0)
    count = keep.sum(1)
    pairs = sorted(((-abs(A[i, j]), i, j) for i in range(n) for j in range(i + 1, n) if A[i, j] != 0))
    if seed is not None:
        listed = [(i, j) for i in range(n) for j in range(i + 1, n) if A[i, j] != 0]
        pairs = [(None, *listed[k]) for k in np.random.default_rng(seed).permutation(len(listed))]
    for _, i, j in pairs:
        if count[i] < budget[i] and count[j] < budget[j]:
            keep[i, j] = keep[j, i] = True
            count[i] += 1
            count[j] += 1
    return keep


def _greedy_mask(A, budget, strategy, seed):
    """The kept pattern of ``_kept_positions``: the non-zero diagonal and each pair both ways."""
    from hessians.prune import _kept_positions
    keep = np.diag(np.diag(A) != 0)
    rows, cols = _kept_positions(A, budget, np.diag(A), strategy, seed or 0)
    keep[rows, cols] = True
    return keep


def test_compiled_symmetric_pruning_equals_the_sequential_definition():
    rng = np.random.default_rng(5)
    for t in range(60):
        n = int(rng.integers(2, 60))
        A = rng.integers(-3, 4, (n, n)).astype(float) if t % 2 else rng.standard_normal((n, n))  # ties, zeros
        A = (A + A.T) / 2
        if t % 3 == 0:
            A = A.astype(np.float32)                              # a captured block, read as float32
        budget = rng.integers(1, max(2, n // 3) + 1, n)
        for strategy, seed in (("symmetric", None), ("random", t)):
            assert np.array_equal(_greedy_mask(A, budget, strategy, seed),
                                  _sequential_greedy(A.astype(float), budget, seed=seed)), (t, strategy)


@pytest.mark.parametrize("take", [0.01, 0.3, 4.0, 1e6])
def test_pair_selection_over_several_rounds(take):
    """Hubs (rows with large entries to every row) fill first, so the other rows are decided
    over several windows of the order (small ``take``: many rounds; huge: one); ties and zeros
    included, the random order too. The result is still the sequential definition."""
    from hessians.pair_selection import greedy_pairs
    from hessians.prune import _random_order_keys
    rng = np.random.default_rng(11)
    rounds = []
    for n, hubs, d in ((160, 6, 5), (400, 20, 3)):
        A = rng.integers(-2, 3, (n, n)).astype(float)
        A[:hubs] = 50 + rng.integers(0, 3, (hubs, n))
        A = np.maximum(A, A.T) + np.minimum(A, A.T)               # symmetric, hubs' rows and columns large
        budget = rng.integers(1, d, n)
        cap = np.maximum(budget - (np.diag(A) != 0), 0)
        for seed in (None, 3):
            sel = greedy_pairs(A if seed is None else _random_order_keys(A, seed), cap, take=take)
            keep = np.diag(np.diag(A) != 0)
            keep[sel.rows, sel.cols] = keep[sel.cols, sel.rows] = True
            assert np.array_equal(keep, _sequential_greedy(A, budget, seed=seed)), (n, seed)
            rounds.append(sel.rounds)
    if take < 1:
        assert min(rounds) >= 4                                   # one window per distinct magnitude, about
    if take > 1e5:
        assert max(rounds) == 1                                   # the whole order in one window


def test_row_passes_in_two_halves_equal_one_pass(monkeypatch):
    """The window and probe passes split across two threads (hessians.row_halves, forced here at
    every size) give the one-piece passes' selection and pruning exactly, and still catch an
    asymmetric or non-finite block."""
    from hessians import row_halves
    from hessians.pair_selection import greedy_pairs
    if row_halves._helper() is None:
        pytest.skip("one core: passes are never split")
    rng = np.random.default_rng(12)
    cases = []
    for t in range(6):
        n = int(rng.integers(50, 300))
        A = rng.integers(-3, 4, (n, n)).astype(np.float32 if t % 2 else np.float64)
        cases.append((A + A.T, rng.integers(1, 8, n)))
    whole = [(greedy_pairs(A, cap, take=0.3), prune(A, d=4, track_eigs=False)) for A, cap in cases]
    monkeypatch.setattr(row_halves, "MIN_ENTRIES", 0)
    for (A, cap), (sel, pr) in zip(cases, whole):
        got = greedy_pairs(A, cap, take=0.3)
        assert got.rounds == sel.rounds > 1
        assert np.array_equal(got.rows, sel.rows) and np.array_equal(got.cols, sel.cols)
        halves = prune(A, d=4, track_eigs=False)
        assert (halves.sparse != pr.sparse).nnz == 0 and halves.kept_fraction == pr.kept_fraction
    for bad, match in ((np.triu(np.ones((40, 40))), "symmetric"), (np.full((40, 40), np.nan), "NaN or Inf")):
        with pytest.raises(InvalidParameterError, match=match):
            prune(bad, d=2)
    parent = row_halves._helper()                  # a forked child (another pid) gets its own helper thread
    monkeypatch.setattr(row_halves.os, "getpid", lambda: -1)
    assert row_halves._helper() is not parent
    assert row_halves.in_halves(lambda: 1, lambda: 2) == (1, 2)


def test_pair_rounds_on_the_device_equal_the_sequential_definition():
    """The parallel rounds (locally dominant pairs) keep exactly the greedy's pairs: ties and zeros,
    float32 and float64, ±inf entries, zero capacities, hub rows that fill first, and a chain of
    increasing weights (each round settles one link at the chain's heavy end: n/2 rounds); with
    rows' lists as short as their capacities (extra 0: many refills) as with the default."""
    from hessians.pair_rounds import greedy_pairs_rounds
    rng = np.random.default_rng(8)
    cases = []
    for t in range(80):
        n = int(rng.integers(1, 50))
        A = rng.integers(-3, 4, (n, n)).astype(float) if t % 2 else rng.standard_normal((n, n))
        A = (A + A.T) / 2
        if t % 5 == 0 and n > 3:
            A[0, 2] = A[2, 0] = np.inf
            A[1, 3] = A[3, 1] = -np.inf
        cases.append((A.astype(np.float32) if t % 3 == 0 else A, rng.integers(0, 6, n)))
    hubs = rng.integers(-2, 3, (200, 200)).astype(float)
    hubs[:8] = 50 + rng.integers(0, 3, (8, 200))
    cases.append((np.maximum(hubs, hubs.T) + np.minimum(hubs, hubs.T), rng.integers(1, 5, 200)))
    chain = np.diag(np.arange(1.0, 60.0), 1)
    cases.append((chain + chain.T, np.ones(60, int)))
    for (A, budget), extra in ((case, extra) for case in cases for extra in (0, 32)):
        cap = np.maximum(budget - (np.diag(A) != 0), 0)
        rows, cols = greedy_pairs_rounds(torch.from_numpy(np.ascontiguousarray(A)), torch.from_numpy(cap), extra)
        keep = np.diag(np.diag(A) != 0)
        keep[rows.numpy(), cols.numpy()] = keep[cols.numpy(), rows.numpy()] = True
        assert np.array_equal(keep, _sequential_greedy(A.astype(float), budget)), A.shape
        assert bool((rows < cols).all()) and np.all(np.diff(rows.numpy() * len(A) + cols.numpy()) > 0)


def test_prune_resident_equals_prune():
    """prune_resident (selection, PD test and repair by torch where the block is) gives prune's
    result: the same CSR arrays, damping, kept fraction and spectrum after the repair; the dense
    block and factor it leaves on the device are that CSR and its Cholesky factor. Without
    λ_min the repair's floor is eigvalsh of the float64 block on the device instead of on the host: equal
    to rounding."""
    from hessians.prune_resident import prune_resident
    rng = np.random.default_rng(9)
    repaired = 0
    for t in range(24):
        n, d = int(rng.integers(5, 80)), int(rng.integers(1, 7))
        X = rng.standard_normal((n, 6))
        H = (X @ X.T).astype(np.float32 if t % 2 else np.float64)
        lam = None if t % 3 == 0 else 0.01
        ref = prune(H.copy(), d=d, track_eigs=False, lambda_min=lam, shift=0.01)
        got = prune_resident(torch.from_numpy(H.copy()), d, lambda_min=lam, shift=0.01)
        r = got.result
        for a in ("indptr", "indices"):
            assert np.array_equal(getattr(r.sparse, a), getattr(ref.sparse, a))
        assert (r.broke_pd, r.kept_fraction, r.max_row_nnz, r.notes == ()) == \
            (ref.broke_pd, ref.kept_fraction, ref.max_row_nnz, ref.notes == ())
        rtol = 1e-12 if lam is None else 0
        np.testing.assert_allclose(r.sparse.data, ref.sparse.data, rtol=rtol)
        np.testing.assert_allclose([r.damping, *r.eigs_after], [ref.damping, *ref.eigs_after], rtol=rtol)
        np.testing.assert_array_equal(got.matrix.numpy(), r.sparse.toarray())
        torch.testing.assert_close(got.factor @ got.factor.T, got.matrix, rtol=1e-12, atol=1e-12)
        repaired += r.broke_pd
    assert repaired >= 10
    for bad, match in ((np.triu(np.ones((4, 4))), "symmetric"), (np.full((4, 4), np.nan), "NaN or Inf")):
        with pytest.raises(InvalidParameterError, match=match):
            prune_resident(torch.from_numpy(bad), 2)


@pytest.mark.parametrize("dtype,span", [(np.int32, 40), (np.int32, 2**30), (np.int64, 2**62)])
def test_window_decisions_equal_a_full_stable_sort_then_the_greedy(dtype, span):
    """The window's decisions (bucketed by the top bits, pairs with a full row dropped before the
    rest is sorted) equal sorting the whole window stably by decreasing key and deciding each pair
    in turn: many ties (span 40), 31- and 63-bit keys, buckets of one to thousands of pairs."""
    from hessians.pair_selection import _accept_in_order
    rng = np.random.default_rng(int(np.log2(span)))
    n, m = 300, 20_000
    key = (1 + rng.integers(0, span, m)).astype(dtype)
    i, j = rng.integers(0, n, m), rng.integers(0, n, m)
    pair = (np.minimum(i, j).astype(np.int64) << 32) | np.maximum(i, j)
    cap = rng.integers(0, 12, n)
    expected, left = [], cap.copy()
    for p in pair[np.argsort(-key.astype(np.int64), kind="stable")]:
        a, b = p >> 32, p & 0xFFFFFFFF
        if left[a] > 0 and left[b] > 0:
            left[a] -= 1
            left[b] -= 1
            expected.append(p)
    got_cap = cap.copy()
    assert np.array_equal(_accept_in_order(key, pair, got_cap), expected) and np.array_equal(got_cap, left)


def test_prune_of_a_float32_block_with_a_shift_equals_prune_of_the_regularised_float64_block():
    """prune(H₃₂, shift=δ): the selection reads float32 as it is and δ is added in float64, so
    the result is prune(regularize(float64(H₃₂), δ)) exactly — pattern, values, factor, repair —
    where the caller gives λ_min; without it the repair's target is λ_min(H) + δ instead of
    λ_min(H + δI), equal to rounding."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 20)).astype(np.float32)
    G = X @ X.T / 20                                              # float32 Gram block, PSD, rank 20
    for d in (3, 12):
        ref = prune(regularize(G.astype(np.float64), 0.05), d=d, track_eigs=False, lambda_min=0.05)
        r = prune(G, d=d, track_eigs=False, lambda_min=0.05, shift=0.05)
        assert ref.broke_pd and r.sparse.dtype == np.float64 and (r.sparse != ref.sparse).nnz == 0
        assert r.damping == ref.damping and r.kept_fraction == ref.kept_fraction
        assert torch.equal(r.cholesky, ref.cholesky)
        ref, r = (prune(M, d=d, track_eigs=False, shift=shift)
                  for M, shift in ((regularize(G.astype(np.float64), 0.05), 0.0), (G, 0.05)))
        assert r.damping == pytest.approx(ref.damping, rel=1e-12)
        np.testing.assert_allclose(r.matrix, ref.matrix, rtol=1e-12, atol=0)
    tracked = prune(G, d=5, shift=0.05)
    np.testing.assert_allclose(tracked.eigs_before, np.linalg.eigvalsh(G.astype(float) + 0.05 * np.eye(200))[[0, -1]],
                               rtol=1e-3)
    with pytest.raises(InvalidParameterError, match="shift"):
        prune(G, d=3, shift=-1.0)


def test_prune_strategies_against_their_definitions():
    H = _spd(30)
    d = 5
    row = prune(H, d=d, repair=False, strategy="rowwise")
    P = row.matrix
    for i in range(30):                                   # each row: its own d largest |h_ij|, verbatim
        kept = np.flatnonzero(P[i])
        assert len(kept) == d and np.array_equal(P[i, kept], H[i, kept])
        assert np.abs(H[i, kept]).min() >= np.sort(np.abs(H[i]))[-d]
    assert not row.symmetric and "not symmetric" in row.notes[0]
    assert row.broke_pd == (np.linalg.eigvalsh((P + P.T) / 2).min() <= 0)
    repaired = prune(H, d=d, strategy="rowwise")
    assert np.linalg.eigvalsh((repaired.matrix + repaired.matrix.T) / 2).min() > 0
    rnd = prune(H, d=d, strategy="random", seed=1)
    assert np.array_equal(rnd.matrix, rnd.matrix.T) and np.count_nonzero(rnd.matrix, axis=1).max() <= d
    assert np.array_equal(rnd.matrix, prune(H, d=d, strategy="random", seed=1).matrix)
    assert not np.array_equal(rnd.matrix, prune(H, d=d, strategy="random", seed=2).matrix)
    band = prune(H, d=d, repair=False, strategy="banded").matrix
    i, j = np.indices(H.shape)
    assert np.array_equal(band != 0, np.abs(i - j) <= 2) and np.array_equal(band[band != 0], H[band != 0])
    with pytest.raises(InvalidParameterError, match="unknown pruning strategy"):
        prune(H, d=d, strategy="topk")


def test_regularize_modes():
    H = _spd(5)
    assert np.allclose(regularize(H, 1.0), H + np.eye(5))
    assert np.allclose(regularize(H, 0.1, "relative"), H + 0.1 * np.mean(np.diag(H)) * np.eye(5))
    with pytest.raises(InvalidParameterError):
        regularize(H, -1.0)
    with pytest.raises(InvalidParameterError):
        regularize(H, 1.0, "weird")


@pytest.mark.parametrize("name,model,x,y", _cases())
def test_fisher_factor_matches_per_sample_loop_and_dense_block(name, model, x, y):
    from hessians import fisher_factor

    Gs = _per_sample_gradients(model, x, y)
    ff = fisher_factor(model, F.cross_entropy, x, y, chunk_size=3)
    torch.testing.assert_close(ff.per_sample_gradients, Gs, rtol=1e-6, atol=1e-10)
    Fexp = (Gs.T @ Gs / x.shape[0]).numpy()
    v = np.random.default_rng(0).standard_normal(Fexp.shape[0])
    np.testing.assert_allclose(ff.matvec(v), Fexp @ v, rtol=1e-8, atol=1e-12)
    lam = np.linalg.eigvalsh(Fexp)
    np.testing.assert_allclose(ff.eigenvalues()[-1], lam[-1], rtol=1e-8)
    delta = 1e-3
    assert ff.kappa(delta) == pytest.approx((lam[-1] + delta) / (max(lam[0], 0) + delta), rel=1e-6)
    with pytest.raises(InvalidParameterError):
        ff.kappa(0.0)


@pytest.mark.parametrize("bias, loss", [(True, "ce"), (False, "ce"), (True, "mse"), (False, "F.mse_loss"),
                                        (True, "F.huber_loss"), (True, "sum")])
def test_leading_linear_fast_path_matches_autograd(bias, loss):
    """The leading-Linear path against autograd's Hessian; F.mse_loss (fails under forward-mode
    AD of its backward in torch 2.x) and F.huber_loss (has none) take reverse-over-reverse."""
    from hessians import first_linear
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 4, bias=bias), nn.Sigmoid(), nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 3)).double()
    x = torch.randn(7, 5, dtype=D)
    if loss == "mse":
        y, fn = torch.randn(7, 3, dtype=D), (lambda o, t: ((o - t) ** 2).mean())
    elif loss.startswith("F."):
        y, fn = torch.randn(7, 3, dtype=D), getattr(F, loss[2:])
    elif loss == "ce":
        y, fn = torch.randint(0, 3, (7,)), F.cross_entropy
    else:   # a summed loss is not a per-sample mean: the generic path must take it
        y, fn = torch.randint(0, 3, (7,)), (lambda o, t: F.cross_entropy(o, t, reduction="sum"))
    names = [n for n, _ in model.named_parameters()]
    assert first_linear.applies(model, fn, x, y, names) == (loss != "sum")
    params = dict(model.named_parameters())
    shapes, numels = [p.shape for p in params.values()], [p.numel() for p in params.values()]

    def f(flat):
        parts = torch.split(flat, numels)
        return fn(torch.func.functional_call(model, {n: t.reshape(s) for n, t, s in zip(names, parts, shapes)},
                                             (x,)), y)

    H = torch.autograd.functional.hessian(f, torch.cat([p.detach().reshape(-1) for p in params.values()]))
    (full,) = capture(model, fn, x, y, structure="full", kind="exact", progress=False)
    torch.testing.assert_close(full.matrix, H, rtol=1e-9, atol=1e-12)
    (single,) = capture(model.float(), fn, x.float(), y.float() if y.is_floating_point() else y, structure="full",
                        kind="exact", progress=False)
    model.double()
    assert torch.equal(single.matrix, single.matrix.T)     # exactly: float32 GEMM blocks are not by themselves
    for b in capture(model, fn, x, y, structure="layer", kind="exact", progress=False):
        sl = slice(b.offset, b.offset + b.size)
        torch.testing.assert_close(b.matrix, H[sl, sl], rtol=1e-9, atol=1e-12)


def test_a_damaged_kernel_cache_is_recompiled_with_a_warning(tmp_path):
    """numba's cache files of a kernel made by hessians.jit_cache.njit, overwritten with garbage
    (an interrupted copy, a bad disk), are a miss: the kernel recompiles with one warning, gives
    the same answer, and the next run loads the rewritten cache silently."""
    import subprocess
    import sys
    (tmp_path / "kernel.py").write_text("from hessians.jit_cache import njit\n\n\n@njit()\ndef twice(x):\n"
                                        "    return 2 * x\n")
    run = [sys.executable, "-W", "always", "-c", "import kernel; print(kernel.twice(21))"]

    def go():
        out = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip(), out.stderr
    assert go() == ("42", "")
    files = list((tmp_path / "__pycache__").glob("kernel.twice-*.nb[ic]"))
    assert {f.suffix for f in files} == {".nbi", ".nbc"}
    for f in files:
        f.write_bytes(b"garbage")
    answer, warned = go()
    assert answer == "42" and "cache of twice is unreadable" in warned and "recompiling" in warned
    assert go() == ("42", "")
