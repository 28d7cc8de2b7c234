"""The layers of DESIGN.md ("Layout and layering"), checked on every import of every module.

    roof     config/ (settings, URL roots, tenant registry), demo/ (seeding, on top of everything)
    apps     chat/ → personas/ → twins/, and governance/ → personas/ → twins/
    ground   core/: imports no app

Arrows only point down. Imports inside functions count too: a lazy import is still a dependency.
Apps read settings through `django.conf.settings`, never `config.settings`. Migrations and tests are
not checked. Plain Python, no database: this runs in a fraction of a second.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {"tests", "migrations", "node_modules", "static", "templates", "docs", "test-artifacts"}

# (files the rule applies to, top-level packages they must not import, why)
RULES = [
    (lambda path: path.startswith("core/"), {"twins", "personas", "governance", "chat", "demo", "config", "api_tokens"},
     "core/ is the ground: it imports no app"),
    (lambda path: path.startswith("api_tokens/"), {"twins", "personas", "governance", "chat", "evaluations", "demo",
                                                   "config"},
     "api_tokens/ (a user's API tokens) knows nothing of twins, specs, chat or the roof"),
    (lambda path: path.startswith("twins/"), {"personas", "governance", "chat", "demo", "config"},
     "twins/ knows nothing of specs, governance, chat, seeding or the roof"),
    (lambda path: path.startswith("personas/"), {"governance", "chat", "demo", "config"},
     "personas/ knows nothing of governance, chat, seeding or the roof"),
    (lambda path: path.startswith("governance/"), {"chat", "demo", "config"},
     "governance/ sits on personas: it knows nothing of chat, seeding or the roof"),
    (lambda path: path.startswith("chat/"), {"demo", "config"},
     "chat/ does not import seeding or the roof"),
    (lambda path: path in {"personas/spec.py", "personas/compiler.py", "personas/prompt_text.py",
                                  "personas/intents.py", "personas/generation.py", "personas/publish_checks.py",
                                  "personas/spec_diff.py", "personas/compliance.py",
                                  "personas/banned_phrases.py"},
     {"django", "rest_framework"},
     "the spec, the compiler and its wording are plain Python"),
    (lambda path: not path.startswith(("demo/", "tests/")), {"demo"},
     "demo/ (seeding) is at the top: nothing imports it"),
]

# Known violations, each to be removed by a named change. `test_the_allow_list_is_not_stale` fails as
# soon as an entry is no longer needed, so this list can only shrink.
KNOWN_VIOLATIONS: dict[str, set[str]] = {}  # none: keep it that way


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository root, with forward slashes
    line: int
    module: str  # absolute dotted name

    @property
    def top(self) -> str:
        return self.module.split(".")[0]


def python_files() -> list[Path]:
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name not in SKIPPED_DIRS]
        files += [Path(folder, name) for name in names if name.endswith(".py")]
    return sorted(files)


def imports_of(source: str, path: str) -> list[Import]:
    """Every import in `source` (module level, in functions, in classes, under `if`), made absolute."""
    package = path.split("/")[:-1]  # where a module's relative imports start (also for __init__.py)
    found = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            found.append(Import(path, node.lineno, module))
    return found


def all_imports() -> list[Import]:
    found = []
    for file in python_files():
        path = file.relative_to(ROOT).as_posix()
        found += imports_of(file.read_text(encoding="utf-8"), path)
    return found


def violations(imports: list[Import]) -> list[tuple[Import, str]]:
    found = []
    for imported in imports:
        for applies, forbidden, why in RULES:
            if applies(imported.path) and imported.top in forbidden:
                found.append((imported, why))
    return found


def describe(imported: Import, why: str) -> str:
    hint = " (read settings through django.conf.settings)" if imported.module == "config.settings" else ""
    return f"{imported.path}:{imported.line} imports {imported.module}: {why}{hint}"


def is_allowed(imported: Import) -> bool:
    return imported.top in KNOWN_VIOLATIONS.get(imported.path, set())


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports()


def test_every_import_points_down(imports):
    broken = [describe(imported, why) for imported, why in violations(imports) if not is_allowed(imported)]
    assert not broken, "imports against the layering of DESIGN.md:\n" + "\n".join(broken)


def test_the_allow_list_is_not_stale(imports):
    still_needed = {(imported.path, imported.top) for imported, _ in violations(imports)}
    stale = [f"{path} no longer imports {top}: remove it from KNOWN_VIOLATIONS"
             for path, tops in KNOWN_VIOLATIONS.items() for top in sorted(tops) if (path, top) not in still_needed]
    assert not stale, "\n".join(stale)


def test_every_app_is_checked(imports):
    checked = {imported.path.split("/")[0] for imported in imports}
    assert {"core", "twins", "personas", "governance", "chat", "config", "demo"} <= checked


# --- the checker itself --------------------------------------------------------------------------

def test_imports_inside_functions_and_relative_imports_are_found():
    source = (
        "import os\n"
        "from . import services\n"
        "from .models import Twin\n"
        "from ..chat import api\n"
        "def later():\n"
        "    from personas.models import PersonaSpec\n"
        "    import chat.services\n"
    )
    found = [(imported.line, imported.module) for imported in imports_of(source, "twins/admin/inline.py")]
    assert found == [(1, "os"), (2, "twins.admin"), (3, "twins.admin.models"), (4, "twins.chat"),
                     (6, "personas.models"), (7, "chat.services")]


def test_a_violation_names_the_file_the_line_and_the_rule():
    source = "def f():\n    from config.settings import DEBUG\n    import django.conf\n"
    found = [describe(imported, why) for imported, why in violations(imports_of(source, "personas/spec.py"))]
    assert found == [
        "personas/spec.py:2 imports config.settings: personas/ knows nothing of governance, chat, seeding or the roof"
        " (read settings through django.conf.settings)",
        "personas/spec.py:3 imports django.conf: the spec, the compiler and its wording are plain Python",
    ]
    assert not violations(imports_of("from django.conf import settings\n", "chat/checks.py"))
    assert violations(imports_of("from demo.seeding import seed_demo\n", "bench/chat_bench.py"))
    assert not violations(imports_of("from demo.seeding import seed_demo\n", "demo/management/commands/x.py"))
