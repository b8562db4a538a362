// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The Storage contract: StorageContract runs against every backend, and a new backend is done
// when it passes. SQLite-only behaviour (files, several processes, killed writers) is tested in
// sqlite_storage_test.cc.
#include "winnow/storage.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <cmath>
#include <limits>
#include <set>
#include <chrono>
#include <thread>

#include "storage/postgres_storage.h"
#include "unit/postgres_test_support.h"
#include "unit/storage_test_support.h"
#include "winnow/error.h"

namespace winnow {
namespace {

using namespace storage_test;

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
struct PostgresBackend {
  static std::string url(const std::string&) { return fresh_postgres_url(); }
};

template <typename Backend>
class StorageContract : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = Backend::url(folder_.path());
    storage_ = open_storage(url_);
  }
  // Another process's view of the same storage: its own connection (the memory storage has
  // none to open, so it is shared).
  std::shared_ptr<Storage> other_connection() {
    if (url_ == "memory") return std::shared_ptr<Storage>(storage_.get(), [](Storage*) {});
    return open_storage(url_);
  }

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
  std::string url_;
  std::unique_ptr<Storage> storage_;
};

class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, MemoryBackend>) return "Memory";
    return std::is_same_v<T, SqliteBackend> ? "Sqlite" : "Postgres";
  }
};
using Backends = ::testing::Types<MemoryBackend, SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StorageContract, Backends, BackendNames);

TYPED_TEST(StorageContract, CreatesFindsAndListsStudies) {
  StudyRecord first = make_study_record("first", 2);
  first.objective_names = {"loss", "accuracy"};
  first.space_json = R"({"x":[0,1]})";
  first.sampler = "tpe:n_startup=10";
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
      // What array literals must escape or could misread (parameters go in as one array).
      {"path \\ {a,b} \"x\"", std::string("C:\\dir\\{x},NULL\"")},
      {"null_text", std::string("NULL")},
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

TYPED_TEST(StorageContract, CreatesATrialUnderAGivenNumberOnlyIfItIsTheNextOne) {
  int64_t study = this->make_study();
  std::string owner = this_process_owner();
  EXPECT_EQ(this->storage_->next_trial_number(study), 0);
  auto create = [&](int64_t number, double x) {
    return this->storage_->create_trial(study, {{"x", x}}, TrialState::kRunning, owner, 0, {},
                                        {}, number);
  };
  std::optional<FrozenTrial> first = create(0, 0.1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->number, 0);
  // Another process proposed for number 0 too, from the same snapshot: refused, nothing stored.
  EXPECT_FALSE(create(0, 0.2));
  EXPECT_FALSE(create(2, 0.2));
  EXPECT_EQ(this->storage_->next_trial_number(study), 1);
  ASSERT_EQ(this->storage_->trials(study).size(), 1u);
  EXPECT_EQ(std::get<double>(this->storage_->trials(study)[0].config.at("x")), 0.1);
  std::optional<FrozenTrial> second = create(1, 0.2);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->number, 1);
  // Enqueued trials take numbers too.
  ASSERT_TRUE(this->storage_->create_trial(study, {}, TrialState::kWaiting, "", 0, {}));
  EXPECT_EQ(this->storage_->next_trial_number(study), 3);
  EXPECT_FALSE(create(2, 0.3));
}

TYPED_TEST(StorageContract, DiscardedFailuresStopCounting) {
  int64_t study = this->make_study();
  std::string owner = this_process_owner();
  FrozenTrial broken = this->start_trial(study);
  FrozenTrial running = this->start_trial(study);
  this->storage_->finish_trial(broken.id, failed("No such file or directory", false));
  EXPECT_EQ(this->storage_->counted_trials(study), 2);
  int64_t version = this->storage_->trials(study)[0].version;
  this->storage_->discard_failed_trial(broken.id);
  this->storage_->discard_failed_trial(broken.id);  // a second time changes nothing
  EXPECT_EQ(this->storage_->counted_trials(study), 1);
  FrozenTrial stored = this->storage_->trials(study)[0];
  EXPECT_TRUE(stored.interrupted);
  EXPECT_EQ(stored.failure_reason, "No such file or directory");
  EXPECT_GT(stored.version, version);  // caches see the change
  EXPECT_THROW(this->storage_->discard_failed_trial(running.id), Error);
}

TYPED_TEST(StorageContract, DeletesAndRenamesStudies) {
  int64_t kept = this->make_study("kept");
  int64_t gone = this->make_study("gone");
  this->start_trial(kept);
  this->start_trial(gone);
  this->start_trial(gone);
  this->storage_->delete_study(gone);
  EXPECT_FALSE(this->storage_->find_study("gone"));
  EXPECT_THROW(this->storage_->trials(gone), Error);
  ASSERT_EQ(this->storage_->list_studies().size(), 1u);
  EXPECT_EQ(this->storage_->trials(kept).size(), 1u);
  // The name is free again; the new study starts from trial 0.
  int64_t again = this->make_study("gone");
  EXPECT_EQ(this->start_trial(again).number, 0);

  this->storage_->rename_study(kept, "renamed");
  EXPECT_EQ(this->storage_->find_study("renamed")->id, kept);
  EXPECT_FALSE(this->storage_->find_study("kept"));
  EXPECT_NE(error_message([&] { this->storage_->rename_study(kept, "gone"); })
                .find("'gone' already exists"),
            std::string::npos);
  EXPECT_THROW(this->storage_->rename_study(kept, ""), Error);
  EXPECT_THROW(this->storage_->delete_study(12345), Error);
}

