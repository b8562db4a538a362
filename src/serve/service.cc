// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The prediction service and its three schedules (winnow/serving.h). The dynamic schedule is a
// pipeline of three stages joined by queues:
//
//   HTTP threads -> Batcher -> batching thread -> one queue per worker -> combining thread
//
// The batching thread takes a batch once fewer than pipeline_depth batches are in flight (and
// the batcher lets it go: full, waited long enough, or the workers idle), and hands the same
// batch to every worker; each worker runs its members (allocation.h) on it and
// the last one to finish passes it on; the combining thread sums the members' predictions in
// the model file's member order (as Predictor::Impl::predict does, so answers equal `winnow
// automl predict`'s), normalises, and fulfils each request's promise. While the workers predict
// batch k, requests queue for batch k+1 and batch k-1 is being combined.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>

#include "automl/predictor_impl.h"
#include "serve/allocation.h"
#include "serve/answers.h"
#include "serve/batcher.h"
#include "serve/rows.h"
#include "serve/stats.h"
#include "winnow/serving.h"

namespace winnow::serving {
namespace {

using automl::Table;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A FIFO between two stages; pop() returns nothing once closed and empty.
template <typename T>
class BlockingQueue {
 public:
  void push(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
  }
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool closed_ = false;
};

// Batches in flight: the batching thread waits for a free slot before it takes a batch.
class Slots {
 public:
  explicit Slots(int count) : free_(count) {}
  void acquire() {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      ++free_;
    }
    freed_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
};

struct Batch {
  std::vector<std::shared_ptr<PendingRequest>> requests;
  Table table;
  std::vector<std::vector<float>> outputs;  // per member served, unweighted
  std::atomic<int> workers_left{0};
  std::mutex error_mutex;
  std::exception_ptr error;  // guarded by error_mutex
};

std::string main_type(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return c == ' '; }),
             type.end());
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

}  // namespace

std::string_view to_string(Schedule schedule) {
  switch (schedule) {
    case Schedule::kDynamic:
      return "dynamic";
    case Schedule::kPerRequest:
      return "per-request";
    case Schedule::kFixedBatch:
      return "fixed-batch";
  }
  return "unknown";
}

Schedule schedule_from_string(std::string_view name) {
  for (Schedule s : {Schedule::kDynamic, Schedule::kPerRequest, Schedule::kFixedBatch}) {
    if (to_string(s) == name) return s;
  }
  throw Error("unknown schedule '" + std::string(name) +
              "'; choose dynamic, per-request or fixed-batch");
}

void ServeOptions::validate() const {
  auto fail = [](const std::string& field, const std::string& value, const std::string& rule) {
    throw Error("ServeOptions::" + field + " = " + value + ". Violated constraint: " + rule);
  };
  if (workers < 0) fail("workers", std::to_string(workers), ">= 0");
  if (max_batch_rows < 1) fail("max_batch_rows", std::to_string(max_batch_rows), ">= 1");
  if (!(max_wait_seconds >= 0) || max_wait_seconds > 60) {
    fail("max_wait_seconds", std::to_string(max_wait_seconds), "between 0 and 60");
  }
  if (pipeline_depth < 1) fail("pipeline_depth", std::to_string(pipeline_depth), ">= 1");
  if (latency_window < 1) fail("latency_window", std::to_string(latency_window), ">= 1");
}

struct PredictionService::Impl {
  Impl(automl::Predictor given, const ServeOptions& opts);

  void start();
  void batching_loop();
  void worker_loop(size_t worker);
  void combining_loop();
  void fixed_batch_loop();
  // Dispatching a batch: its rows side by side, one output slot per member served.
  std::shared_ptr<Batch> assemble(std::vector<std::shared_ptr<PendingRequest>> requests);
  // Weighted sum in member order, normalised, sliced per request.
  void finish(Batch& batch);

  automl::Predictor predictor;
  const automl::Predictor::Impl& model;
  const ServeOptions options;
  RowReader reader;
  std::vector<size_t> active;  // members with weight > 0, in file order
  std::vector<MemberCost> costs;
  Allocation allocation;
  ServeStats stats;
  const Clock::time_point started = Clock::now();
  Batcher batcher;
  Slots slots;
  std::vector<std::unique_ptr<BlockingQueue<std::shared_ptr<Batch>>>> worker_queues;
  BlockingQueue<std::shared_ptr<Batch>> combine_queue;
  std::thread batching_thread, combining_thread;
  std::vector<std::thread> worker_threads;
  std::mutex predicting_mutex;
  int predicting = 0;  // batches handed to the workers and not finished; guarded by the above
  std::mutex shutdown_mutex;
  bool shut_down = false;  // guarded by shutdown_mutex
  std::atomic<bool> closing{false};  // shutdown() has begun
  std::atomic<int> direct{0};        // requests predicted directly right now

