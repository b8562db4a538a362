// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Loading, saving and using a model file: predictions and evaluation on new CSV files, and the
// report that `winnow automl show` prints.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "automl/data/csv_reader.h"
#include "automl/front.h"
#include "automl/predictor_impl.h"
#include "common/strings.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

constexpr char kMagic[] = "WINNOWML";
// Model format 4 on: the checksum's bytes at the end of the file (a u64 of serial.h).
constexpr size_t kChecksumBytes = 8;

// It catches the damage files suffer in copies and storage (flipped bits, overwritten bytes),
// which a format whose every field is plausible would otherwise read as a different model. It
// is no defence against a file changed on purpose.
uint64_t checksum(std::string_view bytes) { return fnv1a_64(bytes); }

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), seconds < 10 ? "%.2f s" : "%.0f s", seconds);
  return text;
}

std::string per_row_text(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  char text[32];
  if (seconds >= 1e-3) {
    std::snprintf(text, sizeof(text), "%.3g ms", seconds * 1e3);
  } else {
    std::snprintf(text, sizeof(text), "%.3g us", seconds * 1e6);
  }
  return text;
}

std::string bytes_text(uint64_t bytes) {
  char text[32];
  if (bytes >= (1u << 20)) {
    std::snprintf(text, sizeof(text), "%.1f MB", bytes / 1048576.0);
  } else {
    std::snprintf(text, sizeof(text), "%.1f kB", bytes / 1024.0);
  }
  return text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read model file " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_cost(Writer& out, const InferenceCost& cost) {
  out.f64(cost.seconds_per_row_batch1);
  out.f64(cost.seconds_per_row_batch1000);
  out.u64(cost.bytes);
}

