"""The peers of `npm run bench:peers`: the same workloads in numpy (OpenBLAS) and PyTorch, one JSON line each.

    python3 bench/peers/peers.py --threads 1      # OPENBLAS_NUM_THREADS is set by the caller (read at import)

GEMM shapes are (m, n, k) with C = A·Bᵀ, B stored [n, k] like a Linear weight ("nt", the dense-layer forward) and
C = A·B ("nn"). Training: MLP with ReLU, cross-entropy, Adam, one optimizer step per batch. Protocol: warm-up,
then 7 repetitions of a loop lasting ≥ 30 ms; the median rate is reported with min and max.
"""
import argparse
import json
import time

import numpy as np

GEMM = [(128, 256, 784), (128, 128, 256), (128, 10, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024)]
TRAIN = [("mlp 784-256-128-10", [784, 256, 128, 10], 128), ("tiny 2-16-16-2", [2, 16, 16, 2], 32)]
# The CNNs of bench/shapes.ts (descent's architecture syntax): CNN-S, and the "2 Conv+pooling" net of
# Fashion-MNIST's benchmark table; input 1x28x28, batch 128, Adam, cross-entropy.
CNNS = [("cnn-s", [("conv", 1, 16, 3, 1), ("relu",), ("pool",), ("conv", 16, 32, 3, 1), ("relu",), ("pool",),
                   ("flatten",), ("fc", 1568, 128), ("relu",), ("fc", 128, 10)]),
        ("2conv", [("conv", 1, 32, 5, 2), ("relu",), ("pool",), ("conv", 32, 64, 5, 2), ("relu",), ("pool",),
                   ("flatten",), ("fc", 3136, 1024), ("relu",), ("fc", 1024, 10)])]


def build_cnn(torch, spec):
    nn = torch.nn
    make = {"conv": lambda c, o, k, p: nn.Conv2d(c, o, k, padding=p), "relu": nn.ReLU, "pool": lambda: nn.MaxPool2d(2),
            "flatten": nn.Flatten, "fc": nn.Linear}
    return nn.Sequential(*[make[layer[0]](*layer[1:]) for layer in spec])


