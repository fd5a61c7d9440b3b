"""Datasets for the trainer: scikit-learn's embedded handwritten digits (offline), or MNIST
from IDX files / an ``mnist.npz`` that the user provides (pixels scaled to [0, 1]); for the
GPT, character-level text: ``text`` is built from the docstrings of the running Python's
standard library (no download; its SHA-256 and the Python version identify it), ``wikitext``
reads the WikiText files a user has (``wiki.train.tokens`` / ``wiki.test.tokens``, or ``.raw``)."""

from __future__ import annotations

import gzip
import hashlib
import importlib
import inspect
import platform
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qlsa.errors import InvalidParameterError, MatrixFileError

DATASETS = ("digits", "mnist", "text", "wikitext")
TEXT_DATASETS = ("text", "wikitext")
CONTEXT = 16                       # characters per GPT training sequence
# the alphabet: lower case, digits, space, newline and common punctuation (upper case is lowered,
# every other character dropped)
ALPHABET = "\n abcdefghijklmnopqrstuvwxyz0123456789.,;:'\"()-_=[]*/"
_STDLIB_MODULES = ("argparse", "collections", "contextlib", "csv", "dataclasses", "datetime", "decimal",
                   "difflib", "email.message", "fractions", "functools", "heapq", "inspect", "io", "itertools",
                   "json", "logging", "math", "os", "pathlib", "pickle", "random", "re", "shutil", "statistics",
                   "string", "subprocess", "tarfile", "textwrap", "threading", "typing", "unittest", "zipfile")
_IDX = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    vocab: str | None = None          # text: the alphabet, token k is vocab[k]
    source: str | None = None         # text: where the corpus came from and its SHA-256

    @property
    def num_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def num_classes(self) -> int:
        if self.vocab is not None:
            return len(self.vocab)
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_dataset(name: str = "digits", data_dir: str | Path | None = None, seed: int = 0) -> Dataset:
    """``digits``: 8×8 images, 1797 samples, split 80/20 by ``seed``; ``mnist``: 28×28 from ``data_dir``."""
    if name == "digits":
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        perm = np.random.default_rng(seed).permutation(len(y))
        cut = int(0.8 * len(y))
        tr, te = perm[:cut], perm[cut:]
        return _tensors("digits", x[tr] / 16.0, y[tr], x[te] / 16.0, y[te])
    if name == "mnist":
        if data_dir is None:
            raise InvalidParameterError("--dataset mnist needs --data-dir with the IDX files or mnist.npz")
        return _load_mnist(Path(data_dir))
    if name == "text":
        text = stdlib_corpus()
        cut = int(0.9 * len(text))
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return _sequences("text", text[:cut], text[cut:],
                          f"docstrings of {len(_STDLIB_MODULES)} standard-library modules, Python "
                          f"{platform.python_version()}, {len(text):,} characters, sha256 {digest}…")
    if name == "wikitext":
        if data_dir is None:
            raise InvalidParameterError("--dataset wikitext needs --data-dir with wiki.train.tokens and wiki.test.tokens")
        return _load_wikitext(Path(data_dir))
    raise InvalidParameterError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def stdlib_corpus() -> str:
    """The module docstrings and public functions' and classes' docstrings of a fixed list of
    standard-library modules, in name order, lowered and restricted to :data:`ALPHABET`."""
    parts = []
    for mod_name in _STDLIB_MODULES:
        mod = importlib.import_module(mod_name)
        parts.append(inspect.getdoc(mod) or "")
        for attr in sorted(a for a in vars(mod) if not a.startswith("_")):
            with warnings.catch_warnings():                   # typing.io & co. warn on access
                warnings.simplefilter("ignore", DeprecationWarning)
                obj = getattr(mod, attr)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", None) == mod.__name__:
                parts.append(inspect.getdoc(obj) or "")
    return _normalise("\n\n".join(p for p in parts if p))


_OUTSIDE = re.compile(f"[^{re.escape(ALPHABET)}]")
_TOKEN = np.full(128, -1, dtype=np.int64)
_TOKEN[[ord(ch) for ch in ALPHABET]] = np.arange(len(ALPHABET))


def _normalise(text: str) -> str:
    """Lower case, every character outside :data:`ALPHABET` dropped."""
    return _OUTSIDE.sub("", text.lower())


