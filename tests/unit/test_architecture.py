"""Architecture rules, read from the source with ``ast`` (nothing is imported): no import cycle between the
modules of ``webapp/``, a framework-free ``webapp/domain/``, and route modules that neither run transactions
nor catch business errors (the unit of work commits, ``webapp.web`` turns errors into answers)."""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"

# packages holding a blueprint (today's and the ones planned); every module in them serves routes, except
# the package's __init__ and its forms
BLUEPRINT_PACKAGES = ("auth", "catalog", "customers", "dashboard", "invoices", "public", "settings",
                      "api", "payments", "purchases", "reports")
FRAMEWORKS = ("flask", "sqlalchemy", "werkzeug", "jinja2", "wtforms")  # and flask_* (flask_login, flask_wtf ...)
TRANSACTION_CALLS = ("commit", "rollback", "begin_write", "lock_document", "with_for_update")
BUILTIN_EXCEPTIONS = {name for name, value in vars(builtins).items()
                      if isinstance(value, type) and issubclass(value, BaseException)}
BUSINESS_ERRORS = {"ActionError", "DocumentError", "StaleDocument", "StaleDataError", "IntegrityError",
                   "ContactError", "CatalogError", "AccountError", "ImportError_", "NumberingError",
                   "TransitionError"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(WEBAPP.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@dataclass(frozen=True)
class Import:
    """One import statement (or ``importlib.import_module("...")``) of a module: what it names, where, how."""

    module: str  # the module the statement imports from, absolute ("webapp.services", "flask")
    names: tuple[str, ...]  # for ``from module import a, b``; empty for ``import module``
    path: Path
    line: int
    lazy: bool  # inside a function (runs when called, not when the module is imported)

    @property
    def where(self) -> str:
        return f"{rel(self.path)}:{self.line}" + (" (in a function)" if self.lazy else "")


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class ImportCollector(ast.NodeVisitor):
    """Every import of a module, at module level and inside functions; those under ``if TYPE_CHECKING:`` (they
    never run) only with ``type_checking=True``."""

    def __init__(self, path: Path, type_checking: bool = False):
        self.path, self.name, self.type_checking = path, module_name(path), type_checking
        self.package = self.name if path.name == "__init__.py" else self.name.rpartition(".")[0]
        self.depth = 0
        self.imports: list[Import] = []

    def add(self, node: ast.AST, module: str, names: tuple[str, ...] = ()) -> None:
        self.imports.append(Import(module, names, self.path, node.lineno, self.depth > 0))

    def visit_If(self, node: ast.If) -> None:
        if is_type_checking(node.test) and not self.type_checking:
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:  # relative: from the package of this module, one level up per extra dot
            base = self.package.split(".")
            base = base[:len(base) - (node.level - 1)]
            module = ".".join(base + ([module] if module else []))
        self.add(node, module, tuple(alias.name for alias in node.names))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "import_module" and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            self.add(node, node.args[0].value)
        self.generic_visit(node)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports_of(path: Path, type_checking: bool = False) -> list[Import]:
    collector = ImportCollector(path, type_checking)
    collector.visit(parse(path))
    return collector.imports


def existing(module: str) -> str:
    """``module``, or the nearest package above it that exists (an import of a module being removed)."""
    while module and module not in MODULES:
        module = module.rpartition(".")[0]
    return module


def targets(imp: Import) -> set[str]:
    """The webapp modules an import runs: ``from webapp.services import documents`` is the module
    ``webapp.services.documents`` when that is a module, else the package ``webapp.services``."""
    if imp.module != "webapp" and not imp.module.startswith("webapp."):
        return set()
    if not imp.names:
        return {existing(imp.module)}
    return {f"{imp.module}.{name}" if f"{imp.module}.{name}" in MODULES else existing(imp.module)
            for name in imp.names}


def import_graph() -> dict[str, dict[str, list[Import]]]:
    """module -> imported module -> the imports making that edge (self-imports left out)."""
    graph: dict[str, dict[str, list[Import]]] = {name: {} for name in MODULES}
    for name, path in MODULES.items():
        for imp in imports_of(path):
            for target in targets(imp) - {name, ""}:
                graph[name].setdefault(target, []).append(imp)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; the components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(found)


def shortest_cycle(graph: dict[str, dict[str, list[Import]]], component: list[str]) -> list[str]:
    """One shortest cycle through the first module of ``component`` (breadth-first inside the component)."""
    start, inside = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node]):
            if child == start:
                return paths[node] + [start]
            if child in inside and child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    return [start]


