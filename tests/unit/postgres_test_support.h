// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The test PostgreSQL server: started by CTest's `postgres` fixture (tests/postgres/server.sh),
// found through WINNOW_TEST_POSTGRES_DIR. Each test gets a schema of its own in it, so tests
// running at once never see each other's studies.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "storage/postgres_connection.h"

namespace winnow::storage_test {

inline std::string test_postgres_url() {
  const char* dir = std::getenv("WINNOW_TEST_POSTGRES_DIR");
  std::string hint =
      " (ctest starts the test server; by hand: tests/postgres/server.sh start DIR and "
      "WINNOW_TEST_POSTGRES_DIR=DIR)";
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("WINNOW_TEST_POSTGRES_DIR is not set" + hint);
  }
  std::ifstream file(std::string(dir) + "/url");
  std::string url;
  if (!std::getline(file, url) || url.empty()) {
    throw std::runtime_error(std::string("no test PostgreSQL server in ") + dir + hint);
  }
  return url;
}

// A URL whose tables live in a new, empty schema of the test database.
inline std::string fresh_postgres_url() {
  static std::atomic<int> counter{0};
  static const uint64_t salt = std::random_device{}();
  std::string base = test_postgres_url();
  std::string schema = "t" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
                       std::to_string(salt % 1000000);
  postgres::Connection connection(base, base, 30);
  connection.execute_script("CREATE SCHEMA " + schema);
  return base + (base.find('?') == std::string::npos ? "?" : "&") +
         "options=-csearch_path%3D" + schema;
}

}  // namespace winnow::storage_test