InferenceCost read_cost(Reader& in) {
  InferenceCost cost;
  cost.seconds_per_row_batch1 = in.f64();
  cost.seconds_per_row_batch1000 = in.f64();
  cost.bytes = in.u64();
  return cost;
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

std::vector<float> Predictor::Impl::predict_member(const EnsembleMember& member,
                                                  const Table& conformed) const {
  const size_t k = n_outputs();
  std::vector<float> total(conformed.rows * k, 0.0f);
  std::vector<float> out(conformed.rows * k);
  const float share = 1.0f / static_cast<float>(member.folds.size());
  for (const FoldModel& fold : member.folds) {
    Matrix x = fold.pipeline.transform(conformed);
    fold.model->predict(x, out);
    for (size_t i = 0; i < total.size(); ++i) total[i] += share * out[i];
  }
  return total;
}

void Predictor::Impl::normalise(std::vector<float>& total, size_t rows) const {
  if (task == Task::kRegression) return;
  const size_t k = n_outputs();
  for (size_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (size_t c = 0; c < k; ++c) sum += total[r * k + c];
    if (sum > 0) {
      for (size_t c = 0; c < k; ++c) total[r * k + c] = static_cast<float>(total[r * k + c] / sum);
    }
  }
}

std::vector<float> Predictor::Impl::predict(const Table& conformed, bool best_single) const {
  std::vector<float> total(conformed.rows * n_outputs(), 0.0f);
  for (const EnsembleMember& member : members) {
    double weight = best_single ? (member.trial == best_trial ? 1.0 : 0.0) : member.weight;
    if (weight <= 0) continue;
    std::vector<float> out = predict_member(member, conformed);
    const float w = static_cast<float>(weight);
    for (size_t i = 0; i < total.size(); ++i) total[i] += w * out[i];
  }
  normalise(total, conformed.rows);
  return total;
}

void Predictor::Impl::choose(size_t index) {
  if (index >= front.size()) throw Error("no ensemble " + std::to_string(index) + " in the front");
  chosen = index;
  for (size_t m = 0; m < members.size(); ++m) members[m].weight = front[index].weights[m];
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
  std::string_view body = std::string_view(bytes).substr(8);
  Reader in(body);
  uint32_t version = in.u32();
  if (version > kModelFormatVersion) {
    throw Error(path + " was written in model format " + std::to_string(version) +
                " by a newer Winnow; this one reads up to " + std::to_string(kModelFormatVersion));
  }
  if (version >= 4) {
    // The checksum is the last field written (save()), over every byte before it.
    if (body.size() < 4 + kChecksumBytes) throw Error(path + ": model file is truncated or corrupt");
    const uint64_t stored = Reader(body.substr(body.size() - kChecksumBytes)).u64();
    body.remove_suffix(kChecksumBytes);
    if (checksum(body) != stored) {
      throw Error(path + ": model file is truncated or corrupt (its checksum does not match "
                         "its contents: it changed since `winnow automl fit` wrote it)");
    }
    in = Reader(body.substr(4));  // after the version, without the checksum
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
    if (version >= 3) {
      impl->preprocessing_cost = read_cost(in);
      for (EnsembleMember& member : impl->members) member.cost = read_cost(in);
      uint64_t entries = in.count(1u << 16);
      for (uint64_t e = 0; e < entries; ++e) {
        FrontEntry entry;
        entry.weights = in.doubles();
        if (entry.weights.size() != impl->members.size()) {
          throw Error("model file is truncated or corrupt");
        }
        entry.loss = in.f64();
        entry.score = in.f64();
        entry.cost = read_cost(in);
        impl->front.push_back(std::move(entry));
      }
      impl->chosen = in.count(entries == 0 ? 0 : entries - 1);
    }
    if (impl->front.empty()) {
      // A file from before fronts: its one ensemble, costs unknown.
      FrontEntry entry;
      for (const EnsembleMember& member : impl->members) entry.weights.push_back(member.weight);
      const nlohmann::json& ensemble = impl->summary.value("ensemble", nlohmann::json::object());
      entry.score = ensemble.value("score", std::nan(""));
      entry.loss = greater_is_better(impl->metric) ? 1.0 - entry.score : entry.score;
      entry.cost.bytes = 0;
      impl->front.push_back(std::move(entry));
    }
    impl->chosen_in_file = impl->chosen;
    impl->choose(impl->chosen);
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
  write_cost(out, impl_->preprocessing_cost);
  for (const EnsembleMember& member : impl_->members) write_cost(out, member.cost);
  out.u64(impl_->front.size());
  for (const FrontEntry& entry : impl_->front) {
    out.doubles(entry.weights);
    out.f64(entry.loss);
    out.f64(entry.score);
    write_cost(out, entry.cost);
  }
  out.u64(impl_->chosen);
  out.u64(checksum(out.buffer()));
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
Table read_like_training(const std::string& path, const Schema& schema,
                         const std::string& target = "") {
  CsvOptions options;
  options.require_named_columns = false;
  if (!target.empty()) options.keep_stray_texts = {target};
  for (const ColumnSchema& column : schema.columns) {
    if (column.type == ColumnType::kCategorical) options.categorical.push_back(column.name);
  }
  return read_csv(path, options);
}

Predictions Predictor::predict_csv(const std::string& path, std::vector<std::string>* notes,
                                   bool best_single) const {
  Table table = read_like_training(path, impl_->schema);
  if (notes != nullptr) notes->insert(notes->end(), table.notes.begin(), table.notes.end());
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
  Table table = read_like_training(path, impl_->schema, impl_->target);
  if (notes != nullptr) notes->insert(notes->end(), table.notes.begin(), table.notes.end());
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
                    "' must hold numbers for a regression model, but holds '" +
                    first_text_level(column) + "'");
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
  // The target is expected here: not an extra column worth a note.
  table.columns.erase(table.columns.begin() + target_index);
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

std::vector<EnsembleChoice> Predictor::front() const {
  std::vector<EnsembleChoice> choices;
  for (size_t e = 0; e < impl_->front.size(); ++e) {
    const FrontEntry& entry = impl_->front[e];
    EnsembleChoice choice;
    choice.score = entry.score;
    choice.seconds_per_row_batch1 = entry.cost.seconds_per_row_batch1;
    choice.seconds_per_row_batch1000 = entry.cost.seconds_per_row_batch1000;
    choice.bytes = entry.cost.bytes;
    for (size_t m = 0; m < entry.weights.size(); ++m) {
      if (entry.weights[m] > 0) choice.members.emplace_back(impl_->members[m].trial, entry.weights[m]);
    }
    choice.chosen = e == impl_->chosen;
    choices.push_back(std::move(choice));
  }
  return choices;
}

bool Predictor::choose_within(double seconds_per_row, int batch) {
  if (batch != 1 && batch != 1000) {
    throw Error("the batch size of an inference limit must be 1 or 1000, not " + std::to_string(batch));
  }
  if (!(seconds_per_row > 0)) throw Error("an inference limit must be positive");
  bool fits = false;
  impl_->choose(
      choose_entry(impl_->front, seconds_per_row, batch, &fits, impl_->chosen_in_file));
  return fits;
}

std::string Predictor::task() const { return std::string(to_string(impl_->task)); }
std::string Predictor::target() const { return impl_->target; }
std::string Predictor::metric() const { return std::string(to_string(impl_->metric)); }
std::string Predictor::summary_json() const {
  nlohmann::json summary = impl_->summary;
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  nlohmann::json front = nlohmann::json::array();
  for (const EnsembleChoice& choice : this->front()) {
    nlohmann::json members = nlohmann::json::array();
    for (const auto& [trial, weight] : choice.members) {
      members.push_back({{"trial", trial}, {"weight", weight}});
    }
    front.push_back({{"score", number(choice.score)},
                     {"seconds_per_row_batch1", number(choice.seconds_per_row_batch1)},
                     {"seconds_per_row_batch1000", number(choice.seconds_per_row_batch1000)},
                     {"bytes", choice.bytes},
                     {"members", members},
                     {"chosen", choice.chosen}});
  }
  summary["front"] = front;
  nlohmann::json costs = nlohmann::json::array();
  for (const EnsembleMember& member : impl_->members) {
    costs.push_back({{"trial", member.trial},
                     {"model", member.family},
                     {"weight", member.weight},
                     {"seconds_per_row_batch1", number(member.cost.seconds_per_row_batch1)},
                     {"seconds_per_row_batch1000", number(member.cost.seconds_per_row_batch1000)},
                     {"bytes", member.cost.bytes}});
  }
  summary["members"] = costs;
  summary["preprocessing"] = {
      {"seconds_per_row_batch1", number(impl_->preprocessing_cost.seconds_per_row_batch1)},
      {"seconds_per_row_batch1000", number(impl_->preprocessing_cost.seconds_per_row_batch1000)}};
  return summary.dump(2);
}

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
    std::vector<const EnsembleMember*> used;
    for (const EnsembleMember& member : impl_->members) {
      if (member.weight > 0) used.push_back(&member);  // others: kept for the front, best single
    }
    std::stable_sort(used.begin(), used.end(), [](const EnsembleMember* a, const EnsembleMember* b) {
      return a->weight > b->weight;
    });
    std::vector<std::vector<std::string>> rows;
    for (const EnsembleMember* member : used) {
      rows.push_back({std::to_string(member->trial), member->family, format_short(member->weight),
                      std::to_string(member->folds.size()),
                      per_row_text(member->cost.seconds_per_row_batch1)});
    }
    const FrontEntry& chosen = impl_->front[impl_->chosen];
    out << "\nEnsemble";
    if (std::isfinite(chosen.score)) {
      out << " (validation " << metric() << " " << format_short(chosen.score) << ")";
    }
    out << ":\n" << format_table({"trial", "model", "weight", "fold models", "time/row"}, rows);
    if (std::isfinite(chosen.cost.seconds_per_row_batch1)) {
      out << "Inference per row: " << per_row_text(chosen.cost.seconds_per_row_batch1)
          << " one row per call, " << per_row_text(chosen.cost.seconds_per_row_batch1000)
          << " a thousand per call; models " << bytes_text(chosen.cost.bytes) << "; ensemble "
          << impl_->chosen + 1 << " of " << impl_->front.size() << " on the front (show --front)\n";
    }
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

std::string Predictor::front_report() const {
  std::vector<std::vector<std::string>> rows;
  for (size_t e = 0; e < impl_->front.size(); ++e) {
    const FrontEntry& entry = impl_->front[e];
    std::string members;
    for (size_t m = 0; m < entry.weights.size(); ++m) {
      if (entry.weights[m] <= 0) continue;
      if (!members.empty()) members += " ";
      members += std::to_string(impl_->members[m].trial) + ":" + format_short(entry.weights[m]);
    }
    rows.push_back({(e == impl_->chosen ? "* " : "  ") + std::to_string(e + 1),
                    format_short(entry.score), per_row_text(entry.cost.seconds_per_row_batch1),
                    per_row_text(entry.cost.seconds_per_row_batch1000),
                    entry.cost.bytes > 0 ? bytes_text(entry.cost.bytes) : "-", members});
  }
  std::ostringstream out;
  out << "Ensembles from the most accurate to the fastest (validation " << metric()
      << "; time per row with 1 and 1000 rows per call, measured when fitting; * = in use):\n"
      << format_table({"#", metric(), "time/row (1)", "time/row (1000)", "models", "trial:weight"},
                      rows);
  return out.str();
}

}  // namespace winnow::automl
