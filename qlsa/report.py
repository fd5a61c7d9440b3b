"""Plain-text tables for the CLI: value and where it came from, one row each."""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

from .serialization import jsonable


def fmt(value: Any) -> str:
    """Compact human formatting: 4 significant digits for floats, ∞ spelled out."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "∞"
        return f"{value:.4g}"
    return str(value)


def table(rows: Iterable[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    """Left-aligned columns separated by two spaces."""
    cells = [[fmt(c) for c in r] for r in rows]
    if header:
        cells.insert(0, list(header))
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(max(map(len, cells)))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    if header:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def check_output_path(path: str | Path | None) -> None:
    """Refuse, before any work, an output path that is a directory or lies under a file."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(target))
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(parent))
            break


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path`` (``os.replace``),
    on failure delete it: a reader never sees half a file, a failed run leaves none. The file gets
    the permissions a plain ``open`` would give it (0666 less the umask), not mkstemp's 0600."""
    target = Path(path)
    check_output_path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(obj: Any, path: str | Path | None = None) -> str:
    """Serialise ``obj`` (dataclass or dict) to indented JSON; also write it to ``path`` if given,
    atomically (:func:`atomic_output`)."""
    text = json.dumps(jsonable(obj), indent=2, ensure_ascii=False)
    if path is not None:
        write_text(path, text + "\n")
    return text
