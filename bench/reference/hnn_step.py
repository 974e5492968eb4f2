"""PyTorch reference for the `hnn-step` benchmark: one HNN training step.

H = MLP(2 -> 200 -> 200 -> 1, tanh); field = (dH/dp, -dH/dq) from an input gradient with
create_graph=True; loss = MSE(field, target); backward; Adam step. Batch 750.
Prints one JSON line: {"impl", "msPerStep", "threads"} (median over timed steps).
"""
import argparse, json, os, statistics, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=750)
ap.add_argument("--hidden", type=int, default=200)
ap.add_argument("--steps", type=int, default=30)
ap.add_argument("--warmup", type=int, default=5)
ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
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


def step():
    xr = x.clone().requires_grad_(True)
    H = net(xr).sum()
    (g,) = torch.autograd.grad(H, xr, create_graph=True)
    field = torch.stack([g[:, 1], -g[:, 0]], 1)
    loss = ((field - y) ** 2).mean()
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
print(json.dumps({"impl": f"pytorch {torch.__version__} cpu ({a.threads} threads)", "msPerStep": statistics.median(times), "threads": a.threads}))
