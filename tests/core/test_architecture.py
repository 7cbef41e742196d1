"""The structure the import graph and the access rules must keep (the layers themselves: import-linter's
contract in pyproject.toml, run by `.ci/run` and by test_layers_contract below).

1. No function-level import of `app`: such an import hides a dependency (usually one pointing the wrong way,
   dodging an import cycle). The one exception is the CLI's lazy import of the app factory.
2. Only `app/<domain>/access.py` and `app/auth/permissions.py` decide access. A module decides access when it
   - calls `<principal>.can(...)` or `<principal>.has_role(...)`,
   - compares anything that mentions an attribute of a principal (`==`, `!=`, `is`, `is not`, `in`,
     `not in`, `<`...): `principal.agency_id == x`, `principal.user_id is None`, `Role.x in principal.roles`,
   - tests an attribute of a principal for truth in an `if`, `while`, `assert`, `not` or an operand of
     `and`/`or` other than the last (`if principal.agency_id:`, `principal.agency_id and x`), or
   - raises `Forbidden` (a 403 is an access decision).
   A principal is a name `principal` or any parameter annotated with `Principal`. Using a principal's
   attributes as values (stamping `created_by=principal.user_id`, rendering /me) is not a decision.
3. An access module imports only app.core, app.auth's principal and permission table, its own domain's
   tables and other domains' access modules (which of them is lower is the layers contract's business).
4. A route is parse, one service call, render. In each `app/*/router.py`, a function decorated as a route
   makes at most one domain call: a call of `m.f(...)` where `m` was imported as a module of a domain
   (`from app.<domain> import m`, a lower-case name), or of `f(...)` imported from one
   (`from app.<domain>.<module> import f`), `app.core` aside. Not counted: the render helpers named in
   RENDER_HELPERS (they shape an answer), classes (capitalised names: schemas, value objects) and, as one call
   whatever its arguments hold, `<x>.create(...)` of the Idempotency helper. A call of a function of the
   router module itself counts the domain calls inside it. Loading the object a route names (404) and
   If-Match (412) are loader dependencies, outside the route's body.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

ACCESS_MODULES_ALLOWED = {"app/auth/permissions.py"}
LAZY_IMPORTS_ALLOWED = {("app/cli.py", "app.main")}  # building the app configures logging: only when asked
# Domains whose tables sit in a lower package of their own (below auth, so every layer can use them).
OWN_TABLES = {"agencies": "app.identity.models", "audit": "app.trail.models", "webhooks": "app.outbox.models"}
DECIDING_CALLS = {"can", "has_role"}
# Turn an object already loaded and changed into its Read shape (some read what the shape needs).
RENDER_HELPERS = frozenset({
    "agreement_read", "checklist_read", "checklist_summaries", "client_read", "consent_read", "consultation_read",
    "detail", "draft_read", "event_read", "juncture_read", "mandate_read", "person_read", "referral_read",
    "task_read", "template_read", "to_csv",
})
ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete"})
COMPARISONS = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def _is_access_module(rel: str) -> bool:
    return rel.endswith("/access.py") or rel in ACCESS_MODULES_ALLOWED


def _imported_app_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name == "app" or a.name.startswith("app.")]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
        if node.module == "app":
            return [f"app.{a.name}" for a in node.names]
        if node.module.startswith("app."):
            return [node.module]
    return []


def function_level_imports(source: str, rel: str) -> list[str]:
    """`path:line module` of each import of app inside a function (or method) body."""
    found: set[str] = set()
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        for node in ast.walk(fn):
            for module in _imported_app_modules(node):
                if (rel, module) not in LAZY_IMPORTS_ALLOWED:
                    found.add(f"{rel}:{node.lineno} {module}")
    return sorted(found)


def _principal_names(fn: ast.AST) -> set[str]:
    names = {"principal"}
    if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        for arg in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
            if arg.annotation is not None and "Principal" in ast.unparse(arg.annotation):
                names.add(arg.arg)
    return names


def _principal_attribute(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in names


def _mentions_principal(node: ast.AST, names: set[str]) -> bool:
    return any(_principal_attribute(n, names) for n in ast.walk(node))


def _truth_tested(test: ast.AST, names: set[str]) -> bool:
    """`principal.x`, `not principal.x`, or either inside and/or."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _truth_tested(test.operand, names)
    if isinstance(test, ast.BoolOp):
        return any(_truth_tested(v, names) for v in test.values)
    return _principal_attribute(test, names)


