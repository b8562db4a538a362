// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A thin layer over one libpq connection: statements prepared once per connection and reused,
// text-format parameters and results, and transactions that survive the server going away.
// When the connection breaks (a restart, a network outage) or the server asks for a retry
// (serialization failure, deadlock), the transaction is rolled back, the connection re-opened
// with a growing pause, and the whole body run again, until a deadline.
//
// Not thread-safe: the owner (PostgresStorage) serialises every use behind its own mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "winnow/error.h"

struct pg_conn;
struct pg_result;

namespace winnow::postgres {

// The connection broke or the server asked the transaction to be retried: thrown inside a
// transaction body, caught by Connection::transaction, which runs the body again.
class TransientError : public StorageError {
 public:
  using StorageError::StorageError;
};

// An array parameter in PostgreSQL's text form ({"a","b",NULL}), elements encoded as Params
// encodes scalars: for unnest($n::text[], ...), which inserts many rows in one round trip.
class ArrayText {
 public:
  ArrayText& add(int64_t value);
  ArrayText& add(double value);  // NaN is NULL
  ArrayText& add(std::string_view value);
  ArrayText& add_null();
  std::string text() const { return text_ + "}"; }

 private:
  void separate();
  std::string text_ = "{";
};

// Parameters of one statement, in text format ($1, $2 ... in order of add()).
class Params {
 public:
  Params& add(int64_t value);
  Params& add(int value) { return add(static_cast<int64_t>(value)); }
  Params& add(double value);  // NaN is NULL, infinities are 'Infinity' / '-Infinity'
  Params& add(std::string_view value);
  Params& add(const char* value) { return add(std::string_view(value)); }
  Params& add(const std::string& value) { return add(std::string_view(value)); }
  Params& add(std::optional<int64_t> value);  // nullopt is NULL
  Params& add(bool value);
  Params& add_null();
  Params& add(const ArrayText& value) { return add(value.text()); }
  // An empty text is NULL (an owner, a failure reason that is not there).
  Params& add_nonempty_or_null(std::string_view value) {
    return value.empty() ? add_null() : add(value);
  }

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one statement. Column and row indexes count from 0.
class Result {
 public:
  explicit Result(pg_result* result) : result_(result) {}
  ~Result();
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const;
  // A statement run after COMMIT by execute_pipeline that failed: no rows, and this is true.
  bool failed() const { return result_ == nullptr; }
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;  // NULL reads as ""
  int64_t integer(int row, int column) const;   // NULL reads as 0
  double real(int row, int column) const;       // NULL reads as NaN
  bool boolean(int row, int column) const;

 private:
  pg_result* result_;
};

class Connection {
 public:
  enum class Mode {
    kRead,   // REPEATABLE READ, READ ONLY: one consistent snapshot for every statement
    kWrite,  // READ COMMITTED: each statement sees what committed before it; row locks order
    // No BEGIN and no COMMIT (the server's autocommit): for a body of one statement, which is
    // atomic by itself, two round trips fewer.
    kOneStatement,
  };

  // Connects to `conninfo` (a libpq URI or keyword string). `display_url` is what messages
  // show (no password). Throws StorageError when the server refuses us (bad password, unknown
  // database: at once) or cannot be reached within min(reconnect_seconds, 60 s).
  Connection(std::string conninfo, std::string display_url, double reconnect_seconds);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& display_url() const { return display_url_; }

  // Runs a statement, prepared on first use on this connection. Throws TransientError when
  // the connection broke or the server asks for a retry, StorageError for anything else.
  Result execute(std::string_view sql, const Params& params = {});

  // Runs a statement planned anew at each call, for the tables as they are now (a generic
  // plan all the same: see connect). A prepared statement keeps its plan until the tables have
  // doubled (note_row_id), for a study whose trials this process does not see, a long time.
  // For statements that run too rarely for the planning to matter (lease checks, heartbeats).
  Result execute_replanned(std::string_view sql, const Params& params = {});

  // One statement of a pipeline: SQL text and its parameters.
  struct Statement {
    std::string_view sql;
    Params params;
  };
  // Runs `statements` in order, in one round trip (libpq's pipeline mode), after the pending
  // BEGIN of the transaction if any; with `then_commit`, the transaction's COMMIT goes in the
  // same round trip. A lock the statements take is then held for the server's work alone, not
  // for the client's round trips. Each statement still sees what committed before it (READ
  // COMMITTED). Returns one Result per statement; throws like execute(), and when COMMIT (or,
  // outside a transaction, a statement the server commits by itself) was sent and its answer
  // lost, the transaction's body runs again with maybe_committed.
  // `after_commit` (with then_commit) run after the COMMIT in the same round trip, as one
  // transaction of their own; their results follow the statements'. One that failed, after
  // the transaction committed, gives an empty result (no rows) rather than an error.
  std::vector<Result> execute_pipeline(const std::vector<Statement>& statements,
                                       bool then_commit = false,
                                       const std::vector<Statement>& after_commit = {});
  // Runs SQL text that may hold several statements (DDL), without parameters or preparing.
  void execute_script(const std::string& sql);

