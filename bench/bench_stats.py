# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Pieces the summarize_*.py scripts share: reading JSON lines and numpy-style quantiles."""
import json
import math
import sys


def load(path):
    """Every JSON line of `path`; exits naming the file and line of one that is not JSON."""
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                sys.exit("%s:%d: not a JSON line (%s)" % (path, number, e))
    return rows


def quantile(sorted_values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)
