"""Import hygiene of src/fangpin: every module imports on its own, and no app reaches into another one
from inside a function (such an import hides a dependency, usually a cycle between apps).

The fresh-process import of each module, one at a time, is what finds an import cycle that only breaks
when a module happens to be imported first; it starts one Python process per module and runs under
`-m slow` (CI). The quick tests import everything in one fresh process and read the source for
function-level imports.
"""

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import fangpin

SOURCE = Path(fangpin.__file__).resolve().parent
SRC = SOURCE.parent

# Function-level imports from another app that stay, each because of a real cycle. Key: (module that
# imports, module it imports). Remove an entry when its cycle is gone; the test fails on a stale entry.
ALLOWED_FUNCTION_LEVEL_IMPORTS = {
    # core ↔ the project: fangpin.wsgi builds the application from the URLconf, which imports every
    # app, and every app imports core; `fangpin serve` loads it only when it starts serving.
    ("fangpin.core.management.commands.serve", "fangpin.wsgi"),
    # Not a cycle but the same need: `python -m fangpin.demo.calibration` is a script that points Django
    # at a temporary database and sets it up itself; models can be imported only after that.
    ("fangpin.demo.calibration", "fangpin.registry.models"),
    ("fangpin.demo.calibration", "fangpin.core.models"),
}


# No source file grows past this many lines (migrations excepted): split a long module by subject.
MAX_LINES = 700


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_of(module: str) -> str:
    """`fangpin.<app>` for a module inside an app package; the module itself for the project's own
    top-level modules (fangpin.settings, fangpin.urls, fangpin.wsgi, ...)."""
    return ".".join(module.split(".")[:2])


def all_modules(with_migrations: bool = True) -> list[str]:
    return sorted(module_name(path) for path in SOURCE.rglob("*.py")
                  if with_migrations or "migrations" not in path.parts)


def resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def function_level_imports() -> list[tuple[str, str, int]]:
    """(importing module, imported fangpin module, line) for every import inside a function body."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    targets = [resolve(module, path, node)]
                elif isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                else:
                    continue
                found += [(module, target, node.lineno) for target in targets
                          if target == "fangpin" or target.startswith("fangpin.")]
    return sorted(set(found))


def cross_app(imports):
    return [(module, target, line) for module, target, line in imports if app_of(module) != app_of(target)]


def test_resolve_reads_relative_imports():
    tree = ast.parse("def f():\n    from ..models import Lead\n    from . import services\n")
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    path = SOURCE / "monitoring" / "visits" / "views.py"
    assert resolve("fangpin.monitoring.visits.views", path, nodes[0]) == "fangpin.monitoring.models"
    assert resolve("fangpin.monitoring.visits.views", path, nodes[1]) == "fangpin.monitoring.visits"
    init = SOURCE / "monitoring" / "__init__.py"
    assert resolve("fangpin.monitoring", init, nodes[1]) == "fangpin.monitoring"


def test_the_check_sees_a_function_level_import_across_apps():
    imports = [("fangpin.cases.views", "fangpin.assistance.selectors", 1),
               ("fangpin.cases.forms", "fangpin.cases.services", 2),
               ("fangpin.core.management.commands.serve", "fangpin.wsgi", 3)]
    assert cross_app(imports) == [imports[0], imports[2]]


def test_no_function_level_import_from_another_app_outside_the_allow_list():
    found = cross_app(function_level_imports())
    unexpected = [f"{module}:{line} imports {target} inside a function" for module, target, line in found
                  if (module, target) not in ALLOWED_FUNCTION_LEVEL_IMPORTS]
    assert not unexpected, ("Import at module level, or remove the cycle that forces the late import:\n"
                            + "\n".join(unexpected))
    stale = ALLOWED_FUNCTION_LEVEL_IMPORTS - {(module, target) for module, target, _line in found}
    assert not stale, f"No longer imported inside a function; remove from the allow-list: {sorted(stale)}"


def test_no_source_file_is_longer_than_the_limit():
    lengths = {str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
               for path in SOURCE.rglob("*.py") if "migrations" not in path.parts}
    too_long = {name: lines for name, lines in lengths.items() if lines > MAX_LINES}
    assert not too_long, f"Split these modules by subject (at most {MAX_LINES} lines each): {too_long}"


def _import_in_fresh_process(modules: list[str]) -> subprocess.CompletedProcess:
    code = ("import importlib, sys, django\n"
            "django.setup()\n"
            "for name in sys.argv[1:]:\n"
            "    importlib.import_module(name)\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fangpin.settings"}
    return subprocess.run([sys.executable, "-c", code, *modules], capture_output=True, text=True, env=env,
                          cwd=SRC.parent, timeout=600)


def test_every_module_imports_in_one_fresh_process(tmp_path, monkeypatch):
    monkeypatch.setenv("FANGPIN_DATA_DIR", str(tmp_path))
    result = _import_in_fresh_process(all_modules())
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_each_module_imports_first_in_a_fresh_process(tmp_path, monkeypatch):
    """One process per module, so each is the first fangpin module imported after Django's set-up:
    an import cycle breaks here whichever module of it comes first."""
    monkeypatch.setenv("FANGPIN_DATA_DIR", str(tmp_path))
    modules = all_modules()
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        results = dict(zip(modules, pool.map(lambda name: _import_in_fresh_process([name]), modules)))
    failures = {name: result.stderr.strip().splitlines()[-1:] for name, result in results.items()
                if result.returncode != 0}
    assert not failures, "\n".join(f"{name}: {lines}" for name, lines in failures.items())
