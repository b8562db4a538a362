#!/usr/bin/env python3
"""A complete objective for multi-fidelity search: logistic regression trained by SGD.

Usage: train.py LR L2 BATCH EPOCHS PREVIOUS_EPOCHS CHECKPOINT_DIR

It trains for EPOCHS epochs in all, prints `winnow: step=<epoch> value=<validation loss>` after
every epoch (so a pruner can stop it), and saves its weights to CHECKPOINT_DIR after every epoch.
When Winnow continues a configuration at a larger budget (PREVIOUS_EPOCHS > 0), it resumes from
that checkpoint instead of training the first epochs again. The last line is the final
validation loss. Standard library only.
"""
import json
import math
import os
import random
import sys


def make_data(n, seed):
    """A fixed, mildly non-linear binary classification problem with 8 features."""
    rng = random.Random(seed)
    truth = [1.5, -2.0, 0.7, 0.0, 1.1, -0.4, 0.0, 0.9]
    rows = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in truth]
        margin = sum(w * v for w, v in zip(truth, x)) + 0.8 * x[0] * x[1]
        y = 1 if rng.random() < 1 / (1 + math.exp(-margin)) else 0
        rows.append((x, y))
    return rows


def loss(weights, bias, rows):
    total = 0.0
    for x, y in rows:
        z = sum(w * v for w, v in zip(weights, x)) + bias
        p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
        total -= math.log(max(1e-12, p if y else 1 - p))
    return total / len(rows)


def main():
    lr, l2, batch = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    epochs, previous, checkpoint_dir = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    checkpoint = os.path.join(checkpoint_dir, "model.json")

    train, valid = make_data(600, seed=1), make_data(300, seed=2)
    weights, bias, done = [0.0] * 8, 0.0, 0
    if previous > 0 and os.path.exists(checkpoint):
        with open(checkpoint) as f:
            state = json.load(f)
        weights, bias, done = state["weights"], state["bias"], state["epoch"]

    value = loss(weights, bias, valid)
    for epoch in range(done + 1, epochs + 1):
        # Seeded by the epoch, so a resumed run trains exactly as an uninterrupted one would.
        order = list(train)
        random.Random(epoch).shuffle(order)
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            grad_w, grad_b = [l2 * w for w in weights], 0.0
            for x, y in chunk:
                z = sum(w * v for w, v in zip(weights, x)) + bias
                error = 1 / (1 + math.exp(-max(-30.0, min(30.0, z)))) - y
                for i, v in enumerate(x):
                    grad_w[i] += error * v / len(chunk)
                grad_b += error / len(chunk)
            weights = [w - lr * g for w, g in zip(weights, grad_w)]
            bias -= lr * grad_b
        value = loss(weights, bias, valid)
        print(f"winnow: step={epoch} value={value:.6f}", flush=True)
        with open(checkpoint + ".tmp", "w") as f:
            json.dump({"weights": weights, "bias": bias, "epoch": epoch}, f)
        os.replace(checkpoint + ".tmp", checkpoint)  # never a half-written checkpoint
    print(value)


if __name__ == "__main__":
    main()
