"""House rules that a linter does not know, checked on the AST (run by `make lint`).

1. Only the transaction boundaries commit: the request session dependency and the
   `team_session` helper for jobs and the CLI. Services flush.
2. Routes and web views hold no queries: they import nothing from SQLAlchemy and call services.
3. Rows made in SQL get time-ordered ids, `uuid_v7()`, never `gen_random_uuid()` (CONVENTIONS,
   "Keys"); migrations, which record history, are exempt.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reos"
COMMIT_ALLOWED = {SRC / "deps.py", SRC / "db" / "session.py"}


def is_http_layer(path: Path) -> bool:
    return (
        path.name == "routes.py"
        or (path.parent.name == "web" and path.suffix == ".py")
        or path.name == "ops.py"
    )


def check(path: Path) -> list[str]:
    problems = []
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(SRC.parent.parent)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
            and path not in COMMIT_ALLOWED
        ):
            problems.append(f"{rel}:{node.lineno}: commit() outside a transaction boundary")
        if (
            is_http_layer(path)
            and isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("sqlalchemy")
        ):
            problems.append(
                f"{rel}:{node.lineno}: routes and views must not import SQLAlchemy (queries go in services)"
            )
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "gen_random_uuid(" in node.value
            and "migrations" not in path.parts
        ):
            problems.append(f"{rel}:{node.lineno}: gen_random_uuid() makes random ids; use uuid_v7()")
    return problems


def main() -> int:
    problems = [p for path in sorted(SRC.rglob("*.py")) for p in check(path)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
