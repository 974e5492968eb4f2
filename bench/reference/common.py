"""Shared pieces of the PyTorch reference scripts: the common command line, the timing loop
(warm-up, then the median over timed steps) and the JSON report, with the BLAS library that
this process loaded (Debian's python3-torch uses whatever libblas.so.3 the alternatives system
selects; the reference netlib BLAS is ~10x slower than OpenBLAS)."""
import argparse
import json
import os
import statistics
import time

import torch


def loaded_blas() -> str:
    """The BLAS shared libraries this process has mapped (Linux), or "unknown"."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if line.rstrip().endswith(".so") or ".so." in line}
    except OSError:
        return "unknown"
    hits = sorted(l for l in libs if any(k in l.lower() for k in ("blas", "mkl", "blis")) and "lapack" not in l.lower())
    return ", ".join(hits) if hits else "unknown (statically linked?)"


def parser(steps: int, warmup: int) -> argparse.ArgumentParser:
    """--steps, --warmup, --threads (default: all cores) and --json (print one JSON line)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=steps)
    ap.add_argument("--warmup", type=int, default=warmup)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", action="store_true")
    return ap


def time_steps(step, warmup: int, steps: int) -> list:
    """Runs step() warmup times, then returns the wall time in ms of each of `steps` calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def report(name: str, impl: str, times: list, a, **extra) -> None:
    """Prints {"impl", "msPerStep", "steps", "threads", "torch", "blas", ...} (as JSON with --json)."""
    out = {"impl": impl, "msPerStep": statistics.median(times), "steps": len(times), "threads": a.threads,
           "torch": torch.__version__, "blas": loaded_blas(), **extra}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"pytorch {name}: {out['msPerStep']:.3f} ms/step (median of {len(times)}, {a.threads} threads, BLAS {out['blas']})")
