"""Writes the AutoML quick-start data: a made-up customer table (who cancels a subscription),
with numeric, categorical and boolean columns, missing cells and an identifier column.
train.csv has the answer in `churned`; new.csv has new customers without it.
Deterministic: running it again gives the same files."""

import csv
import math
import random


def customers(count, seed):
    rng = random.Random(seed)
    plans = ["basic", "standard", "premium"]
    regions = ["north", "south", "east", "west", "central"]
    for i in range(count):
        plan = rng.choice(plans)
        months = rng.randint(1, 72)
        monthly = round({"basic": 9, "standard": 19, "premium": 39}[plan] * rng.uniform(0.8, 1.2), 2)
        tickets = rng.randint(0, 8)
        autopay = rng.random() < 0.6
        region = rng.choice(regions)
        usage = round(rng.lognormvariate(2.0, 0.6), 1)
        score = (1.2 * tickets / 8 - 1.5 * months / 72 + (0.8 if plan == "premium" else 0.0)
                 - (0.7 if autopay else 0.0) - 0.4 * math.log(usage) + rng.gauss(0, 0.4))
        row = {
            "customer_id": f"C{seed}{i:05d}",
            "plan": plan,
            "months": months,
            "monthly_fee": monthly,
            "support_tickets": tickets,
            "autopay": "yes" if autopay else "no",
            "region": region,
            "weekly_hours": "" if rng.random() < 0.05 else usage,
            "churned": "yes" if score > -1.0 else "no",
        }
        yield row


def write(path, rows, with_target):
    rows = list(rows)
    fields = [f for f in rows[0] if with_target or f != "churned"]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    write("train.csv", customers(800, 1), True)
    write("new.csv", customers(20, 2), False)
