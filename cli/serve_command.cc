// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow serve`: an AutoML model file behind HTTP, with cpp-httplib. Everything about
// predictions lives in winnow::serving::PredictionService (winnow/serving.h); this file maps
// routes to it, turns cpp-httplib's own refusals (unknown path, body too large) into JSON
// errors, and stops cleanly on SIGINT or SIGTERM: no new connections, every request already
// received answered, exit status 0.
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.h"
#include "http_listen.h"
#include "validators.h"
#include "winnow/automl.h"
#include "winnow/command.h"
#include "winnow/error.h"
#include "winnow/serving.h"

namespace winnow::cli {
namespace {

struct ServeArgs {
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8500;
  std::string schedule = "dynamic";
  int workers = 0;
  int max_batch = 256;
  std::string max_wait = "2ms";
  int pipeline_depth = 2;
  std::string infer_limit;
  int infer_batch = 1;
  int http_threads = 128;
  std::string max_body = "16MiB";
  bool ignore_unknown_columns = false;
  bool wait_when_idle = false;
  bool always_batch = false;
};

// The endpoints and the methods they take; another method on them is 405, another path 404.
const std::map<std::string, std::string>& endpoints() {
  static const std::map<std::string, std::string> known = {
      {"/predict", "POST"}, {"/health", "GET"}, {"/metrics", "GET"}, {"/model", "GET"}};
  return known;
}

void send(httplib::Response& res, const serving::Answer& answer) {
  res.status = answer.status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(answer.body, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  nlohmann::json body = {{"error", message}};
  send(res, {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

int serve(const ServeArgs& args) {
  serving::ServeOptions options;
  options.schedule = serving::schedule_from_string(args.schedule);
  options.workers = args.workers;
  options.max_batch_rows = args.max_batch;
  options.max_wait_seconds = parse_duration(args.max_wait, "--max-wait");
  options.pipeline_depth = args.pipeline_depth;
  options.ignore_unknown_columns = args.ignore_unknown_columns;
  options.wait_when_idle = args.wait_when_idle;
  options.direct_when_idle = !args.always_batch;
  options.validate();
  const int64_t max_body = parse_byte_size(args.max_body, "--max-body");
  if (max_body < 1) throw Error("--max-body must be at least 1 byte");

  // Signals are blocked before any thread starts (loading an XGBoost member starts OpenMP's),
  // so that every thread inherits the mask and only the stopper below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  automl::Predictor model = automl::Predictor::load(args.model);
  if (!args.infer_limit.empty()) {
    double limit = parse_duration(args.infer_limit, "--infer-limit");
    if (limit <= 0) throw Error("--infer-limit must be positive");
    if (!model.choose_within(limit, args.infer_batch)) {
      std::cerr << "winnow serve: note: no ensemble of the model answers within "
                << args.infer_limit << " per row at " << args.infer_batch
                << " rows per call on the machine that fitted it; serving the fastest\n";
    }
  }

  serving::PredictionService service(std::move(model), options);
  httplib::Server server;
  const int http_threads = args.http_threads;
  server.new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
  server.set_payload_max_length(static_cast<size_t>(max_body));
  // A load balancer or client library keeps its connections; closing them every few requests
  // (cpp-httplib's default is 5) would cost a TCP handshake each time.
  server.set_keep_alive_max_count(100000);
  // Headers and body go out in separate writes; with Nagle's algorithm the body then waits for
  // the client's delayed acknowledgement, some 40 ms on Linux, on every keep-alive request.
  server.set_tcp_nodelay(true);

  server.Post("/predict", [&](const httplib::Request& req, httplib::Response& res) {
    send(res, service.predict(req.body, req.get_header_value("Content-Type")));
  });
  server.Get("/health", [&](const auto&, auto& res) { send(res, service.health()); });
  server.Get("/metrics", [&](const auto&, auto& res) { send(res, service.metrics()); });
  server.Get("/model", [&](const auto&, auto& res) { send(res, service.model()); });
  auto wrong_method = [](const httplib::Request& req, httplib::Response& res) {
    auto known = endpoints().find(req.path);
    if (known == endpoints().end()) {
      send_error(res, 404, "no endpoint " + req.path);
      return;
    }
    res.set_header("Allow", known->second + ", OPTIONS");
    send_error(res, 405, req.method + " " + req.path + ": this endpoint takes " + known->second);
  };
  for (const auto& [path, method] : endpoints()) {
    // What an endpoint accepts, asked the standard way (RFC 9110, 9.3.7), e.g. by a client
    // library probing a server; the answer has no body.
    server.Options(path, [allow = method + ", OPTIONS"](const auto&, auto& res) {
      res.status = 204;
      res.set_header("Allow", allow);
    });
    if (method != "GET") server.Get(path, wrong_method);
    if (method != "POST") server.Post(path, wrong_method);
    server.Put(path, wrong_method);
    server.Delete(path, wrong_method);
    server.Patch(path, wrong_method);
  }
  // cpp-httplib answers some requests itself (no route, a body over the limit, a request it
  // cannot parse); they get a JSON error too. Answers of the handlers above keep theirs.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [max_body](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    switch (res.status) {
      case 404:
        message = "no endpoint " + req.method + " " + req.path +
                  " (POST /predict, GET /health, GET /metrics, GET /model)";
        break;
      case 413:
        // cpp-httplib reads a form-encoded body (what `curl -d` sends) only up to a limit of its
        // own, whatever --max-body says.
        if (req.get_header_value("Content-Type").starts_with(
                "application/x-www-form-urlencoded") &&
            std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) <=
                static_cast<unsigned long long>(max_body)) {
          message = "a form-encoded body (curl -d without a Content-Type) is read only up to " +
                    std::to_string(CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH) +
                    " bytes; send the rows as JSON or CSV with their Content-Type "
                    "(curl -H 'Content-Type: text/csv' --data-binary @rows.csv)";
          break;
        }
        message = "request body over the limit of " + std::to_string(max_body) +
                  " bytes (--max-body)";
        break;
      default:
        message = "bad request (HTTP status " + std::to_string(res.status) + ")";
    }
    send_error(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler([](const auto&, auto& res, std::exception_ptr error) {
    std::string message = "internal error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    send_error(res, 500, message);
  });

  // cpp-httplib listens with a backlog of 5 connections; 64 clients connecting at once overflow
  // it and some connections are dropped. Listening again on the bound socket raises it.
  int listening_socket = -1;
  server.set_socket_options([&listening_socket](socket_t sock) {
    reuse_address_only(sock);
    listening_socket = sock;
  });
  const int port = bind_or_throw(server, args.host, args.port, "serve");
  if (listening_socket >= 0) ::listen(listening_socket, SOMAXCONN);
  if (!is_loopback(args.host)) {
    std::cerr << "winnow serve: warning: listening on " << args.host
              << ", not loopback: anyone who can reach this port can query the model and read "
                 "its columns at /model\n";
  }
  std::cout << "winnow serve: http://" << url_authority(args.host, port) << "/ ("
            << service.describe()
            << "; Ctrl-C stops)" << std::endl;

  std::thread stopper([&] {
    int received = 0;
    sigwait(&signals, &received);
    // Queued rows stop waiting for company; the server stops accepting and returns from
    // listen once the requests it is handling have their answers.
    service.flush();
    server.stop();
  });
  server.listen_after_bind();
  // listen also ends by itself on a failure; the stopper then still waits for a signal.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  service.shutdown();
  std::cerr << "winnow serve: stopped\n";
  return 0;
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "serve", "Serve predictions of an AutoML model file over HTTP (POST /predict)");
  auto args = std::make_shared<ServeArgs>();
  command->add_option("model", args->model, "Model file written by `winnow automl fit`")
      ->required();
  command->add_option("--host", args->host,
                      "Address to listen on; anything but loopback lets other machines query "
                      "the model")
      ->capture_default_str();
  command->add_option("--port", args->port, "Port (0: any free port, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  command->add_option("--schedule", args->schedule,
                      "dynamic (batches across requests, members in parallel, pipelined), "
                      "per-request, or fixed-batch (the two baselines)")
      ->capture_default_str();
  command->add_option("--threads", args->workers,
                      "Worker threads running ensemble members (0: one per core, at most one "
                      "per member)")
      ->capture_default_str()
      ->check(at_least(0));
  command->add_option("--max-batch", args->max_batch, "Rows of a batch, at most")
      ->capture_default_str()
      ->check(at_least(1));
  command->add_option("--max-wait", args->max_wait,
                      "How long a batch waits for more rows after its first (e.g. 2ms, 0)")
      ->capture_default_str();
  command->add_flag("--always-batch", args->always_batch,
                    "Dynamic schedule: queue every request for a batch, even when the server "
                    "is idle (by default an idle server predicts a request at once)");
  command->add_flag("--wait-when-idle", args->wait_when_idle,
                    "Dynamic schedule: batches wait out --max-wait even while the workers are "
                    "idle (by default they leave at once then)");
  command->add_option("--pipeline-depth", args->pipeline_depth,
                      "Batches in flight at once in the dynamic schedule")
      ->capture_default_str()
      ->check(at_least(1));
  command->add_option("--infer-limit", args->infer_limit,
                      "Serve the model's ensemble if its inference time per row is within this "
                      "(e.g. 2ms), else the most accurate ensemble of its front that is");
  command->add_option("--infer-batch", args->infer_batch,
                      "Rows per call the --infer-limit is for: 1 or 1000")
      ->capture_default_str()
      ->check(CLI::IsMember({1, 1000}));
  command->add_option("--http-threads", args->http_threads,
                      "Connection threads; each keep-alive client holds one")
      ->capture_default_str()
      ->check(at_least(1));
  command->add_option("--max-body", args->max_body,
                      "Largest request body (e.g. 16MiB, 1000000); larger ones get 413")
      ->capture_default_str();
  command->add_flag("--ignore-unknown-columns", args->ignore_unknown_columns,
                    "Ignore columns the model was not trained with instead of answering 400");
  command->footer(
      "Examples:\n"
      "  winnow serve model.winnow --port 8500\n"
      "  curl -d '{\"rows\": [{\"age\": 41, \"job\": \"admin\"}]}' "
      "http://127.0.0.1:8500/predict\n"
      "  curl -H 'Content-Type: text/csv' --data-binary @rows.csv "
      "http://127.0.0.1:8500/predict\n"
      "Requests, answers and schedules are described in docs/serve.md.");
  return [args] { return serve(*args); };
}

}  // namespace winnow::cli