TYPED_TEST(StorageContract, KeepsStudyAttributesAndTheSpaceByCompareAndSet) {
  int64_t study = this->make_study("s");
  this->storage_->set_study_user_attr(study, "owner", "{\"team\": \"vision\"}");
  this->storage_->set_study_user_attr(study, "round", "1");
  this->storage_->set_study_user_attr(study, "round", "2");
  StudyRecord found = *this->storage_->find_study("s");
  EXPECT_EQ(found.user_attrs.size(), 2u);
  EXPECT_EQ(found.user_attrs["round"], "2");
  EXPECT_EQ(this->storage_->list_studies().front().user_attrs["owner"], "{\"team\": \"vision\"}");
  EXPECT_THROW(this->storage_->set_study_user_attr(12345, "k", "1"), Error);
  // A copy made from the record carries the attributes; a deleted study takes them along.
  StudyRecord copy = found;
  copy.name = "copy";
  int64_t copied = this->storage_->create_study(copy);
  EXPECT_EQ(this->storage_->find_study("copy")->user_attrs["round"], "2");
  this->storage_->delete_study(copied);
  this->make_study("copy");  // SQLite may give it the deleted study's id: no attribute carries over
  EXPECT_TRUE(this->storage_->find_study("copy")->user_attrs.empty());

  std::string before = found.space_json;
  EXPECT_TRUE(this->storage_->replace_study_space(study, before, "{\"params\": []}"));
  EXPECT_FALSE(this->storage_->replace_study_space(study, before, "{\"params\": [1]}"));
  EXPECT_EQ(this->storage_->find_study("s")->space_json, "{\"params\": []}");
  EXPECT_THROW(this->storage_->replace_study_space(copied + 1000, "{}", "{\"params\": []}"),
               Error);
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

TYPED_TEST(StorageContract, KeepsConstraintValuesInOrder) {
  int64_t study = this->make_study();
  FrozenTrial trial = this->start_trial(study);
  TrialOutcome outcome{.values = {1.0}, .constraints = {-0.5, 2.0, 0.0}};
  this->storage_->finish_trial(trial.id, outcome);
  FrozenTrial stored = *this->storage_->trial(trial.id);
  EXPECT_EQ(stored.constraints, outcome.constraints);
  EXPECT_FALSE(stored.feasible());
  EXPECT_EQ(stored.constraint_violation(), 2.0);
  EXPECT_EQ(this->storage_->trials(study).at(0).constraints, outcome.constraints);
}

TYPED_TEST(StorageContract, CreatesTrialsWithAttributesInOneStep) {
  int64_t study = this->make_study();
  std::map<std::string, std::string> attrs = {{"winnow.sampler", R"("tpe")"},
                                              {"winnow.cmaes", R"({"generation": 3})"},
                                              {"path, {x}", R"({"p": "a\\b \"q\", NULL"})"}};
  std::optional<FrozenTrial> trial = this->storage_->create_trial(
      study, {{"x", 0.5}}, TrialState::kRunning, this_process_owner(), 0, {}, attrs);
  ASSERT_TRUE(trial);
  EXPECT_EQ(trial->user_attrs, attrs);
  EXPECT_EQ(this->storage_->trial(trial->id)->user_attrs, attrs);
  EXPECT_EQ(this->storage_->trials(study).at(0).user_attrs, attrs);
  // A bad attribute refuses the whole trial: nothing is half-created.
  EXPECT_THROW(this->storage_->create_trial(study, {}, TrialState::kRunning, "", 0, {},
                                            {{"winnow.bad", "{not json"}}),
               Error);
  EXPECT_EQ(this->storage_->trials(study).size(), 1u);
}

TYPED_TEST(StorageContract, FinishedTrialsNeverChange) {
  int64_t study = this->make_study("two", 2);
  FrozenTrial trial = this->start_trial(study, {{"x", 1.5}});
  TrialOutcome outcome = complete({kInf, -kInf});
  outcome.metrics = {{"seconds", 2.5}, {"memory_mb", 128}, {"peak \"rss\", {MB}\\", 1e-9}};
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

// Define-by-run: the parameters the objective asked for replace the ones the trial was created
// with, in the same step as its values; a finish that is refused changes neither.
TYPED_TEST(StorageContract, FinishReplacesTheParametersWithTheAskedOnes) {
  int64_t study = this->make_study();
  FrozenTrial trial = this->start_trial(study, {{"x", 0.5}, {"gone", int64_t{4}}});
  TrialOutcome outcome = complete({2.0});
  outcome.config = Config{{"x", 0.25}, {"new", std::string("a,b")}, {"flag", true}};
  outcome.owner = this_process_owner();
  this->storage_->finish_trial(trial.id, outcome);
  FrozenTrial finished = *this->storage_->trial(trial.id);
  EXPECT_EQ(finished.config, *outcome.config);
  EXPECT_EQ(finished.values, std::vector{2.0});

  FrozenTrial empty = this->start_trial(study, {{"x", 0.5}});
  TrialOutcome asked_nothing;
  asked_nothing.state = TrialState::kPruned;
  asked_nothing.config = Config{};
  this->storage_->finish_trial(empty.id, asked_nothing);
  EXPECT_TRUE(this->storage_->trial(empty.id)->config.empty());

  // Another owner's finish is refused before anything is written.
  FrozenTrial mine = this->start_trial(study, {{"x", 0.75}});
  TrialOutcome stranger = complete({1.0});
  stranger.config = Config{{"x", 0.0}};
  stranger.owner = "elsewhere:1:1";
  EXPECT_THROW(this->storage_->finish_trial(mine.id, stranger), TrialTakenError);
  FrozenTrial untouched = *this->storage_->trial(mine.id);
  EXPECT_EQ(untouched.state, TrialState::kRunning);
  EXPECT_EQ(untouched.config, (Config{{"x", 0.75}}));
  EXPECT_TRUE(untouched.values.empty());
}

TYPED_TEST(StorageContract, KeepsFailureReasonInterruptionAndRetryOf) {
  int64_t study = this->make_study();
  FrozenTrial first = this->start_trial(study);
  this->storage_->finish_trial(first.id, failed("exit code 3\nTraceback ...", true));
  auto retry =
      this->storage_->create_trial(study, {}, TrialState::kRunning, "x:1:1", 0, first.number);
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
  // Stamped now, or version 0: stamped later, and returned by every read until then.
  for (const FrozenTrial& trial : changed) {
    EXPECT_TRUE(trial.version > seen || trial.version == 0) << trial.version;
  }

  int64_t latest = std::max({seen, changed[0].version, changed[1].version});
  this->storage_->set_user_attr(created[0].id, "k", "true");
  changed = this->storage_->trials(study, latest);
  ASSERT_FALSE(changed.empty());
  EXPECT_EQ(changed[0].number, 0);
  EXPECT_EQ(changed[0].user_attrs.at("k"), "true");
  EXPECT_GT(changed[0].version, latest);
  // Anything else is one of the changes that were not stamped, now with a version.
  for (size_t i = 1; i < changed.size(); ++i) {
    EXPECT_TRUE(changed[i].number == 2 || changed[i].number == 4) << changed[i].number;
    EXPECT_GT(changed[i].version, latest);
  }
  // Once stamped, a change is returned once: nothing changed since the latest version.
  for (const FrozenTrial& trial : changed) latest = std::max(latest, trial.version);
  EXPECT_TRUE(this->storage_->trials(study, latest).empty());
}

TYPED_TEST(StorageContract, RecoversTrialsWhoseProcessIsGone) {
  int64_t study = this->make_study();
  std::string host = this_host();
  std::string pid = std::to_string(getpid());
  FrozenTrial dead = this->start_trial(study, {}, host + ":" + std::to_string(dead_pid()) + ":1");
  FrozenTrial reused_pid = this->start_trial(study, {}, host + ":" + pid + ":1");
  FrozenTrial alive = this->start_trial(study, {}, this_process_owner());
  FrozenTrial elsewhere = this->start_trial(study, {}, "other-host.invalid:" + pid + ":1");
  FrozenTrial finished =
      this->start_trial(study, {}, host + ":" + std::to_string(dead_pid()) + ":1");
  this->storage_->finish_trial(finished.id, complete({0.0}));
  this->storage_->report(dead.id, 0, 1.0);
  EXPECT_EQ(this->storage_->counted_trials(study), 5);

  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, OrphanPolicy{.requeue = false, .reason = "worker died"}), 2);
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
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, OrphanPolicy{.requeue = false, .reason = "again"}), 0);
}

