"""The direction of calls (../shared/STYLE.md), checked from the code's own imports.

- Domain packages depend one way, in the order of the domain: a package imports only the ones
  to its left and the foundation modules (``comarketing/*.py``: policy, audit, outbox, money,
  ...), which import no domain package at all. ``cli``, ``demo`` and the application factory
  compose everything and sit above them all.
- Views (modules that declare routes) never touch ``db.session``; services (every other module
  of a domain package, the web glue listed in WEB_LAYER aside) never import ``flask_login`` or
  ``flask.request``.
- No import circle between the modules of ``comarketing/``, imports inside functions included.

Imports under ``if TYPE_CHECKING:`` are for the type checker only and are not counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from comarketing import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "comarketing"

DOMAIN_ORDER = [
    "jobs",  # the background queue: runs what the others register, imports none of them
    "events",  # raised by every service below; queues webhook deliveries, imports none of them
    "accounts",
    "partners",
    "campaigns",
    "budgets",
    "offers",
    "collateral",
    "metrics",
    "audiences",
    "reports",
    "dashboard",
    "webhooks",  # endpoints, signed delivery and their pages: reads events, raises none
    "api",
    "ops",  # readiness, metrics, logs, the jobs page, the periodic rounds (calls the others)
]
COMPOSERS = {"cli", "demo", "worker", ""}  # "" is the package itself: create_app
# Modules of domain packages that belong to the web layer although they declare no route:
# form classes, the session loader, the API's blueprint (its rate-limit key reads the request),
# authentication, error and idempotency wrappers.
WEB_LAYER = {
    "comarketing.accounts.sessions",
    "comarketing.api.auth",
    "comarketing.api.blueprint",
    "comarketing.api.errors",
    "comarketing.api.idempotency",
    "comarketing.api.upload_limits",  # an upload over its limit answers 413 naming it
    "comarketing.ops.prometheus",  # request hooks: the latency of each endpoint
}
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    imports: list[tuple[str, int]] = field(default_factory=list)  # (imported name, line)

    @property
    def top(self) -> str:
        """The first-level name below ``comarketing``: a domain package, a foundation module,
        or "" for the package itself."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else ""

    @property
    def is_domain(self) -> bool:
        return self.top in DOMAIN_ORDER

    @property
    def is_view(self) -> bool:
        return any(_declares_route(node) for node in ast.walk(self.tree))

    @property
    def is_service(self) -> bool:
        leaf = self.name.rsplit(".", 1)[-1]
        return (
            self.is_domain
            and not self.is_view
            and leaf not in {"forms", "views", "pages"}
            and self.name not in WEB_LAYER
        )


def _declares_route(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef):
        return False
    for decorator in node.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Attribute) and call.attr in ROUTE_DECORATORS:
            return True
    return False


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except what sits under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = Module(_module_name(path), path, ast.parse(path.read_text(), str(path)))
        modules[module.name] = module
    for module in modules.values():
        for node in _runtime_nodes(module.tree):
            if isinstance(node, ast.Import):
                module.imports += [(alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    # `from a.b import c` imports the module a.b.c when there is one.
                    candidate = f"{node.module}.{alias.name}"
                    target = candidate if candidate in modules else node.module
                    module.imports.append((target, node.lineno))
    return modules


MODULES = _load()


def _internal(name: str) -> str | None:
    """The module of ``comarketing`` an import names (None for other packages)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _top(name: str) -> str:
    return MODULES[name].top


def _rank(top: str) -> float:
    if top in COMPOSERS:
        return float("inf")
    if top in DOMAIN_ORDER:
        return DOMAIN_ORDER.index(top)
    return -1  # foundation


def test_every_top_level_name_is_placed() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages - set(DOMAIN_ORDER) - COMPOSERS == set(), "place the new package"


def test_no_package_imports_one_to_its_right() -> None:
    violations = []
    for module in MODULES.values():
        for imported, line in module.imports:
            target = _internal(imported)
            if target is None or _top(target) == module.top:
                continue
            if _rank(_top(target)) > _rank(module.top):
                violations.append(f"{module.path.name}:{line} {module.name} -> {target}")
    assert violations == []


def test_views_never_touch_the_session() -> None:
    violations = [
        f"{module.name}:{node.lineno}"
        for module in MODULES.values()
        if module.is_view
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "session"
        and isinstance(node.value, ast.Name)
        and node.value.id == "db"
    ]
    assert violations == []


def test_services_never_read_the_request_or_the_signed_in_user() -> None:
    violations = []
    for module in MODULES.values():
        if not module.is_service:
            continue
        for node in _runtime_nodes(module.tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            violations += [
                f"{module.name}:{node.lineno} imports {name}"
                for name in names
                if name.startswith("flask_login") or name == "flask.request"
            ]
    assert violations == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph = {
        name: sorted(
            {t for i, _ in module.imports if (t := _internal(i)) is not None and t != name}
        )
        for name, module in MODULES.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return found


def test_no_import_circles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize(
    "check",
    [test_no_package_imports_one_to_its_right, test_views_never_touch_the_session, _cycles],
)
def test_the_checks_see_violations(check: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each check fails on a planted violation (a check that cannot fail guards nothing)."""
    planted = ast.parse(
        "from comarketing.api import errors\n"
        "from comarketing.extensions import db\n"
        "@bp.route('/x')\n"
        "def page():\n"
        "    return db.session.get(1)\n"
    )
    fake = Module("comarketing.accounts.planted", PACKAGE / "accounts" / "planted.py", planted)
    fake.imports = [("comarketing.api.errors", 1), ("comarketing.extensions", 2)]
    monkeypatch.setitem(MODULES, fake.name, fake)
    back = MODULES["comarketing.policy"]
    monkeypatch.setattr(back, "imports", [*back.imports, ("comarketing.accounts.planted", 1)])
    monkeypatch.setattr(fake, "imports", [*fake.imports, ("comarketing.policy", 3)])
    if check is _cycles:
        assert _cycles() != []
    else:
        with pytest.raises(AssertionError):
            check()  # type: ignore[operator]