def access_decisions(source: str, rel: str) -> list[str]:
    """`path:line what` of each construct that decides access (see the module docstring)."""
    tree = ast.parse(source)
    found: list[str] = []

    def visit(node: ast.AST, names: set[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = names | _principal_names(node)
        what = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in DECIDING_CALLS and _principal_attribute(node.func, names):
            what = f"calls {ast.unparse(node.func)}()"
        elif isinstance(node, ast.Compare) and any(isinstance(op, COMPARISONS) for op in node.ops) \
                and _mentions_principal(node, names):
            what = f"compares {ast.unparse(node)}"
        elif isinstance(node, ast.If | ast.While | ast.Assert) and _truth_tested(node.test, names):
            what = f"tests {ast.unparse(node.test)}"
        elif isinstance(node, ast.BoolOp) and any(_truth_tested(v, names) for v in node.values[:-1]):
            what = f"tests {ast.unparse(node)}"
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name | ast.Attribute) and ast.unparse(exc).split(".")[-1] == "Forbidden":
                what = "raises Forbidden"
        if what is not None:
            found.append(f"{rel}:{node.lineno} {what}")
        for child in ast.iter_child_nodes(node):
            visit(child, names)

    visit(tree, {"principal"})
    return found


def access_module_imports(source: str, rel: str) -> list[str]:
    """Imports of an access module outside core, the principal and permission table, its own tables and
    other domains' access modules."""
    domain = rel.split("/")[1]
    allowed = {"app.auth.principal", "app.auth.permissions", OWN_TABLES.get(domain, f"app.{domain}.models")}
    found = []
    for node in ast.walk(ast.parse(source)):
        for module in _imported_app_modules(node):
            if module in allowed or module.startswith("app.core.") or \
                    (module.endswith(".access") and module.count(".") == 2 and module != f"app.{domain}.access"):
                continue
            found.append(f"{rel}:{node.lineno} {module}")
    return found


def _domain_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names a router binds to domain modules (`from app.<domain> import m`) and to domain functions
    (`from app.<domain>.<module> import f`); app.core is no domain."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                and node.module.startswith("app.")):
            continue
        parts = node.module.split(".")
        if parts[1] == "core":
            continue
        for alias in node.names:
            name = alias.asname or alias.name
            if not alias.name[:1].islower():
                continue
            (modules if len(parts) == 2 else functions).add(name)
    return modules, functions


def _is_route(fn: ast.AST) -> bool:
    return isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTE_DECORATORS
        for d in fn.decorator_list)


def route_domain_calls(source: str, rel: str) -> list[str]:
    """`path:line route() makes n domain calls: ...` for each route making more than one (see the module
    docstring, rule 4)."""
    tree = ast.parse(source)
    modules, functions = _domain_names(tree)
    local = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}

    def calls(node: ast.AST, seen: frozenset[str]) -> list[str]:
        found: list[str] = []
        stack = list(ast.iter_child_nodes(node))
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Call):
                f = n.func
                if isinstance(f, ast.Attribute) and f.attr == "create" and isinstance(f.value, ast.Name) \
                        and f.value.id not in modules:
                    found.append(ast.unparse(f))  # the Idempotency helper: one call, lambdas and all
                    continue
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in modules \
                        and f.attr[:1].islower() and f.attr not in RENDER_HELPERS:
                    found.append(ast.unparse(f))
                elif isinstance(f, ast.Name) and f.id in functions and f.id not in RENDER_HELPERS:
                    found.append(f.id)
                elif isinstance(f, ast.Name) and f.id in local and f.id not in seen:
                    found += calls(local[f.id], seen | {f.id})
            stack.extend(ast.iter_child_nodes(n))
        return found

    out = []
    for fn in tree.body:
        if _is_route(fn):
            found = calls(fn, frozenset({fn.name}))
            if len(found) > 1:
                what = ", ".join(sorted(found))
                out.append(f"{rel}:{fn.lineno} {fn.name}() makes {len(found)} domain calls: {what}")
    return out


def test_no_function_level_import_of_app():
    found = [f for p in _modules() for f in function_level_imports(p.read_text(), _rel(p))]
    assert found == [], "a function-level import dodges a cycle: turn the dependency around\n" + "\n".join(found)


def test_only_access_modules_decide_access():
    found = [f for p in _modules() if not _is_access_module(_rel(p))
             for f in access_decisions(p.read_text(), _rel(p))]
    assert found == [], "access is decided in app/<domain>/access.py only\n" + "\n".join(found)


def test_access_modules_import_only_their_own_tables_and_lower_access():
    modules = [p for p in _modules() if _rel(p).endswith("/access.py")]
    assert {_rel(p).split("/")[1] for p in modules} >= {
        "advocates", "agencies", "agreements", "audit", "auth", "cases", "checklists", "consent", "referrals",
        "reports", "webhooks"}
    found = [f for p in modules for f in access_module_imports(p.read_text(), _rel(p))]
    assert found == [], "\n".join(found)


def test_a_route_makes_one_domain_call():
    routers = sorted(APP.glob("*/router.py"))
    assert len(routers) >= 11
    found = [f for p in routers for f in route_domain_calls(p.read_text(), _rel(p))]
    assert found == [], "a route is parse, one service call, render: fold the rest into the service\n" + \
        "\n".join(found)


def test_there_is_no_policy_hub():
    assert not (APP / "policy.py").exists()


# ------------------------------------------------------------------ the guards catch what they guard against


