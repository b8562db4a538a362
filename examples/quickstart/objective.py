#!/usr/bin/env python3
"""A stand-in for a training script: a few "epochs" of a noisy, made-up validation loss.

Winnow passes the parameters as arguments (see study.toml); the script reports each epoch with a
`winnow: step=N value=V` line and prints the final loss as its last line.
"""
import argparse
import math
import random

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--layers", type=int, required=True)
parser.add_argument("--opt", choices=["adam", "sgd"], required=True)
parser.add_argument("--momentum", type=float, default=0.0)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

rng = random.Random(args.seed)
# Best near lr = 3e-3 for adam, 3e-2 for sgd with high momentum, 4 layers.
best_lr = 3e-3 if args.opt == "adam" else 3e-2 * (1.0 - 0.5 * args.momentum)
loss = 0.05 + 0.3 * (math.log10(args.lr) - math.log10(best_lr)) ** 2 + 0.02 * (args.layers - 4) ** 2
if args.opt == "sgd":
    loss += 0.05 * (1.0 - args.momentum)
for epoch in range(1, 6):
    print(f"winnow: step={epoch} value={loss * (1 + 2.0 / epoch) + 0.005 * rng.random():.6f}")
print(f"{loss + 0.002 * rng.random():.6f}")
