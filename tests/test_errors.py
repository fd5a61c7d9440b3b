"""Bad input, by class: each is refused with one line and exit 2 (CLI) or a typed QlsaError (API),
nothing is written on failure, caches survive corruption, oversized circuits are counted, not
built, and a real bug keeps its traceback."""

import json
import os

import numpy as np
import pytest
import torch

import qlsa
from estimators import estimate
from estimators.classical_cost import classical_cost_model, machine_id
from estimators.examples import laplacian_2d
from qlsa.cli import main
from qlsa.errors import InvalidMatrixError, InvalidParameterError, QlsaError
from qlsa.report import atomic_output, write_json


def _one_line(capsys, code, match):
    err = capsys.readouterr().err
    assert code == 2, err
    assert match in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


@pytest.fixture
def files(tmp_path):
    np.save(tmp_path / "A.npy", np.array([[2.0, 0.5], [0.5, 1.0]]))
    np.save(tmp_path / "b3.npy", np.ones(3))
    np.save(tmp_path / "bnan.npy", np.array([1.0, np.nan]))
    np.save(tmp_path / "b0.npy", np.zeros(2))
    return tmp_path


# 1. silent wrong answers -------------------------------------------------------------------------
@pytest.mark.parametrize("extra, match", [(["--b", "{d}/b3.npy"], "has 3 entries; the matrix needs 2"),
                                          (["--b", "{d}/bnan.npy"], "NaN"),
                                          (["--b", "{d}/b0.npy"], "all zeros"),
                                          (["--epsilon", "1.5"], "epsilon must lie in (0, 1)")])
def test_circuit_qsvt_refuses_bad_b_and_epsilon(files, capsys, extra, match):
    _one_line(capsys, main(["circuit", "qsvt", str(files / "A.npy"), *[a.format(d=files) for a in extra]]), match)


def test_train_refuses_mismatched_mnist_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "mn").mkdir()
    np.savez(tmp_path / "mn" / "mnist.npz", x_train=np.zeros((5, 4)), y_train=np.zeros(4, int),
             x_test=np.zeros((2, 4)), y_test=np.zeros(2, int))
    out = tmp_path / "out"
    code = main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "mn"), "--out", str(out)])
    _one_line(capsys, code, "5 images but 4 labels")
    assert not out.exists()


# 2. tracebacks instead of one line ---------------------------------------------------------------
@pytest.mark.parametrize("method, eps", [("hhl", "0"), ("hhl", "nan"), ("jennings", "-1")])
def test_circuit_epsilon_out_of_domain(files, capsys, method, eps):
    _one_line(capsys, main(["circuit", method, str(files / "A.npy"), "--epsilon", eps]), "epsilon")


@pytest.mark.parametrize("argv, match", [
    (["circuit", "hhl", "{d}/A.npy", "--qasm", "{d}/A.npy/x.qasm"], "is a file, not a folder"),
    (["circuit", "hhl", "{d}/A.npy", "--qasm", "{d}"], "directory"),
    (["circuit", "hhl", "{d}/A.npy", "--draw", "mpl", "--out", "{d}/A.npy/x.png"], "is a file, not a folder"),
    (["estimate", "{d}/A.npy", "--out", "{d}"], "is a directory"),
    (["calibrate", "--backend", "fake_sherbrooke", "--out", "{d}"], "is a directory"),
])
def test_output_paths_that_cannot_be_written(files, capsys, argv, match):
    _one_line(capsys, main([a.format(d=files) for a in argv]), match)


def test_missing_output_folders_are_created(files, capsys):
    assert main(["circuit", "hhl", str(files / "A.npy"), "--qasm", str(files / "new" / "x.qasm")]) == 0
    assert (files / "new" / "x.qasm").is_file() and not list((files / "new").glob(".*.tmp"))


def _checkpoint(tmp_path, payload) -> str:
    d = tmp_path / "ck"
    d.mkdir()
    if isinstance(payload, bytes):
        (d / "checkpoint.pt").write_bytes(payload)
    else:
        torch.save(payload, d / "checkpoint.pt")
    return str(d)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("payload, match", [(os.urandom(64), "not a torch checkpoint"),
                                            ({"x": _Evil()}, "Python objects beyond tensors"),
                                            ({"x": torch.zeros(2)}, "without the trainer's config")])
def test_resume_of_a_bad_checkpoint(tmp_path, capsys, payload, match):
    _one_line(capsys, main(["train", "--resume", _checkpoint(tmp_path, payload)]), match)


def test_bad_data_files(tmp_path, capsys):
    (tmp_path / "idx").mkdir()
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (tmp_path / "idx" / f"{stem}.gz").write_bytes(b"not gzip")
    code = main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "idx"), "--out", str(tmp_path / "o")])
    _one_line(capsys, code, "not a gzip file")
    np.savez(tmp_path / "obj.npz", a=np.array([None, 1], dtype=object))
    _one_line(capsys, main(["estimate", str(tmp_path / "obj.npz")]), "pickle")
    assert not (tmp_path / "o").exists()


