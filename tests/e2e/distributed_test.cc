// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Several `winnow worker` processes on one PostgreSQL study: no configuration twice, no promotion
// twice, the trial budget exactly; and the faults a cluster brings: a killed worker, a worker
// that stalls past its lease and comes back, a database that restarts and goes away for a while.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/e2e_util.h"
#include "e2e/trainer_util.h"
#include "unit/postgres_test_support.h"
#include "winnow/study.h"

namespace winnow::e2e {
namespace {

using storage_test::fresh_postgres_url;

std::string small_study(const std::string& name, const std::string& study_extra,
                        const std::string& command, const std::string& objective_extra = "") {
  return "[study]\nname = \"" + name + "\"\n" + study_extra + "\n[objective]\ncommand = " +
         command + "\n" + objective_extra +
         "\n[space]\nx = { type = \"float\", low = 0.0, high = 1.0 }\n"
         "k = { type = \"int\", low = 0, high = 1000 }\n";
}

// Creates the study (and stores its definition) by running one trial with `winnow run`.
void create_study(const ScratchDir& dir, const std::string& url) {
  Result created = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string(),
                                           "--storage", url, "--trials", "1", "-q"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
}

// Starts `count` workers of `study` that run it to `trials`, their logs w0.out, w1.out ...
std::vector<std::unique_ptr<Process>> start_workers(const ScratchDir& dir, int count,
                                                    const std::string& url,
                                                    const std::string& study, int trials) {
  std::vector<std::unique_ptr<Process>> workers;
  for (int i = 0; i < count; ++i) {
    workers.push_back(std::make_unique<Process>(
        dir.path(),
        std::vector<std::string>{"worker", "--storage", url, "--study", study, "--trials",
                                 std::to_string(trials), "-q"},
        "w" + std::to_string(i)));
  }
  return workers;
}

std::vector<Result> run_workers(const ScratchDir& dir, int count,
                                const std::vector<std::string>& args) {
  std::vector<std::unique_ptr<Process>> workers;
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> all = {"worker"};
    all.insert(all.end(), args.begin(), args.end());
    workers.push_back(std::make_unique<Process>(dir.path(), all, "worker" + std::to_string(i)));
  }
  std::vector<Result> results;
  for (auto& worker : workers) results.push_back(worker->wait());
  return results;
}

TEST(Workers, ProcessesOnPostgresNeverRepeatAConfigurationAndKeepTheBudgetExactly) {
  // random and tpe propose ahead and create in one round trip once overtaken; gp proposes
  // ahead and is checked under the lock against the trials created meanwhile.
  for (const std::string sampler : {"random", "tpe", "gp:n_startup=5,deterministic=true"}) {
    SCOPED_TRACE(sampler);
    ScratchDir dir;
    std::string url = fresh_postgres_url();
    write_file(dir.path() / "study.toml",
               small_study("s", "sampler = \"" + sampler + "\"\nseed = 7\njobs = 2",
                           R"(["sh", "-c", "sleep 0.02; echo $0", "{x}"])"));
    create_study(dir, url);
    for (const Result& r : run_workers(dir, 8, {"--storage", url, "--study", "s", "--trials", "48", "-q"})) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    std::vector<nlohmann::json> rows = export_trials(dir.path(), url, "s");
    ASSERT_EQ(rows.size(), 48u);
    std::set<std::string> configurations, owners;
    for (const auto& row : rows) {
      EXPECT_EQ(row["state"], "complete") << row.dump();
      configurations.insert(row["params"].dump());
      owners.insert(row["owner"].get<std::string>());
    }
    EXPECT_EQ(configurations.size(), 48u);
    EXPECT_GT(owners.size(), 2u);  // the work was shared
    if (sampler != "random") continue;
    // The positions are the study's: one worker (of two jobs) on PostgreSQL gives trial n the
    // configuration one process on SQLite gives it, and among eight workers a trial that has
    // one of those configurations has it at its own number (an overtaken worker draws from a
    // position no number holds).
    // Study files of their own: a study of the same name needs a runs folder of its own.
    auto run_alone = [&](const std::string& name, const std::string& storage) {
      fs::create_directories(dir.path() / name);
      fs::copy_file(dir.path() / "study.toml", dir.path() / name / "study.toml");
      Result alone = run_winnow(dir.path(), {"run", (dir.path() / name / "study.toml").string(),
                                             "--storage", storage, "--trials", "48", "-q"});
      EXPECT_EQ(alone.exit_code, 0) << alone.err;
      return export_trials(dir.path(), storage, "s");
    };
    std::vector<nlohmann::json> expected =
        run_alone("single", "sqlite://" + (dir.path() / "single.db").string());
    std::vector<nlohmann::json> one_worker = run_alone("postgres", fresh_postgres_url());
    ASSERT_EQ(expected.size(), rows.size());
    ASSERT_EQ(one_worker.size(), rows.size());
    std::map<std::string, nlohmann::json> number_of;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(one_worker[i]["number"], expected[i]["number"]);
      EXPECT_EQ(one_worker[i]["params"], expected[i]["params"]) << "trial " << i;
      number_of[expected[i]["params"].dump()] = expected[i]["number"];
    }
    for (const auto& row : rows) {
      auto it = number_of.find(row["params"].dump());
      if (it != number_of.end()) EXPECT_EQ(it->second, row["number"]) << row.dump();
    }
  }
}

