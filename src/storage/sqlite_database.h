// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A thin layer over one sqlite3 connection: prepared statements that are prepared once and
// reused, a Query that binds / steps / reads one use of a statement and always resets it, and
// transactions that are retried when another process holds the database lock.
//
// Not thread-safe: the owner (SqliteStorage) serialises every use behind its own mutex, which is
// why the connection is opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "winnow/error.h"

namespace winnow::sqlite {

// SQLITE_BUSY / SQLITE_LOCKED: another connection holds a lock we need. Thrown from inside a
// transaction body and caught by Database::transaction, which rolls back and runs it again.
class BusyError : public StorageError {
 public:
  using StorageError::StorageError;
};

class Database;

// A prepared statement owned by a Database's cache.
class Statement {
 public:
  Statement(Database& database, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

 private:
  friend class Query;
  Database& database_;
  sqlite3_stmt* handle_ = nullptr;
};

// One use of a statement. Binding indexes and column indexes are SQLite's: parameters count
// from 1 (?1, ?2 ...), columns from 0. The destructor resets the statement and clears its
// bindings, so a cached statement never holds a read snapshot open or leaks old values.
class Query {
 public:
  explicit Query(Statement& statement) : statement_(statement) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int index, int64_t value);
  Query& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Query& bind(int index, double value);  // NaN is stored as NULL
  Query& bind(int index, std::string_view value);
  Query& bind(int index, std::optional<int64_t> value);  // nullopt -> NULL
  Query& bind_null(int index);
  // bind(i, "text") must not pick the bool-like integer overload.
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }

  // Advances to the next row: true when a row is available, false when done.
  bool step();
  // Runs a statement that returns no rows (or whose rows are not needed).
  void run();

  bool is_null(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;  // NULL reads back as NaN
  std::string text(int column) const;
  int type(int column) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL ...

 private:
  void check_bind(int code, int index);
  Statement& statement_;
};

class Database {
 public:
  enum class Mode {
    kRead,   // BEGIN (deferred): one consistent snapshot, never blocks writers in WAL mode
    kWrite,  // BEGIN IMMEDIATE: takes the write lock first, so the body never meets BUSY halfway
  };

  // Opens or creates the file. Throws StorageError naming the path when it cannot be opened
  // (missing folder, no permission).
  explicit Database(std::string path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  sqlite3* handle() { return handle_; }

  // Runs SQL text that may hold several statements (DDL, pragmas). Not cached.
  void execute_script(const char* sql);
  // The prepared statement for `sql`, prepared on first use and reused after.
  Statement& statement(std::string_view sql);
  int64_t last_insert_rowid() { return sqlite3_last_insert_rowid(handle_); }
  int changes() { return sqlite3_changes(handle_); }

  // Runs `body` inside a transaction and commits; returns what the body returns. When the
  // database is locked by another process (after busy_timeout) the transaction is rolled back
  // and the whole body runs again, with a growing pause, for up to kLockDeadline. Any other
  // exception rolls back and propagates. The body must therefore have no effect outside the
  // database other than its return value.
  template <typename Body>
  auto transaction(Mode mode, Body&& body) -> decltype(body());

  // Retries `action` (a statement outside a transaction, such as a journal_mode change) on
  // BusyError like transaction() does.
  template <typename Action>
  void retry_while_busy(Action&& action);

  // Throws BusyError or StorageError for a failed SQLite call, quoting sqlite3_errmsg.
  [[noreturn]] void throw_error(int code, std::string_view while_doing);

  // How long busy_timeout lets SQLite itself wait for a lock before returning SQLITE_BUSY.
  static constexpr int kBusyTimeoutMs = 5000;
  // How long transaction() keeps retrying before giving up with a StorageError.
  static constexpr std::chrono::seconds kLockDeadline{120};

 private:
  void begin(Mode mode);
  void commit();
  void rollback_if_open() noexcept;
  // Sleeps before retry number `attempt`; false once kLockDeadline has passed since `start`.
  bool pause_before_retry(int attempt, std::chrono::steady_clock::time_point start);

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::string path_;
  sqlite3* handle_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>>
      statements_;
};

template <typename Body>
auto Database::transaction(Mode mode, Body&& body) -> decltype(body()) {
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    try {
      begin(mode);
      if constexpr (std::is_void_v<decltype(body())>) {
        body();
        commit();
        return;
      } else {
        auto result = body();
        commit();
        return result;
      }
    } catch (const BusyError& error) {
      rollback_if_open();
      if (!pause_before_retry(attempt, start)) {
        throw StorageError(std::string(error.what()) + " (gave up after " +
                           std::to_string(kLockDeadline.count()) + " s of retrying)");
      }
    } catch (...) {
      rollback_if_open();
      throw;
    }
  }
}

template <typename Action>
void Database::retry_while_busy(Action&& action) {
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    try {
      action();
      return;
    } catch (const BusyError& error) {
      if (!pause_before_retry(attempt, start)) throw StorageError(error.what());
    }
  }
}

}  // namespace winnow::sqlite