TYPED_TEST(StorageContract, RequeuesTrialsWhoseProcessIsGone) {
  int64_t study = this->make_study();
  std::string owner = this_host() + ":" + std::to_string(dead_pid()) + ":1";
  FrozenTrial orphan = this->start_trial(study, {{"x", 0.25}}, owner);
  this->storage_->report(orphan.id, 0, 1.0);
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, OrphanPolicy{.requeue = true, .reason = "unused"}), 1);

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

// A process whose trial was put back in the queue (its lease expired) and claimed again can no
// longer report to it or set its attributes: the new attempt's values stay its own.
TYPED_TEST(StorageContract, AnAttemptThatLostItsTrialCannotWriteToIt) {
  int64_t study = this->make_study();
  std::string gone = this_host() + ":" + std::to_string(dead_pid()) + ":1";
  FrozenTrial orphan = this->start_trial(study, {{"x", 0.25}}, gone);
  const TrialHolder old_attempt{gone, orphan.start_time_ms};
  this->storage_->report(orphan.id, 0, 1.0, old_attempt);
  ASSERT_EQ(this->storage_->recover_orphaned_trials(
                study, OrphanPolicy{.requeue = true, .reason = "unused"}),
            1);
  EXPECT_THROW(this->storage_->report(orphan.id, 1, 9.0, old_attempt), TrialTakenError);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a later start
  auto claimed = this->storage_->claim_waiting_trial(study, this_process_owner(), 0);
  ASSERT_TRUE(claimed);
  const TrialHolder new_attempt{claimed->owner, claimed->start_time_ms};
  this->storage_->report(orphan.id, 0, 0.5, new_attempt);
  this->storage_->set_user_attr(orphan.id, "note", R"("new")", new_attempt);
  EXPECT_THROW(this->storage_->report(orphan.id, 0, 7.0, old_attempt), TrialTakenError);
  EXPECT_THROW(this->storage_->set_user_attr(orphan.id, "note", R"("old")", old_attempt),
               TrialTakenError);
  // The same owner, an earlier start: this process lost the trial and claimed it again.
  const TrialHolder same_owner_earlier{claimed->owner, claimed->start_time_ms - 1000};
  EXPECT_THROW(this->storage_->report(orphan.id, 2, 7.0, same_owner_earlier), TrialTakenError);
  FrozenTrial stored = *this->storage_->trial(orphan.id);
  EXPECT_EQ(stored.intermediate, (std::map<int64_t, double>{{0, 0.5}}));
  EXPECT_EQ(stored.user_attrs.at("note"), R"("new")");
}

