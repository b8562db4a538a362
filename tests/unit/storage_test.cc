// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The Storage contract: StorageContract runs against every backend (a new backend is done when
// it passes), then SQLite-only tests cover files, several processes and killed writers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "winnow/error.h"
#include "winnow/storage.h"

namespace winnow {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A fresh folder per test, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "winnow_storage_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <typename Function>
std::string error_message(Function&& function) {
  try {
    function();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no winnow::Error thrown)";
}

StudyRecord make_study_record(std::string name, size_t objectives = 1) {
  StudyRecord study;
  study.name = std::move(name);
  for (size_t i = 0; i < objectives; ++i) {
    study.directions.push_back(i % 2 == 0 ? Direction::kMinimize : Direction::kMaximize);
  }
  study.space_json = R"({"params":[]})";
  study.sampler = "random";
  return study;
}

TrialOutcome complete(std::vector<double> values) {
  TrialOutcome outcome;
  outcome.values = std::move(values);
  return outcome;
}

TrialOutcome failed(std::string reason, bool interrupted) {
  TrialOutcome outcome;
  outcome.state = TrialState::kFailed;
  outcome.failure_reason = std::move(reason);
  outcome.interrupted = interrupted;
  return outcome;
}

std::string this_host() {
  std::string owner = this_process_owner();
  return owner.substr(0, owner.find(':'));
}

// The pid of a process that has exited and been reaped: certainly not alive.
pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

struct MemoryBackend {
  static std::string url(const std::string&) { return "memory"; }
};
struct SqliteBackend {
  static std::string url(const std::string& folder) { return "sqlite://" + folder + "/study.db"; }
};

template <typename Backend>
class StorageContract : public ::testing::Test {
 protected:
  void SetUp() override { storage_ = open_storage(Backend::url(folder_.path())); }

  int64_t make_study(std::string name = "study", size_t objectives = 1) {
    return storage_->create_study(make_study_record(std::move(name), objectives));
  }
  FrozenTrial start_trial(int64_t study_id, const Config& config = {},
                          std::string_view owner = "") {
    std::string default_owner = this_process_owner();
    std::optional<FrozenTrial> trial = storage_->create_trial(
        study_id, config, TrialState::kRunning, owner.empty() ? default_owner : owner, 0, {});
    if (!trial) throw std::runtime_error("create_trial returned nullopt without a budget");
    return *trial;
  }

  TempDir folder_;
  std::unique_ptr<Storage> storage_;
};

class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryBackend> ? "Memory" : "Sqlite";
  }
};
using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
TYPED_TEST_SUITE(StorageContract, Backends, BackendNames);

TYPED_TEST(StorageContract, CreatesFindsAndListsStudies) {
  StudyRecord first = make_study_record("first", 2);
  first.objective_names = {"loss", "accuracy"};
  first.space_json = R"({"x":[0,1]})";
  first.sampler = "tpe:startup=10";
  first.created_ms = 1234;
  int64_t first_id = this->storage_->create_study(first);
  int64_t second_id = this->make_study("second");
  EXPECT_NE(first_id, second_id);

  std::optional<StudyRecord> found = this->storage_->find_study("first");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, first_id);
  EXPECT_EQ(found->name, "first");
  EXPECT_EQ(found->directions, (std::vector{Direction::kMinimize, Direction::kMaximize}));
  EXPECT_EQ(found->objective_names, first.objective_names);
  EXPECT_EQ(found->space_json, first.space_json);
  EXPECT_EQ(found->sampler, first.sampler);
  EXPECT_EQ(found->created_ms, 1234);
  EXPECT_GT(this->storage_->find_study("second")->created_ms, 0);  // stamped when not given
  EXPECT_FALSE(this->storage_->find_study("third"));

  std::vector<StudyRecord> all = this->storage_->list_studies();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "first");
  EXPECT_EQ(all[1].name, "second");
}

TYPED_TEST(StorageContract, RefusesDuplicateAndInvalidStudies) {
  this->make_study("taken");
  EXPECT_NE(error_message([&] { this->make_study("taken"); }).find("'taken' already exists"),
            std::string::npos);
  EXPECT_THROW(this->make_study(""), Error);
  EXPECT_THROW(this->make_study("no-objective", 0), Error);
  StudyRecord mismatched = make_study_record("names", 2);
  mismatched.objective_names = {"only-one"};
  EXPECT_THROW(this->storage_->create_study(mismatched), Error);
  EXPECT_EQ(this->storage_->list_studies().size(), 1u);
}

