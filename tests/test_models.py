"""The trainer's models (MLP, CNN, tiny GPT), the text corpora, and the GPT through the trainer."""

import numpy as np
import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from hessians import capture
from qlsa.cli import main
from qlsa.errors import InvalidParameterError, MatrixFileError
from scheduler import TrainConfig, Trainer
from scheduler.data import ALPHABET, CONTEXT, load_dataset, stdlib_corpus
from scheduler.models import TinyGPT, build_model, lm_loss
from tests.conftest import flat_loss

D = torch.float64


def _hessian(model, x, y):
    """∇²L by torch.autograd.functional on the flattened parameters (math attention kernel)."""
    f, flat = flat_loss(model, x, y, lm_loss)
    with sdpa_kernel(SDPBackend.MATH):
        return torch.autograd.functional.hessian(f, flat)


def test_gpt_is_causal_and_its_curvature_matches_autograd():
    torch.manual_seed(0)
    model = TinyGPT(vocab=7, context=4, dim=4, heads=2).double()
    x, y = torch.randint(0, 7, (3, 4)), torch.randint(0, 7, (3, 4))
    x2 = x.clone()
    x2[:, 3] = (x[:, 3] + 1) % 7                      # change the last token only
    with torch.no_grad():
        torch.testing.assert_close(model(x)[:, :3], model(x2)[:, :3])     # earlier positions do not see it
        assert not torch.allclose(model(x)[:, 3], model(x2)[:, 3])
    H = _hessian(model, x, y)
    # capture itself switches F.scaled_dot_product_attention to its twice-differentiable math kernel
    for structure in ("full", "layer", "param"):
        for b in capture(model, lm_loss, x, y, structure=structure, kind="exact", progress=False):
            sl = slice(b.offset, b.offset + b.size)
            torch.testing.assert_close(b.matrix, H[sl, sl], rtol=1e-6, atol=1e-9)
    blocks = capture(model, lm_loss, x, y, structure="layer", kind="ggn", progress=False)
    assert [b.name for b in blocks] == ["tok", "pos", "ln1", "ln2", "ln_f", "attn.qkv", "attn.proj", "fc", "out",
                                        "head"]
    assert all(torch.linalg.eigvalsh(b.matrix).min() > -1e-10 for b in blocks)  # PSD for cross-entropy


def test_model_builders_and_bad_shapes():
    x = torch.rand(5, 64)
    assert build_model("mlp", 64, 10, 16, 0)(x).shape == (5, 10)
    cnn = build_model("cnn", 64, 10, 16, 0)
    assert cnn(x).shape == (5, 10) and sum(p.numel() for p in cnn.parameters()) == 40 + 296 + 330
    assert build_model("gpt", CONTEXT, len(ALPHABET), 16, 0)(torch.zeros(2, CONTEXT, dtype=torch.long)).shape == \
        (2, CONTEXT, len(ALPHABET))
    with pytest.raises(InvalidParameterError, match="square images"):
        build_model("cnn", 60, 10, 16, 0)
    with pytest.raises(InvalidParameterError, match="unknown model 'resnet'"):
        build_model("resnet", 64, 10, 16, 0)
    with pytest.raises(InvalidParameterError, match="not divisible"):
        TinyGPT(7, 4, dim=6, heads=4)


def test_text_corpus_windows_and_wikitext(tmp_path):
    text = stdlib_corpus()
    assert text == stdlib_corpus() and len(text) > 100_000 and set(text) <= set(ALPHABET)
    d = load_dataset("text")
    assert d.num_classes == len(ALPHABET) and d.x_train.shape[1] == CONTEXT and "sha256" in d.source
    # targets are the inputs shifted by one character, across window boundaries too
    assert torch.equal(d.x_train[:, 1:], d.y_train[:, :-1]) and torch.equal(d.x_train[1:, 0], d.y_train[:-1, -1])
    assert "".join(ALPHABET[k] for k in d.x_train[0]) == text[:CONTEXT]
    with pytest.raises(InvalidParameterError, match="--data-dir"):
        load_dataset("wikitext")
    with pytest.raises(InvalidParameterError, match="no wiki.train.tokens"):
        load_dataset("wikitext", tmp_path)
    (tmp_path / "wiki.train.tokens").write_text(" = Valkyria Chronicles = \n The game began development in 2010 .\n" * 20)
    (tmp_path / "wiki.test.tokens").write_text(" = Robert Boulter = \n Robert Boulter is an English actor .\n" * 5)
    w = load_dataset("wikitext", tmp_path)
    assert "".join(ALPHABET[k] for k in w.x_train[0]) == " = valkyria chro"
    (tmp_path / "wiki.test.tokens").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(MatrixFileError, match="not UTF-8"):
        load_dataset("wikitext", tmp_path)


def test_gpt_trains_with_per_layer_newton_blocks(tmp_path, fixed_model):
    cfg = TrainConfig(model="gpt", dataset="text", methods=("adam", "qnewton"), steps=6, warmup=2, batch_size=32,
                      target_loss=0.5)
    t = Trainer(cfg, tmp_path, progress=False, classical_model=fixed_model)
    res = {r.method: r for r in t.run()}
    hist = [h for h in t.history if h["method"] == "qnewton"]
    assert hist[-1]["test_loss"] < hist[0]["test_loss"] < np.log(len(ALPHABET)) + 0.5
    rows = [r for r in t.ledger if r.method == "qnewton"]
    assert {r.block for r in rows} == {"tok", "pos", "ln1", "ln2", "ln_f", "attn.qkv", "attn.proj", "fc", "out",
                                       "head"}
    assert res["qnewton"].warmup_steps == 2 and res["qnewton"].final_test_loss == pytest.approx(hist[-1]["test_loss"])


@pytest.mark.parametrize("argv,match", [
    (["train", "--model", "resnet"], "unknown model 'resnet'"),
    (["train", "--model", "gpt", "--dataset", "digits"], "--model gpt does not train on --dataset digits"),
    (["train", "--model", "mlp", "--dataset", "text"], "--model mlp does not train on --dataset text"),
    (["train", "--model", "gpt", "--target-loss", "-1"], "target loss"),
    (["train", "--device", "tpu"], "device"),
])
def test_cli_train_model_bad_input(argv, match, capsys, tmp_path):
    code = main(argv + ["--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_cuda_asked_for_where_there_is_none(capsys, tmp_path):
    assert main(["train", "--device", "cuda", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no CUDA device" in err and "--device cpu" in err and len(err.strip().splitlines()) == 1


def test_cli_gpt_defaults_are_the_trainers(tmp_path, capsys):
    import json

    from scheduler.trainer import GPT_NEWTON, GPT_TARGET_LOSS
    assert main(["train", "--model", "gpt", "--steps", "1", "--methods", "adam", "--json", "--out", str(tmp_path)]) == 0
    cfg = json.loads((tmp_path / "report.json").read_text())["config"]
    assert cfg["dataset"] == "text" and cfg["target_loss"] == GPT_TARGET_LOSS
    assert {k: cfg["newton"][k] for k in GPT_NEWTON} == GPT_NEWTON
    assert json.loads(capsys.readouterr().out)["methods"][0]["final_test_loss"] > 0
