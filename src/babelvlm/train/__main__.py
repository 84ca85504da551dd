"""``python -m babelvlm.train RECIPE ...``: the train command as a module, for
``accelerate launch --config_file CONFIG -m babelvlm.train RECIPE --model hf:DIR --data PATH --out DIR``."""

from __future__ import annotations

import logging

import typer

from babelvlm.train.cli import train_command


def main() -> None:
    """Entry point of ``python -m babelvlm.train``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    typer.run(train_command)


if __name__ == "__main__":
    main()
