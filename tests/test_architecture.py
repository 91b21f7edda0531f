"""The import contract (design.md §1, issue #11 §0), read from the source with ``ast``.

- Layers: ``yitaotu -> web -> workflow -> diffing -> drawings -> storage``; a package imports
  only itself and the layers below it.  ``migrations`` is imported by ``storage.migrate`` only
  and imports only ``storage`` (its models are loaded by name).
- Across packages, only a package's public API: a name in its ``__all__`` (``from drawings
  import read``) or one of its ``PUBLIC_MODULES`` (``from drawings.registry import …``, ``from
  drawings import registry``); the rest of a package is its own business.
- The CLI's commands and the web app hold no ORM: they import neither SQLAlchemy nor a
  package's ``models``; they call services.

Imports inside functions count the same as module-level ones.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("storage", "drawings", "diffing", "workflow", "web", "yitaotu")
PACKAGES = (*LAYERS, "migrations")
#: Where ORM (SQLAlchemy, models) must not appear: the front ends.
NO_ORM = ("yitaotu.commands", "web")
#: The composition roots of the front ends: they open the engine and hand out sessions.
COMPOSITION_ROOTS = ("web.store",)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported from
    names: tuple[str, ...]  # names taken from it (empty for ``import x``)
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import in ``source`` (module ``module``), relative ones made absolute."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [Import(module, a.name, (), node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, target] if target else base)
            out.append(Import(module, target, tuple(a.name for a in node.names), node.lineno))
    return out


def public_api(package: str) -> tuple[set[str], set[str]]:
    """A package's exported names and public modules."""
    mod = importlib.import_module(package)
    return set(getattr(mod, "__all__", ())), set(getattr(mod, "PUBLIC_MODULES", ()))


def violations(imp: Import) -> list[str]:
    """What is wrong with one import, as readable sentences (empty when it keeps the rules)."""
    src_pkg = imp.module.split(".")[0]
    dst_pkg = imp.target.split(".")[0]
    where = f"{imp.module}:{imp.line} imports {imp.target}"
    problems = []
    front_end = any(imp.module == f or imp.module.startswith(f + ".") for f in NO_ORM) \
        and imp.module not in COMPOSITION_ROOTS
    holds_orm = dst_pkg == "sqlalchemy" or imp.target.split(".")[-1] == "models" or \
        (imp.target in PACKAGES and "models" in imp.names)
    if front_end and holds_orm:
        problems.append(f"{where}: the front ends call services, they hold no ORM")
    if dst_pkg not in PACKAGES or dst_pkg == src_pkg:
        return problems
    if dst_pkg == "migrations" or src_pkg == "migrations":
        allowed = (imp.module == "storage.migrate" and dst_pkg == "migrations") or \
            (src_pkg == "migrations" and dst_pkg == "storage")
        if not allowed:
            problems.append(f"{where}: only storage.migrate runs the migrations, which "
                            "import only storage")
        return problems
    if LAYERS.index(dst_pkg) > LAYERS.index(src_pkg):
        problems.append(f"{where}: {src_pkg} is below {dst_pkg} (yitaotu -> web -> workflow "
                        "-> diffing -> drawings -> storage)")
        return problems
    exported, modules = public_api(dst_pkg)
    rest = imp.target.split(".")[1:]
    if rest:
        if rest[0] not in modules:
            problems.append(f"{where}: {dst_pkg}.{rest[0]} is not public (public modules: "
                            f"{', '.join(sorted(modules)) or 'none'}; names: {dst_pkg}.__all__)")
    else:
        hidden = [n for n in imp.names if n not in exported and n not in modules]
        if hidden:
            problems.append(f"{where}: {', '.join(hidden)} not in {dst_pkg}.__all__")
    return problems


def source_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_every_import_keeps_the_contract() -> None:
    problems = []
    for path in source_files():
        imps = imports_of(path.read_text(encoding="utf-8"), module_name(path),
                          is_package=path.name == "__init__.py")
        for imp in imps:
            problems += violations(imp)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", LAYERS)
def test_public_api_resolves(package: str) -> None:
    """Every exported name and public module exists (a lazy name pointing nowhere fails)."""
    mod = importlib.import_module(package)
    exported, modules = public_api(package)
    missing = [n for n in sorted(exported | modules) if not hasattr(mod, n)]
    assert not missing, f"{package} exports names it does not have: {missing}"


# -- the checker itself: each rule fails when broken ---------------------------------------------


def _check(source: str, module: str) -> list[str]:
    return [p for imp in imports_of(source, module) for p in violations(imp)]


@pytest.mark.parametrize(("module", "source", "fragment"), [
    ("storage.blobs", "from drawings import read", "storage is below drawings"),
    ("drawings.ingest", "def f():\n    import workflow", "drawings is below workflow"),
    ("workflow.x", "from drawings.readers.pair import NotApplicable",
     "drawings.readers is not public"),
    ("workflow.x", "from drawings import detect", "detect not in drawings.__all__"),
    # a public module's own submodules are behind it, and reachable through it
    ("diffing.x", "from storage.blobs.local import LocalBlobStore", None),
    ("yitaotu.commands.x", "from sqlalchemy import select", "hold no ORM"),
    ("yitaotu.commands.x", "from workflow.models import Change", "hold no ORM"),
    ("web.views", "from drawings import models", "hold no ORM"),
    ("web.store", "from sqlalchemy.orm import Session", None),
    ("workflow.x", "import migrations", "only storage.migrate"),
    ("migrations.versions.x", "from workflow.models import Change", "only storage.migrate"),
    ("storage.migrate", "import migrations", None),
    ("workflow.x", "from drawings import registry, read", None),
    ("workflow.sub.x", "from ..engine import fire", None),
])
def test_checker(module: str, source: str, fragment: str | None) -> None:
    found = _check(source, module)
    if fragment is None:
        assert found == []
    else:
        assert any(fragment in p for p in found), found


def test_relative_imports_resolve() -> None:
    imp = imports_of("from .engine import fire\nfrom . import x", "workflow.service")
    assert [i.target for i in imp] == ["workflow.engine", "workflow"]
    imp = imports_of("from .engine import fire", "workflow", is_package=True)
    assert imp[0].target == "workflow.engine"
