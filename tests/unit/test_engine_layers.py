"""The engine's layers depend one way: `pipeline.mime` (generic mail helpers) imports no parser
or classifier, and `pipeline.classify` (with its provider overrides) imports no DSN parser.

Read from the source (every import statement, relative ones resolved, imports inside
functions included), so an import added anywhere in a module is caught."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules `path` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(PIPELINE.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    return _imports_of(path.read_text(), package)


def _imports_of(source: str, package: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def _forbidden(layer: str, banned: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for path in sorted((PIPELINE / layer).rglob("*.py")):
        for name in _imports(path):
            if any(name == b or name.startswith(b + ".") for b in banned):
                out.append((str(path.relative_to(PIPELINE)), name))
    return out


@pytest.mark.parametrize("layer, banned", [
    ("mime", ("pipeline.dsn", "pipeline.arf", "pipeline.autoreply", "pipeline.classify",
              "pipeline.dmarc", "pipeline.webhooks", "pipeline.core")),
    ("classify", ("pipeline.dsn", "pipeline.arf", "pipeline.autoreply", "pipeline.dmarc",
                  "pipeline.webhooks", "pipeline.core")),
])
def test_lower_layers_import_no_higher_one(layer, banned):
    assert _forbidden(layer, banned) == []


def test_the_import_reader_sees_relative_and_nested_imports():
    # the checker itself must be able to fail: an import of dsn inside a function of a
    # pipeline/mime module, relative or absolute, is seen
    source = "def f():\n    from ..dsn.fields import strip_type\n    import pipeline.arf\n"
    names = _imports_of(source, "pipeline.mime")
    assert {"pipeline.dsn.fields", "pipeline.dsn.fields.strip_type", "pipeline.arf"} <= names
    assert "pipeline.mime.transfer" in _imports(PIPELINE / "mime" / "view.py")