TEST(Workers, AshaAndHyperbandOnPostgresContinueEachTrialOnce) {
  for (const std::string scheduler : {"asha", "hyperband"}) {
    SCOPED_TRACE(scheduler);
    ScratchDir dir;
    std::string url = fresh_postgres_url();
    write_file(dir.path() / "train.py", kTrainer);
    write_file(dir.path() / "study.toml", study_file(scheduler, 40, 1));
    create_study(dir, url);
    for (const Result& r : run_workers(dir, 8, {"--storage", url, "--study", "mf", "--trials", "40", "-q"})) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    std::vector<nlohmann::json> rows = export_trials(dir.path(), url, "mf");
    expect_consistent_rungs(rows);
    int complete = 0, continuations = 0;
    for (const auto& row : rows) {
      complete += row["state"] == "complete";
      continuations += row["user_attrs"].contains("winnow.continues");
    }
    EXPECT_EQ(complete, 40);
    EXPECT_GT(continuations, 0);  // promotions happened (how many depends on timing)
  }
}

TEST(Workers, NeedOnlyTheStorageAndTheStudyName) {
  ScratchDir dir, elsewhere;
  std::string url = fresh_postgres_url();
  // A relative program path: the stored definition resolves it against the study file's folder.
  write_file(dir.path() / "objective.sh", "echo $1\n");
  write_file(dir.path() / "study.toml",
             small_study("defined", "sampler = \"sobol\"\nseed = 3",
                         R"(["sh", "objective.sh", "{x}"])"));
  Result created = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string(),
                                           "--storage", url, "--trials", "2", "--sampler",
                                           "random", "-q"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  Result worker = run_winnow(elsewhere.path(), {"worker", "--storage", url, "--study", "defined",
                                                "--trials", "6"});
  ASSERT_EQ(worker.exit_code, 0) << worker.err;
  std::vector<nlohmann::json> rows = export_trials(dir.path(), url, "defined");
  ASSERT_EQ(rows.size(), 6u);
  for (const auto& row : rows) EXPECT_EQ(row["state"], "complete") << row.dump();
  // The sampler given to `run` on its command line was stored with the study, not the file's.
  EXPECT_EQ(worker.err.find("was created with sampler"), std::string::npos) << worker.err;

  Result unknown = run_winnow(elsewhere.path(), {"worker", "--storage", url, "--study", "nope"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("no study 'nope'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("defined"), std::string::npos) << unknown.err;

  // A study made through the API has no definition a worker could run.
  {
    SearchSpace space;
    space.add_float("x", 0.0, 1.0);
    StudyOptions options;
    options.name = "api";
    Study::create(open_storage(url), space, options);
  }
  Result undefined = run_winnow(elsewhere.path(), {"worker", "--storage", url, "--study", "api"});
  EXPECT_NE(undefined.exit_code, 0);
  EXPECT_NE(undefined.err.find("no stored definition"), std::string::npos) << undefined.err;
}

TEST(Workers, AStudyCreatedWithoutASeedGetsOneSoItsWorkersNeverRepeat) {
  for (const std::string storage : {"sqlite", "postgres"}) {
    SCOPED_TRACE(storage);
    ScratchDir dir;
    std::string url = storage == "sqlite" ? (dir.path() / "s.db").string() : fresh_postgres_url();
    write_file(dir.path() / "study.toml",
               small_study("unseeded", "sampler = \"random\"\ntrials = 30",
                           R"(["sh", "-c", "sleep 0.02; echo $0", "{x}"])"));
    Result created = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string(),
                                             "--storage", url, "--create-only"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    EXPECT_NE(created.err.find("winnow worker --storage"), std::string::npos) << created.err;
    EXPECT_TRUE(export_trials(dir.path(), url, "unseeded").empty());
    for (const Result& r : run_workers(dir, 4, {"--storage", url, "--study", "unseeded", "-q"})) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    std::vector<nlohmann::json> rows = export_trials(dir.path(), url, "unseeded");
    ASSERT_EQ(rows.size(), 30u);
    std::set<std::string> configurations;
    for (const auto& row : rows) configurations.insert(row["params"].dump());
    EXPECT_EQ(configurations.size(), 30u);
  }
}

// A test server of the test's own, so that restarting it disturbs no other test. `settings`
// are environment assignments for tests/postgres/server.sh (WINNOW_PG_DURABLE=1 ...).
class PrivateServer {
 public:
  explicit PrivateServer(std::string settings = "")
      : settings_(std::move(settings)), dir_(scratch_.path() / "pg") {
    EXPECT_EQ(control("start"), 0);
    url_ = read_file(dir_ / "url");
    while (!url_.empty() && url_.back() == '\n') url_.pop_back();
  }
  ~PrivateServer() { control("stop"); }
  int control(const std::string& action) {
    std::string command = settings_ + " bash " WINNOW_SOURCE_DIR "/tests/postgres/server.sh " +
                          action + " " + dir_.string() + " > " +
                          (scratch_.path() / "server.out").string() + " 2>&1";
    return std::system(command.c_str());
  }
  const std::string& url() const { return url_; }

 private:
  std::string settings_;
  ScratchDir scratch_;
  fs::path dir_;
  std::string url_;
};

TEST(Faults, WorkersRideOutADatabaseRestartAndAnOutage) {
  PrivateServer server;
  ScratchDir dir;
  write_file(dir.path() / "study.toml",
             small_study("outage", "sampler = \"random\"\nseed = 5\njobs = 2",
                         R"(["sh", "-c", "sleep 0.3; echo $0", "{x}"])"));
  create_study(dir, server.url());
  std::vector<std::unique_ptr<Process>> workers =
      start_workers(dir, 3, server.url(), "outage", 90);
  // The faults come while the workers run trials, however slow the machine.
  auto wait_for_trials = [&](size_t count) {
    for (int i = 0; i < 600 && export_trials(dir.path(), server.url(), "outage").size() < count;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  };
  wait_for_trials(10);
  ASSERT_EQ(server.control("restart"), 0);
  wait_for_trials(25);
  ASSERT_EQ(server.control("halt"), 0);  // down for a while, data kept
  std::this_thread::sleep_for(std::chrono::seconds(6));
  ASSERT_EQ(server.control("start"), 0);
  bool noticed = false;
  for (auto& worker : workers) {
    Result r = worker->wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    noticed = noticed || r.err.find("is not answering") != std::string::npos;
  }
  EXPECT_TRUE(noticed) << "no worker met the outage: the test did not test it";
  std::vector<nlohmann::json> rows = export_trials(dir.path(), server.url(), "outage");
  int complete = 0;
  std::set<std::string> configurations;
  for (const auto& row : rows) {
    complete += row["state"] == "complete";
    if (row["state"] == "failed") {
      EXPECT_TRUE(row["interrupted"].get<bool>()) << row.dump();
    }
    EXPECT_NE(row["state"], "running") << row.dump();
    configurations.insert(row["params"].dump());
  }
  EXPECT_EQ(complete, 90);
  EXPECT_EQ(configurations.size(), rows.size());
}

// An ask commits without waiting for the server's flush, so that the study's lock is not held
// through it, and waits for the flush before its trial runs. On a durable server whose WAL
// writer flushes only every 10 s, a crash right after the objective started keeps the trial:
// without the wait the crash would take it back while its objective runs.
TEST(Faults, ATrialWhoseObjectiveStartedSurvivesACrashOfTheServer) {
  // random and tpe propose ahead and create in one round trip once overtaken (alone, a
  // process's first ask is decided under the lock).
  for (const std::string sampler : {"random", "tpe"}) {
    SCOPED_TRACE(sampler);
    PrivateServer server("WINNOW_PG_DURABLE=1 WINNOW_PG_WAL_WRITER_DELAY=10s");
    ScratchDir dir;
    const std::string started = (dir.path() / "started").string();
    write_file(dir.path() / "study.toml",
               small_study("crash", "sampler = \"" + sampler + "\"\nseed = 3",
                           R"(["sh", "-c", "echo $0 >> \")" + started +
                               R"(\"; sleep 1; echo $0", "{k}"])"));
    create_study(dir, server.url());
    ASSERT_EQ(export_trials(dir.path(), server.url(), "crash").size(), 1u);
    Process worker(dir.path(), {"worker", "--storage", server.url(), "--study", "crash",
                                "--trials", "2", "-q"},
                   "worker");
    // The second line: the worker's trial has started.
    auto lines_started = [&] {
      std::string text = read_file(started);
      return std::count(text.begin(), text.end(), '\n');
    };
    for (int i = 0; i < 30000 && lines_started() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_EQ(lines_started(), 2) << "the worker's trial did not start: the test did not test it";
    ASSERT_EQ(server.control("crash"), 0);
    ASSERT_EQ(server.control("start"), 0);
    Result r = worker.wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<nlohmann::json> rows = export_trials(dir.path(), server.url(), "crash");
    ASSERT_EQ(rows.size(), 2u);
    std::string ran = read_file(started);
    for (const auto& row : rows) {
      EXPECT_EQ(row["state"], "complete") << row.dump();
      EXPECT_NE(("\n" + ran).find("\n" + row["params"]["k"].dump() + "\n"), std::string::npos)
          << row.dump() << " is not among the configurations that ran:\n" << ran;
    }
  }
}

// Crashes of the server while three workers run a study: whatever a crash takes back, it is
// never a trial whose objective ran (each run logs its trial's number and k), the workers
// carry on, and the study ends with its budget and no configuration twice.
TEST(Faults, CrashesOfTheServerMidStudyLoseNoTrialThatRan) {
  PrivateServer server("WINNOW_PG_DURABLE=1 WINNOW_PG_WAL_WRITER_DELAY=10s");
  ScratchDir dir;
  const std::string ran_log = (dir.path() / "ran").string();
  write_file(dir.path() / "study.toml",
             small_study("crashes", "sampler = \"random\"\nseed = 11",
                         R"(["sh", "-c", "echo \"$0 $1\" >> \")" + ran_log +
                             R"(\"; sleep 0.05; echo $1", "{trial}", "{k}"])"));
  create_study(dir, server.url());
  std::vector<std::unique_ptr<Process>> workers =
      start_workers(dir, 3, server.url(), "crashes", 90);
  auto lines_ran = [&] {
    std::string text = read_file(ran_log);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  };
  for (size_t until : {15u, 40u, 65u}) {
    for (int i = 0; i < 6000 && lines_ran() < until; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(server.control("crash"), 0);
    ASSERT_EQ(server.control("start"), 0);
  }
  for (auto& worker : workers) {
    Result r = worker->wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<nlohmann::json> rows = export_trials(dir.path(), server.url(), "crashes");
  std::set<std::string> stored, configurations;
  int complete = 0;
  for (const auto& row : rows) {
    stored.insert(row["number"].dump() + " " + row["params"]["k"].dump());
    configurations.insert(row["params"].dump());
    complete += row["state"] == "complete";
    EXPECT_NE(row["state"], "running") << row.dump();
  }
  EXPECT_EQ(complete, 90);
  EXPECT_EQ(configurations.size(), rows.size());
  std::istringstream ran(read_file(ran_log));
  std::string line;
  size_t runs = 0;
  while (std::getline(ran, line)) {
    ++runs;
    EXPECT_TRUE(stored.count(line)) << "trial " << line << " ran but is not in the study";
  }
  EXPECT_GE(runs, 90u);
}

TEST(Faults, AKilledWorkerLosesOnlyItsRunningTrialsWhichAreQueuedAgain) {
  ScratchDir dir;
  std::string url = fresh_postgres_url();
  write_file(dir.path() / "study.toml",
             small_study("killed", "sampler = \"random\"\nseed = 9\njobs = 2\nlease = \"2s\"\n"
                         "requeue_interrupted = true",
                         R"(["sh", "-c", "sleep 0.2; echo $0", "{x}"])"));
  create_study(dir, url);
  std::vector<std::unique_ptr<Process>> workers = start_workers(dir, 4, url, "killed", 40);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  workers[0]->signal(SIGKILL);
  EXPECT_EQ(workers[0]->wait().signal, SIGKILL);
  for (size_t i = 1; i < workers.size(); ++i) {
    Result r = workers[i]->wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<nlohmann::json> rows = export_trials(dir.path(), url, "killed");
  int complete = 0;
  for (const auto& row : rows) {
    complete += row["state"] == "complete";
    EXPECT_NE(row["state"], "running") << row.dump();
    EXPECT_NE(row["state"], "waiting") << row.dump();
  }
  EXPECT_EQ(complete, 40);
  // Requeued trials ran again under their own number: no row beyond the budget but the
  // interrupted ones.
  EXPECT_LE(rows.size(), 40u + 2u);
}

TEST(Faults, AWorkerBackAfterItsLeaseExpiredDropsItsResult) {
  ScratchDir dir;
  std::string url = fresh_postgres_url();
  write_file(dir.path() / "study.toml",
             small_study("stalled", "sampler = \"random\"\nseed = 2\nlease = \"1s\"\n"
                         "requeue_interrupted = true",
                         R"(["sh", "-c", "sleep 1.5; echo $0", "{x}"])"));
  create_study(dir, url);
  Process first(dir.path(), {"worker", "--storage", url, "--study", "stalled", "--trials", "2"},
                "first");
  // Wait until it runs trial 1, then freeze it past its lease.
  for (int i = 0; i < 200; ++i) {
    std::vector<nlohmann::json> rows = export_trials(dir.path(), url, "stalled");
    if (rows.size() == 2 && rows[1]["state"] == "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  first.signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  Result second = run_winnow(dir.path(), {"worker", "--storage", url, "--study", "stalled",
                                          "--trials", "2"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  first.signal(SIGCONT);
  Result back = first.wait();
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_NE(back.err.find("no longer this process's"), std::string::npos) << back.err;
  std::vector<nlohmann::json> rows = export_trials(dir.path(), url, "stalled");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["state"], "complete") << rows[1].dump();
  EXPECT_NE(rows[1]["owner"], rows[0]["owner"]);  // finished by the second worker
}

}  // namespace
}  // namespace winnow::e2e
