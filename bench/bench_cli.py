"""`bouncepipe classify` end to end (start-up included), one job and two, over ~12,000 bounce
files, with Sisimai (Perl) and Sisimai's Go port over the same files in the same run. By hand,
never in the suite:

    .venv/bin/python bench/bench_cli.py [--copies 30] [--rounds 3] [--peer]

The files are the corpus's bounces (../shared/corpus/bounces, or $BOUNCEPIPE_CORPUS) copied
--copies times into a temporary directory (394 x 30 = 11,820), removed afterwards. Each
figure is the best of --rounds runs (the machine is shared); the outputs of one and two jobs
are compared byte for byte. Sisimai's figure is its best pass per CPU-second over the same
files read into memory (bench/sisimai_peer.pl): start-up and file reading excluded, so the
ratio is conservative. The Go peer (bench/sisimai_go/main.go, one core: GOMAXPROCS=1) is
measured the same way; it is built here when `go` is on the PATH and SISIMAI_GO_SRC names a
go-sisimai clone (a work tree or a bare/mirror git directory): only its library code is
copied into the scratch build (no *_test.go, no set-of-emails), and golang.org/x/net and
x/text come from Debian (`apt-get install golang-go golang-golang-x-net-dev
golang-golang-x-text-dev`; no module proxy). Otherwise that peer is skipped, saying why.
Ratios are per CPU-second on both sides (the machine is shared).
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_emails() -> Path:
    env = os.environ.get("BOUNCEPIPE_CORPUS")
    root = Path(env) if env else ROOT.parent / "shared" / "corpus"
    return root / "bounces" / "emails"


def make_files(dest: Path, copies: int) -> list[Path]:
    source = corpus_emails()
    for n in range(copies):
        shutil.copytree(source, dest / f"copy{n:03d}")
    return sorted(p for p in dest.rglob("*") if p.is_file())


def _library_files(src: Path) -> list[str]:
    """go-sisimai's library sources (and go.mod): no tests, no set-of-emails."""
    if (src / "objects").is_dir() and (src / "HEAD").is_file():   # a bare or mirror git dir
        names = subprocess.run(["git", "--git-dir", str(src), "ls-tree", "-r", "--name-only",
                                "HEAD"], capture_output=True, text=True, check=True).stdout
        names = names.split()
    else:
        names = [str(p.relative_to(src)) for p in src.rglob("*.go")] + ["go.mod"]
    return sorted(n for n in names if (n == "go.mod" or n.endswith(".go"))
                  and not n.endswith("_test.go") and not n.startswith(("set-of-emails/", ".")))


def build_sisimai_go(scratch: Path) -> Path | None:
    """The Go peer's binary, built in `scratch`, or None (the reason is printed)."""
    go, src = shutil.which("go"), os.environ.get("SISIMAI_GO_SRC")
    if not go:
        print("Go peer skipped: no `go` (apt-get install golang-go golang-golang-x-net-dev "
              "golang-golang-x-text-dev)", file=sys.stderr)
        return None
    if not src or not Path(src).is_dir():
        print("Go peer skipped: SISIMAI_GO_SRC does not name a go-sisimai clone",
              file=sys.stderr)
        return None
    src_path, lib = Path(src), scratch / "sisimai"
    scratch.mkdir(parents=True, exist_ok=True)
    names = _library_files(src_path)
    if (src_path / "objects").is_dir():
        archive = subprocess.run(["git", "--git-dir", src, "archive", "HEAD", *names],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch), "--one-top-level=sisimai"],
                       input=archive, check=True)
    else:
        for name in names:
            (lib / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_path / name, lib / name)
    for name in ("main.go", "go.mod"):
        shutil.copyfile(ROOT / "bench" / "sisimai_go" / name, scratch / name)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOSUMDB": "off",
           "GOTOOLCHAIN": "local"}
    done = subprocess.run([go, "build", "-o", "sisimai-go-peer", "."], cwd=scratch, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"Go peer skipped: the build failed: {done.stderr.strip()[:500]}",
              file=sys.stderr)
        return None
    return scratch / "sisimai-go-peer"


