"""``python -m holopack.bench``: the same command as ``holopack bench``."""

import sys

from ..cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    return cli_main(["bench", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
