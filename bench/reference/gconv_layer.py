"""Reference for noether's `gconv-layer` benchmark: forward + backward (weight and input
gradients) of one p4 group convolution in PyTorch on the CPU — batch 64, 10x4 -> 10x4
channels, 28x28, 3x3, padding 1 — built as in Cohen & Welling's GrouPy: the filter bank
[10, 10, 4, 3, 3] is expanded to [40, 40, 3, 3] by rotating each filter and cyclically
shifting its rotation axis (one gather with a precomputed index), then one conv2d. Also times
the equivalent ordinary 40 -> 40 conv2d. Timed like the TypeScript side: warm-up, then the
median over timed steps.

Usage: python3 bench/reference/gconv_layer.py [--steps N] [--warmup N] [--threads N] [--json]
With --json the last stdout line is {"impl", "msPerStep", "msConv", "steps", "threads", "torch", "blas"}.
"""
import argparse
import json
import os
import statistics
import time

import torch

from common import loaded_blas


def p4_index(o: int, c: int, k: int) -> torch.Tensor:
    """Flat indices into w [o, c, 4, k, k] giving the expanded bank [o*4, c*4, k, k]:
    out[(o, r), (c, s), i, j] = w[o, c, (s - r) % 4, rot_r^-1 (i, j)]."""
    base = torch.arange(o * c * 4 * k * k).reshape(o, c, 4, k, k)
    rows = []
    for r in range(4):
        w = torch.roll(base, shifts=r, dims=2)  # group axis: s <- s - r
        w = torch.rot90(w, r, dims=(3, 4))  # spatial rotation by r * 90 degrees
        rows.append(w.reshape(o, c * 4, k, k))
    return torch.stack(rows, 1).reshape(-1)


def median_ms(fn, steps: int, warmup: int) -> float:
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        fn()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    b, c, k, n = 64, 10, 3, 28
    w = (torch.randn(c, c, 4, k, k) * (2 / (c * 4 * k * k)) ** 0.5).requires_grad_()
    idx = p4_index(c, c, k)
    x = torch.randn(b, c * 4, n, n, requires_grad=True)

    def p4_step() -> None:
        wx = w.reshape(-1)[idx].reshape(c * 4, c * 4, k, k)
        y = torch.nn.functional.conv2d(x, wx, padding=1)
        loss = (y * y).sum()
        w.grad = None
        x.grad = None
        loss.backward()
        loss.item()

    w2 = (torch.randn(40, 40, k, k) * (2 / (40 * k * k)) ** 0.5).requires_grad_()

    def conv_step() -> None:
        y = torch.nn.functional.conv2d(x, w2, padding=1)
        loss = (y * y).sum()
        w2.grad = None
        x.grad = None
        loss.backward()
        loss.item()

    ms = median_ms(p4_step, a.steps, a.warmup)
    ms_conv = median_ms(conv_step, a.steps, a.warmup)
    out = {"impl": f"PyTorch {torch.__version__} CPU (filter expansion + conv2d)", "msPerStep": ms, "msConv": ms_conv,
           "steps": a.steps, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": loaded_blas()}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"p4 layer fwd+bwd {ms:.1f} ms, ordinary conv {ms_conv:.1f} ms ({out['threads']} threads; BLAS {out['blas']})")


if __name__ == "__main__":
    main()
