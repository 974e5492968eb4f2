"""PyTorch (functorch) reference for the `lnn-step` benchmark: one LNN training step.

L = MLP(4 -> 128 -> 128 -> 1, softplus) on x = (q, qdot), n = 2. Per sample, with functorch:
grad and Hessian of L; qdd = solve(d2L/dqdot2, dL/dq - d2L/dqdot dq . qdot); loss = MSE(qdd,
target); backward through the Hessian; Adam step. Batch 256.
Usage: python3 bench/reference/lnn_step.py [--steps N] [--warmup N] [--threads N] [--json]
"""
import torch
from functorch import grad, hessian, vmap
from torch.nn.utils.stateless import functional_call

from common import parser, report, time_steps


def main() -> None:
    ap = parser(steps=20, warmup=3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=128)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n = 2
    net = torch.nn.Sequential(
        torch.nn.Linear(2 * n, a.hidden), torch.nn.Softplus(),
        torch.nn.Linear(a.hidden, a.hidden), torch.nn.Softplus(),
        torch.nn.Linear(a.hidden, 1),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 2 * n)
    y = torch.randn(a.batch, n)
    names = [k for k, _ in net.named_parameters()]

    def qdd_one(params, xi):
        def L(z):
            return functional_call(net, dict(zip(names, params)), (z,)).squeeze()
        g = grad(L)(xi)
        H = hessian(L)(xi)
        return torch.linalg.solve(H[n:, n:], g[:n] - H[n:, :n] @ xi[n:])

    def step() -> float:
        qdd = vmap(qdd_one, in_dims=(None, 0))(tuple(net.parameters()), x)
        loss = ((qdd - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    report("lnn-step", f"pytorch {torch.__version__} + functorch cpu", time_steps(step, a.warmup, a.steps), a)


if __name__ == "__main__":
    main()
