"""Every command of `oversight`, fed the malformed input its parameters admit: a user error on
the command line is a short message naming the problem and a non-zero exit, never a traceback.

The commands are found by walking the command tree (`typer.main.get_command(app)`), so a new
command is swept without being listed here; the cases come from each parameter's declared type:

- any command: an unknown option; one without arguments: an unexpected extra argument;
  a group: an unknown subcommand;
- a required argument or option left out;
- a number: "not-a-number", and one below its declared minimum;
- a date: "2026-13-45"; a choice: "no-such-choice";
- a path: one below a regular file (`<folder>/a-file/dir/file`), which no one can read, write
  or create, not even root (a path like `/nonexistent/dir/file` would simply be made by a
  command that creates its folders when the tests run as root);
- an id (`*_id`): "abc" and "-1" (a string id argument names something to look up).

Each case runs in this process through the console script's own `main()` (what a user runs:
its guards turn OSError and friends into one line), against a migrated SQLite database in a
temporary folder that is also the working directory (the backup target, the files and the
archives default to folders under it). Bad input is engine-independent: SQLite alone.

A usage error (exit 2) is click's block: `Usage: …`, `Try '… --help' …`, then the error box
naming the problem. Any other refusal is at most a few lines, the last naming the problem.
No case may leave a file behind.
"""

from __future__ import annotations

import enum
import inspect
import os
import secrets
import sys
import traceback
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyrage
import pytest
import typer
from typer.testing import CliRunner

from oversight.cli import app, main
from oversight.config import get_settings

PASSWORD_ENV = "CLI_SWEEP_PASSWORD"  # the variable users create reads it from
# The folder of the run, substituted into the arguments when a case runs.
HERE = "{here}"
BAD_PATH = f"{HERE}/a-file/dir/file"
# Long-running commands: a case whose input passed the parser would start a server, a
# scheduler or a bot and never return. Every bad-input case of theirs fails in the parser; a
# tripwire on what would start them turns a parser that let one through into a failure, not a
# hung run. (The bot would also reach Telegram; it has no token here.)
TRIPWIRES = {
    ("serve",): ("uvicorn", "run"),
    ("scheduler",): ("oversight.jobs.commands", "run_scheduler"),
    ("bot",): ("oversight.telegram.commands", "build_application"),
}
# Valid values for required parameters whose type alone does not say what is valid, so that a
# case reaches the parameter it perturbs: a chart that exists, a readable age identity, a
# restore target; and the password from the environment (never a prompt).
VALID = {
    "name": "margins",
    "identity": f"{HERE}/identity.txt",
    "database": f"sqlite:///{HERE}/restore-target.db",
}
ALWAYS = {"password_env": PASSWORD_ENV}
FORBIDDEN = ("Traceback", 'File "', "<class '", " object at 0x", "NoneType")
BOX = str.maketrans("", "", "╭╮╰╯│─")


@dataclass(frozen=True)
class Param:
    """One parameter of a command, as the sweep needs it."""

    name: str
    opts: tuple[str, ...]
    argument: bool
    required: bool
    flag: bool
    base: Any  # the declared type, without `| None` and `list[...]`
    minimum: int | float | None

    @property
    def names(self) -> tuple[str, ...]:
        """How an error names it: `--option`, or the argument's name."""
        return (self.name,) if self.argument else self.opts


@dataclass(frozen=True)
class Case:
    """One malformed invocation and what its error must name."""

    path: tuple[str, ...]
    label: str
    argv: tuple[str, ...]
    names: tuple[str, ...]  # the error names at least one of these
    usage: bool  # must be refused by the parser: exit 2 with click's usage block

    @property
    def id(self) -> str:
        return " ".join((*self.path, self.label)) if self.path else self.label


def walk(
    command: Any, path: tuple[str, ...] = (), parent: typer.Context | None = None
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every group (as `("group", path)`) and command (`("command", path)`) under `command`,
    through the groups' own `list_commands` / `get_command` (the root loads its commands
    lazily: `commands` alone would miss them)."""
    if not hasattr(command, "list_commands"):
        yield ("command", path), command
        return
    yield ("group", path), command
    context = typer.Context(command, info_name=path[-1] if path else "oversight", parent=parent)
    for name in sorted(command.list_commands(context)):
        yield from walk(command.get_command(context, name), (*path, name), context)


def _base(annotation: Any) -> Any:
    """`int | None` -> int, `list[Path] | None` -> Path."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    return annotation


