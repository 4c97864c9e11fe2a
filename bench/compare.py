#!/usr/bin/env python3
"""Times conc against python3 on the same benchmarks, interleaved, and prints ratios.

usage: python3 bench/compare.py [--rounds N] [--conc PATH] [--dir DIR] [BENCH[:ARG] ...]

Each round runs every benchmark once with python3 and once with conc, one after the
other, so that both see the same machine load; the table gives the median wall time of
each over the rounds and conc's time divided by CPython's. The checksum (the last line
of stdout) is compared with DIR/expected/NAME.txt. With no names, the single-thread and
concurrency benchmarks of ../shared/bench run. The single-thread geometric mean is
printed when all eight single-thread benchmarks ran.
"""
import argparse, math, os, statistics, subprocess, sys, time

SINGLE = ["fib", "loops", "nbody", "spectral_norm", "dict_str", "objects", "bigint", "generators"]
CONCURRENT = ["threads_cpu:1", "threads_cpu:2", "lock_uncontended", "lock_contended",
              "queue_pingpong", "condition_pingpong", "thread_spawn", "executor_submit",
              "pool_map", "process_spawn", "mp_queue"]


def run(cmd, cwd):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    dt = time.perf_counter() - t
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    return dt, last, p.returncode, p.stderr[-500:]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--conc", default=os.path.join(here, "..", "target", "release", "conc"))
    ap.add_argument("--dir", default=os.path.join(here, "..", "..", "shared", "bench"))
    ap.add_argument("--base", help="a second conc binary (e.g. before a change), timed in the same rounds")
    ap.add_argument("benches", nargs="*")
    a = ap.parse_args()
    benches = a.benches or SINGLE + CONCURRENT
    conc = os.path.abspath(a.conc)
    runners = [("py", "python3"), ("conc", conc)]
    if a.base:
        runners.append(("base", os.path.abspath(a.base)))
    times = {b: {who: [] for who, _ in runners} for b in benches}
    ok = {b: True for b in benches}
    for r in range(a.rounds):
        for b in benches:
            name, _, arg = b.partition(":")
            f = os.path.join(a.dir, name + ".conc")
            want = open(os.path.join(a.dir, "expected", name + ".txt")).read().strip() if os.path.exists(
                os.path.join(a.dir, "expected", name + ".txt")) else None
            for who, exe in runners:
                cmd = [exe, f] + ([arg] if arg else [])
                dt, last, rc, err = run(cmd, a.dir)
                times[b][who].append(dt)
                if rc != 0 or (want is not None and last != want):
                    ok[b] = False
                    print(f"# {who} {b}: exit {rc}, got {last!r}, want {want!r}\n{err}", file=sys.stderr)
        print(f"# round {r + 1} of {a.rounds} done", file=sys.stderr)
    if a.base:
        print("| benchmark | CPython 3.11 (s) | base (s) | conc (s) | base/CPython | conc/CPython | conc/base | check |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    else:
        print("| benchmark | CPython 3.11 (s) | conc (s) | conc/CPython | check |")
        print("| --- | --- | --- | --- | --- |")
    ratios = {}
    base_ratios = {}
    for b in benches:
        py = statistics.median(times[b]["py"])
        cc = statistics.median(times[b]["conc"])
        ratios[b] = cc / py
        check = "OK" if ok[b] else "FAIL"
        if a.base:
            bs = statistics.median(times[b]["base"])
            base_ratios[b] = bs / py
            print(f"| {b} | {py:.2f} | {bs:.2f} | {cc:.2f} | {bs / py:.2f} | {cc / py:.2f} | {cc / bs:.3f} | {check} |")
        else:
            print(f"| {b} | {py:.2f} | {cc:.2f} | {cc / py:.2f} | {check} |")
    if all(s in ratios for s in SINGLE):
        g = math.exp(sum(math.log(ratios[s]) for s in SINGLE) / len(SINGLE))
        print(f"\nsingle-thread geometric mean: {g:.3f}")
        if a.base:
            gb = math.exp(sum(math.log(base_ratios[s]) for s in SINGLE) / len(SINGLE))
            print(f"single-thread geometric mean (base): {gb:.3f}")
    if "threads_cpu:1" in times and "threads_cpu:2" in times:
        for who in times["threads_cpu:1"]:
            t1 = statistics.median(times["threads_cpu:1"][who])
            t2 = statistics.median(times["threads_cpu:2"][who])
            print(f"threads_cpu speedup ({who}): {2 * t1 / t2:.2f}")


if __name__ == "__main__":
    main()
