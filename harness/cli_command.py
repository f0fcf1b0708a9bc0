"""What a `checkout-harness` subcommand is: its name, help, arguments and what it runs. Each
command module lists its own in COMMANDS; harness/cli.py joins the lists (no registry filled by
imports, and no module importing the CLI back)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