TYPED_TEST(StorageContract, NumbersTrialsPerStudyFromZero) {
  int64_t a = this->make_study("a");
  int64_t b = this->make_study("b");
  std::set<int64_t> ids;
  for (int64_t i = 0; i < 3; ++i) {
    FrozenTrial in_a = this->start_trial(a);
    FrozenTrial in_b = this->start_trial(b);
    EXPECT_EQ(in_a.number, i);
    EXPECT_EQ(in_b.number, i);
    ids.insert(in_a.id);
    ids.insert(in_b.id);
  }
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(this->storage_->trials(a).size(), 3u);
  EXPECT_EQ(this->storage_->trials(b).size(), 3u);
}

TYPED_TEST(StorageContract, RoundTripsEveryParameterType) {
  int64_t study = this->make_study();
  Config config = {
      {"flag_on", true},
      {"flag_off", false},
      {"int_max", std::numeric_limits<int64_t>::max()},
      {"int_min", std::numeric_limits<int64_t>::min()},
      {"int_beyond_double", int64_t{9007199254740993}},  // 2^53 + 1: not exact as a double
      {"int_zero", int64_t{0}},
      {"tiny", 1e-300},
      {"negative_half", -0.5},
      {"tenth", 0.1},
      {"whole_double", 3.0},  // must stay a double, not become the int 3
      {"infinite", -kInf},
      {"quotes", std::string("it's \"quoted\"; DROP TABLE trials; --")},
      {"unicode", std::string("αβγ – 日本語 – 🙂")},
      {"empty", std::string()},
  };
  FrozenTrial created = this->start_trial(study, config);
  EXPECT_EQ(created.config, config);
  std::optional<FrozenTrial> read = this->storage_->trial(created.id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->config, config);
  EXPECT_EQ(this->storage_->trials(study).at(0).config, config);
  // Bit-exact, not just ==.
  EXPECT_EQ(std::signbit(std::get<double>(read->config.at("negative_half"))), true);
  EXPECT_EQ(std::get<double>(read->config.at("tiny")), 1e-300);
}

TYPED_TEST(StorageContract, ClaimsWaitingTrialsOldestFirst) {
  int64_t study = this->make_study();
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < 3; ++i) {
    auto waiting = this->storage_->create_trial(study, {{"i", i}}, TrialState::kWaiting, "", 0, {});
    ASSERT_TRUE(waiting);
    EXPECT_EQ(waiting->state, TrialState::kWaiting);
    EXPECT_EQ(waiting->start_time_ms, 0);
    ids.push_back(waiting->id);
  }
  this->storage_->set_user_attr(ids[0], "source", R"("enqueued")");
  EXPECT_EQ(this->storage_->counted_trials(study), 0);  // waiting trials cost nothing yet

  for (int64_t i = 0; i < 3; ++i) {
    auto claimed = this->storage_->claim_waiting_trial(study, "me:1:1", 0);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->id, ids[i]);
    EXPECT_EQ(claimed->number, i);
    EXPECT_EQ(claimed->state, TrialState::kRunning);
    EXPECT_EQ(claimed->owner, "me:1:1");
    EXPECT_GT(claimed->start_time_ms, 0);
    EXPECT_EQ(claimed->config, (Config{{"i", i}}));
    if (i == 0) {
      EXPECT_EQ(claimed->user_attrs.at("source"), R"("enqueued")");
    }
  }
  EXPECT_FALSE(this->storage_->claim_waiting_trial(study, "me:1:1", 0));
  EXPECT_EQ(this->storage_->counted_trials(study), 3);
}

TYPED_TEST(StorageContract, BudgetLimitCountsEverythingButInterruptedFailures) {
  int64_t study = this->make_study();
  std::string owner = this_process_owner();
  auto create = [&](TrialState state) {
    return this->storage_->create_trial(study, {}, state, owner, 4, {});
  };
  FrozenTrial completed = *create(TrialState::kRunning);
  FrozenTrial pruned = *create(TrialState::kRunning);
  FrozenTrial crashed = *create(TrialState::kRunning);
  FrozenTrial stopped = *create(TrialState::kRunning);
  // Enqueued without a budget: a waiting trial is not counted until it runs.
  ASSERT_TRUE(this->storage_->create_trial(study, {}, TrialState::kWaiting, "", 0, {}));
  EXPECT_EQ(this->storage_->counted_trials(study), 4);
  EXPECT_FALSE(create(TrialState::kRunning));
  EXPECT_FALSE(create(TrialState::kWaiting));
  EXPECT_FALSE(this->storage_->claim_waiting_trial(study, owner, 4));

  this->storage_->finish_trial(completed.id, complete({1.0}));
  TrialOutcome prune;
  prune.state = TrialState::kPruned;
  this->storage_->finish_trial(pruned.id, prune);
  this->storage_->finish_trial(crashed.id, failed("segfault", false));
  EXPECT_EQ(this->storage_->counted_trials(study), 4);
  EXPECT_FALSE(create(TrialState::kRunning));

  this->storage_->finish_trial(stopped.id, failed("Ctrl-C", true));
  EXPECT_EQ(this->storage_->counted_trials(study), 3);
  auto claimed = this->storage_->claim_waiting_trial(study, owner, 4);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->number, 4);
  EXPECT_FALSE(create(TrialState::kRunning));
  EXPECT_TRUE(this->storage_->create_trial(study, {}, TrialState::kRunning, owner, 0, {}));
  EXPECT_EQ(this->storage_->counted_trials(study), 5);
}