TYPED_TEST(StorageContract, FailsTrialsWithoutAHeartbeatForTheLease) {
  int64_t study = this->make_study();
  // Both owners are alive (this process): only the lease can tell that one of them is lost.
  FrozenTrial silent = this->start_trial(study);
  FrozenTrial beating = this->start_trial(study);
  // Handed out by `winnow ask` to a program that reports with `winnow tell`: no heartbeat, and
  // no lease either.
  FrozenTrial asked = this->start_trial(study, {}, "ask@" + this_host());
  OrphanPolicy policy{.lease_ms = 800, .reason = "no heartbeat"};
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, policy), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  this->storage_->heartbeat({beating.id}, this_process_owner());
  this->storage_->heartbeat({silent.id}, "another-host.invalid:1:1");  // not its owner: ignored
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, policy), 1);
  FrozenTrial failed = *this->storage_->trial(silent.id);
  EXPECT_EQ(failed.state, TrialState::kFailed);
  EXPECT_TRUE(failed.interrupted);
  EXPECT_EQ(failed.failure_reason, "no heartbeat");
  EXPECT_EQ(this->storage_->trial(beating.id)->state, TrialState::kRunning);
  EXPECT_EQ(this->storage_->trial(asked.id)->state, TrialState::kRunning);
  EXPECT_EQ(this->storage_->counted_trials(study), 2);
}

TYPED_TEST(StorageContract, RequeuesALostTrialOnceAndRefusesTheLateResult) {
  int64_t study = this->make_study();
  FrozenTrial lost = this->start_trial(study, {{"x", 0.5}}, "host-a.invalid:10:1");
  OrphanPolicy policy{.lease_ms = 300, .requeue = true, .reason = "lost"};
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, policy), 1);
  EXPECT_EQ(this->storage_->trial(lost.id)->state, TrialState::kWaiting);

  auto again = this->storage_->claim_waiting_trial(study, "host-b.invalid:20:1", 0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, lost.id);
  // The first owner comes back with a result: it is refused, the new run is untouched.
  TrialOutcome late = complete({1.0});
  late.owner = "host-a.invalid:10:1";
  EXPECT_THROW(this->storage_->finish_trial(lost.id, late), TrialTakenError);
  EXPECT_EQ(this->storage_->trial(lost.id)->state, TrialState::kRunning);

  // Lost a second time, it is failed, not requeued again.
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_EQ(this->storage_->recover_orphaned_trials(study, policy), 1);
  FrozenTrial failed = *this->storage_->trial(lost.id);
  EXPECT_EQ(failed.state, TrialState::kFailed);
  EXPECT_EQ(failed.failure_reason, "lost");
  TrialOutcome later = complete({2.0});
  later.owner = "host-b.invalid:20:1";
  EXPECT_THROW(this->storage_->finish_trial(lost.id, later), TrialTakenError);
  EXPECT_TRUE(this->storage_->trial(lost.id)->values.empty());
}

TYPED_TEST(StorageContract, TellsAnAttemptFromTheSameProcesssNextClaimOfTheTrial) {
  int64_t study = this->make_study();
  const std::string owner = "host-a.invalid:10:1";
  FrozenTrial first = this->start_trial(study, {{"x", 0.5}}, owner);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  OrphanPolicy policy{.lease_ms = 300, .requeue = true};
  ASSERT_EQ(this->storage_->recover_orphaned_trials(study, policy), 1);
  auto second = this->storage_->claim_waiting_trial(study, owner, 0);  // the same process
  ASSERT_TRUE(second);
  ASSERT_NE(second->start_time_ms, first.start_time_ms);
  TrialOutcome stale = complete({1.0});
  stale.owner = owner;
  stale.started_ms = first.start_time_ms;
  EXPECT_THROW(this->storage_->finish_trial(first.id, stale), TrialTakenError);
  TrialOutcome current = complete({2.0});
  current.owner = owner;
  current.started_ms = second->start_time_ms;
  this->storage_->finish_trial(second->id, current);
  EXPECT_EQ(this->storage_->trial(first.id)->values, std::vector<double>{2.0});
}

