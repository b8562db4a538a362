// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow serve` as a user runs it: a model fitted by the real binary, served on a free port,
// asked over real HTTP on loopback. Answers must equal `winnow automl predict`'s under every
// schedule; bad requests get JSON errors and never bring the server down; SIGTERM answers the
// requests in flight before the server exits.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <sstream>

#include "e2e/e2e_util.h"

namespace winnow::e2e {
namespace {

using nlohmann::json;

// label = yes when 2*x1 - x2 + (colour == red) > 0.5, with noise; x2 missing in every 9th row.
struct Rows {
  std::string csv;
  json rows = json::array();
};

Rows make_rows(int n, uint64_t seed, bool with_target) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const char* colours[] = {"red", "green", "blue"};
  std::ostringstream csv;
  csv << "x1,x2,colour" << (with_target ? ",label" : "") << "\n";
  Rows out;
  for (int i = 0; i < n; ++i) {
    double x1 = normal(rng), x2 = normal(rng);
    int c = static_cast<int>(rng() % 3);
    double margin = 2 * x1 - x2 + (c == 0 ? 1.0 : 0.0) + 0.3 * normal(rng);
    // The same text in both forms, so both read the same doubles.
    std::ostringstream a, b;
    a << x1;
    b << x2;
    bool missing = i % 9 == 4;
    csv << a.str() << "," << (missing ? "" : b.str()) << "," << colours[c];
    if (with_target) csv << "," << (margin > 0.5 ? "yes" : "no");
    csv << "\n";
    json row = {{"x1", std::stod(a.str())}, {"colour", colours[c]}};
    row["x2"] = missing ? json() : json(std::stod(b.str()));
    out.rows.push_back(row);
  }
  out.csv = csv.str();
  return out;
}

// One model for the whole suite: fitting is the slow part under the sanitizers.
class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir();
    write_file(dir() / "train.csv", make_rows(300, 1, true).csv);
    Result fit = run_winnow(dir(), {"automl", "fit", (dir() / "train.csv").string(), "--target",
                                    "label", "--trials", "6", "--time-limit", "none", "--models",
                                    "linear,random_forest", "--seed", "1", "--jobs", "2", "--out",
                                    (dir() / "m.winnow").string()});
    ASSERT_EQ(fit.exit_code, 0) << fit.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static const fs::path& dir() { return dir_->path(); }
  static std::string model() { return (dir() / "m.winnow").string(); }

 private:
  static ScratchDir* dir_;
};
ScratchDir* ServeTest::dir_ = nullptr;

// A running `winnow serve` on a free port.
class Server {
 public:
  Server(const fs::path& dir, std::vector<std::string> args, const std::string& tag)
      : dir_(dir), tag_(tag) {
    args.insert(args.begin(), "serve");
    args.insert(args.end(), {"--port", "0"});
    process_ = std::make_unique<Process>(dir, args, tag);
    // The first line on stdout names the port chosen.
    for (int i = 0; i < 1200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::string out = read_file(dir / (tag + ".out"));
      size_t at = out.find("winnow serve: http://127.0.0.1:");
      if (at != std::string::npos) port_ = std::atoi(out.c_str() + at + 31);
      if (out.empty() && ::kill(process_->pid(), 0) != 0) break;
    }
    EXPECT_GT(port_, 0) << read_file(dir / (tag + ".err"));
  }
  ~Server() { stop(); }
  Result stop() {
    if (!process_) return {};
    process_->signal(SIGTERM);
    Result result = process_->wait();
    process_.reset();
    return result;
  }
  void signal(int sig) { process_->signal(sig); }
  int port() const { return port_; }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_read_timeout(120, 0);
    c->set_write_timeout(120, 0);
    return c;
  }
  httplib::Result post(const std::string& body, const std::string& type = "application/json") {
    return client()->Post("/predict", body, type);
  }
  httplib::Result get(const std::string& path) { return client()->Get(path); }

 private:
  fs::path dir_;
  std::string tag_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

struct Expected {
  std::vector<std::string> labels;
  std::vector<std::vector<double>> probabilities;
};