@pytest.mark.parametrize("snippet", [
    "def f(principal):\n    if principal.can(P.case_read):\n        pass\n",
    "def f(principal):\n    return Case.agency_id == principal.agency_id\n",
    "def f(principal):\n    return Role.platform_admin in principal.roles\n",
    "def f(principal):\n    if principal.user_id is None:\n        return 1\n",
    "def f(principal):\n    if not principal.agency_id:\n        return 1\n",
    "def f(principal):\n    assert principal.agency_id\n",
    "def f(principal):\n    return principal.agency_id and x\n",
    "def f(who: Principal):\n    return who.agency_id != x.agency_id\n",
    "def f(who: 'Principal | None'):\n    return x in (None, who.agency_id)\n",
    "def f():\n    raise Forbidden('no')\n",
    "def f():\n    raise errors.Forbidden\n",
])
def test_access_decisions_are_recognised(snippet):
    assert access_decisions(snippet, "app/x/service.py")


@pytest.mark.parametrize("snippet", [
    "def f(principal):\n    return Case(agency_id=principal.agency_id, created_by=principal.user_id)\n",
    "def f(principal):\n    return str(principal.agency_id) if principal.agency_id else None\n",
    "def f(principal):\n    return sorted(r.value for r in principal.roles)\n",
    "def f(principal, data):\n    return data.agency_id or principal.agency_id\n",
    "def f(principal, x):\n    if x.agency_id is None:\n        raise NotFound('x')\n",
    "def f(principal):\n    return access.case_visible_clause(principal)\n",
])
def test_using_a_principal_as_a_value_is_not_a_decision(snippet):
    assert access_decisions(snippet, "app/x/service.py") == []


def test_function_level_imports_are_recognised():
    assert function_level_imports("def f():\n    from app.cases import service\n", "app/x/y.py")
    assert function_level_imports("async def f():\n    import app.models\n", "app/x/y.py")
    assert function_level_imports("def f():\n    from app import models\n", "app/x/y.py")
    assert function_level_imports("class A:\n    def f(self):\n        from app.core import db\n", "app/x/y.py")
    assert function_level_imports("def f():\n    from app.main import create_app\n", "app/cli.py") == []
    assert function_level_imports("from app.cases import service\n", "app/x/y.py") == []
    assert function_level_imports("def f():\n    import json\n", "app/x/y.py") == []


def test_access_module_imports_are_checked():
    assert access_module_imports("from app.cases.service import x\n", "app/consent/access.py")
    assert access_module_imports("from app.referrals.models import Referral\n", "app/consent/access.py")
    assert access_module_imports("from app.consent.access import x\n", "app/consent/access.py")
    assert access_module_imports("from app.audit.service import x\n", "app/webhooks/access.py")
    ok = ("from app.cases.access import x\nfrom app.consent.models import C\nfrom app.core.errors import E\n"
          "from app.auth.principal import Principal\n")
    assert access_module_imports(ok, "app/consent/access.py") == []
    assert access_module_imports("from app.identity.models import User\n", "app/agencies/access.py") == []


ROUTER_HEAD = (
    "from app.cases import service\nfrom app.cases.dependencies import CaseVisible\n"
    "from app.reports.caseload import dv_caseload\nfrom app.core.http import tagged\n"
    "router = APIRouter()\n"
)


@pytest.mark.parametrize("body", [
    "    case = await service.get_case(session, principal, case_id)\n"
    "    return await service.update_case(session, principal, case, data)\n",
    "    await dv_caseload(session)\n    return await service.list_cases(session)\n",
    "    if x:\n        return await service.a(s)\n    return await service.b(s)\n",
    "    return await _helper(session)\n",
    "    await idem.create(p.ref, lambda: service.a(s), lambda i: service.b(s, i))\n"
    "    return await service.c(s)\n",
])
def test_routes_making_two_domain_calls_are_recognised(body):
    helper = "async def _helper(session):\n    await service.a(session)\n    return await service.b(session)\n\n"
    source = ROUTER_HEAD + helper + "@router.post('/x')\nasync def route(session, case: CaseVisible):\n" + body
    assert route_domain_calls(source, "app/cases/router.py")


@pytest.mark.parametrize("body", [
    "    return tagged(response, case, service.person_read(await service.update_person(s, p, case, d)))\n",
    "    return await idem.create(p.ref, lambda: service.a(s), lambda i: service.b(s, i), service.person_read)\n",
    "    return page_of(*await service.list_cases(s), CaseRead)\n",
    "    return service.Filters(a=1), await service.list_cases(s)\n",
    "    return await _helper(session)\n",
])
def test_one_domain_call_with_renders_is_a_route(body):
    helper = "async def _helper(session):\n    return await service.a(session)\n\n"
    source = ROUTER_HEAD + helper + "@router.get('/x')\nasync def route(session, case: CaseVisible):\n" + body
    assert route_domain_calls(source, "app/cases/router.py") == []


# ------------------------------------------------------------------ the layers contract


def _lint_imports() -> str | None:
    beside = Path(sys.executable).with_name("lint-imports")  # the one installed with this interpreter
    return str(beside) if beside.exists() else shutil.which("lint-imports")


@pytest.mark.skipif(_lint_imports() is None, reason="import-linter is not installed (pip install -e '.[test]')")
def test_layers_contract():
    """The import-linter contracts of pyproject.toml hold (the same check `.ci/run` makes)."""
    result = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