def params_of(command: Any) -> list[Param]:
    hints = typing.get_type_hints(inspect.unwrap(command.callback))
    return [
        Param(
            name=param.name,
            opts=tuple(param.opts),
            argument=param.param_type_name == "argument",
            required=param.required,
            flag=bool(getattr(param, "is_flag", False)),
            base=_base(hints[param.name]),
            minimum=getattr(param, "min", None),
        )
        for param in command.params
    ]


def _valid(param: Param) -> str:
    if param.name in VALID:
        return VALID[param.name]
    if isinstance(param.base, type) and issubclass(param.base, enum.Enum):
        return str(next(iter(param.base)).value)
    if param.base in (int, float, Decimal):
        return str(max(1, param.minimum or 1))
    if param.base in (datetime, date):
        return "2026-01-15"
    if param.base is Path:
        return f"{HERE}/out/{param.name}"
    return "sweep"


def _argv(
    path: tuple[str, ...], params: list[Param], changed: dict[str, str | None]
) -> tuple[str, ...]:
    """The command with every required parameter valid, except those in `changed` (None:
    left out), and the `ALWAYS` options it has."""
    arguments: list[str] = []
    options: list[str] = []
    arguments_end = False  # an argument left out takes those after it (else they shift left)
    for param in params:
        if param.name in changed:
            value = changed[param.name]
        elif param.required:
            value = _valid(param)
        elif param.name in ALWAYS:
            value = ALWAYS[param.name]
        else:
            continue
        if value is None:
            arguments_end = arguments_end or param.argument
            continue
        if param.argument:
            if not arguments_end:
                arguments.append(value)
        else:
            options += [param.opts[0], value]
    return (*path, *arguments, *options)


def _cases_of_param(path: tuple[str, ...], params: list[Param], param: Param) -> Iterator[Case]:
    def case(label: str, value: str, *, usage: bool = True, names: Sequence[str] = ()) -> Case:
        return Case(
            path,
            f"{param.opts[0] if param.opts else param.name} {label}",
            _argv(path, params, {param.name: value}),
            (*param.names, *names),
            usage,
        )

    if param.required:
        yield Case(path, f"{param.name} left out", _argv(path, params, {param.name: None}),
                   param.names, usage=True)  # fmt: skip
    if param.flag:
        return
    if param.base in (int, float, Decimal):
        yield case("not-a-number", "not-a-number")
        if param.base is int and param.minimum is not None:
            yield case("below its minimum", str(int(param.minimum) - 1))
    if param.base in (datetime, date):
        yield case("2026-13-45", "2026-13-45")
    if isinstance(param.base, type) and issubclass(param.base, enum.Enum):
        yield case("no-such-choice", "no-such-choice", names=["no-such-choice"])
    if param.base is Path:
        yield case("below a file", BAD_PATH, usage=False, names=[f"{HERE}/a-file"])
    if param.name == "id" or param.name.endswith("_id"):
        if param.base is int:
            yield case("abc", "abc")
            yield case("-1", "-1")
        elif param.argument:  # a string id argument names something to look up
            yield case("abc", "abc", usage=False, names=["abc"])
            yield case("-1", "-1", names=["-1"])


def sweep() -> list[Case]:
    cases: list[Case] = []
    for (kind, path), command in walk(typer.main.get_command(app)):
        if kind == "group":
            cases.append(Case(path, "no-such-command", (*path, "no-such-command"),
                              ("no-such-command",), usage=True))  # fmt: skip
            cases.append(Case(path, "--no-such-option", (*path, "--no-such-option"),
                              ("--no-such-option",), usage=True))  # fmt: skip
            continue
        params = params_of(command)
        valid = _argv(path, params, {})
        cases.append(Case(path, "--no-such-option", (*valid, "--no-such-option"),
                          ("--no-such-option",), usage=True))  # fmt: skip
        if not any(param.argument for param in params):
            cases.append(Case(path, "extra argument", (*valid, "unexpected-extra"),
                              ("unexpected-extra",), usage=True))  # fmt: skip
        for param in params:
            cases.extend(_cases_of_param(path, params, param))
    return cases


