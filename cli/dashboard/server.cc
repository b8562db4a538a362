// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow dashboard`: the JSON API of api.h and the built front end (web/) over HTTP, with
// cpp-httplib. The guards live here: loopback unless told otherwise, the Host header must name
// the address served (DNS rebinding), writes only with --allow-write, static files never leave
// their folder.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "commands.h"
#include "dashboard/api.h"
#include "http_listen.h"
#include "storage_args.h"
#include "winnow/error.h"

namespace winnow::cli {
namespace {

namespace fs = std::filesystem;

struct DashboardArgs {
  StorageArgs location;
  std::string host = "127.0.0.1";
  int port = 8080;
  bool allow_write = false;
  std::string static_dir;
};

// The Host headers a browser sends for the address served.
std::set<std::string> allowed_hosts(const std::string& host, int port) {
  std::set<std::string> names;
  auto add = [&](const std::string& name) {
    names.insert(name + ":" + std::to_string(port));
    if (port == 80) names.insert(name);
  };
  if (is_loopback(host) || host == "0.0.0.0" || host == "::") {
    add("127.0.0.1");
    add("localhost");
    add("[::1]");
  }
  if (!is_loopback(host)) add(host.find(':') != std::string::npos ? "[" + host + "]" : host);
  return names;
}

// The built front end: --static, $WINNOW_DASHBOARD_DIR, `dashboard` beside the binary (a build
// tree), or share/winnow/dashboard under the install prefix. Empty when none exists.
fs::path find_static_dir(const std::string& given) {
  if (!given.empty()) {
    if (!fs::is_directory(given)) throw Error("--static: '" + given + "' is not a directory");
    return fs::canonical(given);
  }
  if (const char* env = std::getenv("WINNOW_DASHBOARD_DIR"); env && *env) {
    if (fs::is_directory(env)) return fs::canonical(env);
  }
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    for (const fs::path& candidate :
         {exe.parent_path() / "dashboard", exe.parent_path() / "../share/winnow/dashboard"}) {
      if (fs::is_regular_file(candidate / "index.html")) return fs::canonical(candidate);
    }
  }
  return {};
}

std::string content_type(const fs::path& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".map", "application/json"},
      {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
      {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"}};
  auto found = types.find(path.extension().string());
  return found == types.end() ? "application/octet-stream" : found->second;
}

// The file a request path names under `root`, or empty when it names nothing there (or leaves
// `root`: "..", or a symbolic link pointing out).
fs::path resolve_static(const fs::path& root, const std::string& request_path) {
  if (root.empty() || request_path.find('\0') != std::string::npos) return {};
  std::string relative = request_path;
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  std::error_code error;
  fs::path file = fs::weakly_canonical(root / relative, error);
  if (error) return {};
  if (fs::is_directory(file, error)) file /= "index.html";
  file = fs::weakly_canonical(file, error);
  if (error || !fs::is_regular_file(file, error)) return {};
  const std::string inside = root.string() + "/";
  if (file.string().compare(0, inside.size(), inside) != 0) return {};
  return file;
}

const char* kNoFrontEnd =
    "<!doctype html><title>Winnow dashboard</title><h1>Winnow dashboard</h1>"
    "<p>The front end is not built. Build it with <code>scripts/build-dashboard.sh "
    "build/dashboard</code> (or run <code>scripts/setup.sh</code>), or point "
    "<code>--static</code> at a built copy. The JSON API under <code>/api/</code> works "
    "without it.</p>";

void send(httplib::Response& res, const dashboard::ApiResponse& answer) {
  res.status = answer.status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(answer.body, "application/json");
}

dashboard::Query query_of(const httplib::Request& req) {
  return dashboard::Query(req.params.begin(), req.params.end());
}

int serve(const DashboardArgs& args) {
  ResolvedStudies resolved = resolve_studies(args.location, /*allow_empty=*/true);
  const fs::path static_root = find_static_dir(args.static_dir);
  dashboard::StudyCache cache(resolved.storage, std::chrono::milliseconds(500));
  dashboard::Api api(cache, args.allow_write);

  httplib::Server server;
  server.set_payload_max_length(1 << 20);
  std::set<std::string> hosts;  // filled once the port is known
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    // cpp-httplib compresses with brotli whenever a browser accepts it, at a quality that takes
    // seconds on Plotly's 5 MB script or a large study's history; gzip takes a fortieth of that.
    // The request is the server's own mutable object, handed to us as const.
    auto& headers = const_cast<httplib::Request&>(req).headers;
    for (auto it = headers.find("Accept-Encoding"); it != headers.end() &&
                                                    it->first == "Accept-Encoding"; ++it) {
      it->second = it->second.find("gzip") != std::string::npos ? "gzip" : "";
    }
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    if (!hosts.count(req.get_header_value("Host"))) {
      send(res, dashboard::error_response(
                    403, "Host '" + req.get_header_value("Host") +
                             "' is not the address this dashboard serves"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const std::string study = R"(/api/studies/([^/]+))";
  server.Get("/api/studies", [&](const auto&, auto& res) { send(res, api.studies()); });
  server.Get(study, [&](const auto& req, auto& res) { send(res, api.study(req.matches[1])); });
  server.Get(study + "/trials", [&](const auto& req, auto& res) {
    send(res, api.trials(req.matches[1], query_of(req)));
  });
  server.Get(study + R"(/trials/([^/]+))", [&](const auto& req, auto& res) {
    send(res, api.trial(req.matches[1], req.matches[2]));
  });
  server.Get(study + "/history",
             [&](const auto& req, auto& res) { send(res, api.history(req.matches[1])); });
  server.Get(study + "/columns", [&](const auto& req, auto& res) {
    send(res, api.columns(req.matches[1], query_of(req)));
  });
  server.Get(study + "/importance", [&](const auto& req, auto& res) {
    send(res, api.importance(req.matches[1], query_of(req)));
  });
  server.Get(study + "/intermediate", [&](const auto& req, auto& res) {
    send(res, api.intermediate(req.matches[1], query_of(req)));
  });
  server.Get(study + "/pareto",
             [&](const auto& req, auto& res) { send(res, api.pareto(req.matches[1])); });
  server.Get(study + "/updates", [&](const auto& req, auto& res) {
    send(res, api.updates(req.matches[1], query_of(req)));
  });
  server.Post(study + "/enqueue", [&](const auto& req, auto& res) {
    send(res, api.enqueue(req.matches[1], req.body));
  });
  server.Get(R"(/api(/.*)?)", [&](const auto& req, auto& res) {
    send(res, dashboard::error_response(404, "no API endpoint " + req.path));
  });
  server.Get(R"(/.*)", [&](const httplib::Request& req, httplib::Response& res) {
    if (static_root.empty()) {
      res.set_content(kNoFrontEnd, "text/html; charset=utf-8");
      return;
    }
    fs::path file = resolve_static(static_root, req.path);
    if (file.empty()) {
      res.status = 404;
      res.set_content("not found", "text/plain");
      return;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    // Built assets carry a hash in their names and never change; the page itself may.
    res.set_header("Cache-Control", file.filename() == "index.html" ? "no-cache"
                                                                     : "max-age=31536000");
    res.set_content(bytes.str(), content_type(file));
  });
  // Whatever the reason (a corrupt study, a lost database), the answer is JSON and the server
  // goes on.
  server.set_exception_handler([](const auto&, auto& res, std::exception_ptr error) {
    std::string message = "internal error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    send(res, dashboard::error_response(500, message));
  });

  server.set_socket_options(reuse_address_only);
  const int port = bind_or_throw(server, args.host, args.port, "dashboard");
  hosts = allowed_hosts(args.host, port);
  if (!is_loopback(args.host)) {
    std::cerr << "winnow dashboard: warning: listening on " << args.host
              << ", not loopback: anyone who can reach this port can read every study"
              << (args.allow_write ? " and change them" : "") << "\n";
  }
  std::cout << "winnow dashboard: http://" << url_authority(args.host, port) << "/ ("
            << (args.allow_write ? "writes allowed" : "read-only")
            << (static_root.empty() ? ", front end not built: API only" : "")
            << "; Ctrl-C stops)" << std::endl;

  // Ctrl-C and SIGTERM stop the server after the requests in flight.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread stopper([&] {
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
  });
  server.listen_after_bind();
  if (stopper.joinable()) {
    // listen ended by itself (not by a signal): wake the stopper so it can end too.
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
  }
  return 0;
}

}  // namespace

Command add_dashboard_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "dashboard", "Serve a web dashboard of every study of a storage (history, importance, "
                   "Pareto front, trials)");
  auto args = std::make_shared<DashboardArgs>();
  command->add_option("location", args->location.positional, "Storage URL or SQLite file");
  command->add_option("--storage", args->location.storage, "Storage URL (same as location)");
  command->add_option("--host", args->host,
                      "Address to listen on; anything but loopback lets other machines read "
                      "the studies")
      ->capture_default_str();
  command->add_option("--port", args->port, "Port (0: any free port, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  command->add_flag("--allow-write", args->allow_write,
                    "Enable the endpoints that change a study (enqueueing a configuration)");
  command->add_option("--static", args->static_dir,
                      "Folder of the built front end (default: found beside the binary)");
  command->footer(
      "Examples:\n"
      "  winnow dashboard study.db                        http://127.0.0.1:8080\n"
      "  winnow dashboard postgresql://me@db/winnow --port 9000\n"
      "The API is described in docs/dashboard.md.");
  return [args] { return serve(*args); };
}

}  // namespace winnow::cli
