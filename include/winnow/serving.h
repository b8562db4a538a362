// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Serving an AutoML model file: predictions for requests that arrive concurrently, with the
// rows of many requests batched together and the ensemble's members run in parallel.
//
//   winnow::serving::ServeOptions options;
//   winnow::serving::PredictionService service(
//       winnow::automl::Predictor::load("model.winnow"), options);
//   winnow::serving::Answer a = service.predict(R"({"rows": [{"age": 41}]})", "application/json");
//
// The service knows nothing of HTTP: it turns a request body into a status and a JSON answer,
// so that `winnow serve` (cli/serve_command.cc) is a thin layer over it. docs/serve.md
// describes the requests, the answers and the schedules.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "winnow/automl.h"

namespace winnow::serving {

// How requests become predictions.
//  kDynamic: requests are batched across connections (up to max_batch_rows rows, or
//    max_wait_seconds after the batch's first row, or at once when the workers are idle);
//    each member runs on the worker thread the
//    allocation gave it, all workers at once; batching, prediction and combination form a
//    pipeline, so up to pipeline_depth batches are in flight.
//  kPerRequest: each request is predicted on its own, in the thread that received it, members
//    one after another (the baseline of a server without batching).
//  kFixedBatch: batches formed as above, then predicted by one thread, members one after
//    another, one batch at a time (the baseline of Pochelu et al., HPC Asia 2022).
enum class Schedule { kDynamic, kPerRequest, kFixedBatch };
std::string_view to_string(Schedule schedule);
// "dynamic", "per-request" or "fixed-batch"; throws winnow::Error listing them.
Schedule schedule_from_string(std::string_view name);

struct ServeOptions {
  // Default: kDynamic.
  Schedule schedule = Schedule::kDynamic;
  // Worker threads running members (kDynamic); 0 = one per core, at most one per member the
  // ensemble uses. Default: 0.
  int workers = 0;
  // Rows of a batch, at most (a larger request is a batch of its own). Default: 256.
  int max_batch_rows = 256;
  // How long a batch waits for more rows after its first one arrived. Default: 0.002.
  double max_wait_seconds = 0.002;
  // kDynamic: whether a batch waits for more rows even while the workers are idle (classic
  // dynamic batching). By default it leaves at once then, and under load the rows arriving
  // while the workers predict make the next batch. Default: false.
  bool wait_when_idle = false;
  // kDynamic: a request that finds the server idle (no batch predicting or queued) is
  // predicted at once in its own thread, members one after another, as kPerRequest would:
  // batching has nothing to gather then, and the hand-offs between the pipeline's threads
  // would only add latency. Under load requests queue and batch as described. Default: true.
  bool direct_when_idle = true;
  // Batches in flight at once in kDynamic's pipeline (formed, predicting, combining).
  // Default: 2.
  int pipeline_depth = 2;
  // Columns the model does not know: an error (400) naming the first, or ignored when true.
  // The target column is always accepted and ignored. Default: false.
  bool ignore_unknown_columns = false;
  // Requests whose latency the quantiles of metrics() cover (the most recent). Default: 10000.
  int latency_window = 10000;

  // Throws winnow::Error naming the field, its value and the rule broken.
  void validate() const;
};

// An HTTP-ready answer: status and a JSON body ({"error": "..."} when status >= 400).
struct Answer {
  int status = 200;
  std::string body;
};

// Thread-safe: predict() and the other answers may be called from any number of threads.
class PredictionService {
 public:
  // Takes the model (its chosen ensemble is the one served) and starts the threads of the
  // schedule. Throws winnow::Error for invalid options.
  PredictionService(automl::Predictor model, const ServeOptions& options);
  // shutdown(), then frees the threads.
  ~PredictionService();
  PredictionService(const PredictionService&) = delete;
  PredictionService& operator=(const PredictionService&) = delete;

  // Predictions for the rows of `body`: JSON {"rows": [{column: value, ...}]} when the content
  // type is application/json (or empty), CSV with a header row when it is text/csv; 415 for
  // another type, 400 naming what is wrong in the rows, 503 once shut down.
  Answer predict(std::string_view body, std::string_view content_type);
  Answer health() const;
  // Counts, latency quantiles, batch sizes, worker loads (docs/serve.md).
  Answer metrics() const;
  // Task, target, metric, columns, members with their costs and workers, the front.
  Answer model() const;

  // Batches stop waiting for more rows (a shutdown is coming; answer what is queued quickly).
  void flush();
  // Answers every request already accepted, then stops the threads; predict() answers 503
  // afterwards. Idempotent.
  void shutdown();

  // One line for people: schedule, workers, members, batch limits.
  std::string describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winnow::serving
