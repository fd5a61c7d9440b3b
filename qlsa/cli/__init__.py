"""The ``qlsa`` command line. Subcommands import their packages lazily so ``--help`` is fast.

One module per subcommand (``estimate``, ``calibrate``, ``circuit``, ``train``), each with
``add_<name>(sub)`` and the ``_run_<name>(args)`` it registers. Bad input raises a
:class:`qlsa.errors.QlsaError`; ``main`` prints its one-line message on stderr and exits with
code 2 (argparse errors exit 2 as well).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from qlsa.errors import QlsaError


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    return value


def _subcommands():
    from . import calibrate, circuit, estimate, train
    return (estimate.add_estimate, calibrate.add_calibrate, circuit.add_circuit, train.add_train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qlsa", description="Quantum linear-solver resource estimation, "
                                     "circuits, and Q-Newton hybrid training.")
    parser.add_argument("--version", action="version", version="qlsa 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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
    except KeyboardInterrupt:
        print(f"qlsa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