  // Runs `body` in a transaction and commits; returns what the body returns. On a
  // TransientError the transaction is rolled back and the body runs again on a fresh
  // connection, with a growing pause, until reconnect_seconds have passed. `body` receives
  // whether an earlier attempt may have committed (its COMMIT, or with kOneStatement a
  // statement sent through execute_pipeline, was sent but the answer was lost), so it can
  // recognise its own work instead of doing it twice.
  template <typename Body>
  auto transaction(Mode mode, Body&& body) -> decltype(body(false));

  // Tells the connection that the tables hold a row of id `row_id` (a trial's id: every study
  // of the database shares the sequence, so it tells how large the tables have grown). Once
  // that has doubled since the connection's statements were planned, their plans are dropped
  // before the next transaction (DISCARD PLANS). A prepared statement keeps the plan made for
  // the tables as they were when it was first run: at the start of a study, when they hold a
  // page, that is a scan of the whole table (trial details read by a list of ids become a
  // filter over every row), which then grows with the study and, for reads under the study's
  // lock, holds every other process back. Autovacuum's ANALYZE replans too, but only once it
  // has run (not at all where it is off). Doubling keeps the replanning to a few dozen times
  // in any study's life.
  void note_row_id(int64_t row_id);
  // How many times the plans were dropped so.
  int64_t plan_resets() const { return plan_resets_; }

  // Whether a COMMIT on this connection waits until the server has flushed it to disk (the
  // session's synchronous_commit is not off), as read when the connection was made.
  bool commits_wait_for_flush() const { return commits_wait_for_flush_; }

 private:
  void connect();
  void ensure_connected();
  void begin(Mode mode);
  void replan_if_grown();
  void commit();  // throws TransientError with commit_unknown_ = true when the answer is lost
  void rollback_if_open() noexcept;
  // Runs a prepared statement without parameters (BEGIN, COMMIT) on its own.
  pg_result* exec_prepared(const std::string& name);
  // Sends a pending BEGIN on its own (before SQL that cannot share its round trip).
  void flush_begin();
  // The name of `sql` prepared on this connection, preparing it on first use.
  const std::string& prepared_name(std::string_view sql);
  bool pause_before_retry(int attempt, std::chrono::steady_clock::time_point start);
  // After a statement sent on its own failed: notes that it may have committed when it ran
  // outside a transaction and the connection is lost (its answer may be what was lost).
  void note_lost_autocommit();
  [[noreturn]] void throw_failure(pg_result* result, std::string_view while_doing);

  const std::string conninfo_;
  const std::string display_url_;
  const std::chrono::duration<double> reconnect_deadline_;
  pg_conn* handle_ = nullptr;
  bool in_transaction_ = false;
  // The BEGIN of the open transaction when not sent yet: it travels with the first statement,
  // saving a round trip per transaction.
  const char* pending_begin_ = nullptr;
  bool commit_unknown_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  int64_t planned_at_row_id_ = 0;  // the largest row id noted when the plans were last dropped
  int64_t largest_row_id_ = 0;     // the largest row id noted since
  int64_t plan_resets_ = 0;
  bool commits_wait_for_flush_ = true;
};

template <typename Body>
auto Connection::transaction(Mode mode, Body&& body) -> decltype(body(false)) {
  const auto start = std::chrono::steady_clock::now();
  bool maybe_committed = false;
  for (int attempt = 0;; ++attempt) {
    try {
      ensure_connected();
      replan_if_grown();
      begin(mode);
      if constexpr (std::is_void_v<decltype(body(false))>) {
        body(maybe_committed);
        commit();
        return;
      } else {
        auto result = body(maybe_committed);
        commit();
        return result;
      }
    } catch (const TransientError& error) {
      rollback_if_open();
      maybe_committed = maybe_committed || commit_unknown_;
      commit_unknown_ = false;
      if (!pause_before_retry(attempt, start)) {
        throw StorageError(std::string(error.what()) + " (gave up after " +
                           std::to_string(static_cast<int>(reconnect_deadline_.count())) +
                           " s of retrying)");
      }
    } catch (...) {
      rollback_if_open();
      commit_unknown_ = false;
      throw;
    }
  }
}

}  // namespace winnow::postgres