TYPED_TEST(StorageContract, ReportedStepIsOverwrittenByALaterReport) {
  int64_t study = this->make_study();
  FrozenTrial trial = this->start_trial(study);
  this->storage_->report(trial.id, 1, 0.5);
  this->storage_->report(trial.id, 2, 0.4);
  this->storage_->report(trial.id, 1, 0.3);
  this->storage_->report(trial.id, 3, kInf);
  std::map<int64_t, double> expected = {{1, 0.3}, {2, 0.4}, {3, kInf}};
  EXPECT_EQ(this->storage_->trial(trial.id)->intermediate, expected);
  EXPECT_EQ(this->storage_->trials(study).at(0).intermediate, expected);
}

TYPED_TEST(StorageContract, StoresUserAttributesAsJson) {
  int64_t study = this->make_study();
  FrozenTrial trial = this->start_trial(study);
  this->storage_->set_user_attr(trial.id, "note", R"("first")");
  this->storage_->set_user_attr(trial.id, "note", R"("second")");
  this->storage_->set_user_attr(trial.id, "shape", R"({"layers": [64, 32]})");
  EXPECT_THROW(this->storage_->set_user_attr(trial.id, "bad", "{not json"), Error);
  EXPECT_THROW(this->storage_->set_user_attr(trial.id, "", "1"), Error);
  std::map<std::string, std::string> expected = {{"note", R"("second")"},
                                                 {"shape", R"({"layers": [64, 32]})"}};
  EXPECT_EQ(this->storage_->trial(trial.id)->user_attrs, expected);
}

TYPED_TEST(StorageContract, FinishedTrialsNeverChange) {
  int64_t study = this->make_study("two", 2);
  FrozenTrial trial = this->start_trial(study, {{"x", 1.5}});
  TrialOutcome outcome = complete({kInf, -kInf});
  outcome.metrics = {{"seconds", 2.5}, {"memory_mb", 128}};
  this->storage_->finish_trial(trial.id, outcome);

  FrozenTrial finished = *this->storage_->trial(trial.id);
  EXPECT_EQ(finished.state, TrialState::kComplete);
  EXPECT_EQ(finished.values, (std::vector{kInf, -kInf}));
  EXPECT_EQ(finished.metrics, outcome.metrics);
  EXPECT_GE(finished.end_time_ms, finished.start_time_ms);
  EXPECT_TRUE(finished.failure_reason.empty());
  EXPECT_FALSE(finished.interrupted);

  std::string message = error_message([&] { this->storage_->finish_trial(trial.id, outcome); });
  EXPECT_NE(message.find("it is complete"), std::string::npos) << message;
  EXPECT_THROW(this->storage_->finish_trial(trial.id, failed("again", false)), Error);
  EXPECT_THROW(this->storage_->report(trial.id, 1, 1.0), Error);
  EXPECT_THROW(this->storage_->set_user_attr(trial.id, "late", "1"), Error);
  FrozenTrial after = *this->storage_->trial(trial.id);
  EXPECT_EQ(after.values, finished.values);
  EXPECT_EQ(after.version, finished.version);
  EXPECT_TRUE(after.user_attrs.empty());
}

TYPED_TEST(StorageContract, FinishChecksTheOutcome) {
  int64_t study = this->make_study("two", 2);
  FrozenTrial trial = this->start_trial(study);
  EXPECT_THROW(this->storage_->finish_trial(trial.id, complete({1.0})), Error);
  TrialOutcome running;
  running.state = TrialState::kRunning;
  EXPECT_THROW(this->storage_->finish_trial(trial.id, running), Error);
  EXPECT_EQ(this->storage_->trial(trial.id)->state, TrialState::kRunning);  // nothing written

  TrialOutcome pruned;  // a pruned trial needs no values
  pruned.state = TrialState::kPruned;
  this->storage_->finish_trial(trial.id, pruned);
  EXPECT_EQ(this->storage_->trial(trial.id)->state, TrialState::kPruned);
  EXPECT_TRUE(this->storage_->trial(trial.id)->values.empty());
}