Expected automl_predict(const fs::path& dir, const std::string& model, const std::string& csv) {
  Expected e;
  Result p = run_winnow(dir, {"automl", "predict", model, csv, "--proba"});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  std::istringstream lines(p.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "no,yes");
  while (std::getline(lines, line)) {
    double a = 0, b = 0;
    char comma = 0;
    std::istringstream(line) >> a >> comma >> b;
    e.probabilities.push_back({a, b});
  }
  Result l = run_winnow(dir, {"automl", "predict", model, csv});
  std::istringstream label_lines(l.out);
  std::getline(label_lines, line);
  while (std::getline(label_lines, line)) e.labels.push_back(line);
  return e;
}

void expect_row(const json& answer, size_t i, const Expected& e, size_t row) {
  ASSERT_TRUE(answer.contains("probabilities")) << answer.dump();
  EXPECT_EQ(answer["predictions"][i].get<std::string>(), e.labels.at(row)) << "row " << row;
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_NEAR(answer["probabilities"][i][c].get<double>(), e.probabilities.at(row)[c], 1e-6)
        << "row " << row;
  }
}

TEST_F(ServeTest, PredictionsEqualAutomlPredictUnderEverySchedule) {
  Rows rows = make_rows(40, 7, false);
  write_file(dir() / "new.csv", rows.csv);
  Expected expected = automl_predict(dir(), model(), (dir() / "new.csv").string());
  ASSERT_EQ(expected.labels.size(), 40u);
  for (const std::string schedule : {"dynamic", "dynamic --always-batch", "per-request",
                                     "fixed-batch"}) {
    SCOPED_TRACE(schedule);
    std::vector<std::string> args = {model(), "--schedule", schedule.substr(0, schedule.find(' ')),
                                     "--max-batch", "8"};
    if (schedule.find("--always-batch") != std::string::npos) args.push_back("--always-batch");
    std::string tag = schedule;
    std::replace(tag.begin(), tag.end(), ' ', '_');
    Server server(dir(), args, tag);
    auto all = server.post(json{{"rows", rows.rows}}.dump());
    ASSERT_TRUE(all);
    ASSERT_EQ(all->status, 200) << all->body;
    json answer = json::parse(all->body);
    EXPECT_EQ(answer["classes"], json::array({"no", "yes"}));
    for (size_t r = 0; r < 40; ++r) expect_row(answer, r, expected, r);
    auto csv = server.post(rows.csv, "text/csv");
    ASSERT_TRUE(csv);
    ASSERT_EQ(csv->status, 200) << csv->body;
    json csv_answer = json::parse(csv->body);
    for (size_t r = 0; r < 40; ++r) expect_row(csv_answer, r, expected, r);
    // One row per request from four clients at once: batches mix requests.
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        auto client = server.client();
        for (size_t r = static_cast<size_t>(t); r < 40; r += 4) {
          auto one = client->Post("/predict", json{{"rows", {rows.rows[r]}}}.dump(),
                                  "application/json");
          ASSERT_TRUE(one);
          ASSERT_EQ(one->status, 200) << one->body;
          expect_row(json::parse(one->body), 0, expected, r);
        }
      });
    }
    for (auto& client : clients) client.join();
    Result stopped = server.stop();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  }
}

