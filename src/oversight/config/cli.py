"""What every `oversight` command does with its settings and with a user's mistake.

A command reads the settings with `settings_or_exit()`: a bad setting is one line on stderr
naming it (`error: invalid setting OVERSIGHT_…`) and exit status 2, never a traceback. A
user error is `fail(message)`: each line prefixed `error: ` on stderr, then a non-zero exit
(1 by default, 2 for bad input to the command itself). A folder the command will write into
is checked with `folder_or_exit(path, option)` before the command starts its work.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import typer

from oversight.config.local import take_announcements
from oversight.config.settings import Settings, SettingsError, get_settings

SETTINGS_ERROR_EXIT = 2


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` on stderr, one unwrapped line per problem, and exit with `code`."""
    typer.echo("\n".join(f"error: {line}" for line in message.splitlines()), err=True)
    raise typer.Exit(code)


def exit_for_settings_error(error: SettingsError) -> NoReturn:
    """The one answer to a bad setting: its line on stderr, exit status 2.

    Raises SystemExit rather than typer.Exit so that it also ends the process from outside
    a command (the console script's own guard, for settings read deeper than a command).
    """
    typer.echo("\n".join(f"error: {line}" for line in str(error).splitlines()), err=True)
    raise SystemExit(SETTINGS_ERROR_EXIT)


def settings_or_exit() -> Settings:
    """The process's settings; a bad setting ends the command (exit 2) with one line."""
    try:
        settings = get_settings()
    except SettingsError as error:
        exit_for_settings_error(error)
    for line in take_announcements():
        typer.echo(line, err=True)
    return settings


def folder_or_exit(path: Path, option: str) -> Path:
    """`path`, a folder the command will write into, checked before any work is done: it is
    a folder, or can be made one (its nearest existing ancestor is a folder this process may
    write in). Anything else is one line naming `option` and the path, exit 2."""
    ancestor = path.absolute()
    # os.path.exists: False on any OSError (a file on the way, no permission), not a raise.
    while not os.path.exists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor == path.absolute() and not ancestor.is_dir():
        fail(f"{option}: {path} is a file, not a folder", code=2)
    if not ancestor.is_dir():
        fail(f"{option}: {path} cannot be a folder: {ancestor} is a file", code=2)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        fail(f"{option}: {path}: no permission to write in {ancestor}", code=2)
    return path
