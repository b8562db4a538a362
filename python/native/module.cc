// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// winnow._winnow: the engine, bound for the Python package in python/winnow/. The package gives
// it Optuna's surface; this layer is deliberately thin and fast: a trial's suggest_* is one call
// here, and everything that may wait (sampling, storage, pruning decisions) runs without the GIL,
// so a sampler never blocks the threads running objectives.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "native/automl.h"
#include "native/convert.h"
#include "native/trial.h"
#include "winnow/command.h"
#include "winnow/error.h"
#include "winnow/importance.h"
#include "winnow/study.h"
#include "winnow/study_file.h"

namespace py = pybind11;

namespace winnow::python {
namespace {

std::vector<Direction> parse_directions(const std::vector<std::string>& names) {
  std::vector<Direction> out;
  for (const std::string& name : names) {
    std::optional<Direction> direction = direction_from_string(name);
    if (!direction) {
      throw Error("direction '" + name + "' is neither 'minimize' nor 'maximize'");
    }
    out.push_back(*direction);
  }
  return out;
}

std::vector<std::string> direction_names(const std::vector<Direction>& directions) {
  std::vector<std::string> out;
  for (Direction d : directions) out.emplace_back(to_string(d));
  return out;
}

// A study and the storage it lives in, held together so the storage outlives the study.
struct PyStudy {
  std::shared_ptr<Storage> storage;
  std::unique_ptr<Study> study;
};

std::shared_ptr<PyStudy> create_study(std::shared_ptr<Storage> storage, std::string name,
                                      std::vector<std::string> directions, std::string sampler,
                                      std::optional<uint64_t> seed, std::string scheduler,
                                      bool load_if_exists, std::optional<SearchSpace> space,
                                      std::vector<std::string> constraints) {
  StudyOptions options;
  options.name = std::move(name);
  options.directions = parse_directions(directions);
  options.sampler = std::move(sampler);
  options.seed = seed;
  options.scheduler = std::move(scheduler);
  options.load_if_exists = load_if_exists;
  options.constraints = std::move(constraints);
  SearchSpace chosen = space ? std::move(*space) : SearchSpace().define_by_run();
  auto out = std::make_shared<PyStudy>();
  out->storage = storage;
  {
    py::gil_scoped_release release;
    out->study = std::make_unique<Study>(Study::create(storage, std::move(chosen), options));
  }
  return out;
}

void tell(PyStudy& self, PyTrial& given, const std::string& state, std::vector<double> values,
          std::vector<double> constraints, std::string failure_reason, bool interrupted) {
  TrialOutcome outcome;
  std::optional<TrialState> parsed = trial_state_from_string(state);
  if (!parsed) throw Error("tell: unknown state '" + state + "'");
  outcome.state = *parsed;
  outcome.values = std::move(values);
  outcome.constraints = std::move(constraints);
  outcome.failure_reason = std::move(failure_reason);
  outcome.interrupted = interrupted;
  py::gil_scoped_release release;
  self.study->tell(given.trial, outcome);
}

// Runs a study file's command objective until its budget; the GIL is released throughout, and
// `stop` lets the Python thread waiting on it pass Ctrl-C on.
py::dict run_command_study(PyStudy& self, const StudyFile& file, int64_t n_trials, int jobs,
                           double timeout, StopSignal& stop) {
  OptimizeResult result;
  {
    py::gil_scoped_release release;
    CommandObjectiveOptions objective_options = file.objective;
    objective_options.runs_dir = claim_study_runs_dir(
        objective_options.runs_dir, self.study->record(), self.study->storage().url());
    objective_options.n_objectives = file.study.directions.size();
    objective_options.objective_names = file.study.objective_names;
    Objective objective = make_command_objective(objective_options);
    self.study->recover_orphaned_trials(file.requeue_interrupted);
    for (const Config& config : file.enqueue) self.study->enqueue_unless_present(config);
    OptimizeOptions options;
    options.n_trials = n_trials;
    options.max_trials_in_study = n_trials > 0 ? 0 : file.trials;
    options.n_jobs = jobs > 0 ? jobs : file.jobs;
    options.timeout_seconds = timeout > 0 ? timeout : file.timeout_seconds;
    options.retries = file.retries;
    options.stopping = file.stopping;
    options.stop = &stop;
    result = self.study->optimize(objective, options);
  }
  py::dict out;
  out["trials_finished"] = result.trials_finished;
  out["message"] = result.message;
  return out;
}

}  // namespace
}  // namespace winnow::python

