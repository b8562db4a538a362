// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// open_storage(): URL -> storage. A new backend is one more branch here.
#include <string>

#include "storage/memory_storage.h"
#include "storage/postgres_storage.h"
#include "storage/sqlite_storage.h"
#include "winnow/error.h"

namespace winnow {

std::optional<Durability> durability_from_string(std::string_view text) {
  if (text == "normal") return Durability::kNormal;
  if (text == "full") return Durability::kFull;
  return std::nullopt;
}

std::string_view to_string(Durability durability) {
  return durability == Durability::kFull ? "full" : "normal";
}

namespace {

// "host=db dbname=tune ...": starts with one of libpq's connection keywords and '='. A file
// path with '=' elsewhere ("runs/lr=0.1.db") is still a path.
bool looks_like_libpq_keywords(std::string_view text) {
  size_t start = text.find_first_not_of(" \t");
  if (start == std::string_view::npos) return false;
  text.remove_prefix(start);
  for (std::string_view keyword : {"host", "hostaddr", "port", "dbname", "user", "password",
                                   "passfile", "service", "sslmode", "connect_timeout",
                                   "application_name", "options"}) {
    if (text.substr(0, keyword.size()) != keyword) continue;
    std::string_view rest = text.substr(keyword.size());
    size_t equals = rest.find_first_not_of(" \t");
    if (equals != std::string_view::npos && rest[equals] == '=') return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<Storage> open_storage(std::string_view url, const StorageOptions& options) {
  if (url == "memory" || url == ":memory:") return std::make_unique<MemoryStorage>();
  size_t separator = url.find("://");
  if (separator == std::string_view::npos) {
    if (url.empty()) throw Error("storage URL is empty (use 'memory' or a path to a .db file)");
    // libpq's keyword/value form would otherwise become the name of a new SQLite file. Not
    // echoed: it may hold a password.
    if (looks_like_libpq_keywords(url)) {
      throw Error(
          "the storage looks like a PostgreSQL keyword/value connection string ('host=... "
          "dbname=...'); give it as a URL instead: postgresql://user@host:port/dbname (a "
          "password comes from PGPASSWORD or ~/.pgpass)");
    }
    return std::make_unique<SqliteStorage>(std::string(url), options);
  }
  std::string_view scheme = url.substr(0, separator);
  // "sqlite:///abs/path" keeps the third slash as the root of the path, and "sqlite://rel/path"
  // is relative to the working directory, as in SQLAlchemy.
  std::string_view path = url.substr(separator + 3);
  if (scheme == "sqlite") {
    if (path.empty()) throw Error("storage URL '" + std::string(url) + "' has no file path");
    return std::make_unique<SqliteStorage>(std::string(path), options);
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    return std::make_unique<PostgresStorage>(std::string(url), options);
  }
  throw Error("storage URL '" + PostgresStorage::display_url(url) + "' has unknown scheme '" +
              std::string(scheme) +
              "'; supported: 'memory', 'sqlite:///absolute/path.db', 'sqlite://relative/path.db', "
              "'postgresql://user@host/database' or a plain file path");
}

}  // namespace winnow
