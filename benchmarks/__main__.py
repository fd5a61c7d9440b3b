"""``python -m benchmarks [NAME ...] [--out FILE]`` — run benchmarks, print ratios, write JSON."""

import argparse

from .runner import BENCHMARKS, load_all, run

parser = argparse.ArgumentParser(prog="python -m benchmarks")
parser.add_argument("names", nargs="*", help="benchmarks to run (default all)")
parser.add_argument("--out", default="bench-results.json", help="JSON output file")
parser.add_argument("--list", action="store_true")
args = parser.parse_args()
if args.list:
    load_all()
    print("\n".join(BENCHMARKS))
else:
    run(args.names or None, args.out)
