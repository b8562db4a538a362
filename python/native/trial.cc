// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "native/trial.h"

#include <pybind11/stl.h>

#include <cmath>
#include <optional>
#include <vector>

#include "native/convert.h"
#include "winnow/error.h"

namespace py = pybind11;

namespace winnow::python {
namespace {

PyObject* g_finished_error = nullptr;  // winnow._winnow.UpdateFinishedTrialError

// Optuna refuses to change a trial once it is finished; so does Winnow (a suggest would also
// grow the study's stored space from a trial that no longer runs).
void check_running(const PyTrial& self, const char* what) {
  if (self.trial.record().state == TrialState::kRunning) return;
  std::string text = "Trial#" + std::to_string(self.trial.number()) +
                     " has already finished and can not be updated (" + what + ")";
  PyErr_SetString(g_finished_error, text.c_str());
  throw py::error_already_set();
}

void check_grid(const PyTrial& self, const std::string& name) {
  if (!self.grid.is_none() && !self.grid.contains(py::str(name))) {
    throw py::value_error("The parameter name, " + name + ", is not found in the given grid.");
  }
}

// Optuna lowers `high` onto the grid low + k * step, with a warning; so does Winnow.
double fit_to_step(const std::string& name, double low, double high, double step) {
  if (!(step > 0)) {
    throw py::value_error("parameter '" + name + "': step must be greater than 0");
  }
  double k = std::floor((high - low) / step + 1e-9);
  double fitted = low + k * step;
  if (std::abs(fitted - high) > 1e-12 * std::max(1.0, std::abs(high))) {
    std::string text = "parameter '" + name + "': the range [" + std::to_string(low) + ", " +
                       std::to_string(high) + "] is not divisible by step " +
                       std::to_string(step) + "; high is set to " + std::to_string(fitted);
    PyErr_WarnEx(PyExc_UserWarning, text.c_str(), 2);
    return fitted;
  }
  return high;
}

ParamSpec range_spec(const std::string& name, ParamKind kind, double low, double high,
                     std::optional<double> step, bool log) {
  ParamSpec spec;
  spec.name = name;
  spec.kind = kind;
  spec.low = low;
  spec.high = high;
  spec.log = log;
  spec.step = step;
  return spec;
}

ParamValue suggest(PyTrial& self, const ParamSpec& spec) {
  py::gil_scoped_release release;
  return self.trial.suggest(spec);
}

double suggest_float(PyTrial& self, const std::string& name, double low, double high,
                     std::optional<double> step, bool log) {
  check_running(self, "suggest_float");
  check_grid(self, name);
  if (step) {
    if (log) {
      throw py::value_error("parameter '" + name + "': step cannot be combined with log=True");
    }
    high = fit_to_step(name, low, high, *step);
  }
  if (low == high) return low;  // one value: nothing to search
  return *as_number(suggest(self, range_spec(name, ParamKind::kFloat, low, high, step, log)));
}

int64_t suggest_int(PyTrial& self, const std::string& name, int64_t low, int64_t high,
                    int64_t step, bool log) {
  check_running(self, "suggest_int");
  check_grid(self, name);
  std::optional<double> grid;
  if (step != 1) {
    if (log) {
      throw py::value_error("parameter '" + name + "': step cannot be combined with log=True");
    }
    high = static_cast<int64_t>(fit_to_step(name, static_cast<double>(low),
                                            static_cast<double>(high), static_cast<double>(step)));
    grid = static_cast<double>(step);
  }
  if (low == high) return low;
  ParamValue value = suggest(self, range_spec(name, ParamKind::kInt, static_cast<double>(low),
                                              static_cast<double>(high), grid, log));
  return std::get<int64_t>(value);
}

// A bound of suggest_int: an int, or a float with an integer value (Optuna takes both).
int64_t integer_arg(const py::handle& value, const std::string& name, const char* which) {
  if (PyLong_Check(value.ptr())) return value.cast<int64_t>();
  if (PyFloat_Check(value.ptr())) {
    const double number = PyFloat_AsDouble(value.ptr());
    if (std::isfinite(number) && number == std::floor(number) && std::abs(number) < 0x1p63) {
      return static_cast<int64_t>(number);
    }
  }
  throw py::type_error("suggest_int: parameter '" + name + "': " + which +
                       " must be an integer, not " + std::string(py::str(py::repr(value))));
}

// suggest_float through CPython's vectorcall protocol: an objective calls it for every
// parameter of every trial, and pybind11's general dispatcher costs as much as the engine's
// work here. The common call shapes (name, low, high[, step=..., log=...]) are parsed here; any
// other shape goes to the pybind11 method, which reports argument errors as usual.
PyObject* g_error_type = nullptr;       // winnow._winnow.Error
PyObject* g_slow_suggest_float = nullptr;  // the pybind11 method, for other call shapes

// The pybind11 method `slow`, for call shapes the fast paths below do not parse.
PyObject* call_slow(PyObject* slow, PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                    PyObject* kwnames) {
  std::vector<PyObject*> all{self};
  Py_ssize_t n_kw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nargs + n_kw; ++i) all.push_back(args[i]);
  return PyObject_Vectorcall(slow, all.data(), nargs + 1, kwnames);
}

// Runs `suggest(trial, name)` for a fast path, turning C++ exceptions into Python ones as the
// pybind11 methods would; nullptr with the Python error set on failure.
template <typename Suggest>
PyObject* run_fast(PyObject* self, PyObject* name, Suggest suggest) {
  Py_ssize_t size = 0;
  const char* text = PyUnicode_AsUTF8AndSize(name, &size);
  if (text == nullptr) return nullptr;
  try {
    PyTrial& trial = py::handle(self).cast<PyTrial&>();
    return suggest(trial, std::string(text, static_cast<size_t>(size)));
  } catch (py::error_already_set& error) {
    error.restore();
  } catch (const py::builtin_exception& error) {
    error.set_error();
  } catch (const Error& error) {
    PyErr_SetString(g_error_type, error.what());
  } catch (const std::exception& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what());
  }
  return nullptr;
}

