"""PyTorch reference for the `lieconv-step` benchmark: one training step of the SO(2) LieConv
classifier of `lieconv-rotmnist --quick` (src/layers/lieconv/conv.ts, same architecture).

Clouds [B, N, 2] with one value per point; lift: angle th_i and radius r_i; pair features
a_ij = [wrap(th_j - th_i), r_i, r_j], distance d_ij = wrap(.)^2 + (r_i - r_j)^2; input Linear(1 -> C);
`layers` residual LieConv layers h <- h + Linear(mid*C -> C)((1/K) sum_j k(a_ij) (x) silu(h)_j) over
the K nearest neighbours (topk of the distance), k = MLP(3 -> kh -> kh -> mid, silu); masked mean
pool of silu(h); Linear(C -> 10); softmax cross-entropy; Adam. All points valid.
Usage: python3 bench/reference/lieconv_step.py [--steps N] [--warmup N] [--threads N] [--json]
"""
import math

import torch
import torch.nn.functional as F

from common import parser, report, time_steps


class LieConvSO2(torch.nn.Module):
    def __init__(self, C: int, layers: int, K: int, kh: int, mid: int) -> None:
        super().__init__()
        self.K = K
        self.inp = torch.nn.Linear(1, C)
        self.kernels = torch.nn.ModuleList(
            torch.nn.Sequential(torch.nn.Linear(3, kh), torch.nn.SiLU(), torch.nn.Linear(kh, kh), torch.nn.SiLU(),
                                torch.nn.Linear(kh, mid)) for _ in range(layers))
        self.lins = torch.nn.ModuleList(torch.nn.Linear(mid * C, C) for _ in range(layers))
        self.head = torch.nn.Linear(C, 10)

    def forward(self, pts: torch.Tensor, vals: torch.Tensor) -> torch.Tensor:
        B, N, _ = pts.shape
        th = torch.atan2(pts[..., 1], pts[..., 0])
        r = pts.norm(dim=-1)
        d = th[:, None, :] - th[:, :, None]
        rel = torch.atan2(torch.sin(d), torch.cos(d))
        ri = r[:, :, None].expand(B, N, N)
        rj = r[:, None, :].expand(B, N, N)
        pairs = torch.stack([rel, ri, rj], -1)  # [B, N, N, 3]
        dist = (rel ** 2 + (ri - rj) ** 2).detach()
        nbr = torch.topk(-dist, self.K, dim=-1).indices  # [B, N, K]
        npairs = torch.gather(pairs, 2, nbr[..., None].expand(B, N, self.K, 3))
        h = self.inp(vals)
        C = h.shape[-1]
        for kern, lin in zip(self.kernels, self.lins):
            a = F.silu(h)
            nv = torch.gather(a, 1, nbr.reshape(B, N * self.K, 1).expand(B, N * self.K, C)).reshape(B * N, self.K, C)
            k = kern(npairs).reshape(B * N, self.K, -1)
            conv = torch.bmm(k.transpose(1, 2), nv) / self.K
            h = h + lin(conv.reshape(B, N, -1))
        return self.head(F.silu(h).mean(1))


def main() -> None:
    ap = parser(steps=30, warmup=5)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--points", type=int, default=24)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--nbhd", type=int, default=12)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = LieConvSO2(a.channels, a.layers, a.nbhd, 16, 8)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    pts = torch.randn(a.batch, a.points, 2) * 0.5
    vals = torch.rand(a.batch, a.points, 1)
    y = torch.randint(0, 10, (a.batch,))

    def step() -> float:
        loss = F.cross_entropy(net(pts, vals), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    report("lieconv-step", f"pytorch {torch.__version__} cpu", time_steps(step, a.warmup, a.steps), a)


if __name__ == "__main__":
    main()
