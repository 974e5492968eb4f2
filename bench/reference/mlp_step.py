"""Reference for noether's `mlp-step` benchmark: one Adam training step of a 2x200 tanh MLP
(input 2, output 2, batch 750, MSE loss) in PyTorch on the CPU, timed like the TypeScript side:
warm-up steps, then the median over timed steps, reading the loss (loss.item()) every step.

Usage: python3 bench/reference/mlp_step.py [--steps N] [--warmup N] [--threads N] [--json]
"""
import torch

from common import parser, report, time_steps


def main() -> None:
    ap = parser(steps=100, warmup=10)
    ap.add_argument("--batch", type=int, default=750)
    ap.add_argument("--hidden", type=int, default=200)
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

    report("mlp-step", f"pytorch {torch.__version__} cpu", time_steps(step, a.warmup, a.steps), a)


if __name__ == "__main__":
    main()