PyObject* fast_suggest_float(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                             PyObject* kwnames) {
  auto fall_back = [&] { return call_slow(g_slow_suggest_float, self, args, nargs, kwnames); };
  if (nargs != 3 || !PyUnicode_Check(args[0])) return fall_back();
  std::optional<double> step;
  bool log = false;
  if (kwnames != nullptr) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); ++i) {
      PyObject* key = PyTuple_GET_ITEM(kwnames, i);
      PyObject* value = args[nargs + i];
      if (PyUnicode_CompareWithASCIIString(key, "step") == 0) {
        if (value != Py_None) {
          double parsed = PyFloat_AsDouble(value);
          if (parsed == -1.0 && PyErr_Occurred()) return nullptr;
          step = parsed;
        }
      } else if (PyUnicode_CompareWithASCIIString(key, "log") == 0) {
        int truth = PyObject_IsTrue(value);
        if (truth < 0) return nullptr;
        log = truth == 1;
      } else {
        return fall_back();
      }
    }
  }
  double low = PyFloat_AsDouble(args[1]);
  if (low == -1.0 && PyErr_Occurred()) return nullptr;
  double high = PyFloat_AsDouble(args[2]);
  if (high == -1.0 && PyErr_Occurred()) return nullptr;
  return run_fast(self, args[0], [&](PyTrial& trial, const std::string& name) {
    return PyFloat_FromDouble(suggest_float(trial, name, low, high, step, log));
  });
}

PyObject* g_slow_suggest_int = nullptr;

