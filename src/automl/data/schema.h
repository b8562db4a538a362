// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The columns a model was trained on: names, types and categorical levels, in training order.
// conform() turns any table read for prediction into one laid out as in training: a missing
// column is an error naming it, extra columns are dropped with a note, categorical cells are
// re-coded to the training levels (an unseen level becomes missing, as a missing cell was in
// training), a numeric column's non-number cells become missing with a note.
#pragma once
#include <string>
#include <vector>

#include "automl/data/table.h"
#include "automl/serial.h"

namespace winnow::automl {

struct ColumnSchema {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::vector<std::string> levels;  // categorical
};

struct Schema {
  std::vector<ColumnSchema> columns;

  static Schema of(const Table& features);
  // `notes` receives what was dropped or changed, for people.
  Table conform(const Table& table, std::vector<std::string>* notes) const;
  void save(Writer& out) const;
  static Schema load(Reader& in);
};

}  // namespace winnow::automl