def _sequences(name: str, train: str, test: str, source: str) -> Dataset:
    """Non-overlapping windows of :data:`CONTEXT` characters; targets are the inputs shifted by one."""
    def windows(text: str) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.from_numpy(_TOKEN[np.frombuffer(text.encode("ascii"), dtype=np.uint8)])   # ALPHABET is ASCII
        n = (len(ids) - 1) // CONTEXT
        if n < 1:
            raise MatrixFileError(f"{name}: {len(ids)} characters is too short for one {CONTEXT}-character sequence")
        return ids[: n * CONTEXT].view(n, CONTEXT), ids[1: n * CONTEXT + 1].view(n, CONTEXT)

    (xtr, ytr), (xte, yte) = windows(train), windows(test)
    return Dataset(name, xtr, ytr, xte, yte, ALPHABET, source)


def _load_wikitext(d: Path) -> Dataset:
    if not d.is_dir():
        raise InvalidParameterError(f"data directory {d} does not exist")
    texts = {}
    for split in ("train", "test"):
        path = next((d / f"wiki.{split}.{ext}" for ext in ("tokens", "raw") if (d / f"wiki.{split}.{ext}").is_file()),
                    None)
        if path is None:
            raise InvalidParameterError(f"{d} has no wiki.{split}.tokens (nor .raw); give the WikiText-2 or -103 "
                                        "directory")
        try:
            texts[split] = _normalise(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise MatrixFileError(f"{path}: not UTF-8 text ({exc.reason}); give the WikiText files as "
                                  "distributed") from None
    return _sequences("wikitext", texts["train"], texts["test"], f"WikiText from {d}")


def _tensors(name, xtr, ytr, xte, yte) -> Dataset:
    f = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32).reshape(len(a), -1))  # noqa: E731
    i = lambda a: torch.as_tensor(np.asarray(a, dtype=np.int64))  # noqa: E731
    return Dataset(name, f(xtr), i(ytr), f(xte), i(yte))


def _load_mnist(d: Path) -> Dataset:
    if not d.is_dir():
        raise InvalidParameterError(f"data directory {d} does not exist")
    npz = d / "mnist.npz"
    if npz.is_file():
        try:
            with np.load(npz, allow_pickle=False) as z:
                missing = [k for k in _IDX if k not in z.files]
                if missing:
                    raise MatrixFileError(f"{npz}: missing arrays {missing}; expected x_train, y_train, x_test, "
                                          "y_test")
                arrays = {k: z[k] for k in _IDX}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:   # object arrays (pickle), not a zip
            raise MatrixFileError(f"{npz}: not a readable numeric mnist.npz ({str(exc).splitlines()[0]}); save "
                                  "x_train, y_train, x_test, y_test with numpy.savez") from None
    else:
        arrays = {}
        for key, stem in _IDX.items():
            path = next((p for p in (d / stem, d / f"{stem}.gz") if p.is_file()), None)
            if path is None:
                raise InvalidParameterError(f"{d} has no {stem}[.gz] (nor mnist.npz); download the MNIST IDX files "
                                            "there")
            arrays[key] = read_idx(path)
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y) or np.ndim(y) != 1:
            raise MatrixFileError(f"{d}: {split} set has {len(x)} images but {len(y)} labels (shape {np.shape(y)}); "
                                  "give matching image and label files")
        if not (np.issubdtype(np.asarray(x).dtype, np.number) and np.issubdtype(np.asarray(y).dtype, np.integer)):
            raise MatrixFileError(f"{d}: {split} images must be numeric and labels integers")
    return _tensors("mnist", arrays["x_train"] / 255.0, arrays["y_train"], arrays["x_test"] / 255.0,
                    arrays["y_test"])


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (LeCun's MNIST format; gzip allowed): magic 0x0000 0x08 ndim, big-endian dims, uint8."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (gzip.BadGzipFile, EOFError) as exc:
        raise MatrixFileError(f"{path}: not a gzip file ({exc}); give the .gz as downloaded, or the unpacked "
                              "IDX file without .gz") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise MatrixFileError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise MatrixFileError(f"{path}: truncated IDX file ({body.size} of {int(np.prod(dims))} bytes)")
    return body.reshape(dims)