TYPED_TEST(StorageContract, KeepsStudiesApartInOneDatabase) {
  int64_t a = this->make_study("a");
  int64_t b = this->make_study("b");
  for (int i = 0; i < 3; ++i) this->start_trial(a);
  FrozenTrial first_b = this->start_trial(b);
  EXPECT_EQ(first_b.number, 0);
  EXPECT_EQ(this->storage_->trials(a).size(), 3u);
  EXPECT_EQ(this->storage_->trials(b).size(), 1u);
  this->storage_->delete_study(a);
  EXPECT_EQ(this->storage_->trials(b).size(), 1u);
  EXPECT_FALSE(this->storage_->find_study("a"));
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

TYPED_TEST(StorageContract, DecidesATrialOnTheCurrentHistory) {
  int64_t study = this->make_study();
  FrozenTrial first = this->start_trial(study, {{"x", 0.5}});
  this->storage_->finish_trial(first.id, complete({1.0}));
  this->start_trial(study);
  int calls = 0;
  auto created = this->storage_->create_decided_trial(
      study, 0, "me:1:2", 0,
      [&](int64_t number, std::vector<FrozenTrial> changed) -> std::optional<Storage::TrialDraft> {
        ++calls;
        EXPECT_EQ(number, 2);
        EXPECT_EQ(changed.size(), 2u);
        if (changed.size() == 2) {
          EXPECT_EQ(changed[0].state, TrialState::kComplete);
          EXPECT_EQ(changed[0].config, (Config{{"x", 0.5}}));
        }
        return Storage::TrialDraft{{{"x", 1.5}, {"k", int64_t{3}}}, {{"winnow.rung", "1"}}};
      });
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->number, 2);
  EXPECT_EQ(created->state, TrialState::kRunning);
  FrozenTrial stored = *this->storage_->trial(created->id);
  EXPECT_EQ(stored.config, (Config{{"x", 1.5}, {"k", int64_t{3}}}));
  EXPECT_EQ(stored.user_attrs.at("winnow.rung"), "1");
  EXPECT_EQ(stored.owner, "me:1:2");
  EXPECT_GT(stored.start_time_ms, 0);

  // Only what changed since a version, and nothing at all without one.
  this->storage_->create_decided_trial(
      study, stored.version, "", 0, [&](int64_t number, std::vector<FrozenTrial> changed) {
        EXPECT_EQ(number, 3);
        EXPECT_TRUE(changed.empty());
        return std::optional<Storage::TrialDraft>();
      });
  this->storage_->create_decided_trial(
      study, std::nullopt, "", 0, [&](int64_t, std::vector<FrozenTrial> changed) {
        EXPECT_TRUE(changed.empty());
        return std::optional<Storage::TrialDraft>();
      });
  // Declining creates nothing.
  EXPECT_EQ(this->storage_->next_trial_number(study), 3);
  EXPECT_EQ(this->storage_->counted_trials(study), 3);

  // A spent budget: nothing is decided.
  calls = 0;
  auto over = this->storage_->create_decided_trial(
      study, 0, "", 3, [&](int64_t, std::vector<FrozenTrial>) {
        ++calls;
        return std::optional<Storage::TrialDraft>(Storage::TrialDraft{});
      });
  EXPECT_FALSE(over);
  EXPECT_EQ(calls, 0);
  EXPECT_THROW(this->storage_->create_decided_trial(
                   study + 100, 0, "", 0,
                   [](int64_t, std::vector<FrozenTrial>) {
                     return std::optional<Storage::TrialDraft>(Storage::TrialDraft{});
                   }),
               Error);
  // A bad attribute is refused and nothing is created.
  EXPECT_THROW(this->storage_->create_decided_trial(
                   study, 0, "", 0,
                   [](int64_t, std::vector<FrozenTrial>) {
                     return std::optional<Storage::TrialDraft>(
                         Storage::TrialDraft{{}, {{"k", "not json"}}});
                   }),
               Error);
  EXPECT_EQ(this->storage_->next_trial_number(study), 3);

  // A waiting trial is claimed first, without a decision.
  auto waiting = this->storage_->create_trial(study, {{"x", 7.0}}, TrialState::kWaiting, "", 0, {});
  ASSERT_TRUE(waiting);
  calls = 0;
  auto claimed = this->storage_->create_decided_trial(
      study, 0, "me:1:2", 0, [&](int64_t, std::vector<FrozenTrial>) {
        ++calls;
        return std::optional<Storage::TrialDraft>(Storage::TrialDraft{});
      });
  ASSERT_TRUE(claimed);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(claimed->id, waiting->id);
  EXPECT_EQ(claimed->state, TrialState::kRunning);
  EXPECT_EQ(claimed->owner, "me:1:2");
  EXPECT_EQ(claimed->config, (Config{{"x", 7.0}}));
  EXPECT_EQ(this->storage_->counted_trials(study), 4);
}

// A trial decided ahead as the storage holds it: running under the caller, with the draft's
// configuration and attributes, and the number, version and start time the call returned.
void expect_stored_as_created(const FrozenTrial& stored, const FrozenTrial& created,
                              const Storage::TrialDraft& draft, const std::string& owner) {
  EXPECT_EQ(stored.number, created.number);
  EXPECT_EQ(stored.state, TrialState::kRunning);
  EXPECT_EQ(stored.config, draft.config);
  EXPECT_EQ(stored.user_attrs, draft.user_attrs);
  EXPECT_EQ(stored.owner, owner);
  EXPECT_EQ(stored.version, created.version);
  EXPECT_EQ(stored.start_time_ms, created.start_time_ms);
  EXPECT_GT(stored.start_time_ms, 0);
}

