"""PyTorch reference for the `hnn-step` benchmark: one HNN training step.

H = MLP(2 -> 200 -> 200 -> 1, tanh); field = (dH/dp, -dH/dq) from an input gradient with
create_graph=True; loss = MSE(field, target); backward; Adam step. Batch 750.
Usage: python3 bench/reference/hnn_step.py [--steps N] [--warmup N] [--threads N] [--json]
"""
import torch

from common import parser, report, time_steps


def main() -> None:
    ap = parser(steps=30, warmup=5)
    ap.add_argument("--batch", type=int, default=750)
    ap.add_argument("--hidden", type=int, default=200)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, a.hidden), torch.nn.Tanh(),
        torch.nn.Linear(a.hidden, a.hidden), torch.nn.Tanh(),
        torch.nn.Linear(a.hidden, 1),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 2)
    y = torch.randn(a.batch, 2)

    def step() -> float:
        xr = x.clone().requires_grad_(True)
        H = net(xr).sum()
        (g,) = torch.autograd.grad(H, xr, create_graph=True)
        field = torch.stack([g[:, 1], -g[:, 0]], 1)
        loss = ((field - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    report("hnn-step", f"pytorch {torch.__version__} cpu", time_steps(step, a.warmup, a.steps), a)


if __name__ == "__main__":
    main()