def sisimai_go_peer(files: list[Path], rounds: int, scratch: Path) -> dict | None:
    binary = build_sisimai_go(scratch)
    if binary is None:
        return None
    done = subprocess.run([str(binary), str(rounds)], capture_output=True, text=True,
                          input="\n".join(str(p) for p in files), check=False)
    if done.returncode != 0:
        print(f"Go peer did not run: {done.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return json.loads(done.stdout)


def classify_run(inputs: Path, jobs: int, out: Path, *, code: Path = ROOT
                 ) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its workers), running the packages found
    under `code` (this checkout, or bench/compiled_ceiling.py's compiled copy)."""
    import resource

    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with out.open("wb") as fh:
        subprocess.run([sys.executable, "-m", "connectors.cli", "classify", "--jobs", str(jobs),
                        str(inputs)], stdout=fh, check=True, env=env, cwd=code)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--peer", action="store_true",
                    help="Sisimai (Perl) and Sisimai Go (when built here) in the same run")
    args = ap.parse_args()
    # byte-compiled, as an installed package is: a shell with PYTHONDONTWRITEBYTECODE would
    # otherwise recompile every module on every run and bill it to start-up
    import compileall

    for package in ("schemas", "pipeline", "connectors"):
        compileall.compile_dir(ROOT / package, quiet=1)
    with tempfile.TemporaryDirectory(prefix="bouncepipe-bench-cli-") as tmp:
        tmp = Path(tmp)
        files = make_files(tmp / "in", args.copies)
        print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.0f} MB; "
              f"cores here: {len(os.sched_getaffinity(0))}")
        best: dict[int, float] = {}
        cpu_best: dict[int, float] = {}
        for _ in range(args.rounds):
            for jobs in (1, 2):
                took, cpu = classify_run(tmp / "in", jobs, tmp / f"out{jobs}.jsonl")
                best[jobs] = min(best.get(jobs, took), took)
                cpu_best[jobs] = min(cpu_best.get(jobs, cpu), cpu)
                print(f"  classify --jobs {jobs}: {took:.2f} s = {len(files) / took:,.0f} msg/s "
                      f"(CPU {cpu:.2f} s = {len(files) / cpu:,.0f} msg per CPU-second; load "
                      f"{os.getloadavg()[0]:.1f})", flush=True)
        assert filecmp.cmp(tmp / "out1.jsonl", tmp / "out2.jsonl", shallow=False), \
            "one and two jobs printed different output"
        one, two = len(files) / best[1], len(files) / best[2]
        print(f"best of {args.rounds}: one job {one:,.0f} msg/s, two jobs {two:,.0f} msg/s "
              f"({two / one:.2f}x); outputs identical; CPU-seconds: one job "
              f"{cpu_best[1]:.2f}, two jobs {cpu_best[2]:.2f} (what parallelism costs)")
        if args.peer:
            sys.path.insert(0, str(ROOT / "bench"))
            from bench_bounces import sisimai_peer
            ours = {jobs: len(files) / cpu_best[jobs] for jobs in (1, 2)}
            print(f"bouncepipe per CPU-second (best): one job {ours[1]:,.0f} msg/s, two jobs "
                  f"{ours[2]:,.0f} msg/s")
            peers = [("Perl", sisimai_peer(files, args.rounds)),
                     ("Go", sisimai_go_peer(files, args.rounds, tmp / "go"))]
            for name, peer in peers:
                if peer:
                    rate = peer["files"] / peer["best_cpu_s"]
                    print(f"Sisimai {peer['sisimai']} ({name}), best pass per CPU-second over "
                          f"the same files: {rate:,.0f} msg/s ({peer['results']} recipients); "
                          f"bouncepipe/Sisimai {name} per CPU-second: one job "
                          f"{ours[1] / rate:.2f}x, two jobs {ours[2] / rate:.2f}x; one job's "
                          f"wall rate / its rate {one / rate:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
