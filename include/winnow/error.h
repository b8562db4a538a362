// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace winnow {

// Raised for every mistake a user can make: a bad study file, a bad argument, an unknown study,
// an invalid configuration. The message always says where (file, line, parameter, option) and
// what rule was broken. An objective that fails is never an exception: it is a trial in state
// kFailed with a reason.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The storage could not be read or written (I/O error, corrupt file, schema from a newer Winnow).
class StorageError : public Error {
 public:
  using Error::Error;
};

// Study::create without load_if_exists found a study of that name (created first by another
// process, perhaps a moment ago).
class StudyExistsError : public Error {
 public:
  using Error::Error;
};

// " (did you mean 'learning_rate'?)" when a candidate is within a small edit distance of `word`,
// else "". For messages about unknown keys, parameters, options and commands.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace winnow