TEST_F(ServeTest, HealthMetricsAndModelDescribeTheServer) {
  // Every request through the workers, so that their loads show.
  Server server(dir(), {model(), "--always-batch"}, "describe");
  auto health = server.get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  Rows rows = make_rows(10, 3, false);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(server.post(json{{"rows", rows.rows}}.dump())->status, 200);
  ASSERT_EQ(server.post("{", "application/json")->status, 400);

  json metrics = json::parse(server.get("/metrics")->body);
  EXPECT_EQ(metrics["requests"], 3);
  EXPECT_EQ(metrics["rows"], 30);
  EXPECT_EQ(metrics["errors"], 1);
  EXPECT_EQ(metrics["errors_by_status"]["400"], 1);
  EXPECT_GT(metrics["latency_ms"]["p50"].get<double>(), 0);
  EXPECT_GE(metrics["latency_ms"]["p99"].get<double>(), metrics["latency_ms"]["p90"].get<double>());
  EXPECT_GE(metrics["batches"]["count"].get<int>(), 3);
  EXPECT_FALSE(metrics["batches"]["histogram"].empty());
  ASSERT_FALSE(metrics["workers"].empty());
  EXPECT_GT(metrics["workers"][0]["busy_seconds"].get<double>(), 0);
  EXPECT_EQ(metrics["schedule"], "dynamic");

  json model = json::parse(server.get("/model")->body);
  EXPECT_EQ(model["task"], "binary");
  EXPECT_EQ(model["target"], "label");
  EXPECT_EQ(model["metric"], "roc_auc");
  ASSERT_EQ(model["columns"].size(), 3u);
  bool colour_levels = false;
  for (const json& column : model["columns"]) {
    if (column["name"] == "colour") {
      EXPECT_EQ(column["type"], "categorical");
      colour_levels = column["levels"].size() == 3;
    }
  }
  EXPECT_TRUE(colour_levels) << model["columns"].dump();
  int served = 0;
  for (const json& member : model["members"]) {
    EXPECT_TRUE(member.contains("cost"));
    if (member["weight"].get<double>() > 0) {
      ++served;
      EXPECT_TRUE(member["worker"].is_number());
    } else {
      EXPECT_TRUE(member["worker"].is_null());
    }
  }
  EXPECT_GT(served, 0);
  EXPECT_TRUE(model["front"].is_array());
  int chosen = 0;
  for (const json& entry : model["front"]) chosen += entry["chosen"].get<bool>();
  EXPECT_EQ(chosen, model["front"].empty() ? 0 : 1);
  EXPECT_EQ(model["serving"]["schedule"], "dynamic");
}

TEST_F(ServeTest, BadRequestsGetJsonErrorsAndTheServerStaysUp) {
  Server server(dir(), {model(), "--max-body", "20000"}, "bad");
  auto expect_error = [&](httplib::Result r, int status, const std::string& words) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    json body = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r->body;
    EXPECT_NE(body.value("error", "").find(words), std::string::npos) << r->body;
  };
  expect_error(server.post(R"({"rows": [{"x1": 1,]})"), 400, "malformed JSON at byte 2");
  expect_error(server.post(R"({"data": []})"), 400, "\"rows\"");
  expect_error(server.post(R"({"rows": [{"x1": 1, "x2": 2, "colour": "red", "x3": 0}]})"), 400,
               "unknown column 'x3'");
  expect_error(server.post(R"({"rows": [{"x1": 1, "colour": "red"}]})"), 400, "no column 'x2'");
  expect_error(server.post(R"({"rows": [{"x1": 1, "x2": 2, "colour": "red"},
                                        {"x1": "one", "x2": 2, "colour": "red"}]})"),
               400, "column 'x1' of rows[1]");
  expect_error(server.post(std::string(30000, ' ')), 413, "limit of 20000 bytes");
  // curl -d without a Content-Type sends a form-encoded body, which the HTTP library reads only
  // up to its own, smaller limit: the answer says so rather than blaming --max-body.
  std::string csv = "x1,x2,colour\n";
  while (csv.size() < 12000) csv += "1,2,red\n";
  expect_error(server.post(csv, "application/x-www-form-urlencoded"), 413,
               "form-encoded body (curl -d without a Content-Type) is read only up to");
  expect_error(server.post("x1,x2,colour\n1,2,red\n", "text/plain"), 415, "text/plain");
  expect_error(server.post("x1,colour\n1,red\n", "text/csv"), 400, "'x2' is missing");
  expect_error(server.get("/nowhere"), 404, "no endpoint");
  expect_error(server.get("/predict"), 405, "POST");
  // Accepted: the target column, an unseen category, nulls.
  auto fine = server.post(
      R"({"rows": [{"x1": 1, "x2": null, "colour": "purple", "label": "yes"}]})");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200) << fine->body;

  // A little fuzzing: random bytes, deep nesting, huge numbers. Never a 5xx, never a crash.
  std::mt19937_64 rng(11);
  std::vector<std::string> bodies = {std::string(5000, '['), std::string(5000, '{'),
                                     R"({"rows": [{"x1": 1e308, "x2": -1e308, "colour": 1}]})",
                                     R"({"rows": [{"x1": 123456789012345678901234567890,
                                        "x2": 0, "colour": null}]})",
                                     R"({"rows": [null]})", R"({"rows": null})", "null", ""};
  for (int i = 0; i < 60; ++i) {
    std::string body(rng() % 200, '\0');
    for (char& c : body) c = static_cast<char>(rng() % 256);
    bodies.push_back(body);
  }
  auto client = server.client();
  for (const std::string& body : bodies) {
    for (const char* type : {"application/json", "text/csv"}) {
      auto r = client->Post("/predict", body, type);
      ASSERT_TRUE(r) << "the server stopped answering";
      EXPECT_LT(r->status, 500) << r->body;
      EXPECT_TRUE(json::parse(r->body, nullptr, false).is_object()) << r->body;
    }
  }
  EXPECT_EQ(server.get("/health")->status, 200);
  client.reset();  // else the server waits out its keep-alive timeout on it before exiting
  Result stopped = server.stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

