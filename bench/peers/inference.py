"""The PyTorch side of `npm run bench:inference`: forward latency of the MLP 784-256-128-10 (ReLU) in eval mode
under torch.inference_mode(), one thread, at the batches given, with the weights and inputs bench/inference.ts
passes as JSON on stdin. One JSON line per batch: {"peer": "torch", "batch", "us": median µs per forward, "min",
"max"}. Protocol and model as bench/peers/peers.py (warm-up, then 7 repetitions of a loop ≥ 30 ms).

    python3 bench/peers/inference.py --batches 1,8,64 < spec.json
"""
import argparse
import json
import sys

import torch

from peers import measure, mlp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", default="1,8,64")
    args = ap.parse_args()
    torch.set_num_threads(1)
    spec = json.load(sys.stdin)
    sizes = spec["sizes"]
    model = mlp(torch, sizes)
    model.load_state_dict({k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in spec["state"].items()})
    model.eval()
    for batch in [int(b) for b in args.batches.split(",")]:
        x = torch.tensor(spec["inputs"][str(batch)], dtype=torch.float32).reshape(batch, sizes[0])
        with torch.inference_mode():
            rate, low, high = measure(lambda: model(x), 1)
        print(json.dumps({"peer": "torch", "batch": batch, "us": 1e6 / rate, "min": 1e6 / high, "max": 1e6 / low}), flush=True)


if __name__ == "__main__":
    main()