CASES = sweep()


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str
    escaped: str | None  # the traceback of an exception that got past `main()`


def run(argv: Sequence[str]) -> Outcome:
    """`oversight ARGV` in this process, through the console script's `main()`."""
    escaped: str | None = None
    saved = sys.argv
    with CliRunner().isolation() as (_, _, mixed):
        sys.argv = ["oversight", *argv]
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            escaped, code = traceback.format_exc(), 1
        finally:
            sys.argv = saved
        sys.stdout.flush()
        sys.stderr.flush()
        output = mixed.getvalue().decode("utf-8", "replace")
    return Outcome(code, output, escaped)


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A migrated SQLite database in a fresh working directory, with a regular file to put
    bad paths under and a readable age identity."""
    folder = tmp_path_factory.mktemp("cli-sweep")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            # The run's state directory (conftest) keeps its generated development keys.
            if name.startswith("OVERSIGHT_") and name != "OVERSIGHT_STATE_DIR":
                patch.delenv(name)
        patch.setenv("OVERSIGHT_DATABASE__URL", f"sqlite:///{folder / 'oversight.db'}")
        patch.setenv(PASSWORD_ENV, secrets.token_urlsafe(24))
        patch.chdir(folder)
        # The console script builds the command tree once per process; so does this run (it
        # is most of a case's time otherwise). `main()` and everything under it still run.
        tree, build = typer.main.get_command(app), typer.main.get_command
        patch.setattr(
            typer.main, "get_command", lambda typed: tree if typed is app else build(typed)
        )
        get_settings.cache_clear()
        (folder / "a-file").write_text("a file, not a folder\n")
        (folder / "identity.txt").write_text(f"{pyrage.x25519.Identity.generate()}\n")
        (folder / "out").mkdir()
        migrated = run(["migrate"])
        assert migrated.code == 0, migrated.output
        yield folder
    get_settings.cache_clear()


def _files(folder: Path) -> set[Path]:
    """Every file and folder under `folder` but the database (and its journal)."""
    return {path for path in folder.rglob("*") if not path.name.startswith("oversight.db")}


def _squeezed(text: str) -> str:
    return "".join(text.split()).lower()


def test_the_sweep_reaches_every_command() -> None:
    """The walk finds the commands (a broken walk would sweep nothing and pass)."""
    swept = {case.path for case in CASES}
    assert {("users", "create"), ("restore",), ("audit", "export"), ("serve",)} <= swept
    assert len(swept) >= 40


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_input_is_a_short_error(
    here: Path, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.path in TRIPWIRES:
        if not case.usage:
            pytest.skip("would start a long-running process once past the parser")
        module, name = TRIPWIRES[case.path]

        def started(*args: object, **kwargs: object) -> None:
            raise AssertionError(f"{' '.join(case.path)} started on bad input")

        monkeypatch.setattr(f"{module}.{name}", started)
    argv = [part.replace(HERE, str(here)) for part in case.argv]
    names = [name.replace(HERE, str(here)) for name in case.names]
    before = _files(here)
    outcome = run(argv)
    assert outcome.escaped is None, outcome.escaped
    text = outcome.output
    for marker in FORBIDDEN:
        assert marker not in text, text
    lines = [line.translate(BOX).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    assert lines, f"exit {outcome.code} and nothing said"
    if case.usage or lines[0].startswith("Usage:"):  # a path may be refused by the parser
        assert outcome.code == 2, text
        assert lines[0].startswith("Usage: oversight"), text
        assert lines[1].startswith("Try 'oversight"), text
        assert lines[2] == "Error", text
        problem_lines = lines[3:]
        # click lists a missing choice's choices one a line after "Choose from:".
        listed = [i for i, line in enumerate(problem_lines) if line.endswith("Choose from:")]
        assert len(problem_lines[: listed[0] + 1] if listed else problem_lines) <= 4, text
        problem = " ".join(problem_lines)
    else:
        assert outcome.code in (1, 2), text
        assert 1 <= len(lines) <= 3, text
        problem = lines[-1]
    assert any(_squeezed(name) in _squeezed(problem) for name in names), (names, text)
    assert _files(here) == before, "a file or folder was left behind"
