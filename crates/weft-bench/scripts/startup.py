#!/usr/bin/env python3
"""Startup side by side: the wall time from process start to the first
executed Wasm instruction, and the peak RSS of that process, for weft
(lazy translation, its default, and eager), wasmi 2.0 (lazy, its default)
and wasmtime 48 (Cranelift, its compilation cache off).

Every runtime gets one unit of fuel, so the process ends with an
out-of-fuel trap at the first instruction it executes (a start function
if the module has one, else `_start`, or for a component whatever runs
first); the script checks that each run ended that way. Runs of the
runtimes are interleaved; the table shows medians.

    cargo build --release -p weft-cli
    cargo build --release -p weft-bench --example wasmi_start
    cargo install wasmtime-cli --version 48.0.8 --locked   # once
    python3 crates/weft-bench/scripts/startup.py [RUNS]      # default 11

wasmi runs through `wasmi_start` (wasmi + wasmi_wasi, as `wasmi_cli`,
plus the sightglass `bench` imports that `wasmi_cli` cannot define); it
runs neither GC modules nor components, so it has no Kotlin or py-cli row.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../../.."))
SHARED = os.path.normpath(os.path.join(ROOT, "../shared"))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
WEFT = os.path.join(TARGET, "release/weft")
WASMI = os.path.join(TARGET, "release/examples/wasmi_start")
WASMTIME = shutil.which("wasmtime") or os.path.expanduser("~/.cargo/bin/wasmtime")
SIGHTGLASS = os.path.join(SHARED, "bench/sightglass")

# What each runtime prints when it runs out of fuel.
OUT_OF_FUEL = {"weft": "fuel", "wasmi": "out of fuel", "wasmtime": "all fuel consumed"}


def programs():
    """(name, directory to pre-open, file, kind) of each measured program."""
    py = os.path.join(SHARED, "programs/components/py-cli")
    run_dir = os.path.join(tempfile.gettempdir(), "weft-startup-py")
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(os.path.join(py, "run"), run_dir)
    return [
        ("sqlite3", os.path.join(SIGHTGLASS, "sqlite3"), "sqlite3.wasm", "wasi"),
        ("rust-compression", os.path.join(SIGHTGLASS, "rust-compression"), "benchmark.wasm", "wasi"),
        ("kotlin lists", os.path.join(SHARED, "programs/kotlin"), "lists.wasm", "gc"),
        ("py-cli", run_dir, os.path.join(py, "py-cli.wasm"), "component"),
    ]


def commands(d, f, kind):
    """The command of each runtime for one program (None: cannot run it)."""
    f = os.path.join(d, f)
    weft = [WEFT, "run", "--fuel", "1", "--dir", d + "::."]
    wasmtime = [WASMTIME, "run", "-C", "cache=n", "-W", "fuel=1", "--dir", d + "::."]
    if kind == "wasi":
        # The sightglass `bench` imports, as no-ops.
        weft += ["-W", "unknown-imports-default=y"]
        wasmtime += ["-W", "unknown-imports-default=y"]
    if kind == "gc":
        wasmtime += ["-W", "gc=y,exceptions=y,function-references=y"]
    return {
        "weft": weft + [f],
        "weft eager": weft + ["-W", "eager-translation=y", f],
        "wasmi": [WASMI, d, f] if kind == "wasi" else None,
        "wasmtime": wasmtime + [f],
    }


def measure(name, cmd):
    """Seconds until the process ends, and its peak RSS in KiB."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    t = time.perf_counter() - t0
    err = p.stderr.decode(errors="replace")
    lines = err.strip().splitlines()
    expected = OUT_OF_FUEL[name.split()[0]]
    if p.returncode == 0 or expected not in err:
        sys.exit(f"{name} did not stop at its first instruction: {' '.join(cmd)}\n{err}")
    return t, int(lines[-1])


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    rows = []
    for prog, d, f, kind in programs():
        cmds = {k: v for k, v in commands(d, f, kind).items() if v is not None}
        results = {k: [] for k in cmds}
        for i in range(runs):
            order = list(cmds) if i % 2 == 0 else list(reversed(cmds))
            for name in order:
                results[name].append(measure(name, cmds[name]))
        med = {k: (statistics.median(t for t, _ in r), statistics.median(m for _, m in r))
               for k, r in results.items()}
        line = ", ".join(f"{k} {t * 1e3:.1f} ms" for k, (t, _) in med.items())
        print(f"{prog}: {line}", file=sys.stderr, flush=True)
        rows.append((prog, med))

    print(f"\nTime to the first instruction and peak RSS (median of {runs} interleaved runs)\n")
    print("| program | runtime | time | × weft's time | peak RSS |")
    print("|---|---|---|---|---|")
    for prog, med in rows:
        base = med["weft"][0]
        for name, (t, rss) in med.items():
            print(f"| {prog} | {name} | {t * 1e3:.1f} ms | {t / base:.2f} | {rss / 1024:.1f} MB |")


if __name__ == "__main__":
    main()
