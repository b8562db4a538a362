// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// SqliteStorage beyond the contract (storage_test.cc): reopening files, refusing foreign files,
// several processes on one file, and writers killed at arbitrary instants.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "unit/storage_test_support.h"
#include "winnow/error.h"
#include "storage/sqlite_storage.h"
#include "winnow/storage.h"

namespace winnow {
namespace {

using namespace storage_test;

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
  query_file(path,
             "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
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

TEST(SqliteStorage, UpgradesAFileOfSchemaVersionOneInPlace) {
  TempDir folder;
  std::string path = folder.path() + "/study.db";
  int64_t study = open_storage(path)->create_study(make_study_record("s"));
  // What version 1 wrote: no constraint table.
  query_file(path, "DROP TABLE trial_constraints");
  query_file(path, "DROP TABLE study_user_attrs");
  query_file(path, "ALTER TABLE trials DROP COLUMN heartbeat_ms");
  query_file(path, "ALTER TABLE trials DROP COLUMN requeues");
  query_file(path, "UPDATE meta SET value = 1 WHERE key = 'schema_version'");
  std::unique_ptr<Storage> storage = open_storage(path);
  std::optional<FrozenTrial> trial = storage->create_trial(
      study, {{"x", 0.5}}, TrialState::kRunning, this_process_owner(), 0, std::nullopt);
  storage->finish_trial(trial->id, TrialOutcome{.values = {1.0}, .constraints = {0.25}});
  EXPECT_EQ(storage->trial(trial->id)->constraints, std::vector<double>{0.25});
  storage->heartbeat({trial->id}, this_process_owner());  // version 4's column is there
  EXPECT_EQ(query_file(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "4");
}

TEST(SqliteStorage, DoesNotCreateMissingFolders) {
  TempDir folder;
  std::string missing = folder.path() + "/missing";
  std::string message = error_message([&] { open_storage(missing + "/study.db"); });
  EXPECT_NE(message.find("folder '" + missing + "' does not exist"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(SqliteStorage, AnswersTheQueriesInTheSchemaDocumentation) {
  TempDir folder;
  std::string path = folder.path() + "/study.db";
  {
    std::unique_ptr<Storage> storage = open_storage(path);
    int64_t study = storage->create_study(make_study_record("demo"));
    for (int64_t i = 0; i < 3; ++i) {
      auto trial =
          storage->create_trial(study, {{"lr", 0.1 * (i + 1)}, {"opt", std::string("adam")}},
                                TrialState::kRunning, "", 0, {});
      if (i < 2) storage->finish_trial(trial->id, complete({1.5 - i}));
    }
  }
  EXPECT_EQ(query_file(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "4");
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
  EXPECT_EQ(query_file(path,
                       "SELECT count(*) FROM trials WHERE state IN ('running', 'complete', "
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
  for (const auto& [owner, configs] : configs_by_owner)
    EXPECT_EQ(configs.size(), size_t{kTrialsEach});
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
    EXPECT_LE(storage->recover_orphaned_trials(study, OrphanPolicy{.requeue = false, .reason = "killed"}), 1);
    EXPECT_EQ(storage->trials(study).back().state == TrialState::kRunning, false);
    EXPECT_EQ(query_file(path, "PRAGMA integrity_check"), "ok");
  }
}

}  // namespace
}  // namespace winnow

namespace winnow::storage_test {
namespace {

TEST(SqliteStorage, FullDurabilityFlushesEveryCommit) {
  TempDir folder;
  std::string path = folder.path() + "/durable.db";
  // SQLite's numbers: NORMAL = 1, FULL = 2.
  SqliteStorage normal(path);
  EXPECT_EQ(normal.pragma("synchronous"), "1");
  SqliteStorage full(path, StorageOptions{.durability = Durability::kFull});
  EXPECT_EQ(full.pragma("synchronous"), "2");
  std::unique_ptr<Storage> opened = open_storage("sqlite://" + path, {.durability = Durability::kFull});
  EXPECT_EQ(dynamic_cast<SqliteStorage&>(*opened).pragma("synchronous"), "2");
  EXPECT_EQ(durability_from_string("full"), Durability::kFull);
  EXPECT_EQ(durability_from_string("normal"), Durability::kNormal);
  EXPECT_FALSE(durability_from_string("fsync"));
}

}  // namespace
}  // namespace winnow::storage_test
