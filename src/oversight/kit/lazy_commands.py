"""Subcommands that are imported only when they run (the pattern of Click's "Lazily Loading
Subcommands", on Typer's group class).

A command registered here is named by where it lives (`"package.module:attribute"`, a
`typer.Typer` group or a command function) and carries its one-line help, so a parent's
`--help` lists it without importing its module, and `oversight restore` imports the restore
command's module and not the web app, the bot or the analytics engine. Everything else sees
an ordinary group: `list_commands` names every command, `get_command` returns the real one
(loaded on first use, then cached), unknown names get Typer's "Did you mean" suggestions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar

import typer
from typer import _click as click  # Typer >= 0.29 vendors Click: these are its classes
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a subcommand lives, `"package.module:attribute"`, and its one-line help (what
    the loaded command's own first help line says: tests compare the two)."""

    target: str
    help: str
    # Called with the loaded object before it is turned into a click command (to mount
    # commands of other packages on a group, say); returns what to mount.
    prepare: Callable[[Any], Any] | None = None

    def load(self, name: str) -> click.Command:
        """Import the target and build its click command, named `name`."""
        module, _, attribute = self.target.partition(":")
        loaded: Any = getattr(importlib.import_module(module), attribute)
        if self.prepare is not None:
            loaded = self.prepare(loaded)
        command: click.Command
        if isinstance(loaded, typer.Typer):
            command = typer.main.get_group(loaded)  # as `add_typer` mounts it
        else:
            single = typer.Typer(add_completion=False)
            single.command(name)(loaded)
            command = typer.main.get_command(single)
        command.name = name
        return command

    def placeholder(self, name: str) -> click.Command:
        """A stand-in carrying only the name and help, for a parent's help listing."""
        return TyperCommand(name, help=self.help, short_help=self.help)


class LazyTyperGroup(TyperGroup):
    """A Typer group with the `lazy` subcommands besides its own (set `lazy` in a subclass
    and pass it as `typer.Typer(cls=...)`)."""

    lazy: ClassVar[Mapping[str, LazyCommand]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        own = super().list_commands(ctx)
        return [*own, *(name for name in self.lazy if name not in own)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        entry = self.lazy.get(cmd_name)
        if command is not None or entry is None:
            return command
        if self._listing:
            return entry.placeholder(cmd_name)
        command = entry.load(cmd_name)
        self.add_command(command, cmd_name)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The help page lists the lazy commands by their registered help: none is loaded."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Typer's, with its "Did you mean" suggestions drawn from the lazy commands too."""
        known = self.list_commands(ctx)
        name = args[0] if args else None
        if name and name not in known and not name.startswith("-") and not ctx.resilient_parsing:
            matches = get_close_matches(name, known) if self.suggest_commands else []
            hint = (
                f" Did you mean {', '.join(repr(match) for match in matches)}?" if matches else ""
            )
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)
