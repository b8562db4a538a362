// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/postgres_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <utility>

namespace winnow::postgres {
namespace {

// SQLSTATEs after which running the transaction again may succeed: the connection or the server
// went away (class 08, admin or crash shutdown, starting up), too many connections, or the
// server chose this transaction as the loser of a conflict.
bool is_transient_sqlstate(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "53300" || state == "40001" || state == "40P01";
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

void ignore_notice(void*, const char*) {}

}  // namespace

Params& Params::add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

namespace {

// A finite or infinite double as PostgreSQL reads it back exactly.
std::string double_text(double value) {
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // to_chars: the shortest text that reads back exactly, and never the locale's decimal comma.
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

}  // namespace

void ArrayText::separate() {
  if (text_.size() > 1) text_ += ',';
}

ArrayText& ArrayText::add(int64_t value) {
  separate();
  text_ += std::to_string(value);
  return *this;
}

ArrayText& ArrayText::add(double value) {
  if (std::isnan(value)) return add_null();
  separate();
  text_ += double_text(value);
  return *this;
}

ArrayText& ArrayText::add(std::string_view value) {
  separate();
  text_ += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
  return *this;
}

ArrayText& ArrayText::add_null() {
  separate();
  text_ += "NULL";
  return *this;
}

Params& Params::add(double value) {
  if (std::isnan(value)) return add_null();
  values_.emplace_back(double_text(value));
  return *this;
}

Params& Params::add(std::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}

Params& Params::add(std::optional<int64_t> value) {
  return value ? add(*value) : add_null();
}

Params& Params::add(bool value) {
  values_.emplace_back(value ? "true" : "false");
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
  return out;
}

Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}

int Result::rows() const { return PQntuples(result_); }

bool Result::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string Result::text(int row, int column) const {
  if (is_null(row, column)) return "";
  return std::string(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}

int64_t Result::integer(int row, int column) const {
  if (is_null(row, column)) return 0;
  return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

double Result::real(int row, int column) const {
  if (is_null(row, column)) return std::nan("");
  std::string_view text(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  double value = std::nan("");
  std::from_chars(text.data(), text.data() + text.size(), value);  // "NaN" stays NaN
  return value;
}

bool Result::boolean(int row, int column) const {
  return !is_null(row, column) && PQgetvalue(result_, row, column)[0] == 't';
}

Connection::Connection(std::string conninfo, std::string display_url, double reconnect_seconds)
    : conninfo_(std::move(conninfo)),
      display_url_(std::move(display_url)),
      reconnect_deadline_(reconnect_seconds) {
  // A server that restarts or is briefly away when a worker starts is waited for, as later on;
  // but not for long, because at start it is more often a wrong host or port, to report.
  const auto start = std::chrono::steady_clock::now();
  const std::chrono::duration<double> patience(std::min(reconnect_seconds, 60.0));
  for (int attempt = 0;; ++attempt) {
    try {
      connect();
      return;
    } catch (const TransientError& error) {
      if (std::chrono::steady_clock::now() - start > patience) throw StorageError(error.what());
      if (attempt == 3) {
        std::cerr << "winnow: warning: " << error.what() << "; retrying for up to "
                  << static_cast<int>(patience.count()) << " s\n";
      }
      std::this_thread::sleep_for(
          std::chrono::duration<double>(std::min(0.05 * std::pow(2.0, attempt), 2.0)));
    }
  }
}

Connection::~Connection() {
  if (handle_ != nullptr) PQfinish(handle_);
}

void Connection::connect() {
  if (handle_ != nullptr) PQfinish(handle_);
  prepared_.clear();
  in_transaction_ = false;
  pending_begin_ = nullptr;
  planned_at_row_id_ = largest_row_id_;  // a new session plans for the tables as they are
  // Defaults first, the user's URI last: what the URI says wins. TCP keepalives notice a
  // server (or a network path) that vanished without closing the connection; without them a
  // worker could wait on a dead socket for hours.
  const char* keywords[] = {"connect_timeout", "keepalives", "keepalives_idle",
                            "keepalives_interval", "keepalives_count", "client_encoding",
                            "application_name", "dbname", nullptr};
  const char* values[] = {"10", "1", "30", "10", "3", "UTF8", "winnow", conninfo_.c_str(),
                          nullptr};
  handle_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (handle_ == nullptr) throw StorageError("cannot connect to " + display_url_ + ": out of memory");
  if (PQstatus(handle_) != CONNECTION_OK) {
    std::string message = trim(PQerrorMessage(handle_));
    PQfinish(handle_);
    handle_ = nullptr;
    // Refusals (authentication, an unknown database or role) will not change by waiting.
    bool refused = message.find("authentication") != std::string::npos ||
                   message.find("does not exist") != std::string::npos ||
                   message.find("pg_hba.conf") != std::string::npos ||
                   message.find("invalid") != std::string::npos;
    std::string text = "cannot connect to PostgreSQL at " + display_url_ + ": " + message;
    if (refused) throw StorageError(text);
    throw TransientError(text);
  }
  PQsetNoticeProcessor(handle_, ignore_notice, nullptr);
  // A session stuck inside a transaction (its process frozen, or cut off) would hold its
  // study's row lock, and every worker of the study would wait on it: the server ends it.
  //
  // Each prepared statement is planned once (a generic plan), not at every run for its
  // parameters. Left to choose, the server plans anew at every run the statements whose
  // generic plan it estimates dearer, such as the read of trial details by a list of ids,
  // and planning that read costs more than running it, at every proposal of TPE (which reads
  // the trials changed since its last one; docs/benchmarks.md). Parameters barely move our plans
  // (they name a study, a trial, a version); table sizes do, and note_row_id replans as the
  // tables grow.
  // (plan_cache_mode is PostgreSQL 12's; an older server plans as it chooses.)
  std::string settings = "SET idle_in_transaction_session_timeout = '60s'";
  if (PQserverVersion(handle_) >= 120000) settings += "; SET plan_cache_mode = force_generic_plan";
  // Whether a commit waits for its flush here is the session's synchronous_commit, which the
  // server, the database, the role or the URL's options may set.
  settings += "; SELECT current_setting('synchronous_commit')";
  pg_result* result = PQexec(handle_, settings.c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1) {
    throw_failure(result, "to configure the connection");
  }
  commits_wait_for_flush_ = std::string_view(PQgetvalue(result, 0, 0)) != "off";
  PQclear(result);
}

void Connection::ensure_connected() {
  if (handle_ == nullptr || PQstatus(handle_) != CONNECTION_OK) connect();
}

void Connection::throw_failure(pg_result* result, std::string_view while_doing) {
  const char* field = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string state = field != nullptr ? field : "";
  std::string message = trim(result != nullptr && PQresultErrorMessage(result)[0] != '\0'
                                 ? PQresultErrorMessage(result)
                                 : PQerrorMessage(handle_));
  if (result != nullptr) PQclear(result);
  std::string text = "PostgreSQL at " + display_url_ + " failed " + std::string(while_doing) +
                     ": " + message;
  if (PQstatus(handle_) != CONNECTION_OK || is_transient_sqlstate(state)) {
    throw TransientError(text);
  }
  throw StorageError(text);
}

void Connection::note_lost_autocommit() {
  // Outside a transaction the statement commits by itself: with the connection lost after it
  // was sent, it may have.
  if (!in_transaction_ && PQstatus(handle_) != CONNECTION_OK) commit_unknown_ = true;
}

const std::string& Connection::prepared_name(std::string_view sql) {
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "winnow_" + std::to_string(prepared_.size());
    pg_result* prepared = PQprepare(handle_, name.c_str(), key.c_str(), 0, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) throw_failure(prepared, "to prepare " + key);
    PQclear(prepared);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  return it->second;
}

Result Connection::execute(std::string_view sql, const Params& params) {
  if (pending_begin_ != nullptr) {
    std::vector<Result> results = execute_pipeline({{sql, params}});
    return std::move(results.front());
  }
  const std::string& name = prepared_name(sql);
  std::vector<const char*> values = params.pointers();
  pg_result* result =
      PQexecPrepared(handle_, name.c_str(), params.size(), values.data(), nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    note_lost_autocommit();
    throw_failure(result, std::string(sql));
  }
  return Result(result);
}

Result Connection::execute_replanned(std::string_view sql, const Params& params) {
  flush_begin();
  std::string text(sql);
  std::vector<const char*> values = params.pointers();
  pg_result* result = PQexecParams(handle_, text.c_str(), params.size(), nullptr, values.data(),
                                   nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    note_lost_autocommit();
    throw_failure(result, text);
  }
  return Result(result);
}

std::vector<Result> Connection::execute_pipeline(const std::vector<Statement>& statements,
                                                 bool then_commit,
                                                 const std::vector<Statement>& after_commit) {
  // Prepared first: preparing is a round trip of its own, outside the pipeline (once per
  // connection and statement).
  std::vector<const std::string*> names;
  names.reserve(statements.size() + after_commit.size());
  for (const Statement& statement : statements) names.push_back(&prepared_name(statement.sql));
  const bool commit = then_commit && in_transaction_;
  const size_t afterwards = commit ? after_commit.size() : 0;
  for (size_t i = 0; i < afterwards; ++i) names.push_back(&prepared_name(after_commit[i].sql));
  // BEGIN and COMMIT prepared too: text sent as is would be parsed again at every transaction.
  const std::string* begin_name =
      pending_begin_ != nullptr ? &prepared_name(pending_begin_) : nullptr;
  const std::string* commit_name = commit ? &prepared_name("COMMIT") : nullptr;
  const char* begin = std::exchange(pending_begin_, nullptr);
  auto send_prepared = [&](const Statement& statement, const std::string& name) {
    std::vector<const char*> values = statement.params.pointers();
    return PQsendQueryPrepared(handle_, name.c_str(), statement.params.size(), values.data(),
                               nullptr, nullptr, 0) == 1;
  };
  bool sent = PQenterPipelineMode(handle_) == 1 &&
              (begin == nullptr || send_prepared({begin, {}}, *begin_name));
  for (size_t i = 0; sent && i < statements.size(); ++i) {
    sent = send_prepared(statements[i], *names[i]);
  }
  if (sent && commit) sent = send_prepared({"COMMIT", {}}, *commit_name);
  for (size_t i = 0; sent && i < afterwards; ++i) {
    sent = send_prepared(after_commit[i], *names[statements.size() + i]);
  }
  sent = sent && PQpipelineSync(handle_) == 1;
  // Each query's result is followed by a null, and the sync by its own result.
  const size_t queries = (begin != nullptr) + statements.size() + commit + afterwards;
  std::vector<pg_result*> results;
  if (sent) {
    for (size_t nulls = 0; nulls <= queries;) {
      pg_result* result = PQgetResult(handle_);
      if (result == nullptr) {
        if (PQstatus(handle_) != CONNECTION_OK) break;
        ++nulls;
        continue;
      }
      if (PQresultStatus(result) == PGRES_PIPELINE_SYNC) {
        PQclear(result);
        break;
      }
      results.push_back(result);
    }
  }
  const std::string first_sql(statements.empty() ? std::string_view("COMMIT")
                                                 : statements.front().sql.substr(0, 60));
  if (PQexitPipelineMode(handle_) != 1 || results.size() != queries ||
      PQstatus(handle_) != CONNECTION_OK) {
    // Results left unread, or the connection lost (libpq may stand in an error for an answer
    // that never came): this connection's state is unknown, so it is opened anew. A COMMIT
    // that was sent may have committed, and so may a statement outside a transaction (the
    // server's autocommit). The server's reason, when it gave one, goes in the message.
    std::string reason;
    for (pg_result* result : results) {
      if (reason.empty() && PQresultStatus(result) == PGRES_FATAL_ERROR) {
        reason = trim(PQresultErrorMessage(result));
      }
      PQclear(result);
    }
    PQfinish(handle_);
    handle_ = nullptr;
    if ((commit || !in_transaction_) && sent) commit_unknown_ = true;
    in_transaction_ = false;
    throw TransientError("PostgreSQL at " + display_url_ + " failed to run " + first_sql +
                         ": the connection was lost" + (reason.empty() ? "" : " (" + reason + ")"));
  }
  // Takes results[index] out of the list and frees the others: for throw_failure.
  auto take_failure = [&](size_t index) {
    for (size_t i = 0; i < results.size(); ++i) {
      if (i != index) PQclear(results[i]);
    }
    return results[index];
  };
  size_t next = 0;
  if (begin != nullptr) {
    if (PQresultStatus(results[0]) != PGRES_COMMAND_OK) {
      in_transaction_ = false;  // BEGIN did not run
      throw_failure(take_failure(0), "to begin a transaction");
    }
    PQclear(std::exchange(results[0], nullptr));
    next = 1;
  }
  for (size_t i = 0; i < statements.size(); ++i) {
    ExecStatusType status = PQresultStatus(results[next + i]);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw_failure(take_failure(next + i), std::string(statements[i].sql));
    }
  }
  if (commit) {
    const size_t commit_at = next + statements.size();
    pg_result* committed = std::exchange(results[commit_at], nullptr);
    in_transaction_ = false;
    if (PQresultStatus(committed) != PGRES_COMMAND_OK) {
      for (size_t i = next; i < results.size(); ++i) PQclear(results[i]);
      if (PQstatus(handle_) != CONNECTION_OK) commit_unknown_ = true;
      throw_failure(committed, "to commit");
    }
    PQclear(committed);
    results.erase(results.begin() + static_cast<std::ptrdiff_t>(commit_at));
    // The transaction committed: a statement after it that failed is an empty result, and
    // the caller (which knows what the statement was for) does its work some other way.
    for (size_t i = 0; i < afterwards; ++i) {
      pg_result*& after = results[commit_at + i];
      ExecStatusType status = PQresultStatus(after);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        PQclear(after);
        after = nullptr;
      }
    }
  }
  std::vector<Result> out;
  out.reserve(statements.size() + afterwards);
  for (size_t i = next; i < results.size(); ++i) out.emplace_back(results[i]);
  return out;
}

pg_result* Connection::exec_prepared(const std::string& name) {
  return PQexecPrepared(handle_, name.c_str(), 0, nullptr, nullptr, nullptr, 0);
}

void Connection::flush_begin() {
  if (pending_begin_ == nullptr) return;
  const std::string& name = prepared_name(pending_begin_);
  pending_begin_ = nullptr;
  pg_result* result = exec_prepared(name);
  if (PQresultStatus(result) != PGRES_COMMAND_OK) {
    in_transaction_ = false;
    throw_failure(result, "to begin a transaction");
  }
  PQclear(result);
}

void Connection::execute_script(const std::string& sql) {
  flush_begin();
  pg_result* result = PQexec(handle_, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw_failure(result, "to run " + sql.substr(0, 60));
  }
  PQclear(result);
}

void Connection::note_row_id(int64_t row_id) {
  largest_row_id_ = std::max(largest_row_id_, row_id);
}

void Connection::replan_if_grown() {
  // From a few dozen rows on: below that any plan is as quick as another.
  constexpr int64_t kFirstReplan = 64;
  if (largest_row_id_ < kFirstReplan || largest_row_id_ / 2 < planned_at_row_id_) return;
  pg_result* result = PQexec(handle_, "DISCARD PLANS");
  if (PQresultStatus(result) != PGRES_COMMAND_OK) throw_failure(result, "to discard old plans");
  PQclear(result);
  planned_at_row_id_ = largest_row_id_;
  ++plan_resets_;
}

void Connection::begin(Mode mode) {
  if (mode == Mode::kOneStatement) return;
  pending_begin_ = mode == Mode::kRead ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                       : "BEGIN ISOLATION LEVEL READ COMMITTED";
  in_transaction_ = true;
}

void Connection::commit() {
  if (!in_transaction_) return;  // Mode::kOneStatement: the statement committed itself
  if (pending_begin_ != nullptr) {  // the body ran no statement: there is nothing to commit
    pending_begin_ = nullptr;
    in_transaction_ = false;
    return;
  }
  pg_result* result = exec_prepared(prepared_name("COMMIT"));
  in_transaction_ = false;
  if (PQresultStatus(result) == PGRES_COMMAND_OK) {
    PQclear(result);
    return;
  }
  // COMMIT was sent; if the connection broke, the server may have committed before it did.
  if (PQstatus(handle_) != CONNECTION_OK) commit_unknown_ = true;
  throw_failure(result, "to commit");
}

void Connection::rollback_if_open() noexcept {
  if (!in_transaction_) return;
  in_transaction_ = false;
  if (std::exchange(pending_begin_, nullptr) != nullptr) return;  // BEGIN was never sent
  if (handle_ == nullptr || PQstatus(handle_) != CONNECTION_OK) return;
  PQclear(PQexec(handle_, "ROLLBACK"));
}

bool Connection::pause_before_retry(int attempt, std::chrono::steady_clock::time_point start) {
  using namespace std::chrono;
  if (steady_clock::now() - start > reconnect_deadline_) return false;
  if (attempt == 3) {
    std::cerr << "winnow: warning: PostgreSQL at " << display_url_
              << " is not answering; retrying for up to "
              << static_cast<int>(reconnect_deadline_.count()) << " s\n";
  }
  // 50 ms doubling up to 2 s: a restart takes a few seconds, an outage may take minutes.
  double pause = std::min(0.05 * std::pow(2.0, std::min(attempt, 10)), 2.0);
  std::this_thread::sleep_for(duration<double>(pause));
  return true;
}

}  // namespace winnow::postgres
