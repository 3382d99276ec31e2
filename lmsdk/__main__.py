"""``python -m lmsdk`` (and ``torchrun ... -m lmsdk train ...``) runs the CLI."""

from lmsdk.cli import main

main()
