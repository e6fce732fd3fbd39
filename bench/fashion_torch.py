#!/usr/bin/python3
"""The Fashion-MNIST recipe of bench/fashion.ts in PyTorch (Debian python3-torch; run with /usr/bin/python3).

MLP 784-256-128-10, ReLU, Kaiming-normal hidden layers and std 1/sqrt(fan_in) output layer with zero biases (descent's
'auto' init), pixels /255 then standardised with the training set's mean/std, Adam, cosine schedule per epoch,
shuffled mini-batches. Prints one JSON line like `descent train --json`'s result.
"""
import argparse, gzip, json, struct, time
import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
p.add_argument('--epochs', type=int, default=12)
p.add_argument('--batch-size', type=int, default=128)
p.add_argument('--lr', type=float, default=1e-3)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--seed', type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

def idx(name):
    with gzip.open(f'{a.data}/{name}.gz', 'rb') as f:
        raw = f.read()
    nd = raw[3]
    dims = struct.unpack('>' + 'I' * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)

t0 = time.perf_counter()
xtr = torch.from_numpy(idx('train-images-idx3-ubyte').reshape(-1, 784).astype(np.float32) / 255)
ytr = torch.from_numpy(idx('train-labels-idx1-ubyte').astype(np.int64))
xte = torch.from_numpy(idx('t10k-images-idx3-ubyte').reshape(-1, 784).astype(np.float32) / 255)
yte = torch.from_numpy(idx('t10k-labels-idx1-ubyte').astype(np.int64))
mean, std = xtr.mean().item(), xtr.std(unbiased=False).item()
xtr, xte = (xtr - mean) / std, (xte - mean) / std
load = time.perf_counter() - t0

model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
with torch.no_grad():
    for i, layer in enumerate([model[0], model[2], model[4]]):
        if i < 2: torch.nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')
        else: torch.nn.init.normal_(layer.weight, std=layer.in_features ** -0.5)
        layer.bias.zero_()
opt = torch.optim.Adam(model.parameters(), lr=a.lr)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
loss_fn = torch.nn.CrossEntropyLoss()
n = xtr.shape[0]
t0 = time.perf_counter()
for epoch in range(a.epochs):
    perm = torch.randperm(n)
    for s in range(0, n, a.batch_size):
        idxs = perm[s:s + a.batch_size]
        opt.zero_grad()
        loss = loss_fn(model(xtr[idxs]), ytr[idxs])
        loss.backward()
        opt.step()
    sched.step()
train = time.perf_counter() - t0
with torch.no_grad():
    acc = (model(xte).argmax(1) == yte).float().mean().item()
print(json.dumps({'type': 'result', 'backend': 'pytorch', 'backendDetail': f'torch {torch.__version__}, {a.threads} threads',
                  'testAccuracy': acc, 'trainSeconds': train, 'loadSeconds': load, 'samplesPerSecond': n * a.epochs / train, 'epochs': a.epochs}))
