// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A training-like objective for multi-fidelity end-to-end tests, the study file that runs it, and
// the check that a budget scheduler's ladder is whole: shared by the single-machine and the
// distributed tests.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace winnow::e2e {

// Trains "epochs" up to its budget, resuming from its checkpoint, and reports every epoch. It
// fails loudly if the checkpoint holds less than Winnow says was trained before.
inline const char* kTrainer = R"PY(
import os, sys, time
x, y = float(sys.argv[1]), float(sys.argv[2])
budget, previous, ckpt = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
path = os.path.join(ckpt, "trained")
trained = int(open(path).read()) if os.path.exists(path) else 0
if trained < previous:
    sys.exit("checkpoint holds %d epochs, expected %d" % (trained, previous))
if previous == 0:
    trained = 0  # a new configuration starts from scratch
def loss(epoch):
    return (x - 0.3) ** 2 + (y - 0.7) ** 2 + 0.5 * (1 - x) / epoch
for epoch in range(trained + 1, budget + 1):
    time.sleep(0.01)
    print("winnow: step=%d value=%.6f" % (epoch, loss(epoch)))
    # Written whole or not at all, as a real trainer's checkpoint is: a kill between truncating
    # and writing would leave an empty file for the next attempt.
    with open(path + ".tmp", "w") as f:
        f.write(str(epoch))
    os.replace(path + ".tmp", path)
print(loss(budget))
)PY";

inline std::string study_file(const std::string& scheduler, int trials, int jobs,
                       const std::string& budget = "[budget]\nname = \"epochs\"\nmin = 1\nmax = 27\neta = 3\n") {
  return R"([study]
name = "mf"
sampler = "random"
scheduler = ")" + scheduler + R"("
seed = 4
trials = )" + std::to_string(trials) + R"(
jobs = )" + std::to_string(jobs) + "\n" + budget + R"(
[objective]
command = ["python3", "train.py", "{x}", "{y}", "{budget}", "{previous_budget}", "{checkpoint_dir}"]
timeout = "60s"

[space]
x = { type = "float", low = 0.0, high = 1.0 }
y = { type = "float", low = 0.0, high = 1.0 }
)";
}

inline double attr(const nlohmann::json& row, const std::string& key) {
  const nlohmann::json& attrs = row["user_attrs"];
  EXPECT_TRUE(attrs.contains(key)) << row.dump();
  return attrs.contains(key) ? attrs[key].get<double>() : -1;
}

// No trial continued by two live trials; every continuation is the next rung of the same
// configuration; nothing failed except trials interrupted by the kill.
inline void expect_consistent_rungs(const std::vector<nlohmann::json>& rows) {
  std::map<int, int> continued;
  for (const auto& row : rows) {
    if (row["state"] == "failed") {
      EXPECT_TRUE(row["interrupted"].get<bool>()) << row.dump();
      continue;
    }
    EXPECT_EQ(row["state"], "complete") << row.dump();
    if (!row["user_attrs"].contains("winnow.continues")) continue;
    int source = static_cast<int>(attr(row, "winnow.continues"));
    EXPECT_EQ(++continued[source], 1) << "trial " << source << " continued twice";
    const auto& from = rows.at(static_cast<size_t>(source));
    EXPECT_EQ(from["params"], row["params"]);
    EXPECT_EQ(attr(from, "winnow.rung") + 1, attr(row, "winnow.rung"));
  }
}

}  // namespace winnow::e2e