def mlp(torch, sizes):
    """The benchmark MLP: Linear layers of `sizes` with a ReLU between each pair (PyTorch's default init)."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def measure(fn, work, reps=7, min_time=0.03):
    fn()
    fn()
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time:
            break
        calls *= 2
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        rates.append(work * calls / (time.perf_counter() - t0))
    rates.sort()
    return rates[len(rates) // 2], rates[0], rates[-1]


def emit(peer, kind, shape, unit, r, threads):
    print(json.dumps({"peer": peer, "kind": kind, "shape": shape, "unit": unit, "value": r[0], "min": r[1],
                      "max": r[2], "threads": threads}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="gemm,train,act,adam,cnn")
    args = ap.parse_args()
    only = args.only.split(",")
    rng = np.random.default_rng(1)
    if "gemm" in only:
        for m, n, k in GEMM:
            a = rng.standard_normal((m, k), dtype=np.float32)
            w = rng.standard_normal((n, k), dtype=np.float32)
            b = np.ascontiguousarray(w.T)
            c = np.empty((m, n), dtype=np.float32)
            flop = 2 * m * n * k / 1e9
            emit("numpy", "gemm nt", f"{m}x{n}x{k}", "GFLOP/s", measure(lambda: np.matmul(a, w.T, out=c), flop), args.threads)
            emit("numpy", "gemm nn", f"{m}x{n}x{k}", "GFLOP/s", measure(lambda: np.matmul(a, b, out=c), flop), args.threads)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(args.threads)
    if "gemm" in only:
        for m, n, k in GEMM:
            a = torch.randn(m, k)
            w = torch.randn(n, k)
            b = w.t().contiguous()
            c = torch.empty(m, n)
            flop = 2 * m * n * k / 1e9
            emit("torch", "gemm nt", f"{m}x{n}x{k}", "GFLOP/s", measure(lambda: torch.mm(a, w.t(), out=c), flop), args.threads)
            emit("torch", "gemm nn", f"{m}x{n}x{k}", "GFLOP/s", measure(lambda: torch.mm(a, b, out=c), flop), args.threads)
    if "act" in only:
        x = torch.rand(1 << 20) * 16 - 8
        y = torch.empty_like(x)
        emit("torch", "tanh_fwd", f"{1 << 20}", "Gelem/s", measure(lambda: torch.tanh(x, out=y), (1 << 20) / 1e9), args.threads)
        # The activations whose backward reads x, at PyTorch's defaults: the out= forms of the kernels autograd calls.
        dy = torch.rand(1 << 20)
        dx = torch.empty_like(x)
        nn_ops, aten = torch._C._nn, torch.ops.aten
        for kind, fn in [
            ("elu_fwd", lambda: nn_ops.elu(x, out=y)),
            ("elu_bwd", lambda: aten.elu_backward.grad_input(dy, 1.0, 1, 1.0, False, x, grad_input=dx)),
            ("gelu_fwd", lambda: nn_ops.gelu(x, out=y)),
            ("gelu_bwd", lambda: aten.gelu_backward.grad_input(dy, x, grad_input=dx)),
            ("gelu_tanh_fwd", lambda: nn_ops.gelu(x, approximate="tanh", out=y)),
            ("gelu_tanh_bwd", lambda: aten.gelu_backward.grad_input(dy, x, approximate="tanh", grad_input=dx)),
            ("silu_fwd", lambda: nn_ops.silu(x, out=y)),
            ("silu_bwd", lambda: aten.silu_backward.grad_input(dy, x, grad_input=dx)),
            ("softplus_fwd", lambda: nn_ops.softplus(x, out=y)),
            ("softplus_bwd", lambda: aten.softplus_backward.grad_input(dy, x, 1, 20, grad_input=dx)),
        ]:
            emit("torch", kind, f"{1 << 20}", "Gelem/s", measure(fn, (1 << 20) / 1e9), args.threads)
    if "adam" in only:
        p = torch.nn.Parameter(torch.randn(1 << 20))
        p.grad = torch.randn(1 << 20)
        opt = torch.optim.Adam([p], lr=1e-3)
        emit("torch", "adam_step", f"{1 << 20}", "GB/s", measure(opt.step, 28 * (1 << 20) / 1e9), args.threads)
        # Dead units: the row of bench/peers.ts with the same name (gradient 0, exp_avg at the smallest subnormal).
        p.grad.zero_()
        opt.state[p]["exp_avg"].fill_(2.0**-149)
        opt.state[p]["exp_avg_sq"].fill_(1e-8)
        emit("torch", "adam_step", f"{1 << 20} dead units", "GB/s", measure(opt.step, 28 * (1 << 20) / 1e9), args.threads)
    if "train" in only:
        for name, sizes, batch in TRAIN:
            torch.manual_seed(1)
            model = mlp(torch, sizes)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            x = torch.randn(batch, sizes[0])
            y = torch.arange(batch) % sizes[-1]

            def step():
                opt.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()

            emit("torch", "train", f"{name} batch {batch}", "samples/s", measure(step, batch), args.threads)

    if "cnn" in only or "train" in only:  # the CNN training rows belong to the train group of bench:peers
        for name, spec in CNNS:
            torch.manual_seed(1)
            model = build_cnn(torch, spec)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            batch = 128
            x = torch.randn(batch, 1, 28, 28)
            y = torch.arange(batch) % 10

            def step():
                opt.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()

            emit("torch", "train", f"{name} batch {batch}", "samples/s", measure(step, batch, reps=5), args.threads)


def blas_libraries():
    """The BLAS/LAPACK libraries mapped into this process once numpy and torch have run a product: Debian's numpy
    and torch call whatever libblas.so.3 the alternatives system points at, and with only the netlib reference
    installed (python3-numpy without recommends) every peer GEMM runs 20-40x slower than OpenBLAS."""
    np.ones((64, 64), dtype=np.float32) @ np.ones((64, 64), dtype=np.float32)
    try:
        import torch
        torch.ones(64, 64) @ torch.ones(64, 64)
    except ImportError:
        pass
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = path.rsplit("/", 1)[-1]
            if path.startswith("/") and any(s in name for s in ("blas", "lapack", "mkl", "blis", "dnnl")):
                libs.add(path)
    return sorted(libs)


if __name__ == "__main__":
    main()
    print(json.dumps({"peer": "meta", "kind": "blas", "libraries": blas_libraries()}), flush=True)