"""The ``omni`` command. Each sub-command lives in its own module of this package, which
exposes ``register(subparsers)``; the sub-command's function receives the parsed arguments
and returns an exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from features.errors import OmniError

#: sub-command modules, in the order ``omni --help`` lists them
COMMAND_MODULES = (
    "demo",
    "evaluate",
    "tune",
    "fit",
    "predict",
    "build_bench",
    "zc",
    "ws",
    "search",
    "predictors",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omni", description="OMNI performance prediction for NAS")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"omni.cli.{name}_cmd").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except OmniError as err:
        print(f"omni {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"omni {args.command}: interrupted (rerun to resume where supported)", file=sys.stderr
        )
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
