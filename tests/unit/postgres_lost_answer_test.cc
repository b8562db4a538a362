// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Writes whose answer the network lost after the server committed them: the storage connects
// to the test server through a relay that can close the connection on the server's next answer.
// The write then runs again on a new connection, which must recognise its own work rather
// than do it twice or take it for someone else's.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/forwarding_storage.h"
#include "storage/postgres_rows.h"
#include "storage/postgres_storage.h"
#include "unit/postgres_test_support.h"
#include "unit/storage_test_support.h"
#include "winnow/storage.h"

namespace winnow {
namespace {

using namespace storage_test;  // NOLINT(google-build-using-namespace)

// A TCP relay on loopback between a client and the server at `server_port`. After
// drop_next_answer(), the first bytes the server sends are not passed on: the relay closes
// both sides instead, as a network that failed just after the server answered.
class AnswerDroppingRelay {
 public:
  explicit AnswerDroppingRelay(int server_port) : server_port_(server_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("the relay cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
    threads_.emplace_back([this] { accept_clients(); });
  }
  ~AnswerDroppingRelay() {
    stopping_ = true;
    for (std::thread& thread : threads_) thread.join();
    close(listener_);
  }

  int port() const { return port_; }
  void drop_next_answer() { drop_ = true; }
  // While held, new connections wait unanswered, as a client reconnecting through a network
  // that is still down.
  void hold_new_connections(bool held) { held_ = held; }
  // After cut_after_next_request(), the client's next request is passed on whole (until the
  // client has been quiet for a poll's wait) and then the client's side alone is closed: the
  // server goes on with the request, and the client, having lost the connection before any
  // answer, asks again while the server may still be working on the first request.
  void cut_after_next_request() { cut_ = true; }
  int dropped() const { return dropped_; }
  int cut() const { return cut_count_; }

 private:
  // Waits up to 50 ms for `fd` to be readable, so that every loop sees stopping_ soon.
  static bool readable(int fd) {
    pollfd waiting{fd, POLLIN, 0};
    return poll(&waiting, 1, 50) > 0;
  }

  void accept_clients() {
    while (!stopping_) {
      if (held_ || !readable(listener_)) {
        if (held_) usleep(10 * 1000);
        continue;
      }
      int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(server_port_));
      if (connect(server, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        close(client);
        close(server);
        continue;
      }
      std::lock_guard lock(mutex_);
      relays_.emplace_back([this, client, server] { relay(client, server); });
    }
    std::lock_guard lock(mutex_);
    for (std::thread& thread : relays_) thread.join();
  }

  void relay(int client, int server) {
    std::vector<char> buffer(1 << 16);
    pollfd ends[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    bool cutting = false;  // passing a request on, to close the client's side once it is whole
    while (!stopping_) {
      ends[0].revents = ends[1].revents = 0;
      if (poll(ends, 2, 50) <= 0) {
        if (cutting) {
          close(client);
          ++cut_count_;
          drain(server);
          return;
        }
        continue;
      }
      for (int from = 0; from < 2; ++from) {
        if ((ends[from].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        ssize_t got = recv(ends[from].fd, buffer.data(), buffer.size(), 0);
        if (got <= 0 || (from == 1 && drop_.exchange(false))) {
          if (got > 0) ++dropped_;
          close(client);
          close(server);
          return;
        }
        if (from == 0 && cut_.exchange(false)) cutting = true;
        if (send(ends[1 - from].fd, buffer.data(), static_cast<size_t>(got), MSG_NOSIGNAL) !=
            got) {
          close(client);
          close(server);
          return;
        }
      }
    }
    close(client);
    close(server);
  }

  // Reads and discards what the server sends until it closes or the relay stops: a server
  // whose client is gone goes on with what it was sent.
  void drain(int server) {
    std::vector<char> buffer(1 << 16);
    while (!stopping_) {
      if (readable(server) && recv(server, buffer.data(), buffer.size(), 0) <= 0) break;
    }
    close(server);
  }

  const int server_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false}, drop_{false}, held_{false}, cut_{false};
  std::atomic<int> dropped_{0}, cut_count_{0};
  std::mutex mutex_;
  std::vector<std::thread> relays_;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

// The test server's URL (host 127.0.0.1) with its port and, through `port`, the relay's.
int server_port(const std::string& url) {
  std::smatch match;
  if (!std::regex_search(url, match, std::regex("@127\\.0\\.0\\.1:([0-9]+)/"))) {
    throw std::runtime_error("the test server's URL has no loopback port: " + url);
  }
  return std::stoi(match[1]);
}
std::string through(const std::string& url, int port) {
  return std::regex_replace(url, std::regex("@127\\.0\\.0\\.1:[0-9]+/"),
                            "@127.0.0.1:" + std::to_string(port) + "/");
}

class PostgresLostAnswer : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = fresh_postgres_url();
    relay_ = std::make_unique<AnswerDroppingRelay>(server_port(url_));
    storage_ = std::make_unique<PostgresStorage>(through(url_, relay_->port()), StorageOptions{});
    study_ = storage_->create_study(make_study_record("lost"));
  }
  FrozenTrial start_trial() {
    std::optional<FrozenTrial> trial = storage_->create_trial(
        study_, {{"x", 1.0}}, TrialState::kRunning, kOwner, 0, std::nullopt);
    if (!trial) throw std::runtime_error("no trial created");
    return *trial;
  }

  static constexpr const char* kOwner = "host:1:2";
  std::string url_;
  std::unique_ptr<AnswerDroppingRelay> relay_;
  std::unique_ptr<PostgresStorage> storage_;
  int64_t study_ = 0;
};

// A finish is one statement that commits by itself: its answer lost, it is run again and
// finds the trial finished by itself, not by another process. (Each test makes its call once
// before, so that the answer lost is the statement's, not its preparation's.)
TEST_F(PostgresLostAnswer, AFinishIsRecognisedAsDone) {
  auto finish = [&](const FrozenTrial& trial) {
    TrialOutcome outcome = complete({0.5});
    outcome.owner = kOwner;
    outcome.started_ms = trial.start_time_ms;
    storage_->finish_trial(trial.id, outcome);
  };
  finish(start_trial());
  FrozenTrial trial = start_trial();
  relay_->drop_next_answer();
  EXPECT_NO_THROW(finish(trial));
  EXPECT_EQ(relay_->dropped(), 1);
  FrozenTrial stored = *storage_->trial(trial.id);
  EXPECT_EQ(stored.state, TrialState::kComplete);
  EXPECT_EQ(stored.values, std::vector<double>{0.5});
}

// A report runs again, which is harmless: the step keeps its value, and the others theirs.
TEST_F(PostgresLostAnswer, AReportRunsAgainAndKeepsItsValue) {
  FrozenTrial trial = start_trial();
  storage_->report(trial.id, 2, 0.5, TrialHolder{kOwner, trial.start_time_ms});
  relay_->drop_next_answer();
  storage_->report(trial.id, 3, 0.25, TrialHolder{kOwner, trial.start_time_ms});
  EXPECT_EQ(relay_->dropped(), 1);
  EXPECT_EQ(storage_->trial(trial.id)->intermediate,
            (std::map<int64_t, double>{{2, 0.5}, {3, 0.25}}));
}

// An ask made in one round trip (the lock, the insert and COMMIT): asked again, it finds the
// trial its lost COMMIT created, and creates no second one; with a history to read (version 0)
// and without (version -1, the ask in one statement).
TEST_F(PostgresLostAnswer, AnAskMadeInOneRoundTripCreatesOneTrial) {
  const Storage::TrialDraft draft{{{"x", 2.0}}, {}};
  int64_t number = 0;
  for (const int64_t since : {int64_t{0}, int64_t{-1}}) {
    SCOPED_TRACE("since version " + std::to_string(since));
    storage_->create_trial_ahead(study_, since, kOwner, 0, draft, std::nullopt);
    relay_->drop_next_answer();
    Storage::AheadOutcome outcome =
        storage_->create_trial_ahead(study_, since, kOwner, 0, draft, std::nullopt);
    number += 2;
    EXPECT_EQ(relay_->dropped(), number / 2);
    ASSERT_EQ(outcome.status, Storage::AheadStatus::kCreated);
    EXPECT_EQ(outcome.trial->number, number - 1);
    std::vector<FrozenTrial> trials = storage_->trials(study_);
    ASSERT_EQ(trials.size(), static_cast<size_t>(number));
    EXPECT_EQ(trials.back().id, outcome.trial->id);
    EXPECT_EQ(trials.back().config, draft.config);
    EXPECT_EQ(storage_->counted_trials(study_), number);
  }
}

// An ask in blocks, its answer lost, finds on the new connection the trial it runs and the ones
// it holds; and a held trial's start, its answer lost, recognises itself rather than take the
// trial for another's.
TEST_F(PostgresLostAnswer, AnAskInBlocksAndAHeldStartAreRecognisedAsDone) {
  std::vector<Storage::TrialDraft> drafts;
  for (double x : {1.0, 2.0, 3.0}) drafts.push_back({{{"x", x}}, {}});
  storage_->create_trials_ahead(study_, kOwner, 0, drafts, std::nullopt);
  relay_->drop_next_answer();
  Storage::AheadOutcome outcome =
      storage_->create_trials_ahead(study_, kOwner, 0, drafts, std::nullopt);
  EXPECT_EQ(relay_->dropped(), 1);
  ASSERT_EQ(outcome.status, Storage::AheadStatus::kCreated);
  EXPECT_EQ(outcome.trial->number, 3);
  ASSERT_EQ(outcome.held.size(), 2u);
  EXPECT_EQ(outcome.held[0].number, 4);
  EXPECT_EQ(outcome.held[1].config, drafts[2].config);
  EXPECT_EQ(storage_->trials(study_).size(), 6u);
  EXPECT_EQ(storage_->counted_trials(study_), 6);
  ASSERT_TRUE(storage_->start_held_trial(outcome.held[0].id, kOwner).has_value());
  relay_->drop_next_answer();
  std::optional<int64_t> started = storage_->start_held_trial(outcome.held[1].id, kOwner);
  EXPECT_EQ(relay_->dropped(), 2);
  ASSERT_TRUE(started.has_value());
  FrozenTrial stored = *storage_->trial(outcome.held[1].id);
  EXPECT_EQ(stored.state, TrialState::kRunning);
  EXPECT_EQ(stored.start_time_ms, *started);
}

// The same ask, its answer lost, and the outage longer than the trial's lease: meanwhile a lease
// check put the trial back in the queue and another process claimed it. Asked again, the
// storage finds the trial its lost COMMIT created but no longer the caller's, and creates no
// second trial with the same configuration: the caller is told to decide anew.
TEST_F(PostgresLostAnswer, AnAskWhoseTrialWasTakenMeanwhileIsNotMadeAgain) {
  PostgresStorage other(url_, StorageOptions{});
  int64_t lost_answers = 0;
  for (const int64_t since : {int64_t{0}, int64_t{-1}}) {
    SCOPED_TRACE("since version " + std::to_string(since));
    const Storage::TrialDraft draft{{{"x", since == 0 ? 3.0 : 4.0}}, {}};
    // Finished, so that the lease check below finds the lost one alone.
    Storage::AheadOutcome before =
        storage_->create_trial_ahead(study_, since, kOwner, 0, {{{"x", 0.5}}, {}}, std::nullopt);
    ASSERT_TRUE(before.trial.has_value());
    storage_->finish_trial(before.trial->id, complete({0.0}));
    relay_->hold_new_connections(true);
    relay_->drop_next_answer();
    Storage::AheadOutcome outcome;
    std::thread asking([&] {
      outcome = storage_->create_trial_ahead(study_, since, kOwner, 0, draft, std::nullopt);
    });
    // Whatever happens below, the ask is let through and joined before the test returns.
    std::shared_ptr<void> release(nullptr, [&](void*) {
      relay_->hold_new_connections(false);
      asking.join();
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (relay_->dropped() == lost_answers && std::chrono::steady_clock::now() < deadline) {
      usleep(1000);
    }
    ASSERT_EQ(relay_->dropped(), ++lost_answers) << "the ask's answer was never sent";
    usleep(20 * 1000);  // older than the lease below
    OrphanPolicy policy;
    policy.lease_ms = 10;
    policy.requeue = true;
    EXPECT_EQ(other.recover_orphaned_trials(study_, policy), 1);
    std::optional<FrozenTrial> claimed = other.claim_waiting_trial(study_, "elsewhere:7:8", 0);
    ASSERT_TRUE(claimed.has_value());
    EXPECT_EQ(claimed->config, draft.config);
    release.reset();
    EXPECT_EQ(outcome.status, Storage::AheadStatus::kOvertaken);
    EXPECT_FALSE(outcome.trial.has_value());
    int with_draft = 0;
    for (const FrozenTrial& trial : other.trials(study_)) with_draft += trial.config == draft.config;
    EXPECT_EQ(with_draft, 1);
    // Finished by the process that claimed it, so the next round's lease check finds only its
    // own lost trial.
    TrialOutcome done = complete({1.0});
    done.owner = "elsewhere:7:8";
    other.finish_trial(claimed->id, done);
  }
}

// The same ask, the connection lost before the server answered, while the server still waits
// for the study's lock to run it: the ask is made again on a new connection while the first
// attempt has yet to commit. Looking for its trial before the lock, the second attempt would
// find none, then queue behind the first and create a second trial with the same
// configuration; queued on the lock first, it finds the first attempt's trial and takes it.
TEST_F(PostgresLostAnswer, AnAskRetriedBeforeItsFirstAttemptCommittedCreatesOneTrial) {
  postgres::Connection blocker(url_, "blocker", 30);
  int64_t lost_connections = 0;
  for (const int64_t since : {int64_t{0}, int64_t{-1}}) {
    SCOPED_TRACE("since version " + std::to_string(since));
    const Storage::TrialDraft draft{{{"x", since == 0 ? 5.0 : 6.0}}, {}};
    storage_->create_trial_ahead(study_, since, kOwner, 0, {{{"x", 0.5}}, {}}, std::nullopt);
    // Another writer holds the study's lock, so the first attempt waits for it on the server.
    blocker.execute_script("BEGIN");
    blocker.execute(postgres::kAdvisoryLockSql, postgres::Params().add(study_));
    relay_->cut_after_next_request();
    Storage::AheadOutcome outcome;
    std::thread asking([&] {
      outcome = storage_->create_trial_ahead(study_, since, kOwner, 0, draft, std::nullopt);
    });
    // Whatever happens below, the lock is released and the ask joined before the test returns.
    std::shared_ptr<void> release(nullptr, [&](void*) {
      blocker.execute_script("COMMIT");
      asking.join();
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (relay_->cut() == lost_connections && std::chrono::steady_clock::now() < deadline) {
      usleep(1000);
    }
    ASSERT_EQ(relay_->cut(), ++lost_connections) << "the ask was never sent";
    // Both attempts wait on the server (the second, with or without the fix, reaches the
    // lock); then the lock is let go.
    int64_t waiting = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      // This study's lock alone: other tests' studies on the server queue on theirs.
      waiting = blocker
                    .execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                             "NOT granted AND database = (SELECT oid FROM pg_database WHERE "
                             "datname = current_database()) AND classid = ((hashtext('winnow:' "
                             "|| current_schema())::bigint + 4294967296) % 4294967296)::oid AND "
                             "objid = ($1::bigint % 2147483647)::oid AND objsubid = 2",
                             postgres::Params().add(study_))
                    .integer(0, 0);
      if (waiting >= 2) break;
      usleep(1000);
    }
    ASSERT_EQ(waiting, 2) << "the ask was not asked again while the first attempt waited";
    release.reset();
    ASSERT_EQ(outcome.status, Storage::AheadStatus::kCreated);
    int with_draft = 0;
    for (const FrozenTrial& trial : storage_->trials(study_)) {
      if (trial.config != draft.config) continue;
      ++with_draft;
      EXPECT_EQ(trial.id, outcome.trial->id);
    }
    EXPECT_EQ(with_draft, 1);
  }
}

// A storage whose transactions each run twice, as one retried after the answer to its COMMIT
// was lost: every decision is asked for twice, the first attempt's outcome unknown.
class RetryingStorage : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  std::optional<FrozenTrial> create_decided_trial(int64_t study_id,
                                                  std::optional<int64_t> since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDecider& decide) override {
    return ForwardingStorage::create_decided_trial(
        study_id, since_version, owner, budget_limit,
        [&](int64_t number, std::vector<FrozenTrial> changed) {
          decide(number, changed);
          return decide(number, std::move(changed));
        });
  }
  // Storage's own, through the create_decided_trial above (the path a PostgreSQL ask takes
  // when a trial waits, and every other storage's).
  AheadOutcome create_trial_ahead(int64_t study_id, int64_t since_version, std::string_view owner,
                                  int64_t budget_limit, const TrialDraft& draft,
                                  std::optional<int64_t> expected_number) override {
    return Storage::create_trial_ahead(study_id, since_version, owner, budget_limit, draft,
                                       expected_number);
  }
};

// Through create_decided_trial, a draft with no expected number is not offered to a retried
// transaction: its first attempt may have created the trial before the answer was lost. With
// an expected number, the number tells: a committed first attempt would have taken it.
TEST(RetriedAsk, ADraftWithNoExpectedNumberIsNotOfferedTwice) {
  RetryingStorage storage(open_storage("memory"));
  int64_t study = storage.create_study(make_study_record("retried"));
  const Storage::TrialDraft draft{{{"x", 2.0}}, {}};
  Storage::AheadOutcome any =
      storage.create_trial_ahead(study, 0, "host:1:2", 0, draft, std::nullopt);
  EXPECT_EQ(any.status, Storage::AheadStatus::kOvertaken);
  EXPECT_TRUE(storage.trials(study).empty());
  Storage::AheadOutcome expected =
      storage.create_trial_ahead(study, 0, "host:1:2", 0, draft, int64_t{0});
  ASSERT_EQ(expected.status, Storage::AheadStatus::kCreated);
  EXPECT_EQ(expected.trial->config, draft.config);
}

}  // namespace
}  // namespace winnow