TYPED_TEST(StorageContract, KeepsFailureReasonInterruptionAndRetryOf) {
  int64_t study = this->make_study();
  FrozenTrial first = this->start_trial(study);
  this->storage_->finish_trial(first.id, failed("exit code 3\nTraceback ...", true));
  auto retry = this->storage_->create_trial(study, {}, TrialState::kRunning, "x:1:1", 0,
                                            first.number);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->retry_of, first.number);

  FrozenTrial stored_first = *this->storage_->trial(first.id);
  EXPECT_EQ(stored_first.state, TrialState::kFailed);
  EXPECT_TRUE(stored_first.interrupted);
  EXPECT_EQ(stored_first.failure_reason, "exit code 3\nTraceback ...");
  EXPECT_FALSE(stored_first.retry_of);
  EXPECT_EQ(this->storage_->trial(retry->id)->retry_of, first.number);
  EXPECT_EQ(this->storage_->trial(retry->id)->owner, "x:1:1");
  EXPECT_EQ(this->storage_->counted_trials(study), 1);  // only the retry
}

TYPED_TEST(StorageContract, TrialsSinceVersionReturnsOnlyChangedTrials) {
  int64_t study = this->make_study();
  int64_t other = this->make_study("other");
  std::vector<FrozenTrial> created;
  for (int i = 0; i < 5; ++i) created.push_back(this->start_trial(study, {{"i", int64_t{i}}}));
  for (size_t i = 1; i < created.size(); ++i) EXPECT_GT(created[i].version, created[i - 1].version);

  std::vector<FrozenTrial> all = this->storage_->trials(study, 0);
  ASSERT_EQ(all.size(), 5u);
  int64_t seen = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].number, static_cast<int64_t>(i));
    seen = std::max(seen, all[i].version);
  }
  EXPECT_TRUE(this->storage_->trials(study, seen).empty());

  this->storage_->finish_trial(created[4].id, complete({1.0}));
  this->storage_->report(created[2].id, 0, 0.5);
  this->start_trial(other);  // another study's changes are not ours
  std::vector<FrozenTrial> changed = this->storage_->trials(study, seen);
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_EQ(changed[0].number, 2);  // number order, not change order
  EXPECT_EQ(changed[0].intermediate.at(0), 0.5);
  EXPECT_EQ(changed[0].config, (Config{{"i", int64_t{2}}}));
  EXPECT_EQ(changed[1].number, 4);
  EXPECT_EQ(changed[1].values, std::vector{1.0});
  EXPECT_GT(changed[0].version, seen);

  int64_t latest = std::max(changed[0].version, changed[1].version);
  this->storage_->set_user_attr(created[0].id, "k", "true");
  changed = this->storage_->trials(study, latest);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].number, 0);
  EXPECT_EQ(changed[0].user_attrs.at("k"), "true");
}

TYPED_TEST(StorageContract, RecoversTrialsWhoseProcessIsGone) {
  int64_t study = this->make_study();
  std::string host = this_host();
  std::string pid = std::to_string(getpid());
  FrozenTrial dead = this->start_trial(study, {}, host + ":" + std::to_string(dead_pid()) + ":1");
  FrozenTrial reused_pid = this->start_trial(study, {}, host + ":" + pid + ":1");
  FrozenTrial alive = this->start_trial(study, {}, this_process_owner());
  FrozenTrial elsewhere = this->start_trial(study, {}, "other-host.invalid:" + pid + ":1");
  FrozenTrial finished = this->start_trial(study, {}, host + ":" + std::to_string(dead_pid()) + ":1");
  this->storage_->finish_trial(finished.id, complete({0.0}));
  this->storage_->report(dead.id, 0, 1.0);
  EXPECT_EQ(this->storage_->counted_trials(study), 5);

  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, false, "worker died"), 2);
  for (int64_t id : {dead.id, reused_pid.id}) {
    FrozenTrial trial = *this->storage_->trial(id);
    EXPECT_EQ(trial.state, TrialState::kFailed);
    EXPECT_TRUE(trial.interrupted);
    EXPECT_EQ(trial.failure_reason, "worker died");
    EXPECT_GT(trial.end_time_ms, 0);
  }
  EXPECT_EQ(this->storage_->trial(alive.id)->state, TrialState::kRunning);
  EXPECT_EQ(this->storage_->trial(elsewhere.id)->state, TrialState::kRunning);
  EXPECT_EQ(this->storage_->trial(finished.id)->state, TrialState::kComplete);
  EXPECT_EQ(this->storage_->counted_trials(study), 3);
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, false, "again"), 0);
}

