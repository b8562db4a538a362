// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the storage tests (storage_test.cc, sqlite_storage_test.cc).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "winnow/error.h"
#include "winnow/storage.h"

namespace winnow::storage_test {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// A fresh folder per test, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "winnow_storage_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <typename Function>
std::string error_message(Function&& function) {
  try {
    function();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no winnow::Error thrown)";
}

inline StudyRecord make_study_record(std::string name, size_t objectives = 1) {
  StudyRecord study;
  study.name = std::move(name);
  for (size_t i = 0; i < objectives; ++i) {
    study.directions.push_back(i % 2 == 0 ? Direction::kMinimize : Direction::kMaximize);
  }
  study.space_json = R"({"params":[]})";
  study.sampler = "random";
  return study;
}

inline TrialOutcome complete(std::vector<double> values) {
  TrialOutcome outcome;
  outcome.values = std::move(values);
  return outcome;
}

inline TrialOutcome failed(std::string reason, bool interrupted) {
  TrialOutcome outcome;
  outcome.state = TrialState::kFailed;
  outcome.failure_reason = std::move(reason);
  outcome.interrupted = interrupted;
  return outcome;
}

}  // namespace winnow::storage_test