// suggest_int(name, low, high, step=1, log=False), the same way.
PyObject* fast_suggest_int(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                           PyObject* kwnames) {
  auto fall_back = [&] { return call_slow(g_slow_suggest_int, self, args, nargs, kwnames); };
  if (nargs < 3 || nargs > 5 || !PyUnicode_Check(args[0]) || !PyLong_Check(args[1]) ||
      !PyLong_Check(args[2])) {
    return fall_back();
  }
  PyObject* step_object = nargs > 3 ? args[3] : nullptr;
  PyObject* log_object = nargs > 4 ? args[4] : nullptr;
  if (kwnames != nullptr) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); ++i) {
      PyObject* key = PyTuple_GET_ITEM(kwnames, i);
      if (PyUnicode_CompareWithASCIIString(key, "step") == 0 && step_object == nullptr) {
        step_object = args[nargs + i];
      } else if (PyUnicode_CompareWithASCIIString(key, "log") == 0 && log_object == nullptr) {
        log_object = args[nargs + i];
      } else {
        return fall_back();
      }
    }
  }
  if (step_object != nullptr && !PyLong_Check(step_object)) return fall_back();
  long long low = PyLong_AsLongLong(args[1]);
  if (low == -1 && PyErr_Occurred()) return nullptr;
  long long high = PyLong_AsLongLong(args[2]);
  if (high == -1 && PyErr_Occurred()) return nullptr;
  long long step = 1;
  if (step_object != nullptr) {
    step = PyLong_AsLongLong(step_object);
    if (step == -1 && PyErr_Occurred()) return nullptr;
  }
  bool log = false;
  if (log_object != nullptr) {
    int truth = PyObject_IsTrue(log_object);
    if (truth < 0) return nullptr;
    log = truth == 1;
  }
  return run_fast(self, args[0], [&](PyTrial& trial, const std::string& name) {
    return PyLong_FromLongLong(suggest_int(trial, name, low, high, step, log));
  });
}

PyMethodDef g_fast_suggest_int = {
    "suggest_int", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&fast_suggest_int)),
    METH_FASTCALL | METH_KEYWORDS,
    "suggest_int(name, low, high, step=1, log=False): an int in [low, high] (Optuna's "
    "signature)."};

PyMethodDef g_fast_suggest_float = {
    "suggest_float", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&fast_suggest_float)),
    METH_FASTCALL | METH_KEYWORDS,
    "suggest_float(name, low, high, *, step=None, log=False): a float in [low, high], on a log "
    "scale or a grid of `step` (Optuna's signature)."};

}  // namespace

