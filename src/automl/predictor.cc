// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Loading, saving and using a model file: predictions and evaluation on new CSV files, and the
// report that `winnow automl show` prints.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "automl/data/csv_reader.h"
#include "automl/predictor_impl.h"
#include "common/strings.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

constexpr char kMagic[] = "WINNOWML";

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), seconds < 10 ? "%.2f s" : "%.0f s", seconds);
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read model file " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string save_fold_model(const FoldModel& fold) {
  Writer out;
  Writer pipeline;
  fold.pipeline.save(pipeline);
  out.str(pipeline.buffer());
  Writer model;
  fold.model->save(model);
  out.str(model.buffer());
  return out.take();
}

FoldModel load_fold_model(std::string_view bytes, const std::string& family) {
  Reader in(bytes);
  FoldModel fold;
  std::string pipeline_bytes = in.str();
  Reader pipeline(pipeline_bytes);
  fold.pipeline = Pipeline::load(pipeline);
  std::string model_bytes = in.str();
  Reader model(model_bytes);
  fold.model = find_family(family).load(model);
  return fold;
}

std::vector<float> Predictor::Impl::predict(const Table& conformed, bool best_single) const {
  const size_t k = n_outputs();
  std::vector<float> total(conformed.rows * k, 0.0f);
  std::vector<float> out(conformed.rows * k);
  for (const EnsembleMember& member : members) {
    double weight = best_single ? (member.trial == best_trial ? 1.0 : 0.0) : member.weight;
    if (weight <= 0) continue;
    const float share = static_cast<float>(weight / member.folds.size());
    for (const FoldModel& fold : member.folds) {
      Matrix x = fold.pipeline.transform(conformed);
      fold.model->predict(x, out);
      for (size_t i = 0; i < total.size(); ++i) total[i] += share * out[i];
    }
  }
  if (task != Task::kRegression) {
    for (size_t r = 0; r < conformed.rows; ++r) {
      double sum = 0;
      for (size_t c = 0; c < k; ++c) sum += total[r * k + c];
      if (sum > 0) {
        for (size_t c = 0; c < k; ++c) total[r * k + c] = static_cast<float>(total[r * k + c] / sum);
      }
    }
  }
  return total;
}

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

Predictor Predictor::load(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < 12 || bytes.compare(0, 8, kMagic) != 0) {
    throw Error(path + " is not a Winnow model file (written by `winnow automl fit`)");
  }
  Reader in(std::string_view(bytes).substr(8));
  uint32_t version = in.u32();
  if (version > kModelFormatVersion) {
    throw Error(path + " was written in model format " + std::to_string(version) +
                " by a newer Winnow; this one reads up to " + std::to_string(kModelFormatVersion));
  }
  auto impl = std::make_unique<Impl>();
  try {
    impl->summary = nlohmann::json::parse(in.str());
    impl->schema = Schema::load(in);
    uint8_t task = in.u8();
    if (task > static_cast<uint8_t>(Task::kRegression)) throw Error("model file is truncated or corrupt");
    impl->task = static_cast<Task>(task);
    impl->metric = metric_from_string(in.str(), impl->task);
    impl->target = in.str();
    uint64_t classes = in.count(1u << 20);
    for (uint64_t i = 0; i < classes; ++i) impl->classes.push_back(in.str());
    uint64_t members = in.count(1u << 16);
    for (uint64_t m = 0; m < members; ++m) {
      EnsembleMember member;
      member.family = in.str();
      member.trial = in.i64();
      member.weight = in.f64();
      member.config_json = in.str();
      uint64_t folds = in.count(1u << 10);
      for (uint64_t f = 0; f < folds; ++f) member.folds.push_back(load_fold_model(in.str(), member.family));
      if (member.folds.empty()) throw Error("model file is truncated or corrupt");
      impl->members.push_back(std::move(member));
    }
    if (impl->members.empty()) throw Error("model file is truncated or corrupt");
    impl->best_trial = version >= 2 ? in.i64() : impl->members.front().trial;
    bool found = false;
    for (const EnsembleMember& member : impl->members) found = found || member.trial == impl->best_trial;
    if (!found) throw Error("model file is truncated or corrupt");
    // The class names must fit the task, or predictions would index past them.
    size_t classes_needed = impl->task == Task::kRegression ? 0 : impl->task == Task::kBinary ? 2 : 3;
    if ((impl->task == Task::kMulticlass && impl->classes.size() < classes_needed) ||
        (impl->task != Task::kMulticlass && impl->classes.size() != classes_needed)) {
      throw Error("model file is truncated or corrupt");
    }
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  } catch (const std::exception&) {
    // json type errors, absurd sizes (bad_alloc, length_error) from a damaged file
    throw Error(path + ": model file is truncated or corrupt");
  }
  return Predictor(std::move(impl));
}

