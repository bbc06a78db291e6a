"""The root command loads each package's commands only when they run (`OversightGroup.lazy`):
its help lists them from the registry without importing them, exactly as the loaded commands
would, and running one imports that command's module, not the web app or the bot."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

import oversight
from oversight.cli import OversightGroup, app

runner = CliRunner()


def _first_paragraph(text: str | None) -> str:
    return " ".join(inspect.cleandoc(text or "").split("\n\n")[0].split())


def test_every_registered_command_loads_with_the_help_it_is_listed_with() -> None:
    root = typer.main.get_command(app)
    context = typer.Context(root, info_name="oversight")
    for name, entry in OversightGroup.lazy.items():
        command = root.get_command(context, name)
        assert command is not None, name
        assert command.name == name
        assert entry.help == _first_paragraph(command.short_help or command.help), name
    assert set(OversightGroup.lazy) <= set(root.list_commands(context))


def _help(*, loaded: bool) -> str:
    root = typer.main.get_command(app)
    if loaded:
        context = typer.Context(root, info_name="oversight")
        for name in root.list_commands(context):
            root.get_command(context, name)
    with runner.isolation() as (output, _, _):
        root.main(["--help"], prog_name="oversight", standalone_mode=False)
        return output.getvalue().decode()


def test_the_help_page_lists_the_commands_as_the_loaded_ones_would() -> None:
    unloaded = _help(loaded=False)
    assert "restore" in unloaded
    assert "Manage user accounts." in unloaded
    assert unloaded == _help(loaded=True)


def _modules_after(*argv: str) -> set[str]:
    """The modules imported by `oversight ARGV` in a fresh interpreter."""
    code = (
        "import sys\n"
        "from oversight.cli import main\n"
        f"sys.argv = ['oversight', *{list(argv)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\nMODULES', ' '.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(oversight.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
        timeout=120,
    )  # fmt: skip
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES "))
    return set(line.split()[1:])


def test_help_and_restore_import_only_what_they_run() -> None:
    elsewhere = {
        "oversight.analytics.commands",
        "oversight.telegram.commands",
        "oversight.demo.commands",
        "oversight.files.commands",
        "uvicorn",
    }
    listing = _modules_after("--help")
    assert not listing & (elsewhere | {"oversight.backup.commands", "fastapi", "alembic"})
    restore = _modules_after("restore", "--help")
    assert "oversight.backup.commands" in restore
    assert not restore & elsewhere


def test_a_mistyped_command_is_one_usage_error_with_suggestions() -> None:
    result = runner.invoke(app, ["retore"], prog_name="oversight", terminal_width=100)
    assert result.exit_code == 2
    assert "No such command 'retore'. Did you mean 'restore'" in result.output
