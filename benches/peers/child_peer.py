"""Peer timing for one child-training epoch on the CPU: the network and loop of
`cargo bench --bench child_training` (discrete child).

2,000 training samples x 196 features, 10 classes, 196 -> 256 relu -> 128 tanh -> 64 relu -> 10,
softmax cross-entropy, Adam (lr 1e-4, betas 0.9/0.999, eps 1e-5 as burn's), batch 64 with the last
batch short (31 x 64 + 16), a fresh shuffle, then accuracy on 250 validation and 250 test
samples. One "epoch" is timed from initial weights to both accuracies, as the Rust bench times
`trainer.train(...)` with one epoch.

  python3 -m pip install jax            # the JIT-compiled peer
  python3 -m pip install torch          # optional eager peer (large download)
  python3 child_peer.py

JAX: the epoch is one `jit`-compiled function (a `lax.scan` over the full batches, the short
batch after it, both accuracies), compiled once before timing. Prints the median of 10 timed
runs after two warm-ups, per framework found.
"""
import argparse, sys, time

try:
    import numpy as np
except ImportError:
    print("numpy not installed: skipping the peers (python3 -m pip install jax)")
    sys.exit(0)

p = argparse.ArgumentParser()
p.add_argument("--runs", type=int, default=10)
a = p.parse_args()

N, D, C, B = 2000, 196, 10, 64
rng = np.random.default_rng(0)
centers = rng.standard_normal((C, D)).astype(np.float32)
def blobs(n):
    y = rng.integers(0, C, n)
    return (centers[y] + rng.standard_normal((n, D)).astype(np.float32)), y.astype(np.int32)
xtr, ytr = blobs(N)
xva, yva = blobs(250)
xte, yte = blobs(250)
sizes = [D, 256, 128, 64, C]
def init():
    ps = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        k = 1.0 / np.sqrt(i)
        ps.append((rng.uniform(-k, k, (i, o)).astype(np.float32), rng.uniform(-k, k, o).astype(np.float32)))
    return ps
params0 = init()
ACTS = ["relu", "tanh", "relu"]

def median_ms(fn, runs):
    fn(); fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2] * 1e3

try:
    import jax, jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")
    LR, B1, B2, EPS = 1e-4, 0.9, 0.999, 1e-5
    def forward(ps, x):
        for (w, b), act in zip(ps[:-1], ACTS):
            x = x @ w + b
            x = jax.nn.relu(x) if act == "relu" else jnp.tanh(x)
        w, b = ps[-1]
        return x @ w + b
    def loss(ps, x, y):
        logits = forward(ps, x)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))
    grad = jax.value_and_grad(loss)
    def adam(state, x, y):
        ps, m, v, t = state
        l, g = grad(ps, x, y)
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: B1 * m + (1 - B1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: B2 * v + (1 - B2) * g * g, v, g)
        bc2 = jnp.sqrt(1 - B2 ** t)
        scale = LR * bc2 / (1 - B1 ** t)
        ps = jax.tree_util.tree_map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + EPS * bc2), ps, m, v)
        return (ps, m, v, t), l
    full = N // B
    @jax.jit
    def epoch(ps, perm, xtr, ytr, xva, yva, xte, yte):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, ps)
        state = (ps, zeros, zeros, 0.0)
        idx = perm[: full * B].reshape(full, B)
        state, losses = jax.lax.scan(lambda s, i: adam(s, xtr[i], ytr[i]), state, idx)
        rest = perm[full * B:]
        state, l = adam(state, xtr[rest], ytr[rest])
        ps = state[0]
        acc = lambda x, y: jnp.mean(jnp.argmax(forward(ps, x), 1) == y)
        return acc(xva, yva), acc(xte, yte), (losses.sum() + l) / (full + 1)
    P = [(jnp.asarray(w), jnp.asarray(b)) for w, b in params0]
    data = [jnp.asarray(v) for v in (xtr, ytr, xva, yva, xte, yte)]
    def run():
        perm = jnp.asarray(rng.permutation(N).astype(np.int32))
        out = epoch(P, perm, *data)
        jax.block_until_ready(out)
    ms = median_ms(run, a.runs)
    print(f"jax {jax.__version__} jit: one epoch 2000x196 196-256-128-64-10: {ms:.1f} ms")
except ImportError:
    print("jax not installed: skipping the JAX peer (python3 -m pip install jax)")

try:
    import torch
    torch.set_num_threads(2)
    def run_torch():
        ps = [(torch.from_numpy(w.copy()).requires_grad_(), torch.from_numpy(b.copy()).requires_grad_()) for w, b in params0]
        flat = [t for wb in ps for t in wb]
        opt = torch.optim.Adam(flat, lr=1e-4, eps=1e-5)
        x, y = torch.from_numpy(xtr), torch.from_numpy(ytr).long()
        perm = torch.randperm(N)
        def fwd(x):
            for (w, b), act in zip(ps[:-1], ACTS):
                x = x @ w + b
                x = torch.relu(x) if act == "relu" else torch.tanh(x)
            w, b = ps[-1]
            return x @ w + b
        for s in range(0, N, B):
            i = perm[s:s + B]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(fwd(x[i]), y[i]).backward()
            opt.step()
        with torch.no_grad():
            for xv, yv in ((xva, yva), (xte, yte)):
                (fwd(torch.from_numpy(xv)).argmax(1) == torch.from_numpy(yv).long()).float().mean()
    ms = median_ms(run_torch, a.runs)
    print(f"torch {torch.__version__} eager (2 threads): one epoch 2000x196 196-256-128-64-10: {ms:.1f} ms")
except ImportError:
    print("torch not installed: skipping the PyTorch peer")