TEST_F(ServeTest, OptionsAndWrongMethodsNameWhatEachEndpointAllows) {
  Server server(dir(), {model()}, "options");
  auto probe = server.client();
  auto wrong_method = probe->Get("/predict");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "POST, OPTIONS");
  for (const auto& [path, allow] : {std::pair{"/predict", "POST, OPTIONS"},
                                    std::pair{"/health", "GET, OPTIONS"}}) {
    auto options = probe->Options(path);
    ASSERT_TRUE(options) << path;
    EXPECT_EQ(options->status, 204) << path;
    EXPECT_EQ(options->get_header_value("Allow"), allow) << path;
    EXPECT_TRUE(options->body.empty()) << options->body;
  }
  auto nowhere = probe->Options("/nowhere");
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 404);
  EXPECT_NE(nowhere->body.find("no endpoint OPTIONS /nowhere"), std::string::npos)
      << nowhere->body;
}

TEST_F(ServeTest, ConcurrentKeepAliveClientsAreBatchedTogether) {
  // Rows from 32 clients arrive while the workers predict, so they share batches.
  Server server(dir(), {model(), "--max-wait", "200ms", "--max-batch", "16", "--always-batch"},
                "concurrent");
  Rows rows = make_rows(8, 5, false);
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 32; ++t) {
    clients.emplace_back([&, t] {
      auto client = server.client();
      for (int i = 0; i < 4; ++i) {
        auto r = client->Post("/predict", json{{"rows", {rows.rows[(t + i) % 8]}}}.dump(),
                              "application/json");
        if (r && r->status == 200) {
          ++answered;
        } else {
          ADD_FAILURE() << t << "/" << i << ": " << (r ? r->body : httplib::to_string(r.error()));
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(answered, 128);
  json metrics = json::parse(server.get("/metrics")->body);
  EXPECT_EQ(metrics["requests"], 128);
  EXPECT_LT(metrics["batches"]["count"].get<int>(), 128);
  EXPECT_GT(metrics["batches"]["mean_rows"].get<double>(), 1.0);
}

TEST_F(ServeTest, AnIdleServerPredictsARequestDirectlyUnlessToldToAlwaysBatch) {
  Rows rows = make_rows(4, 9, false);
  for (bool always_batch : {false, true}) {
    std::vector<std::string> args = {model()};
    if (always_batch) args.push_back("--always-batch");
    Server server(dir(), args, always_batch ? "always" : "direct");
    for (int i = 0; i < 6; ++i) {
      auto r = server.post(json{{"rows", {rows.rows[static_cast<size_t>(i % 4)]}}}.dump());
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
    }
    json metrics = json::parse(server.get("/metrics")->body);
    EXPECT_EQ(metrics["requests"], 6);
    // One client, one request at a time: the server is idle whenever one arrives.
    EXPECT_EQ(metrics["direct_requests"], always_batch ? 0 : 6) << metrics.dump();
    EXPECT_EQ(metrics["batches"]["count"], 6);
  }
}

TEST_F(ServeTest, SigtermAnswersRequestsInFlightThenExitsZero) {
  // Batches wait up to a minute for more rows, idle workers or not, so the requests are still
  // queued when SIGTERM arrives; they must be answered, and soon.
  Server server(dir(), {model(), "--max-wait", "60s", "--max-batch", "1000", "--wait-when-idle"},
                "sigterm");
  Rows rows = make_rows(6, 9, false);
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      auto r = server.post(json{{"rows", {rows.rows[t]}}}.dump());
      if (r && r->status == 200 && json::parse(r->body)["predictions"].size() == 1) ++answered;
    });
  }
  // Observe them queued, then stop.
  int queued = 0;
  for (int i = 0; i < 2400 && queued < 6; ++i) {
    auto m = server.get("/metrics");
    if (m) queued = json::parse(m->body)["queued_requests"].get<int>();
    if (queued < 6) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(queued, 6);  // not ASSERT: the clients must still be answered and joined
  const auto signalled = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  for (auto& client : clients) client.join();
  EXPECT_EQ(answered, 6);
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(30));
  Result stopped = server.stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("stopped"), std::string::npos) << stopped.err;
}