PYBIND11_MODULE(_winnow, m) {
  using namespace winnow;
  using namespace winnow::python;
  m.doc() = "Winnow's engine; use the winnow package, which gives it Optuna's interface.";

  static py::exception<Error> error_type(m, "Error", PyExc_ValueError);
  static py::exception<StorageError> storage_error_type(m, "StorageError", PyExc_RuntimeError);
  static py::exception<StudyExistsError> exists_error_type(m, "StudyExistsError",
                                                           error_type.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StorageError& e) {
      storage_error_type(e.what());
    } catch (const StudyExistsError& e) {
      exists_error_type(e.what());
    } catch (const Error& e) {
      error_type(e.what());
    }
  });

  py::class_<Storage, std::shared_ptr<Storage>>(m, "Storage")
      .def_property_readonly("url", &Storage::url);
  m.def(
      "open_storage",
      [](const std::string& url) {
        py::gil_scoped_release release;
        return std::shared_ptr<Storage>(open_storage(url));
      },
      py::arg("url"));
  m.def(
      "study_names",
      [](Storage& storage) {
        std::vector<std::string> names;
        for (const StudyRecord& record : storage.list_studies()) names.push_back(record.name);
        return names;
      },
      py::arg("storage"));
  m.def(
      "study_directions",
      [](Storage& storage, const std::string& name) -> std::optional<std::vector<std::string>> {
        std::optional<StudyRecord> record = storage.find_study(name);
        if (!record) return std::nullopt;
        return direction_names(record->directions);
      },
      py::arg("storage"), py::arg("name"));
  m.def(
      "study_summaries",
      [](Storage& storage, bool include_best) {
        py::list out;
        for (const StudyRecord& record : storage.list_studies()) {
          std::vector<FrozenTrial> trials;
          {
            py::gil_scoped_release release;
            trials = storage.trials(record.id);
          }
          py::dict summary;
          summary["name"] = record.name;
          summary["id"] = record.id;
          summary["directions"] = direction_names(record.directions);
          summary["n_trials"] = trials.size();
          summary["created_ms"] = record.created_ms;
          summary["user_attrs"] = record.user_attrs;
          summary["best"] = py::none();
          if (include_best && record.directions.size() == 1) {
            int best = best_trial_index(trials, record.directions.front());
            if (best >= 0) summary["best"] = trial_to_python(trials[static_cast<size_t>(best)]);
          }
          out.append(summary);
        }
        return out;
      },
      py::arg("storage"), py::arg("include_best") = true);
  m.def(
      "delete_study",
      [](Storage& storage, const std::string& name) {
        std::optional<StudyRecord> record = storage.find_study(name);
        if (!record) throw Error("no study '" + name + "' in " + storage.url());
        storage.delete_study(record->id);
      },
      py::arg("storage"), py::arg("name"));
  m.def(
      "copy_study",
      [](Storage& from, const std::string& from_name, Storage& to, const std::string& to_name) {
        std::optional<StudyRecord> record = from.find_study(from_name);
        if (!record) throw Error("no study '" + from_name + "' in " + from.url());
        StudyRecord copy = *record;
        copy.name = to_name;
        py::gil_scoped_release release;
        return copy_study(from, *record, to, copy);
      },
      py::arg("from_storage"), py::arg("from_name"), py::arg("to_storage"), py::arg("to_name"));

  py::class_<SearchSpace>(m, "SearchSpace")
      .def(py::init<>())
      .def("add", [](SearchSpace& self, py::dict spec) { self.add(param_spec_from_dict(spec)); })
      .def("forbid", [](SearchSpace& self, std::string clause) { self.forbid(std::move(clause)); })
      .def("validate", &SearchSpace::validate)
      .def("to_json", &SearchSpace::to_json)
      .def("__len__", &SearchSpace::size);

  py::class_<StopSignal>(m, "StopSignal")
      .def(py::init<>())
      .def("request", &StopSignal::request)
      .def("requested", &StopSignal::requested);

  bind_trial(m);
  bind_automl(m);

  py::class_<PyStudy, std::shared_ptr<PyStudy>>(m, "Study")
      .def(py::init(&create_study), py::arg("storage"), py::arg("name"), py::arg("directions"),
           py::arg("sampler"), py::arg("seed"), py::arg("scheduler"), py::arg("load_if_exists"),
           py::arg("space") = std::nullopt,
           py::arg("constraints") = std::vector<std::string>{})
      .def_property_readonly("name", [](const PyStudy& s) { return s.study->name(); })
      .def_property_readonly("storage", [](const PyStudy& s) { return s.storage; })
      .def_property_readonly("directions",
                             [](const PyStudy& s) {
                               return direction_names(s.study->options().directions);
                             })
      .def_property_readonly("notes", [](const PyStudy& s) { return s.study->notes(); })
      .def("user_attrs", [](PyStudy& s) { return s.study->record().user_attrs; })
      .def("set_user_attr",
           [](PyStudy& s, const std::string& key, const std::string& json_value) {
             s.study->set_user_attr(key, json_value);
           })
      .def(
          "ask",
          [](PyStudy& self, py::object owner, py::object grid,
             int64_t asks_left) -> std::optional<PyTrial> {
            std::optional<Trial> trial;
            {
              py::gil_scoped_release release;
              trial = self.study->try_ask(0, {}, asks_left);
            }
            if (!trial) return std::nullopt;
            return PyTrial{std::move(*trial), std::move(owner), std::move(grid), {}};
          },
          py::arg("owner"), py::arg("grid"), py::arg("asks_left") = 0)
      .def("release_held_trials",
           [](PyStudy& self) {
             py::gil_scoped_release release;
             self.study->release_held_trials();
           })
      .def(
          "tell_value",
          [](PyStudy& self, PyTrial& trial, double value) {
            py::gil_scoped_release release;
            self.study->tell(trial.trial, value);
          },
          py::arg("trial"), py::arg("value"))
      .def("tell", &tell, py::arg("trial"), py::arg("state"), py::arg("values"),
           py::arg("constraints"), py::arg("failure_reason"), py::arg("interrupted"))
      .def(
          "enqueue",
          [](PyStudy& self, const py::dict& params, bool skip_if_exists) {
            Config config = config_from_python(params);
            py::gil_scoped_release release;
            if (skip_if_exists) return self.study->enqueue_unless_present(config);
            self.study->enqueue(config);
            return true;
          },
          py::arg("params"), py::arg("skip_if_exists"))
      .def(
          "importance",
          [](PyStudy& self, const std::string& method, int objective,
             std::vector<std::string> params, bool normalize, uint64_t seed, int n_trees,
             int max_depth, double quantile, std::optional<std::map<int64_t, double>> target) {
            ImportanceOptions options;
            std::optional<ImportanceMethod> parsed = importance_method_from_string(method);
            if (!parsed) throw Error("importance: no method '" + method + "'");
            options.method = *parsed;
            options.objective = objective;
            options.params = std::move(params);
            options.normalize = normalize;
            options.seed = seed;
            options.n_trees = n_trees;
            options.max_depth = max_depth;
            options.target_quantile = quantile;
            ImportanceReport report;
            {
              py::gil_scoped_release release;
              std::vector<FrozenTrial> trials = self.study->trials();
              std::vector<Direction> directions = self.study->options().directions;
              if (target) {
                // A target computed by the caller replaces the values; lower is better.
                for (FrozenTrial& trial : trials) {
                  auto found = target->find(trial.number);
                  if (found == target->end()) {
                    trial.state = TrialState::kFailed;
                  } else {
                    trial.values = {found->second};
                  }
                }
                directions = {Direction::kMinimize};
                options.objective = 0;
              }
              report = parameter_importance(self.study->space(), trials, directions, options);
            }
            py::list out;
            for (const ParamImportance& item : report.importances) {
              out.append(py::make_tuple(item.param, item.importance, item.std, item.n_trials));
            }
            return out;
          },
          py::arg("method"), py::arg("objective"), py::arg("params"), py::arg("normalize"),
          py::arg("seed"), py::arg("n_trees"), py::arg("max_depth"), py::arg("quantile"),
          py::arg("target"))
      .def("trials",
           [](PyStudy& self) {
             std::vector<FrozenTrial> trials;
             {
               py::gil_scoped_release release;
               trials = self.study->trials();
             }
             py::list out;
             for (const FrozenTrial& trial : trials) out.append(trial_to_python(trial));
             return out;
           })
      .def("trial",
           [](PyStudy& self, int64_t number) -> py::object {
             std::vector<FrozenTrial> trials;
             {
               py::gil_scoped_release release;
               trials = self.study->trials();
             }
             if (number < 0 || number >= static_cast<int64_t>(trials.size())) return py::none();
             return trial_to_python(trials[static_cast<size_t>(number)]);
           })
      .def("best_trial",
           [](PyStudy& self) -> py::object {
             std::optional<FrozenTrial> best;
             {
               py::gil_scoped_release release;
               best = self.study->best_trial();
             }
             if (!best) return py::none();
             return trial_to_python(*best);
           })
      .def("best_trials",
           [](PyStudy& self) {
             std::vector<FrozenTrial> front;
             {
               py::gil_scoped_release release;
               front = self.study->best_trials();
             }
             py::list out;
             for (const FrozenTrial& trial : front) out.append(trial_to_python(trial));
             return out;
           })
      .def("running_trial",
           [](PyStudy& self, int64_t number, py::object owner) -> std::optional<PyTrial> {
             std::optional<Trial> trial;
             {
               py::gil_scoped_release release;
               trial = self.study->running_trial(number);
             }
             if (!trial) return std::nullopt;
             return PyTrial{std::move(*trial), std::move(owner), py::none(), {}};
           })
      .def(
          "start_trial",
          [](PyStudy& self, const py::dict& params, py::object owner) -> std::optional<PyTrial> {
            Config config = config_from_python(params);
            std::optional<Trial> trial;
            {
              py::gil_scoped_release release;
              // Running with exactly this configuration, past the queue (an ask would claim the
              // oldest enqueued trial): what add_trial records. No process owns it, as with
              // `winnow ask`, so no lease check fails it.
              std::optional<FrozenTrial> created = self.study->storage().create_trial(
                  self.study->id(), config, TrialState::kRunning, "", 0, std::nullopt);
              if (created) trial = self.study->running_trial(created->number);
            }
            if (!trial) return std::nullopt;
            return PyTrial{std::move(*trial), std::move(owner), py::none(), {}};
          },
          py::arg("params"), py::arg("owner"))
      .def("space_json", [](PyStudy& s) { return s.study->space_json(); })
      .def("space_size", [](PyStudy& s) { return s.study->space_size(); })
      .def("counted_trials",
           [](PyStudy& self) {
             py::gil_scoped_release release;
             return self.study->counted_trials();
           })
      .def("recover_orphaned_trials",
           [](PyStudy& self, bool requeue) {
             py::gil_scoped_release release;
             return self.study->recover_orphaned_trials(requeue);
           });

  py::class_<StudyFile>(m, "StudyFile")
      .def_readonly("path", &StudyFile::path)
      .def_readonly("trials", &StudyFile::trials)
      .def_readonly("jobs", &StudyFile::jobs)
      .def_readonly("timeout_seconds", &StudyFile::timeout_seconds)
      .def_readonly("storage", &StudyFile::storage)
      .def_property_readonly("name", [](const StudyFile& f) { return f.study.name; })
      .def("open", [](const StudyFile& file) {
        auto out = std::make_shared<PyStudy>();
        py::gil_scoped_release release;
        out->storage = open_storage(file.storage, file.storage_options);
        out->study = std::make_unique<Study>(Study::create(out->storage, file.space, file.study));
        return out;
      });
  m.def(
      "load_study_file",
      [](const std::string& path) { return load_study_file(path); }, py::arg("path"));
  m.def("run_command_study", &run_command_study, py::arg("study"), py::arg("file"),
        py::arg("n_trials"), py::arg("jobs"), py::arg("timeout"), py::arg("stop"));
}