// A trial decided ahead of the lock: created under the next number (when that is the number
// expected), with the trials changed since the caller's version; a waiting trial is claimed
// first; a spent budget or a number taken meanwhile creates nothing.
TYPED_TEST(StorageContract, CreatesATrialDecidedAheadOfTheLock) {
  int64_t study = this->make_study();
  FrozenTrial first = this->start_trial(study, {{"x", 0.5}});
  this->storage_->finish_trial(first.id, complete({1.0}));
  using Status = Storage::AheadStatus;
  const Storage::TrialDraft draft{{{"x", 1.5}, {"k", int64_t{3}}}, {{"winnow.rung", "1"}}};

  Storage::AheadOutcome taken = this->storage_->create_trial_ahead(study, 0, "me:1:2", 0, draft,
                                                                   int64_t{0});
  EXPECT_EQ(taken.status, Status::kOvertaken);
  EXPECT_FALSE(taken.trial);
  ASSERT_EQ(taken.changed.size(), 1u);
  EXPECT_EQ(taken.changed[0].state, TrialState::kComplete);
  EXPECT_EQ(this->storage_->next_trial_number(study), 1);

  Storage::AheadOutcome created = this->storage_->create_trial_ahead(study, 0, "me:1:2", 0,
                                                                     draft, int64_t{1});
  ASSERT_EQ(created.status, Status::kCreated);
  ASSERT_TRUE(created.trial);
  EXPECT_EQ(created.trial->number, 1);
  // The finished trial, and perhaps the new one (PostgreSQL reads them after the commit).
  ASSERT_FALSE(created.changed.empty());
  EXPECT_EQ(created.changed[0].number, 0);
  EXPECT_EQ(created.changed[0].state, TrialState::kComplete);
  for (size_t i = 1; i < created.changed.size(); ++i) {
    EXPECT_EQ(created.changed[i].id, created.trial->id);
  }
  FrozenTrial stored = *this->storage_->trial(created.trial->id);
  expect_stored_as_created(stored, *created.trial, draft, "me:1:2");
  EXPECT_EQ(this->storage_->counted_trials(study), 2);
  // Readers from the version before see the new trial; from its own version, nothing.
  EXPECT_EQ(this->storage_->trials(study, stored.version).size(), 0u);
  EXPECT_EQ(this->storage_->trials(study, first.version).size(), 2u);

  // Any number: the next one, and only what changed since the caller's version.
  Storage::AheadOutcome any = this->storage_->create_trial_ahead(study, stored.version, "", 0,
                                                                 draft, std::nullopt);
  ASSERT_EQ(any.status, Status::kCreated);
  EXPECT_EQ(any.trial->number, 2);
  for (const FrozenTrial& trial : any.changed) EXPECT_EQ(trial.id, any.trial->id);

  // A spent budget creates nothing; a bad attribute is refused.
  EXPECT_EQ(this->storage_->create_trial_ahead(study, 0, "", 3, draft, std::nullopt).status,
            Status::kBudgetSpent);
  EXPECT_THROW(this->storage_->create_trial_ahead(study, 0, "", 0,
                                                  Storage::TrialDraft{{}, {{"k", "not json"}}},
                                                  std::nullopt),
               Error);
  EXPECT_THROW(this->storage_->create_trial_ahead(study + 100, 0, "", 0, draft, std::nullopt),
               Error);
  EXPECT_EQ(this->storage_->next_trial_number(study), 3);

  // A waiting trial is claimed first.
  auto waiting = this->storage_->create_trial(study, {{"x", 7.0}}, TrialState::kWaiting, "", 0, {});
  ASSERT_TRUE(waiting);
  Storage::AheadOutcome claimed = this->storage_->create_trial_ahead(study, 0, "me:1:2", 0, draft,
                                                                     std::nullopt);
  ASSERT_EQ(claimed.status, Status::kClaimedWaiting);
  EXPECT_EQ(claimed.trial->id, waiting->id);
  EXPECT_EQ(claimed.trial->state, TrialState::kRunning);
  EXPECT_EQ(claimed.trial->config, (Config{{"x", 7.0}}));
  EXPECT_EQ(this->storage_->counted_trials(study), 4);
}