void Predictor::save(const std::string& path) const {
  Writer out;
  out.u32(kModelFormatVersion);
  out.str(impl_->summary.dump());
  impl_->schema.save(out);
  out.u8(static_cast<uint8_t>(impl_->task));
  out.str(to_string(impl_->metric));
  out.str(impl_->target);
  out.u64(impl_->classes.size());
  for (const std::string& name : impl_->classes) out.str(name);
  out.u64(impl_->members.size());
  for (const EnsembleMember& member : impl_->members) {
    out.str(member.family);
    out.i64(member.trial);
    out.f64(member.weight);
    out.str(member.config_json);
    out.u64(member.folds.size());
    for (const FoldModel& fold : member.folds) out.str(save_fold_model(fold));
  }
  out.i64(impl_->best_trial);
  std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file.write(kMagic, 8);
    file.write(out.buffer().data(), static_cast<std::streamsize>(out.buffer().size()));
    file.flush();
    if (!file) {
      std::remove(temporary.c_str());
      throw Error("cannot write model file " + path);
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw Error("cannot write model file " + path);
  }
}

// A prediction file read as the training file was: a column that was categorical in training
// keeps its cells' text ("02134" stays "02134") even when they all look like numbers here.
Table read_like_training(const std::string& path, const Schema& schema) {
  CsvOptions options;
  options.require_named_columns = false;
  for (const ColumnSchema& column : schema.columns) {
    if (column.type == ColumnType::kCategorical) options.categorical.push_back(column.name);
  }
  return read_csv(path, options);
}

Predictions Predictor::predict_csv(const std::string& path, std::vector<std::string>* notes,
                                   bool best_single) const {
  Table table = read_like_training(path, impl_->schema);
  Table conformed = impl_->schema.conform(table, notes);
  std::vector<float> output = impl_->predict(conformed, best_single);
  Predictions p;
  p.rows = conformed.rows;
  if (impl_->task == Task::kRegression) {
    p.values.assign(output.begin(), output.end());
    return p;
  }
  const size_t k = impl_->classes.size();
  p.classes = impl_->classes;
  p.probabilities = std::move(output);
  for (size_t r = 0; r < p.rows; ++r) {
    size_t best = 0;
    for (size_t c = 1; c < k; ++c) {
      if (p.probabilities[r * k + c] > p.probabilities[r * k + best]) best = c;
    }
    p.labels.push_back(p.classes[best]);
  }
  return p;
}

