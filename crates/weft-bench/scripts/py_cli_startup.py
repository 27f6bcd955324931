#!/usr/bin/env python3
"""Startup of the py-cli component (CPython in an 18 MB component) on weft
and on wasmtime (no compilation cache), interleaved: the time until its
first byte of output, the total time, and peak RSS (GNU time's %M).

    cargo build --release -p weft-cli
    cargo install wasmtime-cli --version 48.0.8 --locked   # once
    python3 crates/weft-bench/scripts/py_cli_startup.py [RUNS]
"""
import subprocess, time, sys, os, shutil, statistics, tempfile
HERE=os.path.dirname(os.path.abspath(__file__))
ROOT=os.path.normpath(os.path.join(HERE,"../../.."))
prog=os.path.normpath(os.path.join(ROOT,"../shared/programs/components/py-cli"))
WEFT=os.path.join(ROOT,"target/release/weft")
def setup():
    d=os.path.join(tempfile.gettempdir(),"weft-pyrun")
    shutil.rmtree(d, ignore_errors=True); shutil.copytree(prog+"/run", d)
    return d
def measure(cmd):
    t0=time.perf_counter()
    p=subprocess.Popen(["/usr/bin/time","-f","%M"]+cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first=p.stdout.read(1); t1=time.perf_counter()
    rest=p.stdout.read(); err=p.stderr.read().decode(); p.wait(); t2=time.perf_counter()
    rss=int(err.strip().splitlines()[-1])
    return t1-t0, t2-t0, rss, (first+rest).decode()
runs={"weft":[], "wasmtime":[]}
for i in range(int(sys.argv[1]) if len(sys.argv)>1 else 3):
    for name in ["weft","wasmtime"]:
        d=setup()
        if name=="weft":
            cmd=[WEFT,"run","--dir",d+"::.","--env","GREETING=hi",prog+"/py-cli.wasm","one","two"]
        else:
            cmd=[os.path.expanduser("~/.cargo/bin/wasmtime"),"run","-C","cache=n","--dir",d+"::.","--env","GREETING=hi",prog+"/py-cli.wasm","one","two"]
        first,total,rss,out=measure(cmd)
        ok = out==open(prog+"/stdout.expected").read()
        runs[name].append((first,total,rss,ok))
        print(name, f"first output {first:.3f}s total {total:.3f}s rss {rss/1024:.1f} MB ok={ok}", flush=True)
for name,r in runs.items():
    print(name, "median first", f"{statistics.median(x[0] for x in r):.3f}", "median total", f"{statistics.median(x[1] for x in r):.3f}", "median rss MB", f"{statistics.median(x[2] for x in r)/1024:.1f}")
w=statistics.median(x[0] for x in runs["weft"]); m=statistics.median(x[0] for x in runs["wasmtime"])
print(f"first-output ratio wasmtime/weft = {m/w:.1f}")