// The same for a caller that keeps no history (a negative version, as random sampling asks):
// nothing is read, and a trial a finish left pending takes the version of the next ask's
// transaction (here the overtaken one's), the study's new version rather than the one before.
TYPED_TEST(StorageContract, CreatesATrialDecidedAheadForACallerWithoutHistory) {
  int64_t study = this->make_study();
  FrozenTrial first = this->start_trial(study, {{"x", 0.5}});
  this->storage_->finish_trial(first.id, complete({1.0}));
  using Status = Storage::AheadStatus;
  const Storage::TrialDraft draft{{{"x", 1.5}, {"k", int64_t{3}}}, {{"winnow.rung", "1"}}};

  Storage::AheadOutcome taken = this->storage_->create_trial_ahead(study, -1, "me:1:2", 0, draft,
                                                                   int64_t{0});
  EXPECT_EQ(taken.status, Status::kOvertaken);
  EXPECT_FALSE(taken.trial);
  EXPECT_TRUE(taken.changed.empty());
  EXPECT_EQ(this->storage_->counted_trials(study), 1);

  Storage::AheadOutcome created = this->storage_->create_trial_ahead(study, -1, "me:1:2", 0,
                                                                     draft, int64_t{1});
  ASSERT_EQ(created.status, Status::kCreated);
  ASSERT_TRUE(created.trial);
  EXPECT_EQ(created.trial->number, 1);
  EXPECT_TRUE(created.changed.empty());
  FrozenTrial stored = *this->storage_->trial(created.trial->id);
  expect_stored_as_created(stored, *created.trial, draft, "me:1:2");
  EXPECT_EQ(this->storage_->counted_trials(study), 2);
  // A reader from the version the finished trial was created with finds it again (stamped with
  // a newer version) and the new trial; one from the new trial's version, nothing.
  EXPECT_LE(this->storage_->trial(first.id)->version, stored.version);
  EXPECT_EQ(this->storage_->trials(study, first.version).size(), 2u);
  EXPECT_EQ(this->storage_->trials(study, stored.version).size(), 0u);

  Storage::AheadOutcome any = this->storage_->create_trial_ahead(study, -1, "", 0, draft,
                                                                 std::nullopt);
  ASSERT_EQ(any.status, Status::kCreated);
  EXPECT_EQ(any.trial->number, 2);
  EXPECT_GT(any.trial->version, stored.version);

  EXPECT_EQ(this->storage_->create_trial_ahead(study, -1, "", 3, draft, std::nullopt).status,
            Status::kBudgetSpent);
  EXPECT_EQ(this->storage_->counted_trials(study), 3);
  EXPECT_THROW(this->storage_->create_trial_ahead(study + 100, -1, "", 0, draft, std::nullopt),
               Error);
  EXPECT_EQ(this->storage_->next_trial_number(study), 3);

  auto waiting = this->storage_->create_trial(study, {{"x", 7.0}}, TrialState::kWaiting, "", 0, {});
  ASSERT_TRUE(waiting);
  Storage::AheadOutcome claimed = this->storage_->create_trial_ahead(study, -1, "me:1:2", 0,
                                                                     draft, std::nullopt);
  ASSERT_EQ(claimed.status, Status::kClaimedWaiting);
  EXPECT_EQ(claimed.trial->id, waiting->id);
  EXPECT_EQ(claimed.trial->config, (Config{{"x", 7.0}}));
  EXPECT_EQ(this->storage_->counted_trials(study), 4);
  EXPECT_EQ(this->storage_->next_trial_number(study), 4);
}

