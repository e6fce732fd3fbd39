#!/usr/bin/python3
"""The Fashion-MNIST recipes of bench/fashion.ts in PyTorch (Debian python3-torch; run with /usr/bin/python3).

--arch mlp (default): MLP 784-256-128-10, ReLU. --arch cnn: descent's `cnn` preset, conv32k3p1,bn,relu,maxpool2,
conv64k3p1,bn,relu,maxpool2,flatten,fc128,relu,dropout0.3,fc10. Both with descent's 'auto' init (Kaiming-normal for
layers a ReLU follows, looking through BatchNorm; std 1/sqrt(fan_in) for the output layer; zero biases; BatchNorm
weight 1, bias 0), pixels /255 then standardised with the training set's mean/std, Adam (or AdamW with
--optimizer adamw --weight-decay W), cosine schedule per epoch, shuffled mini-batches. --augment hflip,cropN applies
torchvision's RandomHorizontalFlip and RandomCrop(28, padding=N, fill=black) to each training batch, as descent's
--augment does (other draws, the same distribution). Prints one JSON line like `descent train --json`'s result.
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
p.add_argument('--arch', choices=['mlp', 'cnn'], default='mlp')
p.add_argument('--optimizer', choices=['adam', 'adamw'], default='adam')
p.add_argument('--weight-decay', type=float, default=None)
p.add_argument('--augment', default='')
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

nn = torch.nn
if a.arch == 'mlp':
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    xtr, xte = xtr.reshape(-1, 1, 28, 28), xte.reshape(-1, 1, 28, 28)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
weighted = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]
with torch.no_grad():
    for i, layer in enumerate(weighted):
        fan_in = layer.weight[0].numel()
        if i < len(weighted) - 1: torch.nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')
        else: torch.nn.init.normal_(layer.weight, std=fan_in ** -0.5)
        layer.bias.zero_()
if a.optimizer == 'adam': opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=a.weight_decay or 0)
else: opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01 if a.weight_decay is None else a.weight_decay)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
loss_fn = torch.nn.CrossEntropyLoss()
flip = 'hflip' in a.augment.split(',')
crop = next((int(t[4:]) for t in a.augment.split(',') if t.startswith('crop')), 0)
black = (0 - mean) / std

def augment(xb):
    # The batch tensor's own transforms (no PIL round trip): flip, then a padded crop at a per-image offset.
    b = xb.shape[0]
    if flip:
        xb = torch.where((torch.rand(b) < 0.5)[:, None, None, None], xb.flip(3), xb)
    if crop:
        padded = torch.nn.functional.pad(xb, (crop,) * 4, value=black)
        rows = torch.randint(0, 2 * crop + 1, (b,))[:, None] + torch.arange(28)
        cols = torch.randint(0, 2 * crop + 1, (b,))[:, None] + torch.arange(28)
        xb = padded[torch.arange(b)[:, None, None, None], torch.arange(xb.shape[1])[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]
    return xb

n = xtr.shape[0]
t0 = time.perf_counter()
for epoch in range(a.epochs):
    perm = torch.randperm(n)
    for s in range(0, n, a.batch_size):
        idxs = perm[s:s + a.batch_size]
        opt.zero_grad()
        xb = xtr[idxs]
        loss = loss_fn(model(augment(xb) if a.augment else xb), ytr[idxs])
        loss.backward()
        opt.step()
    sched.step()
train = time.perf_counter() - t0
model.eval()
with torch.no_grad():
    acc = (torch.cat([model(xte[i:i + 1000]) for i in range(0, len(xte), 1000)]).argmax(1) == yte).float().mean().item()
print(json.dumps({'type': 'result', 'backend': 'pytorch', 'backendDetail': f'torch {torch.__version__}, {a.threads} threads',
                  'testAccuracy': acc, 'trainSeconds': train, 'loadSeconds': load, 'samplesPerSecond': n * a.epochs / train, 'epochs': a.epochs}))