  // Whether a request may skip the pipeline (direct_when_idle): nothing is predicting or
  // queued, and fewer direct requests run than there are workers. On true, the caller owns one
  // of those places and gives it back with --direct.
  bool claim_direct() {
    if (options.schedule != Schedule::kDynamic || !options.direct_when_idle ||
        options.wait_when_idle) {
      return false;
    }
    {
      std::lock_guard lock(predicting_mutex);
      if (predicting > 0) return false;
    }
    if (batcher.queued_requests() > 0) return false;
    int running = direct.load();
    const int limit = static_cast<int>(std::max<size_t>(1, worker_queues.size()));
    while (running < limit) {
      if (direct.compare_exchange_weak(running, running + 1)) return true;
    }
    return false;
  }
};

namespace {

int worker_count(const ServeOptions& options, size_t members) {
  if (options.schedule != Schedule::kDynamic) return 1;
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int wanted = options.workers > 0 ? options.workers : cores;
  return std::max(1, std::min(wanted, static_cast<int>(members)));
}

// Seconds per row at a thousand rows when every member has it, else bytes, else equal shares.
std::vector<MemberCost> member_costs(const automl::Predictor::Impl& model,
                                     const std::vector<size_t>& active) {
  bool all_timed = true, all_sized = true;
  for (size_t m : active) {
    double s = model.members[m].cost.seconds_per_row_batch1000;
    all_timed = all_timed && std::isfinite(s) && s > 0;
    all_sized = all_sized && model.members[m].cost.bytes > 0;
  }
  std::vector<MemberCost> costs;
  for (size_t m : active) {
    const automl::InferenceCost& cost = model.members[m].cost;
    double seconds = all_timed   ? cost.seconds_per_row_batch1000
                     : all_sized ? static_cast<double>(cost.bytes)
                                 : 1.0;
    costs.push_back({seconds, cost.bytes});
  }
  return costs;
}

std::vector<size_t> members_served(const automl::Predictor::Impl& model) {
  std::vector<size_t> active;
  for (size_t m = 0; m < model.members.size(); ++m) {
    if (model.members[m].weight > 0) active.push_back(m);
  }
  if (active.empty()) throw Error("the model file's ensemble has no member with a weight");
  return active;
}

}  // namespace

PredictionService::Impl::Impl(automl::Predictor given, const ServeOptions& opts)
    : predictor(std::move(given)),
      model(predictor.impl()),
      options((opts.validate(), opts)),
      reader(model.schema, model.target, opts.ignore_unknown_columns),
      active(members_served(model)),
      costs(member_costs(model, active)),
      allocation(allocate_members(costs, worker_count(opts, active.size()))),
      stats(static_cast<size_t>(opts.latency_window), static_cast<int>(allocation.members.size())),
      batcher(static_cast<size_t>(opts.max_batch_rows),
              std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(opts.max_wait_seconds)),
              opts.schedule == Schedule::kDynamic && !opts.wait_when_idle),
      slots(opts.pipeline_depth) {}

void PredictionService::Impl::start() {
  if (options.schedule == Schedule::kFixedBatch) {
    batching_thread = std::thread([this] { fixed_batch_loop(); });
  } else if (options.schedule == Schedule::kDynamic) {
    for (size_t w = 0; w < allocation.members.size(); ++w) {
      worker_queues.push_back(std::make_unique<BlockingQueue<std::shared_ptr<Batch>>>());
    }
    for (size_t w = 0; w < allocation.members.size(); ++w) {
      worker_threads.emplace_back([this, w] { worker_loop(w); });
    }
    combining_thread = std::thread([this] { combining_loop(); });
    batching_thread = std::thread([this] { batching_loop(); });
  }
}

