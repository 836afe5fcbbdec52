"""requirements.lock installs into a fresh virtualenv (as the Dockerfile's build stage does:
hash-checked, no dependency resolution) and the project runs on exactly those pins.
Slow: the first run downloads the wheels; pip's cache makes later runs take ~1 minute."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_lock_installs_in_a_fresh_venv_and_runs_the_cli(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(python), "-m", "pip", "install", "--require-hashes", "--no-deps",
                           "-q", "-r", str(REPO / "requirements.lock")],
                          capture_output=True, text=True, timeout=540, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    # the project itself (its source tree, as the image's wheel holds it) on those pins
    run = subprocess.run([str(python), "-c",
                          "import sys; from connectors.cli import main; "
                          "sys.exit(main(['classify', sys.argv[1]]))",
                          str(REPO / "pipeline" / "examples" / "inputs" / "dsn-userunknown.eml")],
                         capture_output=True, text=True, timeout=120, cwd=REPO,
                         env={**env, "PYTHONPATH": str(REPO)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert '"category":"hard_bounce"' in run.stdout.replace(" ", "")
    assert sys.version_info[:2] == (3, 11)   # the lock is for the image's Python
