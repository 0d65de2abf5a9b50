#!/usr/bin/env python3
"""The flagship map's whole-process time: `dline render styles/digital-line.yaml`
run N times (the process's start and end included, timed from here), with the
PROJ operation cache folder warm (one render first fills it), printed as the
median, fastest and 75th percentile. With more than one dline, the builds take
turns within each round, so a drift of this VM's speed falls on all of them
alike; only their ratio within one run means anything.

  bench/flagship.py [-n N] [--cold] DLINE [DLINE...]

--cold empties the cache folder before every render (the first render on a
machine). Run from the top of the repository.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=30, help="renders per build (30)")
    ap.add_argument("--cold", action="store_true", help="no cache folder")
    ap.add_argument("dline", nargs="+")
    a = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="dline-flagship-cache-")
    out = tempfile.mkdtemp(prefix="dline-flagship-out-")
    env = dict(os.environ, DLINE_CACHE_DIR="" if a.cold else cache)
    cmds = [[d, "render", "styles/digital-line.yaml", "-o", os.path.join(out, "%d.png" % i)]
            for i, d in enumerate(a.dline)]
    try:
        for c in cmds:  # fills the cache folder; not timed
            subprocess.run(c, env=env, check=True)
        times = [[] for _ in cmds]
        for _ in range(a.n):
            for i, c in enumerate(cmds):
                t = time.perf_counter()
                subprocess.run(c, env=env, check=True)
                times[i].append(time.perf_counter() - t)
        for d, t in zip(a.dline, times):
            t.sort()
            print("%-40s median %.4f s  fastest %.4f s  75th percentile %.4f s  (%d runs%s)" %
                  (d, statistics.median(t), t[0], t[int(len(t) * 0.75)], len(t),
                   ", cold" if a.cold else ""))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