TYPED_TEST(StorageContract, RequeuesTrialsWhoseProcessIsGone) {
  int64_t study = this->make_study();
  std::string owner = this_host() + ":" + std::to_string(dead_pid()) + ":1";
  FrozenTrial orphan = this->start_trial(study, {{"x", 0.25}}, owner);
  this->storage_->report(orphan.id, 0, 1.0);
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, true, "unused"), 1);

  FrozenTrial waiting = *this->storage_->trial(orphan.id);
  EXPECT_EQ(waiting.state, TrialState::kWaiting);
  EXPECT_TRUE(waiting.intermediate.empty());
  EXPECT_EQ(this->storage_->counted_trials(study), 0);
  auto claimed = this->storage_->claim_waiting_trial(study, this_process_owner(), 1);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, orphan.id);
  EXPECT_EQ(claimed->config, orphan.config);
  EXPECT_EQ(claimed->owner, this_process_owner());
}

TYPED_TEST(StorageContract, UnknownIdsAreErrors) {
  int64_t study = this->make_study();
  EXPECT_THROW(this->storage_->create_trial(study + 100, {}, TrialState::kRunning, "", 0, {}),
               Error);
  EXPECT_THROW(this->storage_->create_trial(study, {}, TrialState::kComplete, "", 0, {}), Error);
  EXPECT_THROW(this->storage_->claim_waiting_trial(study + 100, "", 0), Error);
  EXPECT_THROW(this->storage_->counted_trials(study + 100), Error);
  EXPECT_THROW(this->storage_->trials(study + 100), Error);
  EXPECT_THROW(this->storage_->report(12345, 0, 1.0), Error);
  EXPECT_THROW(this->storage_->finish_trial(12345, complete({1.0})), Error);
  EXPECT_THROW(this->storage_->set_user_attr(12345, "k", "1"), Error);
  EXPECT_FALSE(this->storage_->trial(12345));
}

TYPED_TEST(StorageContract, ThreadsShareOneStorage) {
  int64_t study = this->make_study();
  constexpr int kThreads = 4, kTrialsEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTrialsEach; ++i) {
        auto trial = this->storage_->create_trial(study, {}, TrialState::kRunning, "", 150, {});
        if (!trial) return;
        this->storage_->report(trial->id, 0, 1.0);
        this->storage_->finish_trial(trial->id, complete({static_cast<double>(trial->number)}));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<FrozenTrial> trials = this->storage_->trials(study);
  ASSERT_EQ(trials.size(), 150u);  // the budget, exactly
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
    EXPECT_EQ(trials[i].values, std::vector{static_cast<double>(i)});
  }
}

// ---------------------------------------------------------------------------------------------
// SQLite only: files, foreign files, several processes, killed writers.

// Runs SQL on a file through the sqlite3 library, as a user with the sqlite3 shell would. Rows
// come back one per line, columns separated by '|'.
std::string query_file(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  std::string out;
  auto append_row = [](void* text, int columns, char** values, char**) {
    auto& rows = *static_cast<std::string*>(text);
    if (!rows.empty()) rows += '\n';
    for (int i = 0; i < columns; ++i) {
      if (i > 0) rows += '|';
      rows += values[i] ? values[i] : "NULL";
    }
    return 0;
  };
  char* error = nullptr;
  sqlite3_exec(db, sql.c_str(), append_row, &out, &error);
  sqlite3_close(db);
  if (error != nullptr) {
    std::string message = error;
    sqlite3_free(error);
    throw std::runtime_error(message + " in: " + sql);
  }
  return out;
}

std::string read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// Forks a child that runs `body` and exits: 0 when it returns, 1 (reason on stderr) when it
// throws. The child never returns into the test framework.
template <typename Body>
pid_t spawn(Body&& body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int code = 0;
    try {
      body();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(getpid()), error.what());
      code = 1;
    }
    _exit(code);
  }
  return pid;
}

int exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Lets forked children start together: each blocks in wait() until the parent calls open().
class StartGate {
 public:
  StartGate() {
    if (pipe(fds_) != 0) throw std::runtime_error("pipe failed");
  }
  void wait() {  // in a child
    close(fds_[1]);
    char byte;
    while (read(fds_[0], &byte, 1) < 0 && errno == EINTR) {
    }
    close(fds_[0]);
  }
  void open() {  // in the parent, after forking every child
    close(fds_[0]);
    close(fds_[1]);
  }