TEST(ServeRegression, AnswersValuesEqualToAutomlPredict) {
  ScratchDir dir;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::ostringstream train, test;
  train << "a,b,y\n";
  test << "a,b\n";
  json rows = json::array();
  for (int i = 0; i < 200; ++i) {
    std::ostringstream a, b;
    a << normal(rng);
    b << normal(rng);
    train << a.str() << "," << b.str() << ","
          << 3 * std::stod(a.str()) - 2 * std::stod(b.str()) + 0.1 * normal(rng) << "\n";
    if (i < 20) {
      test << a.str() << "," << b.str() << "\n";
      rows.push_back({{"a", std::stod(a.str())}, {"b", std::stod(b.str())}});
    }
  }
  write_file(dir.path() / "train.csv", train.str());
  write_file(dir.path() / "test.csv", test.str());
  const std::string model = (dir.path() / "r.winnow").string();
  Result fit = run_winnow(dir.path(), {"automl", "fit", (dir.path() / "train.csv").string(),
                                       "--target", "y", "--trials", "3", "--models", "xgboost",
                                       "--out", model});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  Result predicted = run_winnow(dir.path(), {"automl", "predict", model,
                                             (dir.path() / "test.csv").string()});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  std::istringstream lines(predicted.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "y");
  std::vector<double> expected;
  while (std::getline(lines, line)) expected.push_back(std::stod(line));
  ASSERT_EQ(expected.size(), 20u);

  Server server(dir.path(), {model}, "regression");
  auto answer = server.post(json{{"rows", rows}}.dump());
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  json parsed = json::parse(answer->body);
  EXPECT_FALSE(parsed.contains("probabilities"));
  ASSERT_EQ(parsed["predictions"].size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(parsed["predictions"][i].get<double>(), expected[i],
                1e-6 * std::max(1.0, std::abs(expected[i])))
        << "row " << i;
  }
  // A text value in a numeric column names the column and the row.
  auto wrong = server.post(R"({"rows": [{"a": 1.0, "b": "two"}]})");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400);
  EXPECT_NE(wrong->body.find("'b'"), std::string::npos) << wrong->body;
  // Beyond single precision a value once failed the whole batch with XGBoost's trace (500).
  auto huge = server.post(R"({"rows": [{"a": 1e39, "b": 0}]})");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 400) << huge->body;
  EXPECT_NE(huge->body.find("column 'a' of rows[0]"), std::string::npos) << huge->body;
  // A second server on the same port is refused, rather than sharing its clients.
  Result second = run_winnow(dir.path(), {"serve", model, "--port", std::to_string(server.port())});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("cannot listen"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("is in use"), std::string::npos) << second.err;
  // An address of another machine (TEST-NET-1) is named as such, not as a port in use.
  Result elsewhere = run_winnow(dir.path(), {"serve", model, "--host", "192.0.2.1", "--port",
                                             std::to_string(server.port())});
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("'192.0.2.1' is not an address of this machine"),
            std::string::npos)
      << elsewhere.err;
  // XGBoost's OpenMP threads once took SIGTERM and its default action: exit 143.
  Result stopped = server.stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("stopped"), std::string::npos) << stopped.err;
}

TEST(ServeCli, RefusesMissingModelAndBadOptions) {
  ScratchDir dir;
  Result missing = run_winnow(dir.path(), {"serve", (dir.path() / "none.winnow").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.winnow"), std::string::npos) << missing.err;
  Result schedule = run_winnow(dir.path(), {"serve", "x", "--schedule", "fast"});
  EXPECT_NE(schedule.exit_code, 0);
  EXPECT_NE(schedule.err.find("per-request"), std::string::npos) << schedule.err;
}

}  // namespace
}  // namespace winnow::e2e
