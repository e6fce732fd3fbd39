"""Peak training memory of the CNNs of bench/memory.ts in PyTorch: maxrss after 20 Adam steps at batch 128 minus the
RSS once torch is imported (one thread). Usage: python3 bench/peers/memory.py cnn-s|2conv"""
import json
import resource
import sys

import torch

from peers import CNNS, build_cnn


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2 ** 20


torch.set_num_threads(1)
name = sys.argv[1]
base = rss_mb()
torch.manual_seed(1)
model = build_cnn(torch, dict(CNNS)[name])
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(128, 1, 28, 28)
y = torch.arange(128) % 10
for _ in range(20):
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"peer": "torch", "trial": name, "peakMB": peak - base}))
