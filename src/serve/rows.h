// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The rows of a prediction request, read straight into the model's training layout (the table
// Schema::conform would give), from JSON `{"rows": [{column: value, ...}, ...]}` or from a CSV
// body with a header row. The rules follow `winnow automl predict` where it has them (an unseen
// category is a missing cell, JSON null or an empty CSV cell is missing) and are stricter where a
// server should be: a column the model does not know, a missing column or a value of the wrong
// type is an error naming the column and the row, never a silent guess.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "automl/data/schema.h"
#include "automl/data/table.h"
#include "winnow/error.h"

namespace winnow::serving {

// A request the client got wrong; `status` is the HTTP status to answer (400, 413, 415).
class RequestError : public Error {
 public:
  RequestError(int status, const std::string& message) : Error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

class RowReader {
 public:
  // `target`: the model's target column, accepted in rows and ignored (rows of a labelled
  // file). `ignore_unknown_columns`: other columns the model does not know are ignored rather
  // than refused. The schema must outlive the reader.
  RowReader(const automl::Schema& schema, std::string target, bool ignore_unknown_columns);

  // Throw RequestError (status 400) naming what is wrong. Thread-safe (const).
  automl::Table read_json(std::string_view body) const;
  automl::Table read_csv(std::string_view body) const;

  // JSON documents nested deeper than this are refused before parsing.
  static constexpr int kMaxJsonDepth = 64;

 private:
  void check_columns(std::span<const std::string> names, const std::string& where) const;
  bool is_known(const std::string& name) const;

  const automl::Schema& schema_;
  std::string target_;
  bool ignore_unknown_;
  std::unordered_map<std::string, size_t> column_index_;
  // Per categorical column (by schema index): level text -> code.
  std::vector<std::unordered_map<std::string, int32_t>> level_codes_;
};

// The rows of several tables laid out by the same schema, one after another.
automl::Table concatenate(std::span<const automl::Table* const> tables);

}  // namespace winnow::serving
