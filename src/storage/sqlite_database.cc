// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/sqlite_database.h"

#include <cmath>
#include <limits>
#include <random>
#include <thread>

namespace winnow::sqlite {

Statement::Statement(Database& database, std::string_view sql) : database_(database) {
  // PERSISTENT: the statement lives as long as the connection, so SQLite keeps it out of its
  // lookaside allocator.
  int code = sqlite3_prepare_v3(database.handle(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &handle_, nullptr);
  if (code != SQLITE_OK) {
    database.throw_error(code, "preparing \"" + std::string(sql.substr(0, 120)) + "\"");
  }
}

Statement::~Statement() { sqlite3_finalize(handle_); }

Query::~Query() {
  sqlite3_reset(statement_.handle_);
  sqlite3_clear_bindings(statement_.handle_);
}

void Query::check_bind(int code, int index) {
  if (code != SQLITE_OK) {
    statement_.database_.throw_error(code, "binding parameter " + std::to_string(index));
  }
}

Query& Query::bind(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(statement_.handle_, index, value), index);
  return *this;
}

Query& Query::bind(int index, double value) {
  // SQLite would turn NaN into NULL anyway; doing it here makes the rule visible.
  if (std::isnan(value)) return bind_null(index);
  check_bind(sqlite3_bind_double(statement_.handle_, index, value), index);
  return *this;
}

Query& Query::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so the caller's buffer may go away before step().
  check_bind(sqlite3_bind_text64(statement_.handle_, index, value.data(), value.size(),
                                 SQLITE_TRANSIENT, SQLITE_UTF8),
             index);
  return *this;
}

Query& Query::bind(int index, std::optional<int64_t> value) {
  return value ? bind(index, *value) : bind_null(index);
}

Query& Query::bind_null(int index) {
  check_bind(sqlite3_bind_null(statement_.handle_, index), index);
  return *this;
}

bool Query::step() {
  int code = sqlite3_step(statement_.handle_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  statement_.database_.throw_error(
      code, "running \"" + std::string(sqlite3_sql(statement_.handle_)).substr(0, 120) + "\"");
}

void Query::run() {
  while (step()) {
  }
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(statement_.handle_, column) == SQLITE_NULL;
}

int64_t Query::integer(int column) const {
  return sqlite3_column_int64(statement_.handle_, column);
}

double Query::real(int column) const {
  if (is_null(column)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(statement_.handle_, column);
}

std::string Query::text(int column) const {
  const unsigned char* data = sqlite3_column_text(statement_.handle_, column);
  int size = sqlite3_column_bytes(statement_.handle_, column);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

int Query::type(int column) const { return sqlite3_column_type(statement_.handle_, column); }

Database::Database(std::string path) : path_(std::move(path)) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int code = sqlite3_open_v2(path_.c_str(), &handle_, flags, nullptr);
  if (code != SQLITE_OK) {
    std::string message = handle_ != nullptr ? sqlite3_errmsg(handle_) : sqlite3_errstr(code);
    sqlite3_close(handle_);
    handle_ = nullptr;
    throw StorageError("cannot open SQLite database '" + path_ + "': " + message);
  }
  sqlite3_extended_result_codes(handle_, 1);
  sqlite3_busy_timeout(handle_, kBusyTimeoutMs);
}

Database::~Database() {
  statements_.clear();  // every statement must be finalized before the connection closes
  sqlite3_close(handle_);
}

void Database::execute_script(const char* sql) {
  int code = sqlite3_exec(handle_, sql, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) throw_error(code, "running \"" + std::string(sql).substr(0, 120) + "\"");
}

Statement& Database::statement(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(*this, sql)).first;
  }
  return *it->second;
}

void Database::throw_error(int code, std::string_view while_doing) {
  std::string message = "SQLite database '" + path_ + "': " + sqlite3_errmsg(handle_) + " (" +
                        sqlite3_errstr(code) + ", code " + std::to_string(code) + ") while " +
                        std::string(while_doing);
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw BusyError(message);
  throw StorageError(message);
}

void Database::begin(Mode mode) {
  Query(statement(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN")).run();
}

void Database::commit() { Query(statement("COMMIT")).run(); }

void Database::rollback_if_open() noexcept {
  // A failed COMMIT or statement may or may not have ended the transaction already.
  if (sqlite3_get_autocommit(handle_) == 0) {
    sqlite3_exec(handle_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

bool Database::pause_before_retry(int attempt, std::chrono::steady_clock::time_point start) {
  if (std::chrono::steady_clock::now() - start > kLockDeadline) return false;
  // Exponential from 100 us to 50 ms, with jitter so that processes which collided do not
  // collide again in lock step.
  thread_local std::minstd_rand random(std::random_device{}());
  int64_t ceiling = std::min<int64_t>(100 << std::min(attempt, 9), 50'000);
  std::uniform_int_distribution<int64_t> pause(ceiling / 2, ceiling);
  std::this_thread::sleep_for(std::chrono::microseconds(pause(random)));
  return true;
}

}  // namespace winnow::sqlite
