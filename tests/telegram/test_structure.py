"""How the bot is put together: handlers without SQL, answers that fit a message."""

from __future__ import annotations

from engines import EMBEDDED_ONLY

pytestmark = EMBEDDED_ONLY


def test_bot_handlers_import_no_sqlalchemy():
    # import-linter checks the project's own layers; this covers the external package.
    import ast
    from pathlib import Path

    from oversight.telegram import handlers

    for source in Path(handlers.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text())
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert not [m for m in imported if m and m.startswith("sqlalchemy")], source.name


def test_long_answers_are_split_between_lines():
    from oversight.telegram.runtime import message_parts

    lines = [f"• Engineer {n}: assigned 5, closed 3, 61.5 h, load 35%" for n in range(300)]
    parts = message_parts("\n".join(lines))
    assert len(parts) > 1
    assert all(len(part) <= 4096 for part in parts)
    assert "\n".join(parts) == "\n".join(lines)
    assert message_parts("short") == ["short"]
    assert message_parts("x" * 10, limit=4) == ["xxxx", "xxxx", "xx"]
    assert message_parts("ab\n" + "x" * 6, limit=4) == ["ab", "xxxx", "xx"]