std::vector<std::pair<std::string, double>> Predictor::evaluate_csv(
    const std::string& path, std::vector<std::string>* notes) const {
  Table table = read_like_training(path, impl_->schema);
  int target_index = table.find(impl_->target);
  if (target_index < 0) {
    throw Error(path + ": the target column '" + impl_->target + "' is missing");
  }
  const Column& column = table.columns[target_index];
  Target target;
  target.task = impl_->task;
  target.class_names = impl_->classes;
  std::vector<uint8_t> keep(table.rows, 1);
  size_t dropped = 0, unknown = 0;
  for (size_t row = 0; row < table.rows; ++row) {
    if (column.is_missing(row)) {
      keep[row] = 0;
      ++dropped;
      continue;
    }
    if (impl_->task == Task::kRegression) {
      if (column.type == ColumnType::kCategorical) {
        throw Error(path + ": the target column '" + impl_->target +
                    "' must hold numbers for a regression model, but holds '" + column.text(row) +
                    "'");
      }
      target.values.push_back(column.numbers[row]);
    } else {
      std::string name = column.text(row);
      auto it = std::find(impl_->classes.begin(), impl_->classes.end(), name);
      if (it == impl_->classes.end()) {
        keep[row] = 0;
        ++unknown;
        continue;
      }
      target.labels.push_back(static_cast<int32_t>(it - impl_->classes.begin()));
    }
  }
  if (notes != nullptr && dropped > 0) {
    notes->push_back(std::to_string(dropped) + " rows without a target value were left out");
  }
  if (notes != nullptr && unknown > 0) {
    notes->push_back(std::to_string(unknown) +
                     " rows whose class was not seen in training were left out");
  }
  if (target.size() == 0) throw Error(path + ": no row has a target value to evaluate against");
  table.filter_rows(keep);
  Table conformed = impl_->schema.conform(table, notes);
  std::vector<float> output = impl_->predict(conformed);
  std::vector<std::pair<std::string, double>> result;
  for (Metric metric : metrics_for(impl_->task)) {
    if (metric == impl_->metric) {
      result.insert(result.begin(), {std::string(to_string(metric)), score(metric, target, output)});
    } else {
      result.emplace_back(std::string(to_string(metric)), score(metric, target, output));
    }
  }
  return result;
}

std::string Predictor::task() const { return std::string(to_string(impl_->task)); }
std::string Predictor::target() const { return impl_->target; }
std::string Predictor::metric() const { return std::string(to_string(impl_->metric)); }
std::string Predictor::summary_json() const { return impl_->summary.dump(2); }

std::string Predictor::report() const {
  try {
    return report_text();
  } catch (const nlohmann::json::exception&) {
    throw Error("the model file's summary is corrupt");
  }
}

std::string Predictor::report_text() const {
  const nlohmann::json& s = impl_->summary;
  std::ostringstream out;
  out << "Model: " << task() << " task, target '" << target() << "', metric " << metric() << "\n";
  if (s.contains("data")) {
    const auto& d = s["data"];
    out << "Data: " << d.value("rows", 0) << " rows, " << d.value("features", 0)
        << " feature columns (" << d.value("source", std::string()) << ")\n";
  }
  if (s.contains("validation")) out << "Validation: " << s["validation"].get<std::string>() << "\n";
  if (s.contains("final_model")) out << "Final model: " << s["final_model"].get<std::string>() << "\n";
  if (s.contains("trials")) {
    const auto& t = s["trials"];
    out << "Trials: " << t.value("complete", 0) << " complete, " << t.value("failed", 0)
        << " failed\n";
  }
  if (s.contains("leaderboard")) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : s["leaderboard"]) {
      rows.push_back({std::to_string(entry.value("trial", 0)), entry.value("model", std::string()),
                      format_short(entry.value("score", 0.0)),
                      seconds_text(entry.value("fit_seconds", 0.0))});
    }
    out << "\nLeaderboard (validation " << metric() << "):\n"
        << format_table({"trial", "model", metric(), "fit time"}, rows);
  }
  {
    std::vector<std::vector<std::string>> rows;
    for (const EnsembleMember& member : impl_->members) {
      if (member.weight <= 0) continue;  // the best single trial, kept for comparison
      rows.push_back({std::to_string(member.trial), member.family, format_short(member.weight),
                      std::to_string(member.folds.size())});
    }
    out << "\nEnsemble";
    if (s.contains("ensemble") && s["ensemble"].contains("score")) {
      out << " (validation " << metric() << " " << format_short(s["ensemble"]["score"].get<double>())
          << ")";
    }
    out << ":\n" << format_table({"trial", "model", "weight", "fold models"}, rows);
  }
  if (s.contains("seconds")) {
    out << "\nTime:";
    const char* separator = " ";
    for (const char* phase : {"read", "search", "ensemble", "refit", "total"}) {
      if (!s["seconds"].contains(phase)) continue;
      out << separator << phase << " " << seconds_text(s["seconds"][phase].get<double>());
      separator = ", ";
    }
    out << "\n";
  }
  if (s.contains("peak_memory_mb")) {
    out << "Peak memory: " << s["peak_memory_mb"].get<int64_t>() << " MB\n";
  }
  return out.str();
}

}  // namespace winnow::automl