# 3. output written on failure --------------------------------------------------------------------
@pytest.mark.parametrize("argv, match", [(["--dataset", "nope"], "unknown dataset"),
                                         (["--dataset", "mnist", "--data-dir", "{d}/absent"], "does not exist"),
                                         (["--gate-time", "0"], "gate time"),
                                         (["--gate-time", "-1"], "gate time"),
                                         (["--regularization", "nan"], "regularisation")])
def test_train_validates_before_creating_its_outputs(tmp_path, capsys, argv, match):
    out = tmp_path / "out"
    _one_line(capsys, main(["train", *[a.format(d=tmp_path) for a in argv], "--out", str(out)]), match)
    assert not out.exists()


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "r.json"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert list(tmp_path.iterdir()) == []
    write_json({"a": 1}, target)
    assert json.loads(target.read_text()) == {"a": 1} and len(list(tmp_path.iterdir())) == 1
    plain = tmp_path / "plain.txt"
    plain.write_text("x")                       # what open() gives under this umask, not mkstemp's 0600
    assert (target.stat().st_mode & 0o777) == (plain.stat().st_mode & 0o777)


# 4. caches ---------------------------------------------------------------------------------------
def test_cache_with_wrong_types_is_refitted_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv("QLSA_CACHE_DIR", str(tmp_path))
    path = tmp_path / f"classical_cholesky_torch_{machine_id()}.json"
    path.write_text(json.dumps({"solver": "cholesky", "c1": "fast", "c2": 0, "machine": "m", "fitted_at": "x",
                                "sizes": [1], "seconds": [1.0]}))
    model = classical_cost_model("cholesky")
    assert isinstance(model.c1, float) and model.c1 > 0
    assert json.loads(path.read_text())["c1"] == model.c1
    assert [p.name for p in tmp_path.iterdir()] == [path.name]            # no temporary left behind


def test_cache_dir_that_is_a_file(tmp_path, monkeypatch, capsys, files):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("QLSA_CACHE_DIR", str(tmp_path / "file"))
    _one_line(capsys, main(["estimate", str(files / "A.npy")]), "is a file; point QLSA_CACHE_DIR at a directory")


# 5. too large: decided up front ------------------------------------------------------------------
@pytest.mark.parametrize("method, matrix", [("lcu", "random128"), ("dense", "laplacian1024"), ("hhl", "random64")])
def test_oversized_circuits_are_counted_not_built(tmp_path, capsys, method, matrix):
    if matrix.startswith("random"):
        N = int(matrix[6:])
        X = np.random.default_rng(0).standard_normal((N, N))
        A = X + X.T + N * np.eye(N)
    else:
        A = laplacian_2d(32).toarray()
    np.save(tmp_path / "A.npy", A)
    assert main(["circuit", method, str(tmp_path / "A.npy"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["built"].startswith("no") and "gates predicted" in rep["built"] and "gate_counts" not in rep


# 6. API errors are QlsaErrors --------------------------------------------------------------------
def test_api_errors_are_typed():
    with pytest.raises(InvalidMatrixError, match="rectangular"):
        estimate([[1.0, 2.0], [3.0]])
    with pytest.raises(InvalidMatrixError, match="rectangular"):
        qlsa.block_encoding([[1.0, 2.0], [3.0]], "lcu")
    with pytest.raises(InvalidParameterError, match="missing"):
        qlsa.solve(np.eye(2), None)
    with pytest.raises(InvalidMatrixError, match="zero matrix"):
        qlsa.block_encoding(np.zeros((4, 4)), "lcu")
    assert estimate(np.eye(4) * 2, epsilon=np.float32(0.01)).epsilon == pytest.approx(0.01)
    assert issubclass(InvalidMatrixError, QlsaError)


# 7. usage errors and real bugs -------------------------------------------------------------------
def test_usage_errors_are_one_line_with_a_help_pointer(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["estimate", "--epsilon"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1 and "qlsa estimate --help" in err


def test_an_unexpected_exception_keeps_its_traceback_and_says_bug(monkeypatch, capsys, files):
    import qlsa.cli.estimate as cli_estimate

    def broken(args):
        raise RuntimeError("boom")
    monkeypatch.setattr(cli_estimate, "_run_estimate", broken)
    assert main(["estimate", str(files / "A.npy")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err and "bug in qlsa" in err


def test_a_closed_pipe_on_stdout_ends_quietly(monkeypatch, capsys):
    """``qlsa … | head``: the reader goes away; no error line, no traceback, exit 141 (SIGPIPE's)."""
    import qlsa.cli.estimate as cli_estimate

    def closed(args):
        raise BrokenPipeError(32, "Broken pipe")
    monkeypatch.setattr(cli_estimate, "_run_estimate", closed)
    assert main(["estimate", "x.npy"]) == 141
    assert capsys.readouterr().err == ""
