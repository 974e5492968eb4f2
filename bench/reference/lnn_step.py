"""PyTorch (functorch) reference for the `lnn-step` benchmark: one LNN training step.

L = MLP(4 -> 128 -> 128 -> 1, softplus) on x = (q, qdot), n = 2. Per sample, with functorch:
grad and Hessian of L; qdd = solve(d2L/dqdot2, dL/dq - d2L/dqdot dq . qdot); loss = MSE(qdd,
target); backward through the Hessian; Adam step. Batch 256.
Prints one JSON line: {"impl", "msPerStep", "threads"} (median over timed steps).
"""
import argparse, json, os, statistics, time
import torch
from functorch import grad, hessian, vmap
from torch.nn.utils.stateless import functional_call

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--hidden", type=int, default=128)
ap.add_argument("--steps", type=int, default=20)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
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
    M = H[n:, n:]
    C = H[n:, :n]
    return torch.linalg.solve(M, g[:n] - C @ xi[n:])


def step():
    params = tuple(net.parameters())
    qdd = vmap(qdd_one, in_dims=(None, 0))(params, x)
    loss = ((qdd - y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


times = []
for i in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    step()
    if i >= a.warmup:
        times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({"impl": f"pytorch {torch.__version__} + functorch cpu ({a.threads} threads)", "msPerStep": statistics.median(times), "threads": a.threads}))
