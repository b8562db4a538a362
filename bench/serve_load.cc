// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Load generator for `winnow serve`: N clients on loopback, each a thread with one keep-alive
// connection, each sending one-row POST /predict requests (rows of a CSV file, in turn) and
// waiting for the answer before the next (a closed loop, as the clients of Pochelu et al.'s
// and Clipper's evaluations). Ends after --requests requests or --seconds seconds, whichever
// comes first, and prints one JSON line:
//
//   serve_load --port 8500 --csv rows.csv --clients 64 --seconds 10 --label schedule=dynamic
//   {"clients":64,"requests":...,"seconds":...,"throughput":...,"p50_ms":...,"p99_ms":...,
//    "errors":0,"schedule":"dynamic"}
//
// The CSV file must be simple (no quoted fields): cells that read as numbers are sent as JSON
// numbers, empty cells as null, others as strings.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string host = "127.0.0.1";
  int port = 8500;
  std::string csv;
  int clients = 1;
  long long requests = 1000000;
  double seconds = 10;
  std::vector<std::pair<std::string, std::string>> labels;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "serve_load: " << problem
            << "\nusage: serve_load --csv ROWS.csv [--host 127.0.0.1] [--port 8500] "
               "[--clients N] [--requests N] [--seconds S] [--label key=value ...]\n";
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value after " + flag);
    std::string value = argv[++i];
    if (flag == "--host") {
      args.host = value;
    } else if (flag == "--port") {
      args.port = std::atoi(value.c_str());
    } else if (flag == "--csv") {
      args.csv = value;
    } else if (flag == "--clients") {
      args.clients = std::atoi(value.c_str());
    } else if (flag == "--requests") {
      args.requests = std::atoll(value.c_str());
    } else if (flag == "--seconds") {
      args.seconds = std::atof(value.c_str());
    } else if (flag == "--label") {
      size_t eq = value.find('=');
      if (eq == std::string::npos) usage("--label takes key=value");
      args.labels.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else {
      usage("unknown option " + flag);
    }
  }
  if (args.csv.empty()) usage("--csv is required");
  if (args.clients < 1 || args.requests < 1 || !(args.seconds > 0)) {
    usage("--clients, --requests and --seconds must be positive");
  }
  return args;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  out += '"';
  return out;
}

// A JSON value for a cell or a label: a number as written, else a string.
std::string json_value(const std::string& cell) {
  if (cell.empty()) return "null";
  char* end = nullptr;
  double value = std::strtod(cell.c_str(), &end);
  if (end == cell.c_str() + cell.size() && std::isfinite(value)) return cell;
  return json_string(cell);
}

// One request body per data row: {"rows": [{...}]}.
std::vector<std::string> request_bodies(const std::string& path) {
  std::ifstream in(path);
  if (!in) usage("cannot read " + path);
  std::string line;
  if (!std::getline(in, line)) usage(path + " is empty");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> header = split(line);
  std::vector<std::string> bodies;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells = split(line);
    if (cells.size() != header.size()) usage(path + ": a row with another number of cells");
    std::string body = "{\"rows\":[{";
    for (size_t c = 0; c < header.size(); ++c) {
      if (c) body += ',';
      body += json_string(header[c]);
      body += ':';
      body += json_value(cells[c]);
    }
    body += "}]}";
    bodies.push_back(std::move(body));
  }
  if (bodies.empty()) usage(path + " has no data rows");
  return bodies;
}

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  const std::vector<std::string> bodies = request_bodies(args.csv);
  std::atomic<long long> issued{0};
  std::atomic<long long> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(args.clients));
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(args.seconds));
  std::vector<std::thread> clients;
  for (int c = 0; c < args.clients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client(args.host, args.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(60, 0);
      size_t row = static_cast<size_t>(c) * 7919 % bodies.size();
      std::vector<double>& mine = latencies[static_cast<size_t>(c)];
      while (Clock::now() < deadline && issued.fetch_add(1) < args.requests) {
        const Clock::time_point sent = Clock::now();
        auto answer = client.Post("/predict", bodies[row], "application/json");
        const double seconds = std::chrono::duration<double>(Clock::now() - sent).count();
        if (!answer || answer->status != 200) {
          ++errors;
        } else {
          mine.push_back(seconds);
        }
        row = (row + 1) % bodies.size();
      }
    });
  }
  for (std::thread& client : clients) client.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& mine : latencies) all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  char line[512];
  std::snprintf(line, sizeof(line),
                "{\"clients\":%d,\"requests\":%zu,\"seconds\":%.3f,\"throughput\":%.1f,"
                "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"errors\":%lld",
                args.clients, all.size(), elapsed, static_cast<double>(all.size()) / elapsed,
                1e3 * quantile(all, 0.5), 1e3 * quantile(all, 0.99), errors.load());
  std::string out = line;
  for (const auto& [key, value] : args.labels) {
    out += ',';
    out += json_string(key);
    out += ':';
    out += json_value(value);
  }
  std::cout << out << "}" << std::endl;
  return 0;
}
