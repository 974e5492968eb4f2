"""PyTorch reference for noether's `egnn-step` benchmark: one Adam training step of the EGNN n-body
model (vgsatorras/egnn E_GCL_vel layout) at egnn-nbody's full size: 100 systems of 5 particles,
fully connected (20 edges each), hidden 64, 4 layers, SiLU, edge attribute q_i q_j; edge MLP on
[h_r, h_s, |x_r - x_s|^2, a] padded to 68 columns as noether's; coordinate update by the mean of
(x_r - x_s) phi_x(m) plus phi_v(h) v; recurrent node update; MSE on positions; index_add_ for the
segment sums. Usage: python3 bench/reference/egnn_step.py [--steps N] [--warmup N] [--threads N] [--json]
"""
import torch

from common import parser, report, time_steps


def mlp(i, h, o, act_out=False):
    layers = [torch.nn.Linear(i, h), torch.nn.SiLU(), torch.nn.Linear(h, o)]
    if act_out:
        layers.append(torch.nn.SiLU())
    return torch.nn.Sequential(*layers)


class Layer(torch.nn.Module):
    def __init__(self, h):
        super().__init__()
        self.w = 2 * h + 2 + 2
        self.edge = mlp(self.w, h, h, True)
        self.coord = mlp(h, h, 1)
        self.node = mlp(2 * h, h, h)
        self.vel = mlp(h, h, 1)

    def forward(self, h, x, v, s, r, a, deg):
        diff = x[r] - x[s]
        radial = (diff ** 2).sum(1, keepdim=True)
        pad = torch.zeros(diff.shape[0], self.w - (2 * h.shape[1] + 2))
        m = self.edge(torch.cat([h[r], h[s], radial, a, pad], 1))
        trans = diff * self.coord(m)
        agg = torch.zeros_like(x).index_add_(0, r, trans) / deg
        x = x + agg + self.vel(h) * v
        aggm = torch.zeros_like(h).index_add_(0, r, m)
        h = h + self.node(torch.cat([h, aggm], 1))
        return h, x


def main() -> None:
    ap = parser(steps=20, warmup=3)
    ap.add_argument("--systems", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n, B, H = 5, a.systems, a.hidden
    pairs = [(j, i) for i in range(n) for j in range(n) if i != j]
    s = torch.tensor([b * n + p[0] for b in range(B) for p in pairs])
    r = torch.tensor([b * n + p[1] for b in range(B) for p in pairs])
    N = B * n
    x = torch.randn(N, 3)
    v = torch.randn(N, 3)
    speed = v.norm(dim=1, keepdim=True)
    attr = torch.randn(s.shape[0], 1)
    y = torch.randn(N, 3)
    deg = torch.zeros(N, 1).index_add_(0, r, torch.ones(s.shape[0], 1))
    embed = torch.nn.Linear(1, H)
    layers = torch.nn.ModuleList([Layer(H) for _ in range(a.layers)])
    opt = torch.optim.Adam(list(embed.parameters()) + list(layers.parameters()), lr=1e-3)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        h, xx = embed(speed), x
        for l in layers:
            h, xx = l(h, xx, v, s, r, attr, deg)
        loss = ((xx - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    report("egnn-step", f"pytorch {torch.__version__} cpu", time_steps(step, a.warmup, a.steps), a)


if __name__ == "__main__":
    main()
