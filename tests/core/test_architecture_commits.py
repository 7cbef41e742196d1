"""Only the session dependency commits: a request is all-or-nothing because no domain ends a transaction itself.

`app/core/db.py` owns committing: `get_session` ends each request's transaction (committing a refusal that
must stay on record through `AppError.keep_writes`), and `own_transaction()` is the one way to run a short
transaction apart from the request's. Anything else in `app/` that commits, or opens a transaction that
commits itself (`engine.begin()`, `session.begin()`), fails this test, except the background jobs, commands
and seed listed below, which own their sessions (each pass or batch is a transaction of its own).
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
OWNER = "core/db.py"
# Ending a transaction: committing it, or opening one that commits itself when its block ends.
ENDS_TRANSACTION = frozenset({"commit", "begin"})

# (module under app/, function) -> why it owns its session. Not a request: no session dependency there.
OWN_SESSIONS: dict[tuple[str, str], str] = {
    ("webhooks/delivery.py", "claim_due"): "delivery worker: claims a batch and commits the claim before sending",
    ("webhooks/delivery.py", "finish"): "delivery worker: records one attempt's result",
    ("advocates/routing.py", "route_all_queued"): "background pass routing queued consultations",
    ("tasks/detect.py", "detect_overdue_referrals"): "background pass opening tasks for overdue referrals",
    ("tasks/detect.py", "detect_expiring_consents"): "background pass opening tasks for expiring consents",
    ("seed.py", "create_platform_admin"): "`tandem create-admin`",
    ("seed.py", "seed_demo"): "`tandem seed-demo`",
    ("seed.py", "seed_demo_casework"): "`tandem seed-demo`",
    ("seed.py", "seed_demo_family"): "`tandem seed-demo`",
}


def transaction_ends(source: str, module: str) -> list[tuple[str, str, int]]:
    """(module, enclosing function, line) of every `.commit` / `.begin` in `source`."""
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Attribute) and child.attr in ENDS_TRANSACTION:
                found.append((module, function, child.lineno))
            visit(child, inner)

    visit(ast.parse(source), "<module>")
    return found


def offenders(app_dir: Path = APP) -> tuple[list[str], set[tuple[str, str]]]:
    """Transaction ends outside db.py and the listed owners, and the listed owners that were found."""
    wrong: list[str] = []
    seen: set[tuple[str, str]] = set()
    for path in sorted(app_dir.rglob("*.py")):
        module = path.relative_to(app_dir).as_posix()
        if module == OWNER:
            continue
        for mod, function, line in transaction_ends(path.read_text(encoding="utf-8"), module):
            if (mod, function) in OWN_SESSIONS:
                seen.add((mod, function))
            else:
                wrong.append(f"app/{mod}:{line} in {function}()")
    return wrong, seen


def test_only_the_session_dependency_commits():
    wrong, seen = offenders()
    assert wrong == [], (
        "These end a transaction themselves. Let the session dependency commit (raise an AppError with "
        "keep_writes to keep a refusal), or use app.core.db.own_transaction() for a transaction apart from "
        f"the request's: {wrong}")
    # The list stays true: an owner that no longer commits comes off it.
    assert seen == set(OWN_SESSIONS), sorted(set(OWN_SESSIONS) - seen)


def test_the_guard_catches_a_commit_in_a_route_or_service(tmp_path):
    """Break the rule on purpose in a copy of the layout: the guard names each place."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "db.py").write_text("async def get_session(s):\n    await s.commit()\n")
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "router.py").write_text(
        "async def request_disclosure(session):\n"
        "    try:\n        pass\n    except Exception:\n        await session.commit()\n        raise\n")
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "service.py").write_text(
        "async def save(engine):\n    async with engine.begin() as conn:\n        pass\n")
    (tmp_path / "seed.py").write_text("async def seed_demo(s):\n    await s.commit()\n")
    wrong, seen = offenders(tmp_path)
    assert wrong == ["app/audit/service.py:2 in save()", "app/consent/router.py:5 in request_disclosure()"]
    assert seen == {("seed.py", "seed_demo")}