 private:
  int fds_[2];
};

void expect_same_trial(const FrozenTrial& a, const FrozenTrial& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.intermediate, b.intermediate);
  EXPECT_EQ(a.metrics, b.metrics);
  EXPECT_EQ(a.user_attrs, b.user_attrs);
  EXPECT_EQ(a.start_time_ms, b.start_time_ms);
  EXPECT_EQ(a.end_time_ms, b.end_time_ms);
  EXPECT_EQ(a.failure_reason, b.failure_reason);
  EXPECT_EQ(a.interrupted, b.interrupted);
  EXPECT_EQ(a.retry_of, b.retry_of);
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(a.version, b.version);
}

TEST(SqliteStorage, ReopeningAFileGivesTheSameData) {
  TempDir folder;
  std::string path = folder.path() + "/study.db";
  std::vector<FrozenTrial> before;
  {
    std::unique_ptr<Storage> storage = open_storage(path);
    int64_t study = storage->create_study(make_study_record("kept", 2));
    for (int64_t i = 0; i < 4; ++i) {
      auto trial = storage->create_trial(study, {{"i", i}, {"name", std::string("n")}},
                                         TrialState::kRunning, this_process_owner(), 0, {});
      storage->report(trial->id, 1, 0.5 * i);
      storage->set_user_attr(trial->id, "attr", "[1,2]");
      if (i < 3) storage->finish_trial(trial->id, complete({1.0 * i, -kInf}));
    }
    storage->create_trial(study, {}, TrialState::kWaiting, "", 0, 2);
    before = storage->trials(study);
  }
  std::unique_ptr<Storage> reopened = open_storage("sqlite://" + path);
  EXPECT_EQ(reopened->url(), "sqlite://" + path);
  std::optional<StudyRecord> study = reopened->find_study("kept");
  ASSERT_TRUE(study);
  EXPECT_EQ(study->directions.size(), 2u);
  std::vector<FrozenTrial> after = reopened->trials(study->id);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) expect_same_trial(after[i], before[i]);
  EXPECT_EQ(reopened->counted_trials(study->id), 4);
  // New trials continue the numbering and the change counter.
  auto next = reopened->create_trial(study->id, {}, TrialState::kRunning, "", 0, {});
  EXPECT_EQ(next->number, 5);
  EXPECT_GT(next->version, before.back().version);
}

