"""Small hand-written example inputs (one of each kind) for `bouncepipe demo` and the docs."""
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent / "inputs"
