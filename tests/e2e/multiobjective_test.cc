// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Several objectives and constraints end to end: a real program reports error, latency and model
// size; the study limits the size; `winnow show --pareto` and `winnow export --pareto` give the
// feasible, non-dominated trials and the hypervolume.
#include <gtest/gtest.h>

#include "e2e/e2e_util.h"

namespace winnow::e2e {
namespace {

const char* kModel = R"PY(
import json, sys
width, depth = float(sys.argv[1]), int(sys.argv[2])
error = 1.0 / (1.0 + width * depth) + 0.01 * depth
latency = 2.0 * width * depth
print(json.dumps({"error": error, "latency_ms": latency, "model_mb": 8.0 * width * depth,
                  "constraints": [depth - 7.5]}))
)PY";

const char* kStudy = R"([study]
name = "tradeoff"
directions = ["minimize", "minimize"]
objectives = ["error", "latency_ms"]
constraints = ["model_mb <= 200"]
sampler = "random"
seed = 5
trials = 40

[objective]
command = ["python3", "model.py", "{width}", "{depth}"]

[space]
width = { type = "float", low = 0.5, high = 8.0 }
depth = { type = "int", low = 1, high = 10 }
)";

bool dominates(const nlohmann::json& a, const nlohmann::json& b) {
  bool better = false;
  for (size_t i = 0; i < 2; ++i) {
    double x = a["values"][i], y = b["values"][i];
    if (x > y) return false;
    better = better || x < y;
  }
  return better;
}

bool feasible(const nlohmann::json& row) { return row["feasible"].get<bool>(); }

TEST(MultiObjective, ParetoFrontOfFeasibleTrialsWithHypervolume) {
  ScratchDir dir;
  write_file(dir.path() / "model.py", kModel);
  write_file(dir.path() / "study.toml", kStudy);
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string db = (dir.path() / "study.db").string();

  Result csv = run_winnow(dir.path(), {"export", db, "--format", "csv"});
  EXPECT_NE(csv.out.find("feasible,constraint_0,constraint_1"), std::string::npos) << csv.out;

  std::vector<nlohmann::json> all = export_trials(dir.path(), db, "tradeoff");
  ASSERT_EQ(all.size(), 40u);
  Result front_rows = run_winnow(
      dir.path(), {"export", db, "--pareto", "--format", "jsonl"});
  ASSERT_EQ(front_rows.exit_code, 0) << front_rows.err;
  std::vector<nlohmann::json> front;
  std::istringstream lines(front_rows.out);
  for (std::string line; std::getline(lines, line);) front.push_back(nlohmann::json::parse(line));
  ASSERT_FALSE(front.empty());
  int infeasible = 0;
  for (const auto& row : all) {
    ASSERT_EQ(row["state"], "complete") << row.dump();
    ASSERT_EQ(row["constraints"].size(), 2u) << row.dump();
    infeasible += !feasible(row);
  }
  EXPECT_GT(infeasible, 0) << "the limits should rule some trials out";
  for (const auto& member : front) {
    EXPECT_TRUE(feasible(member)) << member.dump();
    for (const auto& other : all) {
      if (feasible(other)) EXPECT_FALSE(dominates(other, member)) << other.dump();
    }
  }
  // Every feasible trial not on the front is dominated by one that is.
  for (const auto& row : all) {
    if (!feasible(row)) continue;
    bool on_front = false, dominated = false;
    for (const auto& member : front) {
      on_front = on_front || member["number"] == row["number"];
      dominated = dominated || dominates(member, row);
    }
    EXPECT_TRUE(on_front || dominated) << row.dump();
  }

  Result shown = run_winnow(dir.path(), {"show", db, "--pareto", "--reference", "1.5,400"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("Pareto front of study 'tradeoff': " + std::to_string(front.size())),
            std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("Hypervolume: "), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("reference point (1.5, 400)"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("Hypervolume after n trials"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("infeasible trial(s) left out"), std::string::npos) << shown.out;

  Result bad = run_winnow(dir.path(), {"show", db, "--pareto", "--reference", "1.5"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("2 objectives"), std::string::npos) << bad.err;

  Result summary = run_winnow(dir.path(), {"show", db});
  EXPECT_NE(summary.out.find("Pareto front: " + std::to_string(front.size()) + " trial(s)"),
            std::string::npos) << summary.out;
  EXPECT_NE(summary.out.find("Infeasible: " + std::to_string(infeasible)), std::string::npos)
      << summary.out;
  EXPECT_NE(summary.out.find("Hypervolume after n trials: 8: "), std::string::npos) << summary.out;
}

}  // namespace
}  // namespace winnow::e2e