std::shared_ptr<Batch> PredictionService::Impl::assemble(
    std::vector<std::shared_ptr<PendingRequest>> requests) {
  auto batch = std::make_shared<Batch>();
  batch->requests = std::move(requests);
  std::vector<const Table*> tables;
  for (const auto& request : batch->requests) tables.push_back(&request->rows);
  batch->table = concatenate(tables);
  batch->outputs.resize(active.size());
  stats.record_batch(batch->table.rows);
  return batch;
}

void PredictionService::Impl::batching_loop() {
  while (true) {
    slots.acquire();
    std::vector<std::shared_ptr<PendingRequest>> requests = batcher.next_batch();
    if (requests.empty()) break;  // closed and drained
    std::shared_ptr<Batch> batch = assemble(std::move(requests));
    batch->workers_left = static_cast<int>(worker_queues.size());
    {
      std::lock_guard lock(predicting_mutex);
      ++predicting;
      batcher.set_next_stage_idle(false);
    }
    for (auto& queue : worker_queues) queue->push(batch);
  }
  slots.release();
  for (auto& queue : worker_queues) queue->close();
}

void PredictionService::Impl::worker_loop(size_t worker) {
  while (std::optional<std::shared_ptr<Batch>> item = worker_queues[worker]->pop()) {
    Batch& batch = **item;
    const Clock::time_point start = Clock::now();
    try {
      for (size_t i : allocation.members[worker]) {
        batch.outputs[i] = model.predict_member(model.members[active[i]], batch.table);
      }
    } catch (...) {
      std::lock_guard lock(batch.error_mutex);
      batch.error = std::current_exception();
    }
    stats.record_worker(static_cast<int>(worker), seconds_since(start));
    if (--batch.workers_left == 0) {
      {
        std::lock_guard lock(predicting_mutex);
        if (--predicting == 0) batcher.set_next_stage_idle(true);
      }
      combine_queue.push(std::move(*item));
    }
  }
}

void PredictionService::Impl::combining_loop() {
  while (std::optional<std::shared_ptr<Batch>> item = combine_queue.pop()) {
    finish(**item);
    slots.release();
  }
}

void PredictionService::Impl::fixed_batch_loop() {
  while (true) {
    std::vector<std::shared_ptr<PendingRequest>> requests = batcher.next_batch();
    if (requests.empty()) break;
    std::shared_ptr<Batch> batch = assemble(std::move(requests));
    const Clock::time_point start = Clock::now();
    try {
      for (size_t i = 0; i < active.size(); ++i) {
        batch->outputs[i] = model.predict_member(model.members[active[i]], batch->table);
      }
    } catch (...) {
      batch->error = std::current_exception();
    }
    stats.record_worker(0, seconds_since(start));
    finish(*batch);
  }
}

void PredictionService::Impl::finish(Batch& batch) {
  {
    std::lock_guard lock(batch.error_mutex);
    if (batch.error) {
      for (auto& request : batch.requests) request->result.set_exception(batch.error);
      return;
    }
  }
  const size_t k = model.n_outputs();
  std::vector<float> total(batch.table.rows * k, 0.0f);
  for (size_t i = 0; i < active.size(); ++i) {
    const float w = static_cast<float>(model.members[active[i]].weight);
    const std::vector<float>& out = batch.outputs[i];
    for (size_t j = 0; j < total.size(); ++j) total[j] += w * out[j];
  }
  model.normalise(total, batch.table.rows);
  size_t offset = 0;
  for (auto& request : batch.requests) {
    const size_t n = request->rows.rows * k;
    request->result.set_value(std::vector<float>(total.begin() + static_cast<ptrdiff_t>(offset),
                                                 total.begin() +
                                                     static_cast<ptrdiff_t>(offset + n)));
    offset += n;
  }
}

PredictionService::PredictionService(automl::Predictor model, const ServeOptions& options)
    : impl_(std::make_unique<Impl>(std::move(model), options)) {
  impl_->start();
}

PredictionService::~PredictionService() { shutdown(); }

