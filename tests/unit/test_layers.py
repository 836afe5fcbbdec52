"""The layers depend one way (README "Development"): import-linter checks the contract in
pyproject.toml ([tool.importlinter]) over the real import graph."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports() -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    return subprocess.run(cmd + ["--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_layers_depend_one_way():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_contract_catches_an_upward_import(tmp_path):
    """The check is live: a MIME helper importing the core, or a core module importing a
    shell, breaks it."""
    probe = ROOT / "pipeline" / "mime" / "_layer_probe.py"
    probe.write_text("import pipeline.core  # noqa\nimport connectors.cli  # noqa\n")
    try:
        result = _lint_imports()
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert "pipeline.mime._layer_probe -> pipeline.core" in result.stdout
    assert "pipeline.mime._layer_probe -> connectors.cli" in result.stdout


def test_importing_a_parser_loads_no_shell_or_registry():
    code = ("import sys, pipeline.dsn.rfc3464, pipeline.mime.view; "
            "print(sorted(m for m in sys.modules if m.startswith('connectors') "
            "or m in ('pipeline.core', 'pipeline.handlers')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
