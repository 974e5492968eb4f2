"""PyTorch reference for noether's `gn-step` benchmark: one Adam training step of gn-springs'
encode-process-decode graph network (latent 16, MLPs 2x16 ReLU, one core step with the encoder
skip connection, sum aggregation) on a batch of 50 chains of 8 masses (node features 3, edge
features 5, node output 2), MSE loss, index_add_ for the segment sums.
Usage: python3 bench/reference/gn_step.py [--steps N] [--warmup N] [--threads N] [--json]
"""
import torch

from common import parser, report, time_steps


def mlp(i, o, hid=(16, 16)):
    sizes = [i, *hid, o]
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main() -> None:
    ap = parser(steps=50, warmup=5)
    ap.add_argument("--chains", type=int, default=50)
    ap.add_argument("--masses", type=int, default=8)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    B, n, L = a.chains, a.masses, 16
    links = [(i, i + 1) for i in range(n - 1)]
    pairs = [p for i, j in links for p in ((i, j), (j, i))]
    s = torch.tensor([b * n + p[0] for b in range(B) for p in pairs])
    r = torch.tensor([b * n + p[1] for b in range(B) for p in pairs])
    N, E = B * n, s.shape[0]
    nodes, edges, y = torch.randn(N, 3), torch.randn(E, 5), torch.randn(N, 2)
    enc_e, enc_n = mlp(5, L), mlp(3, L)
    core_e, core_n = mlp(6 * L, L), mlp(3 * L, L)
    dec_n = mlp(L, 2)
    mods = torch.nn.ModuleList([enc_e, enc_n, core_e, core_n, dec_n])
    opt = torch.optim.Adam(mods.parameters(), lr=1e-3)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        e0, v0 = enc_e(edges), enc_n(nodes)
        e_in, v_in = torch.cat([e0, e0], 1), torch.cat([v0, v0], 1)
        e1 = core_e(torch.cat([e_in, v_in[s], v_in[r]], 1))
        agg = torch.zeros(N, L).index_add_(0, r, e1)
        v1 = core_n(torch.cat([agg, v_in], 1))
        loss = ((dec_n(v1) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    report("gn-step", f"pytorch {torch.__version__} cpu", time_steps(step, a.warmup, a.steps), a)


if __name__ == "__main__":
    main()
