"""The `fangpin` command: demo, init, serve, worker, createuser, import, imports, export, backup, restore and
every Django command."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        # The demo is for trying the product out locally: show debug pages there, nowhere else.
        os.environ.setdefault("FANGPIN_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    from django.core.management import execute_from_command_line

    if argv and not argv[0].startswith("-"):
        argv[0] = argv[0].replace("-", "_")  # `fangpin monthly-list` runs the monthly_list command
    execute_from_command_line(["fangpin", *(argv or ["help"])])


if __name__ == "__main__":
    main()