Answer PredictionService::predict(std::string_view body, std::string_view content_type) {
  Impl& s = *impl_;
  const Clock::time_point arrived = Clock::now();
  s.stats.request_started();
  struct Finished {
    ServeStats& stats;
    ~Finished() { stats.request_finished(); }
  } finished{s.stats};
  try {
    const std::string type = main_type(content_type);
    Table rows;
    // curl -d sends application/x-www-form-urlencoded unless told otherwise; its body is the
    // JSON given, so it is read as JSON.
    if (type.empty() || type == "application/json" || type == "application/x-www-form-urlencoded" ||
        (type.size() > 5 && type.ends_with("+json"))) {
      rows = s.reader.read_json(body);
    } else if (type == "text/csv" || type == "application/csv") {
      rows = s.reader.read_csv(body);
    } else {
      throw RequestError(415, "unsupported content type '" + std::string(content_type) +
                                  "': send application/json or text/csv");
    }
    const size_t n = rows.rows;
    std::vector<float> output;
    if (n == 0) {
      // nothing to predict
    } else if (s.options.schedule == Schedule::kPerRequest) {
      output = s.model.predict(rows);
      s.stats.record_batch(n);
    } else if (!s.closing && s.claim_direct()) {
      struct Release {
        std::atomic<int>& direct;
        ~Release() { --direct; }
      } release{s.direct};
      output = s.model.predict(rows);
      s.stats.record_batch(n);
      s.stats.record_direct();
    } else {
      auto pending = std::make_shared<PendingRequest>();
      pending->rows = std::move(rows);
      pending->arrived = arrived;
      std::future<std::vector<float>> result = pending->result.get_future();
      if (!s.batcher.submit(std::move(pending))) {
        s.stats.record_error(503);
        return {503, error_json("the server is shutting down")};
      }
      output = result.get();
    }
    Answer answer{200, predictions_json(s.model, output, n)};
    s.stats.record_request(n, seconds_since(arrived));
    return answer;
  } catch (const RequestError& e) {
    s.stats.record_error(e.status());
    return {e.status(), error_json(e.what())};
  } catch (const std::exception& e) {
    s.stats.record_error(500);
    return {500, error_json(std::string("prediction failed: ") + e.what())};
  }
}

Answer PredictionService::health() const {
  if (impl_->closing) return {503, R"({"status":"shutting down"})"};
  return {200, R"({"status":"ok"})"};
}

Answer PredictionService::metrics() const {
  nlohmann::json out = impl_->stats.to_json(seconds_since(impl_->started));
  out["schedule"] = std::string(to_string(impl_->options.schedule));
  out["queued_requests"] = impl_->batcher.queued_requests();
  const Allocation& allocation = impl_->allocation;
  for (size_t w = 0; w < allocation.members.size() && w < out["workers"].size(); ++w) {
    out["workers"][w]["members"] = allocation.members[w].size();
    out["workers"][w]["planned_load"] = allocation.load[w];
  }
  return {200, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

Answer PredictionService::model() const {
  nlohmann::json out = model_json(impl_->model, impl_->active, impl_->allocation, impl_->costs);
  const ServeOptions& o = impl_->options;
  out["serving"] = {{"schedule", std::string(to_string(o.schedule))},
                    {"workers", impl_->allocation.members.size()},
                    {"max_batch_rows", o.max_batch_rows},
                    {"max_wait_seconds", o.max_wait_seconds},
                    {"pipeline_depth", o.pipeline_depth},
                    {"wait_when_idle", o.wait_when_idle}};
  return {200, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

void PredictionService::flush() { impl_->batcher.flush(); }

void PredictionService::shutdown() {
  Impl& s = *impl_;
  std::lock_guard lock(s.shutdown_mutex);
  if (s.shut_down) return;
  s.shut_down = true;
  s.closing = true;
  // Stage by stage: what a stage has accepted reaches the next before that one is closed.
  s.batcher.close();
  if (s.batching_thread.joinable()) s.batching_thread.join();
  for (std::thread& worker : s.worker_threads) worker.join();
  s.combine_queue.close();
  if (s.combining_thread.joinable()) s.combining_thread.join();
}

std::string PredictionService::describe() const {
  const Impl& s = *impl_;
  std::string text = std::string(to_string(s.options.schedule)) + " schedule, " +
                     std::to_string(s.active.size()) + " members";
  if (s.options.schedule == Schedule::kDynamic) {
    text += " on " + std::to_string(s.allocation.members.size()) + " workers";
  }
  if (s.options.schedule != Schedule::kPerRequest) {
    char wait[32];
    std::snprintf(wait, sizeof(wait), "%g", s.options.max_wait_seconds * 1e3);
    text += ", batches up to " + std::to_string(s.options.max_batch_rows) + " rows or " + wait +
            " ms";
  }
  return text;
}

}  // namespace winnow::serving
