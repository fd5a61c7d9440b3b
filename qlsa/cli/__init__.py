"""The ``qlsa`` command line. Subcommands import their packages lazily so ``--help`` is fast.

One module per subcommand (``estimate``, ``calibrate``, ``circuit``, ``train``), each with
``add_<name>(sub)`` and the ``_run_<name>(args)`` it registers. The one error path is
:func:`main`: a :class:`qlsa.errors.QlsaError`, an OS-level failure to read or write a path
and a usage error each become one line ``qlsa <cmd>: error: <what> (<what to do>)`` on stderr
and exit code 2; a closed pipe on stdout (``qlsa … | head``) ends quietly with 141, as SIGPIPE
would; any other exception is a bug and keeps its traceback, with a line saying so.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from qlsa.errors import QlsaError


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    return value


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line with a pointer to --help (argparse prints its usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _os_error(exc: OSError) -> str:
    """One line for a path that cannot be read or written."""
    where = f"{exc.filename}: " if exc.filename else ""
    what = exc.strerror or str(exc)
    hint = {IsADirectoryError: "give a file path, not a directory",
            NotADirectoryError: "a parent of the path is a file; give a path inside a directory",
            FileNotFoundError: "check the path; output folders must exist or be creatable",
            PermissionError: "choose a path you can write to",
            FileExistsError: "a file is in the way of a directory; move it or choose another path"}
    return f"{where}{what} ({next((h for t, h in hint.items() if isinstance(exc, t)), 'check the path')})"


def _subcommands():
    from . import calibrate, circuit, estimate, sweep, train
    return (estimate.add_estimate, calibrate.add_calibrate, circuit.add_circuit, train.add_train, sweep.add_sweep)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qlsa", description="Quantum linear-solver resource estimation, "
                     "circuits, and Q-Newton hybrid training.")
    parser.add_argument("--version", action="version", version="qlsa 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in _subcommands():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except QlsaError as exc:
        print(f"qlsa {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:            # the reader went away (``qlsa … | head``): stop quietly, as SIGPIPE would
        try:                           # no second error when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is no file descriptor (captured, embedded)
            pass
        return 128 + 13
    except OSError as exc:
        print(f"qlsa {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"qlsa {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:
        import traceback
        traceback.print_exc()
        print(f"qlsa {args.command}: internal error — this is a bug in qlsa; please report it with the "
              "command line above", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
