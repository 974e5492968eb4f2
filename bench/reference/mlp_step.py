"""Reference for noether's `mlp-step` benchmark: one Adam training step of a 2x200 tanh MLP
(input 2, output 2, batch 750, MSE loss) in PyTorch on the CPU, timed like the TypeScript side:
warm-up steps, then the median over timed steps, reading the loss (loss.item()) every step.

Usage: python3 bench/reference/mlp_step.py [--steps N] [--warmup N] [--threads N] [--json]
With --json the last stdout line is {"impl", "msPerStep", "steps", "threads", "torch", "blas"}.
The BLAS library matters: Debian's python3-torch uses whatever libblas.so.3 the alternatives
system points at, and with only libblas3 installed that is the slow reference BLAS
(`apt-get install libopenblas0-pthread` switches it to OpenBLAS).
"""
import argparse
import json
import os
import statistics
import time

import torch


def loaded_blas() -> str:
    """The BLAS shared library this process has mapped (Linux), e.g. Debian's reference
    /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 (slow, ~3 GFLOP/s) or an OpenBLAS/MKL one."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if line.rstrip().endswith(".so") or ".so." in line}
    except OSError:
        return "unknown"
    hits = sorted(l for l in libs if any(k in l.lower() for k in ("blas", "mkl", "blis")) and "lapack" not in l.lower())
    return ", ".join(hits) if hits else "unknown (statically linked?)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--batch", type=int, default=750)
    ap.add_argument("--hidden", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    d_in, d_out, h, b = 2, 2, a.hidden, a.batch
    model = torch.nn.Sequential(
        torch.nn.Linear(d_in, h), torch.nn.Tanh(),
        torch.nn.Linear(h, h), torch.nn.Tanh(),
        torch.nn.Linear(h, d_out),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(b, d_in)
    y = torch.randn(b, d_out)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    blas = loaded_blas()
    out = {"impl": f"pytorch {torch.__version__} cpu", "msPerStep": ms, "steps": a.steps, "threads": a.threads, "torch": torch.__version__, "blas": blas}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"pytorch mlp-step: {ms:.3f} ms/step (median of {a.steps}, {a.threads} threads, BLAS {blas})")


if __name__ == "__main__":
    main()
