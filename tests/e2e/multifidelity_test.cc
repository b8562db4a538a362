// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Multi-fidelity end to end: the real `winnow` binary runs a real training-like program that
// reports epochs and keeps a checkpoint, under ASHA, Hyperband and the median pruner, including a
// kill -9 in the middle of a run and its resume.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include <sqlite3.h>

#include "e2e/e2e_util.h"
#include "e2e/trainer_util.h"

namespace winnow::e2e {
namespace {

// How many trials of the study have finished, read from the SQLite file while `winnow` writes
// it (WAL: a reader does not block the writer); -1 while it cannot be read yet.
int finished_trials(const std::string& db) {
  sqlite3* handle = nullptr;
  int count = -1;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(handle, 1000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(handle,
                           "SELECT count(*) FROM trials WHERE state IN "
                           "('complete', 'pruned', 'failed')",
                           -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      count = sqlite3_column_int(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(handle);
  return count;
}

TEST(MultiFidelity, AshaAndHyperbandResumeAfterKillNineWithoutLosingOrRepeatingPromotions) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("kill instants drawn with seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (const std::string scheduler : {"asha", "hyperband"}) {
    ScratchDir dir;
    write_file(dir.path() / "train.py", kTrainer);
    write_file(dir.path() / "study.toml", study_file(scheduler, 70, 4));
    const std::string db = (dir.path() / "study.db").string();
    Process winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
    // The kill lands once a random number of the 70 trials have finished, well before the
    // last: measured in trials, not seconds, so it interrupts a running study on a fast
    // machine and on a loaded one that takes seconds to start a sanitizer build.
    const int kill_after = std::uniform_int_distribution<int>(3, 40)(rng);
    for (int waited = 0; finished_trials(db) < kill_after && waited < 3000; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    winnow.signal(SIGKILL);
    EXPECT_EQ(winnow.wait().signal, SIGKILL);
    ASSERT_TRUE(fs::exists(db));
    size_t before = export_trials(dir.path(), db, "mf").size();
    EXPECT_GT(before, 0u);

    Result resumed = run_winnow(dir.path(), {"resume", (dir.path() / "study.toml").string()});
    ASSERT_EQ(resumed.exit_code, 0) << scheduler << "\n" << resumed.err;
    std::vector<nlohmann::json> rows = export_trials(dir.path(), db, "mf");
    expect_consistent_rungs(rows);
    int live = 0, continuations = 0;
    for (const auto& row : rows) {
      live += row["state"] == "complete";
      continuations += row["user_attrs"].contains("winnow.continues");
    }
    EXPECT_EQ(live, 70) << scheduler;
    EXPECT_GT(continuations, 5) << scheduler;
    EXPECT_NE(resumed.out.find("at budget"), std::string::npos) << resumed.out;
  }
}

TEST(MultiFidelity, MedianPrunerStopsLosingCommandTrialsAndKeepsTheirLastValue) {
  ScratchDir dir;
  write_file(dir.path() / "train.py", kTrainer);
  write_file(dir.path() / "study.toml",
             study_file("median:startup_trials=3,warmup_steps=2", 16, 1,
                        "[budget]\nmin = 1\nmax = 15\n"));
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "mf");
  ASSERT_EQ(rows.size(), 16u);
  int pruned = 0;
  for (const auto& row : rows) {
    if (row["state"] != "pruned") {
      EXPECT_EQ(row["state"], "complete") << row.dump();
      EXPECT_EQ(row["intermediate"].size(), 15u) << row.dump();
      continue;
    }
    ++pruned;
    const auto& steps = row["intermediate"];
    ASSERT_FALSE(steps.empty());
    EXPECT_LT(steps.size(), 15u) << "a pruned trial stops before its last epoch";
    EXPECT_GE(steps.size(), 2u) << "no pruning before step 2 (warmup_steps = 2)";
    EXPECT_EQ(row["values"][0], steps[std::to_string(steps.size())]) << row.dump();
  }
  EXPECT_GT(pruned, 0) << run.err;
  EXPECT_NE(run.err.find("pruned at step"), std::string::npos) << run.err;
}

// The README's example: a real SGD training program with checkpoints, under ASHA.
TEST(MultiFidelity, ReadmeExampleRunsUnderAshaAndResumesFromCheckpoints) {
  ScratchDir dir;
  const fs::path example = fs::path(WINNOW_SOURCE_DIR) / "examples" / "multifidelity";
  for (const char* name : {"train.py", "study.toml"}) {
    fs::copy_file(example / name, dir.path() / name);
  }
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string(), "--trials",
                                       "24", "--jobs", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "multifidelity");
  ASSERT_EQ(rows.size(), 24u);
  expect_consistent_rungs(rows);
  int continued = 0;
  for (const auto& row : rows) {
    if (!row["user_attrs"].contains("winnow.continues")) continue;
    ++continued;
    // A continuation trains only the epochs its checkpoint lacks.
    int budget = static_cast<int>(attr(row, "winnow.budget"));
    int previous = static_cast<int>(attr(row, "winnow.previous_budget"));
    EXPECT_EQ(row["intermediate"].size(), static_cast<size_t>(budget - previous)) << row.dump();
    EXPECT_TRUE(row["intermediate"].contains(std::to_string(previous + 1))) << row.dump();
  }
  EXPECT_GT(continued, 2);
  EXPECT_NE(run.out.find("Trials per budget"), std::string::npos) << run.out;
}

TEST(MultiFidelity, IllFormedReportLinesAreNamedAndIgnored) {
  ScratchDir dir;
  write_file(dir.path() / "noisy.py",
             "print('winnow: step=x value=1')\nprint('winnow: step=2 value=0.5')\nprint(0.25)\n");
  write_file(dir.path() / "study.toml", R"([study]
name = "noisy"
trials = 1
[objective]
command = ["python3", "noisy.py", "{x}"]
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("winnow: trial 0: ignored ill-formed report line 1 of standard output: "
                         "\"winnow: step=x value=1\""),
            std::string::npos)
      << run.err;
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "noisy");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["state"], "complete");
  EXPECT_EQ(rows[0]["values"][0], 0.25);
  EXPECT_EQ(rows[0]["intermediate"].size(), 1u);
}

TEST(MultiFidelity, BudgetSchedulerWithoutBudgetIsAClearError) {
  ScratchDir dir;
  write_file(dir.path() / "train.py", kTrainer);
  write_file(dir.path() / "study.toml", study_file("asha", 5, 1, ""));
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("study.toml:4"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("[budget]"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace winnow::e2e