def test_no_import_cycle_between_webapp_modules():
    """A cycle makes the import order matter and hides behind lazy imports inside functions, which count."""
    graph = import_graph()
    assert len(graph) > 20 and "webapp.services.payments" in graph  # the walk found the modules
    report = []
    for component in strongly_connected(graph):
        cycle = shortest_cycle(graph, component)
        lines = [f"cycle of {len(component)} modules: {', '.join(component)}",
                 "  for example " + " -> ".join(cycle)]
        for a in component:
            for b, imps in sorted(graph[a].items()):
                if b in component:
                    lines.append(f"  {a} -> {b}: " + ", ".join(imp.where for imp in imps))
        report.append("\n".join(lines))
    assert not report, f"{len(report)} import cycle(s) in webapp/:\n" + "\n".join(report)


def is_framework(module: str) -> bool:
    top = module.split(".")[0]
    return top in FRAMEWORKS or top.startswith("flask_")


def test_the_domain_imports_no_framework_and_nothing_outside_the_domain():
    """``webapp/domain/`` is plain Python: no Flask, SQLAlchemy, Werkzeug, Jinja2, WTForms, and no webapp
    module outside ``webapp.domain`` (models, services, extensions ...)."""
    offending = []
    domain = sorted((WEBAPP / "domain").rglob("*.py"))
    assert domain, "webapp/domain/ is gone"
    for path in domain:
        for imp in imports_of(path, type_checking=True):  # type-only imports couple all the same
            outside = (imp.module == "webapp" or imp.module.startswith("webapp.")) and not (
                imp.module == "webapp.domain" or imp.module.startswith("webapp.domain."))
            if is_framework(imp.module) or outside:
                offending.append(f"{imp.where}: {imp.module}" + (f" ({', '.join(imp.names)})" if imp.names else ""))
    assert not offending, "webapp/domain/ imports:\n" + "\n".join(offending)


def route_modules() -> list[Path]:
    """Every module of a blueprint package (``routes.py``, ``routes/``, whatever it splits its routes into),
    except the package's ``__init__.py`` and its forms."""
    found = []
    for package in BLUEPRINT_PACKAGES:
        directory = WEBAPP / package
        if not (directory / "__init__.py").exists():
            continue
        for path in sorted(directory.rglob("*.py")):
            inner = path.relative_to(directory)
            if inner.parts in (("__init__.py",), ("forms.py",)) or inner.parts[0] == "forms":
                continue
            found.append(path)
    return found


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def exception_names(handler: ast.ExceptHandler) -> list[str]:
    if handler.type is None:
        return []
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "") for n in nodes]


def is_business_error(name: str) -> bool:
    return name in BUSINESS_ERRORS or (name.endswith("Error") and name not in BUILTIN_EXCEPTIONS)


def test_route_modules_neither_run_transactions_nor_catch_business_errors():
    """Routes parse, make one use-case call and render: the unit of work commits or rolls back and takes no
    lock here, and a refused action (``ActionError`` and the like) is answered by ``webapp.web``, not caught."""
    modules = route_modules()
    assert any(p.name == "routes.py" for p in modules), "no route module found"
    offending = []
    for path in modules:
        source = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Call) and called_name(node) in TRANSACTION_CALLS:
                offending.append((rel(path), node.lineno, f"calls {called_name(node)}()", source[node.lineno - 1]))
            elif isinstance(node, ast.ExceptHandler):
                caught = [name for name in exception_names(node) if is_business_error(name)]
                if caught:
                    offending.append((rel(path), node.lineno, f"catches {', '.join(caught)}",
                                      source[node.lineno - 1]))
    report = [f"{file}:{line}: {what}: {text.strip()}" for file, line, what, text in sorted(offending)]
    assert not report, f"{len(report)} transaction call(s) / caught business error(s) in route modules:\n" \
        + "\n".join(report)


LOWER_LAYERS = ("webapp.domain", "webapp.models", "webapp.services", "webapp.queries", "webapp.usecases")


def test_lower_layers_never_import_a_blueprint_or_the_web_layer():
    """Services, queries, use cases, models and the domain never import a blueprint (its forms or routes) nor
    ``webapp.web``: what they do is the same for the browser, the API and the worker. Services never build a
    Flask response either (downloads are ``webapp.web.files``)."""
    blueprints = tuple(f"webapp.{name}" for name in BLUEPRINT_PACKAGES) + ("webapp.web",)
    offending = []
    for name, path in MODULES.items():
        if not name.startswith(LOWER_LAYERS):
            continue
        for imp in imports_of(path):
            for target in targets(imp):
                if any(target == bp or target.startswith(bp + ".") for bp in blueprints):
                    offending.append(f"{imp.where}: {target}")
            if imp.module == "flask" and {"make_response", "send_file", "Response"} & set(imp.names):
                offending.append(f"{imp.where}: flask ({', '.join(imp.names)})")
    assert not offending, "lower layers import upwards:\n" + "\n".join(sorted(set(offending)))
