#!/usr/bin/env python3
"""Compares parse speed: `conc check FILE` against
`python3 -c "compile(open(F).read(), F, 'exec')"` on a script made by gen_big.py.
Runs alternate between the two; the medians are reported (both include process
start-up).

Usage: measure.py [CONC_BINARY] [LINES] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

conc = sys.argv[1] if len(sys.argv) > 1 else "target/release/conc"
lines = sys.argv[2] if len(sys.argv) > 2 else "50000"
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5

here = os.path.dirname(os.path.abspath(__file__))
with tempfile.TemporaryDirectory() as tmp:
    big = os.path.join(tmp, "big.conc")
    with open(big, "w") as out:
        subprocess.run([sys.executable, os.path.join(here, "gen_big.py"), lines], stdout=out, check=True)
    n = sum(1 for _ in open(big, encoding="utf-8"))
    commands = {
        "conc check": [conc, "check", big],
        "python3 compile": ["python3", "-c", f"compile(open({big!r}).read(), {big!r}, 'exec')"],
    }
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True)
            times[name].append(time.perf_counter() - start)
    print(f"{n} lines, median of {runs} interleaved runs")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"{name:16} {median:.3f} s  {n / median:>12,.0f} lines/s")
