"""How much faster would `bouncepipe classify` be if the pure-Python core were compiled as it
stands? A ceiling, measured by hand (never in the suite):

    .venv/bin/pip install cython   # not a dependency of the project: only this script needs it
    .venv/bin/python bench/compiled_ceiling.py [--copies 30] [--rounds 3]

Why: issue #19 asks for >= 5,000 msg/s with one job (and, long run, 4x Sisimai's Go port).
The profile is flat: ~1,200 Python calls per bounce over ~60 modules, a quarter of the time in
the interpreter's own loop, a tenth in the regex engine, the rest in object operations
(`perf record`). Compiling every module of `pipeline/` with Cython removes the bytecode
dispatch and keeps everything else, so its gain is an upper bound on what compiling the
present code (rather than rewriting it) can give.

The script copies pipeline/, schemas/ and connectors/ into a scratch directory, compiles every
module of the scratch pipeline/ (its __init__ files stay Python) with Cython and the system C
compiler, then times `classify --jobs 1` over the corpus's bounces copied --copies times
(as bench_cli.py), the compiled copy and this checkout alternately, --rounds times each, and
compares their outputs byte for byte. Figures are the best run of each, start-up included.
The scratch directory is removed afterwards. Compiling takes ~3.5 minutes on 2 cores.

Measured 2026-12-06: compiled / python 1.11x (3,692 against 3,331 msg/s, outputs identical).
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_cli import classify_run, make_files

SETUP = """
from pathlib import Path
from setuptools import setup
from Cython.Build import cythonize
modules = sorted(str(p) for p in Path("pipeline").rglob("*.py") if p.name != "__init__.py")
setup(name="bouncepipe-compiled-ceiling", script_args=["build_ext", "--inplace", "--parallel", "{jobs}"],
      ext_modules=cythonize(modules, nthreads={jobs}, language_level=3, quiet=True,
                            compiler_directives={{"binding": True}}))
"""


def compiled_copy(scratch: Path) -> Path:
    """pipeline/, schemas/ and connectors/ copied into scratch/src, pipeline/ compiled there."""
    src = scratch / "src"
    for package in ("pipeline", "schemas", "connectors"):
        shutil.copytree(ROOT / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    (src / "setup_compiled.py").write_text(SETUP.format(jobs=os.cpu_count() or 1))
    t0 = time.monotonic()
    # the C compiler's warnings about Cython's generated code are many and not ours to fix:
    # shown only when the build fails
    build = subprocess.run([sys.executable, "setup_compiled.py"], cwd=src,
                           capture_output=True, text=True, check=False)
    if build.returncode:
        raise SystemExit(f"the compiled build failed:\n{build.stderr[-4000:]}")
    built = sorted(src.glob("pipeline/**/*.so"))
    print(f"compiled {len(built)} modules of pipeline/ with Cython in {time.monotonic() - t0:.0f}s")
    return src


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    try:
        import Cython  # noqa: F401
    except ImportError:
        print("needs Cython in this interpreter: .venv/bin/pip install cython")
        return 1
    with tempfile.TemporaryDirectory(prefix="bp-compiled-") as tmp:
        scratch = Path(tmp)
        files = make_files(scratch / "inputs", args.copies)
        if not files:
            print("no corpus (set BOUNCEPIPE_CORPUS or put ../shared beside the repo)")
            return 1
        src = compiled_copy(scratch)
        best = {"python": float("inf"), "compiled": float("inf")}
        for _ in range(args.rounds):
            for name, path in (("python", ROOT), ("compiled", src)):
                took, _ = classify_run(scratch / "inputs", 1, scratch / f"{name}.jsonl",
                                       code=path)
                best[name] = min(best[name], took)
        same = filecmp.cmp(scratch / "python.jsonl", scratch / "compiled.jsonl", shallow=False)
        n = len(files)
        for name, took in best.items():
            print(f"  classify --jobs 1, {name:8s}: {took:.2f} s = {n / took:,.0f} msg/s")
        print(f"{n} files; compiled / python: {best['python'] / best['compiled']:.2f}x; "
              f"outputs {'identical' if same else 'DIFFER'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
