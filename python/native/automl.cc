// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The AutoML engine for Python: fit a CSV file into a model object, predict CSV files with it.
// winnow/automl.py turns DataFrames into those files and back; the fit itself runs without the
// GIL.
#include "native/automl.h"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "winnow/automl.h"

namespace py = pybind11;

namespace winnow::python {

void bind_automl(py::module_& m) {
  using automl::FitOptions;
  using automl::Predictor;
  py::class_<Predictor>(m, "AutomlModel")
      .def_static("load", &Predictor::load, py::arg("path"),
                  py::call_guard<py::gil_scoped_release>())
      .def("save", &Predictor::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("task", &Predictor::task)
      .def("target", &Predictor::target)
      .def("metric", &Predictor::metric)
      .def("report", &Predictor::report)
      .def("summary_json", &Predictor::summary_json)
      .def("front_report", &Predictor::front_report)
      .def("choose_within", &Predictor::choose_within, py::arg("seconds_per_row"),
           py::arg("batch"))
      // (classes, labels, probabilities as rows of floats, values, notes)
      .def("predict_csv",
           [](const Predictor& self, const std::string& path) {
             std::vector<std::string> notes;
             automl::Predictions p;
             {
               py::gil_scoped_release release;
               p = self.predict_csv(path, &notes);
             }
             py::bytes probabilities(reinterpret_cast<const char*>(p.probabilities.data()),
                                     p.probabilities.size() * sizeof(float));
             return py::make_tuple(p.classes, p.labels, probabilities, p.values, notes);
           })
      .def("evaluate_csv", [](const Predictor& self, const std::string& path) {
        std::vector<std::string> notes;
        std::vector<std::pair<std::string, double>> metrics;
        {
          py::gil_scoped_release release;
          metrics = self.evaluate_csv(path, &notes);
        }
        return py::make_tuple(metrics, notes);
      });

  m.def(
      "automl_fit",
      [](const std::string& csv, const std::string& target, const std::string& task,
         const std::string& metric, double time_limit, int64_t trials, int jobs, uint64_t seed,
         uint64_t memory_limit, const std::string& storage, std::vector<std::string> models,
         std::vector<std::string> categorical, std::function<void(const std::string&)> log,
         double infer_limit, int infer_batch) {
        FitOptions options;
        options.target = target;
        options.task = task;
        options.metric = metric;
        options.time_limit_seconds = time_limit;
        options.trials = trials;
        options.jobs = jobs;
        options.seed = seed;
        options.memory_limit_bytes = memory_limit;
        options.storage = storage;
        options.models = std::move(models);
        options.categorical_columns = std::move(categorical);
        options.infer_limit_seconds = infer_limit;
        options.infer_batch = infer_batch;
        if (log) {
          options.log = [log](const std::string& line) {
            py::gil_scoped_acquire acquire;
            log(line);
          };
        }
        py::gil_scoped_release release;
        return fit(csv, options);
      },
      py::arg("csv"), py::arg("target"), py::arg("task"), py::arg("metric"),
      py::arg("time_limit"), py::arg("trials"), py::arg("jobs"), py::arg("seed"),
      py::arg("memory_limit"), py::arg("storage"), py::arg("models"), py::arg("categorical"),
      py::arg("log"), py::arg("infer_limit") = 0.0, py::arg("infer_batch") = 1);
  m.def("automl_is_missing_cell", &automl::is_missing_cell, py::arg("cell"));
}

}  // namespace winnow::python