TEST(SqliteStorage, RefusesAFileThatIsNotADatabase) {
  TempDir folder;
  std::string path = folder.path() + "/notes.db";
  std::string content;
  for (int i = 0; i < 200; ++i) content += "these are my notes, not a database\n";
  std::ofstream(path) << content;
  std::string message = error_message([&] { open_storage(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("not a Winnow database"), std::string::npos) << message;
  EXPECT_THROW(open_storage(path), StorageError);
  EXPECT_EQ(read_whole_file(path), content);
}

TEST(SqliteStorage, RefusesAnotherApplicationsDatabaseWithoutTouchingIt) {
  TempDir folder;
  std::string path = folder.path() + "/app.db";
  query_file(path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
                   "INSERT INTO users (name) VALUES ('ada');");
  std::string before = read_whole_file(path);
  std::string message = error_message([&] { open_storage(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("not a Winnow one"), std::string::npos) << message;
  EXPECT_NE(message.find("users"), std::string::npos) << message;
  EXPECT_EQ(read_whole_file(path), before);
  EXPECT_EQ(query_file(path, "PRAGMA journal_mode"), "delete");

  // A 'meta' table alone does not make a Winnow database.
  query_file(path, "CREATE TABLE meta (key TEXT, value TEXT)");
  message = error_message([&] { open_storage(path); });
  EXPECT_NE(message.find("application = 'winnow'"), std::string::npos) << message;
}

TEST(SqliteStorage, RefusesAFileFromANewerWinnow) {
  TempDir folder;
  std::string path = folder.path() + "/study.db";
  open_storage(path)->create_study(make_study_record("s"));
  query_file(path, "UPDATE meta SET value = 99 WHERE key = 'schema_version'");
  std::string message = error_message([&] { open_storage(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("newer Winnow (schema version 99"), std::string::npos) << message;
}

TEST(SqliteStorage, DoesNotCreateMissingFolders) {
  TempDir folder;
  std::string missing = folder.path() + "/missing";
  std::string message = error_message([&] { open_storage(missing + "/study.db"); });
  EXPECT_NE(message.find("folder '" + missing + "' does not exist"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(OpenStorage, UnderstandsEveryUrlForm) {
  TempDir folder;
  EXPECT_EQ(open_storage("memory")->url(), "memory");
  EXPECT_EQ(open_storage(":memory:")->url(), "memory");
  std::string absolute = folder.path() + "/a.db";
  ASSERT_EQ(absolute[0], '/');
  EXPECT_EQ(open_storage("sqlite://" + absolute)->url(), "sqlite://" + absolute);
  EXPECT_EQ(open_storage(folder.path() + "/b.db")->url(), "sqlite://" + folder.path() + "/b.db");
  EXPECT_TRUE(std::filesystem::exists(folder.path() + "/b.db"));
  // Relative paths resolve against the working directory (here: a folder that is not there).
  std::string message = error_message([] { open_storage("sqlite://no-such-folder-xyz/s.db"); });
  EXPECT_NE(message.find("no-such-folder-xyz' does not exist"), std::string::npos) << message;

  message = error_message([] { open_storage("postgres://host/db"); });
  EXPECT_NE(message.find("unknown scheme 'postgres'"), std::string::npos) << message;
  EXPECT_NE(message.find("sqlite://"), std::string::npos) << message;
  EXPECT_NE(message.find("memory"), std::string::npos) << message;
  EXPECT_THROW(open_storage("sqlite://"), Error);
  EXPECT_THROW(open_storage(""), Error);
}

TEST(SqliteStorage, AnswersTheQueriesInTheSchemaDocumentation) {
  TempDir folder;
  std::string path = folder.path() + "/study.db";
  {
    std::unique_ptr<Storage> storage = open_storage(path);
    int64_t study = storage->create_study(make_study_record("demo"));
    for (int64_t i = 0; i < 3; ++i) {
      auto trial = storage->create_trial(study, {{"lr", 0.1 * (i + 1)}, {"opt", std::string("adam")}},
                                         TrialState::kRunning, "", 0, {});
      if (i < 2) storage->finish_trial(trial->id, complete({1.5 - i}));
    }
  }
  EXPECT_EQ(query_file(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "1");
  EXPECT_EQ(query_file(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_file(path,
                       "SELECT number, state, value FROM trials JOIN trial_values USING (trial_id) "
                       "WHERE study_id = (SELECT study_id FROM studies WHERE name = 'demo') "
                       "AND objective = 0 ORDER BY number"),
            "0|complete|1.5\n1|complete|0.5");
  EXPECT_EQ(query_file(path,
                       "SELECT t.number, p.name, p.value_type, p.value FROM trials t "
                       "JOIN trial_params p USING (trial_id) WHERE t.number = 2 ORDER BY p.name"),
            "2|lr|float|0.3\n2|opt|string|adam");
  // The budget counter kept by triggers agrees with a plain count.
  EXPECT_EQ(query_file(path, "SELECT counted_trials FROM studies"), "3");
  EXPECT_EQ(query_file(path, "SELECT count(*) FROM trials WHERE state IN ('running', 'complete', "
                             "'pruned') OR (state = 'failed' AND interrupted = 0)"),
            "3");
}

TEST(SqliteStorage, ProcessesCreatingTrialsAtOnceGetDistinctGaplessNumbers) {
  TempDir folder;
  std::string path = folder.path() + "/shared.db";
  open_storage(path)->create_study(make_study_record("shared"));  // closed before forking
  constexpr int kProcesses = 2, kTrialsEach = 500;
  StartGate gate;
  std::vector<pid_t> children;
  for (int c = 0; c < kProcesses; ++c) {
    children.push_back(spawn([&] {
      gate.wait();
      std::unique_ptr<Storage> storage = open_storage(path);
      int64_t study = storage->find_study("shared")->id;
      std::string owner = this_process_owner();
      for (int64_t i = 0; i < kTrialsEach; ++i) {
        auto trial = storage->create_trial(study, {{"i", i}}, TrialState::kRunning, owner, 0, {});
        storage->finish_trial(trial->id, complete({static_cast<double>(i)}));
      }
    }));
  }
  gate.open();
  for (pid_t child : children) EXPECT_EQ(exit_code(child), 0);

  std::unique_ptr<Storage> storage = open_storage(path);
  int64_t study = storage->find_study("shared")->id;
  std::vector<FrozenTrial> trials = storage->trials(study);
  ASSERT_EQ(trials.size(), size_t{kProcesses * kTrialsEach});
  std::map<std::string, std::set<int64_t>> configs_by_owner;
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
    EXPECT_EQ(trials[i].state, TrialState::kComplete);
    configs_by_owner[trials[i].owner].insert(std::get<int64_t>(trials[i].config.at("i")));
  }
  ASSERT_EQ(configs_by_owner.size(), size_t{kProcesses});
  for (const auto& [owner, configs] : configs_by_owner) EXPECT_EQ(configs.size(), size_t{kTrialsEach});
  EXPECT_EQ(storage->counted_trials(study), kProcesses * kTrialsEach);
  EXPECT_EQ(query_file(path, "PRAGMA integrity_check"), "ok");
}

TEST(SqliteStorage, ProcessesSharingABudgetOnANewFileNeverOvershootIt) {
  TempDir folder;
  std::string path = folder.path() + "/fresh.db";  // created by whichever child comes first
  constexpr int kProcesses = 3, kBudget = 200;
  StartGate gate;
  std::vector<pid_t> children;
  for (int c = 0; c < kProcesses; ++c) {
    children.push_back(spawn([&] {
      gate.wait();
      std::unique_ptr<Storage> storage = open_storage(path);
      int64_t study;
      try {
        study = storage->create_study(make_study_record("budget"));
      } catch (const Error&) {  // another process created it first
        study = storage->find_study("budget").value().id;
      }
      while (auto trial = storage->create_trial(study, {}, TrialState::kRunning, "", kBudget, {})) {
        storage->finish_trial(trial->id, complete({1.0}));
      }
    }));
  }
  gate.open();
  for (pid_t child : children) EXPECT_EQ(exit_code(child), 0);
  std::unique_ptr<Storage> storage = open_storage(path);
  ASSERT_EQ(storage->list_studies().size(), 1u);
  int64_t study = storage->find_study("budget")->id;
  EXPECT_EQ(storage->trials(study).size(), size_t{kBudget});
  EXPECT_EQ(storage->counted_trials(study), kBudget);
}

TEST(SqliteStorage, AKilledWriterLosesNoFinishedTrial) {
  TempDir folder;
  std::mt19937 random(20240601);
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string path = folder.path() + "/killed" + std::to_string(round) + ".db";
    open_storage(path)->create_study(make_study_record("s"));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = spawn([&] {
      close(fds[0]);
      std::unique_ptr<Storage> storage = open_storage(path);
      int64_t study = storage->find_study("s")->id;
      std::string owner = this_process_owner();
      for (int64_t i = 0;; ++i) {
        auto trial = storage->create_trial(study, {{"i", i}}, TrialState::kRunning, owner, 0, {});
        storage->report(trial->id, 0, static_cast<double>(i));
        storage->finish_trial(trial->id, complete({0.5 * static_cast<double>(i)}));
        // Only now is the trial promised to survive.
        if (write(fds[1], &trial->id, sizeof(int64_t)) != sizeof(int64_t)) {
          throw std::runtime_error("pipe closed");
        }
      }
    });
    close(fds[1]);
    // The child keeps working while we read, so it dies at an arbitrary point of a transaction.
    size_t kill_after = std::uniform_int_distribution<size_t>(1, 400)(random);
    std::vector<int64_t> finished;
    int64_t id;
    while (read(fds[0], &id, sizeof(id)) == sizeof(id)) {
      finished.push_back(id);
      if (finished.size() == kill_after) kill(child, SIGKILL);
    }
    close(fds[0]);
    EXPECT_EQ(exit_code(child), 128 + SIGKILL);
    ASSERT_GE(finished.size(), kill_after);

    std::unique_ptr<Storage> storage = open_storage(path);
    for (int64_t trial_id : finished) {
      std::optional<FrozenTrial> trial = storage->trial(trial_id);
      ASSERT_TRUE(trial) << "trial id " << trial_id << " was lost";
      ASSERT_EQ(trial->state, TrialState::kComplete);
      double i = static_cast<double>(std::get<int64_t>(trial->config.at("i")));
      EXPECT_EQ(trial->values, std::vector{0.5 * i});
      EXPECT_EQ(trial->intermediate.at(0), i);
    }
    int64_t study = storage->find_study("s")->id;
    std::vector<FrozenTrial> trials = storage->trials(study);
    for (size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
    // At most the trial in flight when the child died is left running, and it is an orphan.
    EXPECT_LE(storage->recover_orphaned_trials(study, false, "killed"), 1);
    EXPECT_EQ(storage->trials(study).back().state == TrialState::kRunning, false);
    EXPECT_EQ(query_file(path, "PRAGMA integrity_check"), "ok");
  }
}

}  // namespace
}  // namespace winnow