void bind_trial(py::module_& m) {
  g_finished_error = PyErr_NewException("winnow._winnow.UpdateFinishedTrialError",
                                        PyExc_RuntimeError, nullptr);
  if (g_finished_error == nullptr) throw py::error_already_set();
  m.attr("UpdateFinishedTrialError") = py::handle(g_finished_error);
  py::class_<PyTrial>(m, "Trial", py::dynamic_attr())
      .def_property_readonly("number", [](const PyTrial& t) { return t.trial.number(); })
      .def_property_readonly("_trial_id", [](const PyTrial& t) { return t.trial.id(); })
      .def_property_readonly("study", [](const PyTrial& t) { return t.study; })
      .def_property_readonly("_start_ms",
                             [](const PyTrial& t) { return t.trial.record().start_time_ms; })
      .def_property_readonly("_nones", [](const PyTrial& t) { return t.nones; })
      .def("suggest_float", &suggest_float, py::arg("name"), py::arg("low"), py::arg("high"),
           py::kw_only(), py::arg("step") = py::none(), py::arg("log") = false,
           "A float in [low, high], on a log scale or a grid of `step` (Optuna's signature).")
      .def(
          "suggest_int",
          [](PyTrial& self, const std::string& name, const py::object& low,
             const py::object& high, const py::object& step, bool log) {
            return suggest_int(self, name, integer_arg(low, name, "low"),
                               integer_arg(high, name, "high"), integer_arg(step, name, "step"),
                               log);
          },
          py::arg("name"), py::arg("low"), py::arg("high"), py::arg("step") = 1,
          py::arg("log") = false,
           "An int in [low, high] (Optuna's signature).")
      .def(
          "suggest_categorical",
          [](PyTrial& self, const std::string& name, const py::sequence& choices) {
            check_running(self, "suggest_categorical");
            check_grid(self, name);
            ParamSpec spec;
            spec.name = name;
            spec.kind = ParamKind::kCategorical;
            for (const py::handle& choice : choices) {
              spec.choices.push_back(choice_from_python(choice, spec.name));
            }
            ParamValue value = suggest(self, spec);
            // Hand back the caller's own object (None, 1 rather than 1.0 ...).
            for (size_t i = 0; i < spec.choices.size(); ++i) {
              if (spec.choices[i] == value) {
                py::object chosen = choices[i];
                if (chosen.is_none()) self.nones.push_back(name);
                return chosen;
              }
            }
            throw Error("parameter '" + name + "': the trial's value is not one of the choices");
          },
          py::arg("name"), py::arg("choices"), "One of `choices` (None, bool, int, float, str).")
      .def(
          "report",
          [](PyTrial& self, double value, int64_t step) {
            check_running(self, "report");
            if (step < 0) throw py::value_error("report: the step must be >= 0");
            // As in Optuna: the first value reported at a step stands.
            if (self.trial.record().intermediate.contains(step)) {
              std::string text = "The reported value is ignored because this `step` " +
                                 std::to_string(step) + " is already reported.";
              if (PyErr_WarnEx(PyExc_UserWarning, text.c_str(), 1) < 0) {
                throw py::error_already_set();
              }
              return;
            }
            py::gil_scoped_release release;
            self.trial.report(step, value);
          },
          py::arg("value"), py::arg("step"), "Records an intermediate value at `step`.")
      .def(
          "should_prune",
          [](PyTrial& self) {
            py::gil_scoped_release release;
            return self.trial.should_prune();
          },
          "Whether the study's pruner says this trial should stop now.")
      .def(
          "set_user_attr",
          [](PyTrial& self, const std::string& key, const py::object& value) {
            check_running(self, "set_user_attr");
            // Never destroyed: it must not outlive the interpreter in a static destructor.
            static py::object& dumps = *new py::object(py::module_::import("json").attr("dumps"));
            std::string text = py::str(dumps(value));
            self.trial.set_user_attr(key, text);
          },
          py::arg("key"), py::arg("value"), "Stores a JSON-serialisable value with the trial.")
      .def_property_readonly(
          "params",
          [](const PyTrial& self) {
            py::dict params = config_to_python(self.trial.config());
            for (const std::string& name : self.nones) params[py::str(name)] = py::none();
            return params;
          },
          "The parameters this trial asked for so far.")
      .def_property_readonly("_attrs",
                             [](const PyTrial& self) {
                               py::dict out;
                               for (const auto& [key, value] : self.trial.record().user_attrs) {
                                 out[py::str(key)] = value;
                               }
                               return out;
                             })
      .def("_record", [](const PyTrial& self) { return trial_to_python(self.trial.record()); });

  // The fast suggest_float and suggest_int replace the pybind11 ones, which stay for other
  // call shapes.
  py::object type = m.attr("Trial");
  g_error_type = m.attr("Error").ptr();
  Py_INCREF(g_error_type);
  g_slow_suggest_float = type.attr("suggest_float").ptr();
  Py_INCREF(g_slow_suggest_float);
  PyObject* fast = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(type.ptr()),
                                     &g_fast_suggest_float);
  if (fast == nullptr) throw py::error_already_set();
  type.attr("suggest_float") = py::reinterpret_steal<py::object>(fast);
  g_slow_suggest_int = type.attr("suggest_int").ptr();
  Py_INCREF(g_slow_suggest_int);
  fast = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(type.ptr()), &g_fast_suggest_int);
  if (fast == nullptr) throw py::error_already_set();
  type.attr("suggest_int") = py::reinterpret_steal<py::object>(fast);
}

}  // namespace winnow::python