// Connections creating trials decided ahead at once, against a budget: every number once, the
// budget exact; callers with a history to read and without.
TYPED_TEST(StorageContract, ConnectionsCreatingTrialsDecidedAheadKeepTheBudget) {
  for (const int64_t since : {int64_t{0}, int64_t{-1}}) {
    SCOPED_TRACE("since version " + std::to_string(since));
    int64_t study = this->make_study("budget" + std::to_string(since));
    constexpr int kConnections = 4;
    std::vector<std::thread> threads;
    std::atomic<int> created{0};
    for (int c = 0; c < kConnections; ++c) {
      threads.emplace_back([&, c, connection = this->other_connection()] {
        for (int i = 0; i < 20; ++i) {
          Storage::TrialDraft draft{{{"c", int64_t{c}}, {"i", int64_t{i}}}, {}};
          Storage::AheadOutcome outcome =
              connection->create_trial_ahead(study, since, "", 50, draft, std::nullopt);
          if (outcome.status == Storage::AheadStatus::kCreated) ++created;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(created.load(), 50);
    EXPECT_EQ(this->storage_->counted_trials(study), 50);
    std::vector<FrozenTrial> trials = this->storage_->trials(study);
    ASSERT_EQ(trials.size(), 50u);
    for (size_t i = 0; i < trials.size(); ++i) {
      EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
    }
  }
}

// Connections each naming the number they expect, read just before: a trial is created only
// under the number its connection named, and the others are told they were overtaken.
TYPED_TEST(StorageContract, ATrialDecidedAheadForANumberIsCreatedOnlyUnderIt) {
  for (const int64_t since : {int64_t{0}, int64_t{-1}}) {
    SCOPED_TRACE("since version " + std::to_string(since));
    int64_t study = this->make_study("expected" + std::to_string(since));
    constexpr int kConnections = 4;
    std::vector<std::thread> threads;
    std::atomic<int> created{0}, overtaken{0}, wrong{0};
    for (int c = 0; c < kConnections; ++c) {
      threads.emplace_back([&, c, connection = this->other_connection()] {
        for (int i = 0; i < 25; ++i) {
          const int64_t expected = connection->next_trial_number(study);
          Storage::TrialDraft draft{{{"c", int64_t{c}}, {"n", expected}}, {}};
          Storage::AheadOutcome outcome =
              connection->create_trial_ahead(study, since, "", 0, draft, expected);
          if (outcome.status == Storage::AheadStatus::kCreated) {
            ++created;
            if (outcome.trial->number != expected) ++wrong;
          } else if (outcome.status == Storage::AheadStatus::kOvertaken) {
            ++overtaken;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(created.load() + overtaken.load(), kConnections * 25);
    EXPECT_EQ(this->storage_->counted_trials(study), created.load());
    std::vector<FrozenTrial> trials = this->storage_->trials(study);
    ASSERT_EQ(trials.size(), static_cast<size_t>(created.load()));
    for (size_t i = 0; i < trials.size(); ++i) {
      EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
      EXPECT_EQ(std::get<int64_t>(trials[i].config.at("n")), trials[i].number);
    }
  }
}

// Connections (processes) deciding at once: each decision sees every trial created before it,
// which is what keeps seeded streams and promotions unique without retries.
TYPED_TEST(StorageContract, ConnectionsDecideOneAtATimeOnTheWholeHistory) {
  int64_t study = this->make_study();
  constexpr int kConnections = 4, kTrialsEach = 15;
  std::atomic<int> stale{0};
  std::vector<std::map<int64_t, FrozenTrial>> views(kConnections);  // caches, by number
  std::vector<int64_t> versions(kConnections, 0);  // the latest version each cache holds
  std::vector<std::shared_ptr<Storage>> connections;
  for (int c = 0; c < kConnections; ++c) connections.push_back(this->other_connection());
  // And a reader that only reads, all along, through versions: the view of a dashboard or of
  // `winnow show --watch`.
  std::shared_ptr<Storage> reader = this->other_connection();
  std::map<int64_t, FrozenTrial> read_view;
  int64_t read_version = 0;
  std::atomic<bool> writing{true};
  auto catch_up = [&] {
    for (FrozenTrial& trial : reader->trials(study, read_version)) {
      read_version = std::max(read_version, trial.version);
      read_view[trial.number] = std::move(trial);
    }
  };
  std::thread reading([&] {
    while (writing) catch_up();
  });
  std::vector<std::thread> threads;
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c, connection = connections[c]] {
      std::map<int64_t, FrozenTrial>& seen = views[c];
      int64_t& version = versions[c];
      for (int i = 0; i < kTrialsEach; ++i) {
        auto created = connection->create_decided_trial(
            study, version, "", 0, [&](int64_t number, std::vector<FrozenTrial> changed) {
              for (FrozenTrial& trial : changed) {
                version = std::max(version, trial.version);
                seen[trial.number] = std::move(trial);
              }
              if (static_cast<int64_t>(seen.size()) != number) ++stale;
              // A slow decision: the others must wait for it, not decide beside it.
              std::this_thread::sleep_for(std::chrono::microseconds(300));
              return std::optional<Storage::TrialDraft>(
                  Storage::TrialDraft{{{"n", number}}, {}});
            });
        if (!created) continue;
        connection->finish_trial(created->id, complete({static_cast<double>(created->number)}));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  writing = false;
  reading.join();
  catch_up();
  views.push_back(read_view);
  // Each cache brought up to date through versions alone: a write stamped with a version below
  // one its reader had already passed would be missing from it.
  for (int c = 0; c < kConnections; ++c) {
    for (FrozenTrial& trial : connections[c]->trials(study, versions[c])) {
      views[c][trial.number] = std::move(trial);
    }
  }
  EXPECT_EQ(stale.load(), 0);
  std::vector<FrozenTrial> trials = this->storage_->trials(study);
  ASSERT_EQ(trials.size(), static_cast<size_t>(kConnections * kTrialsEach));
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].config, (Config{{"n", static_cast<int64_t>(i)}}));
    EXPECT_EQ(trials[i].state, TrialState::kComplete);
  }
  for (const std::map<int64_t, FrozenTrial>& view : views) {
    ASSERT_EQ(view.size(), trials.size());
    for (const FrozenTrial& trial : trials) {
      const FrozenTrial& cached = view.at(trial.number);
      EXPECT_EQ(cached.state, trial.state) << "trial " << trial.number;
      EXPECT_EQ(cached.values, trial.values) << "trial " << trial.number;
      EXPECT_EQ(cached.version, trial.version) << "trial " << trial.number;
    }
  }
}

TEST(OpenStorage, PostgresUrlsShownWithoutTheirPassword) {
  EXPECT_EQ(PostgresStorage::display_url("postgresql://me:secret@db:5432/tune"),
            "postgresql://me@db:5432/tune");
  EXPECT_EQ(PostgresStorage::display_url("postgresql://db/tune?user=me&password=secret&sslmode=require"),
            "postgresql://db/tune?user=me&sslmode=require");
  EXPECT_EQ(PostgresStorage::display_url("postgres://db/tune?password=secret"), "postgres://db/tune");
  EXPECT_EQ(PostgresStorage::display_url("postgresql://me@db/tune"), "postgresql://me@db/tune");
  // The wrong password is refused at once, and not shown.
  std::string url = test_postgres_url();
  std::string message = error_message([&] {
    open_storage(url.substr(0, url.rfind('/')) + "/no_such_database_xyz?password=hunter2");
  });
  EXPECT_NE(message.find("no_such_database_xyz"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
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

  message = error_message([] { open_storage("mysql://user:secret@host/db"); });
  EXPECT_NE(message.find("unknown scheme 'mysql'"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  EXPECT_NE(message.find("postgresql://"), std::string::npos) << message;
  EXPECT_NE(message.find("sqlite://"), std::string::npos) << message;
  EXPECT_NE(message.find("memory"), std::string::npos) << message;
  EXPECT_THROW(open_storage("sqlite://"), Error);
  EXPECT_THROW(open_storage(""), Error);

  // libpq's keyword/value form is refused rather than taken for a file name, and not echoed.
  const std::filesystem::path working = std::filesystem::current_path();
  std::filesystem::current_path(folder.path());
  message = error_message([] { open_storage("host=db dbname=tune password=hunter2"); });
  std::filesystem::current_path(working);
  EXPECT_NE(message.find("postgresql://user@host"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(folder.path() + "/host=db dbname=tune password=hunter2"));
  EXPECT_THROW(open_storage(" dbname = tune"), Error);
  // A path with '=' elsewhere is still a path.
  EXPECT_EQ(open_storage(folder.path() + "/lr=0.1.db")->url(),
            "sqlite://" + folder.path() + "/lr=0.1.db");
}

}  // namespace
}  // namespace winnow
