"""PyTorch reference for the `flow-step` benchmark: one reverse-KL training step of the 2021
tutorial's phi^4 flow (Albergo et al., 2101.08176): L = 8, m^2 = -4, lambda = 8; 16 affine
couplings with alternating checkerboard masks, each conditioned by a conv net
1 -> 8 -> 8 -> 2 channels (3x3, circular padding, LeakyReLU, tanh output); loss
mean(log r(z) - log|det J| + S(f(z))) over a batch of 64 standard-normal z (a fixed batch, as
on the TypeScript side); backward; Adam 1e-3.
Usage: python3 bench/reference/flow_step.py [--steps N] [--warmup N] [--threads N] [--json]
"""
import math

import torch

from common import parser, report, time_steps


def conv_net(hidden=(8, 8), k=3) -> torch.nn.Module:
    sizes = [1, *hidden, 2]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Conv2d(sizes[i], sizes[i + 1], k, padding=k // 2, padding_mode="circular"))
        layers.append(torch.nn.LeakyReLU() if i < len(sizes) - 2 else torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def checkerboard(L: int, parity: int) -> torch.Tensor:
    i = torch.arange(L).reshape(-1, 1)
    j = torch.arange(L).reshape(1, -1)
    return (((i + j) % 2) == parity).float()


def main() -> None:
    ap = parser(steps=10, warmup=2)
    ap.add_argument("--L", type=int, default=8)
    ap.add_argument("--couplings", type=int, default=16)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    L, m2, lam = a.L, -4.0, 8.0
    nets = torch.nn.ModuleList([conv_net() for _ in range(a.couplings)])
    masks = [checkerboard(L, i % 2) for i in range(a.couplings)]
    opt = torch.optim.Adam(nets.parameters(), lr=1e-3)
    z = torch.randn(a.batch, L, L)

    def action(phi: torch.Tensor) -> torch.Tensor:
        kin = 0
        for d in (1, 2):
            kin = kin + 2 * phi ** 2 - phi * torch.roll(phi, -1, d) - phi * torch.roll(phi, 1, d)
        return (kin + m2 * phi ** 2 + lam * phi ** 4).sum((1, 2))

    def step() -> float:
        x = z
        logr = -0.5 * (z ** 2).sum((1, 2)) - 0.5 * L * L * math.log(2 * math.pi)
        logdet = 0
        for net, m in zip(nets, masks):
            frozen = m * x
            out = net(frozen.unsqueeze(1))
            s, t = (1 - m) * out[:, 0], (1 - m) * out[:, 1]
            x = frozen + (1 - m) * x * torch.exp(s) + t
            logdet = logdet + s.sum((1, 2))
        loss = (logr - logdet + action(x)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    report("flow-step", f"pytorch {torch.__version__} cpu", time_steps(step, a.warmup, a.steps), a)


if __name__ == "__main__":
    main()
