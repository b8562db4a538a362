// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow dashboard` and `winnow importance` as a user runs them: the real binary on a real
// SQLite study, asked over real HTTP on loopback. Every endpoint of docs/dashboard.md, its bad
// requests, and the guards (Host header, read-only, static files kept in their folder).
#include <httplib.h>

#include <cmath>
#include <gtest/gtest.h>

#include "e2e/e2e_util.h"
#include "unit/postgres_test_support.h"
#include "winnow/study.h"

namespace winnow::e2e {
namespace {

using nlohmann::json;

// A single-objective study with a conditional parameter and intermediate values (some trials
// pruned, one failed), and a two-objective one.
void make_studies(const std::string& storage_url) {
  std::shared_ptr<Storage> storage = open_storage(storage_url);
  SearchSpace space;
  space.add_float("lr", 1e-4, 1e-1).log().add_int("layers", 1, 6)
      .add_categorical("optimizer", {"adam", "sgd"})
      .add_float("momentum", 0, 0.9).when("optimizer == 'sgd'");
  StudyOptions options;
  options.name = "single";
  options.sampler = "random";
  options.seed = 3;
  Study single = Study::create(storage, space, options);
  for (int i = 0; i < 40; ++i) {
    Trial trial = single.ask();
    double loss = std::abs(std::log10(trial.float_param("lr")) + 2.5) +
                  0.05 * static_cast<double>(trial.int_param("layers"));
    for (int step = 1; step <= 3; ++step) trial.report(step, loss + 1.0 / step);
    if (i == 7) {
      single.tell_failed(trial, "objective exited with status 1\nTraceback: boom");
    } else if (i % 5 == 4) {
      single.tell_pruned(trial);
    } else {
      single.tell(trial, loss);
    }
  }
  SearchSpace two_d;
  two_d.add_float("x", 0, 1).add_float("y", 0, 1);
  StudyOptions mo;
  mo.name = "pareto";
  mo.sampler = "random";
  mo.seed = 5;
  mo.directions = {Direction::kMinimize, Direction::kMinimize};
  Study pareto = Study::create(storage, two_d, mo);
  for (int i = 0; i < 30; ++i) {
    Trial trial = pareto.ask();
    double x = trial.float_param("x"), y = trial.float_param("y");
    pareto.tell(trial, std::vector<double>{x, (1 + y) * (1 - std::sqrt(x))});
  }
}

// A running `winnow dashboard` and an HTTP client for it.
class Dashboard {
 public:
  Dashboard(const fs::path& dir, std::vector<std::string> args, const std::string& tag = "dash")
      : dir_(dir), tag_(tag) {
    args.insert(args.begin(), {"dashboard", "--port", "0"});
    process_ = std::make_unique<Process>(dir, args, tag);
    // The first line names the port chosen.
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::string out = read_file(dir / (tag + ".out"));
      size_t at = out.find("127.0.0.1:");
      if (at != std::string::npos) port_ = std::atoi(out.c_str() + at + 10);
    }
    EXPECT_GT(port_, 0) << read_file(dir / (tag + ".err"));
  }
  ~Dashboard() { stop(); }
  Result stop() {
    if (!process_) return {};
    process_->signal(SIGTERM);
    Result result = process_->wait();
    process_.reset();
    return result;
  }
  httplib::Result get(const std::string& path, const std::string& host = "") {
    httplib::Client client("127.0.0.1", port_);
    client.set_url_encode(false);  // the path goes as written, dots and escapes included
    httplib::Headers headers;
    if (!host.empty()) headers.emplace("Host", host);
    return client.Get(path, headers);
  }
  json get_json(const std::string& path, int status = 200) {
    httplib::Result res = get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    return json::parse(res->body, nullptr, false);
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    httplib::Client client("127.0.0.1", port_);
    return client.Post(path, body, "application/json");
  }
  int port() const { return port_; }

 private:
  fs::path dir_;
  std::string tag_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (scratch_.path() / "study.db").string();
    make_studies("sqlite://" + db_);
  }
  ScratchDir scratch_;
  std::string db_;
};

TEST_F(DashboardTest, ServesEveryEndpointOfTheApi) {
  Dashboard dash(scratch_.path(), {db_});
  json studies = dash.get_json("/api/studies")["studies"];
  ASSERT_EQ(studies.size(), 2u);
  json single = studies[0]["name"] == "single" ? studies[0] : studies[1];
  EXPECT_EQ(single["n_trials"], 40);
  EXPECT_EQ(single["counts"]["pruned"], 8);
  EXPECT_EQ(single["counts"]["failed"], 1);
  EXPECT_EQ(single["counts"]["complete"], 31);
  EXPECT_EQ(single["directions"], json::array({"minimize"}));

  json study = dash.get_json("/api/studies/single");
  EXPECT_EQ(study["params"].size(), 4u);
  EXPECT_EQ(study["best_trials"].size(), 1u);
  EXPECT_EQ(study["best_trials"][0], study["best_number"]);

  // Sorted by value: the first row is the best trial; running and failed trials have none and
  // come last.
  json page = dash.get_json("/api/studies/single/trials?sort=value&limit=5");
  EXPECT_EQ(page["total"], 40);
  ASSERT_EQ(page["trials"].size(), 5u);
  EXPECT_EQ(page["trials"][0]["number"], study["best_number"]);
  EXPECT_LE(page["trials"][0]["values"][0].get<double>(),
            page["trials"][1]["values"][0].get<double>());
  json last = dash.get_json("/api/studies/single/trials?sort=value&order=desc&offset=39");
  EXPECT_TRUE(last["trials"][0]["values"].is_null());
  json pruned = dash.get_json("/api/studies/single/trials?state=pruned,failed&limit=1000");
  EXPECT_EQ(pruned["total"], 9);
  json sgd = dash.get_json("/api/studies/single/trials?param=optimizer&param_equals=sgd");
  for (const json& row : sgd["trials"]) EXPECT_TRUE(row["params"].contains("momentum"));
  json small = dash.get_json("/api/studies/single/trials?param=layers&param_max=2&limit=1000");
  for (const json& row : small["trials"]) EXPECT_LE(row["params"]["layers"].get<int>(), 2);
  json by_lr = dash.get_json("/api/studies/single/trials?sort=param:lr&order=desc&limit=2");
  EXPECT_GE(by_lr["trials"][0]["params"]["lr"].get<double>(),
            by_lr["trials"][1]["params"]["lr"].get<double>());

  json failed = dash.get_json("/api/studies/single/trials/7");
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(failed["failure_reason"].get<std::string>().find("Traceback"), std::string::npos);
  EXPECT_EQ(failed["intermediate"].size(), 3u);
  EXPECT_EQ(failed["sampler"], nullptr);
  EXPECT_TRUE(failed["feasible"].is_null());  // only a complete trial is feasible or not

  json history = dash.get_json("/api/studies/single/history");
  EXPECT_EQ(history["number"].size(), 40u);
  EXPECT_EQ(history["values"][0].size(), 40u);
  EXPECT_TRUE(history["values"][0][7].is_null());
  json columns = dash.get_json("/api/studies/single/columns");
  EXPECT_EQ(columns["number"].size(), 31u);
  EXPECT_EQ(columns["params"]["momentum"].size(), 31u);
  EXPECT_EQ(columns["kinds"]["optimizer"], "categorical");

  for (const char* method : {"fanova", "ped-anova"}) {
    json importance =
        dash.get_json(std::string("/api/studies/single/importance?method=") + method);
    ASSERT_EQ(importance["importances"].size(), 4u) << method;
    double sum = 0;
    for (const json& item : importance["importances"]) sum += item["importance"].get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-6) << method;
    EXPECT_EQ(importance["importances"][0]["param"], "lr") << method;
  }
  json curves = dash.get_json("/api/studies/single/intermediate?limit=10");
  EXPECT_EQ(curves["total"], 40);
  EXPECT_EQ(curves["trials"].size(), 10u);
  EXPECT_EQ(curves["trials"][9]["number"], 39);

  json front = dash.get_json("/api/studies/pareto/pareto");
  EXPECT_EQ(front["points"].size(), 30u);
  EXPECT_GT(front["hypervolume"].get<double>(), 0.0);
  EXPECT_FALSE(front["hypervolume_history"].empty());
  int on_front = 0;
  for (const json& point : front["points"]) on_front += point["on_front"].get<bool>();
  EXPECT_GT(on_front, 0);
  dash.get_json("/api/studies/single/pareto", 400);

  // Live: a trial told after the page read the version shows up in the updates.
  const int64_t version = dash.get_json("/api/studies/single")["version"];
  EXPECT_EQ(dash.get_json("/api/studies/single/updates?since=" + std::to_string(version))
                ["trials"].size(), 0u);
  {
    std::shared_ptr<Storage> storage = open_storage("sqlite://" + db_);
    SearchSpace space;
    space.add_float("lr", 1e-4, 1e-1).log().add_int("layers", 1, 6)
        .add_categorical("optimizer", {"adam", "sgd"})
        .add_float("momentum", 0, 0.9).when("optimizer == 'sgd'");
    StudyOptions options;
    options.name = "single";
    options.sampler = "random";
    Study single_again = Study::create(storage, space, options);
    Trial trial = single_again.ask();
    single_again.tell(trial, 0.5);
  }
  json changed;
  for (int i = 0; i < 40; ++i) {
    changed = dash.get_json("/api/studies/single/updates?since=" + std::to_string(version));
    if (!changed["trials"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(changed["trials"].size(), 1u);
  EXPECT_EQ(changed["trials"][0]["number"], 40);
  EXPECT_GT(changed["version"].get<int64_t>(), version);
  EXPECT_EQ(dash.stop().exit_code, 0);  // SIGTERM ends it cleanly
}

// On PostgreSQL a finish is stamped with a version only by the study's next ask: until then
// /updates sends the trial with version 0 at every poll, unless the browser says (`pending`) that
// it has seen the trials in that state.
TEST(DashboardOnPostgres, SendsAFinishNotYetStampedUntilThePageHasSeenIt) {
  ScratchDir dir;
  const std::string url = storage_test::fresh_postgres_url();
  {
    SearchSpace space;
    space.add_float("x", 0, 1);
    Study study = Study::create(open_storage(url), space, {.name = "live", .sampler = "random"});
    for (int i = 0; i < 2; ++i) {
      Trial trial = study.ask();
      study.tell(trial, trial.float_param("x"));
    }
  }
  Dashboard dash(dir.path(), {url});
  json study = dash.get_json("/api/studies/live");
  const int64_t version = study["version"];
  const std::string pending = study["pending"];
  EXPECT_NE(pending, "0");  // the last finish waits for the next ask
  json changed = dash.get_json("/api/studies/live/updates?since=" + std::to_string(version));
  ASSERT_EQ(changed["trials"].size(), 1u);
  EXPECT_EQ(changed["trials"][0]["number"], 1);
  EXPECT_EQ(changed["trials"][0]["state"], "complete");
  EXPECT_EQ(changed["pending"], pending);
  changed = dash.get_json("/api/studies/live/updates?since=" + std::to_string(version) +
                          "&pending=" + pending);
  EXPECT_TRUE(changed["trials"].empty());
  EXPECT_EQ(dash.stop().exit_code, 0);
}

TEST_F(DashboardTest, BadRequestsGetAClearClientError) {
  Dashboard dash(scratch_.path(), {db_});
  auto error_of = [&](const std::string& path, int status) {
    json body = dash.get_json(path, status);
    return body.value("error", std::string());
  };
  EXPECT_NE(error_of("/api/studies/nope", 404).find("'nope'"), std::string::npos);
  EXPECT_NE(error_of("/api/studies/nope/trials", 404).find("'nope'"), std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials/abc", 404).find("'abc'"), std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials/4000", 404).find("4000"), std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials?limit=100000", 400).find("'limit'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials?offset=-1", 400).find("'offset'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials?sort=bogus", 400).find("'sort'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials?sort=value3", 400).find("'sort'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials?state=done", 400).find("'done'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials?value_min=x", 400).find("'value_min'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/trials?param_min=1", 400).find("'param'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/importance?method=shap", 400).find("'method'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/importance?objective=1", 400).find("'objective'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/intermediate?limit=0", 400).find("'limit'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/updates?since=soon", 400).find("'since'"),
            std::string::npos);
  EXPECT_NE(error_of("/api/studies/single/updates", 400).find("'since'"), std::string::npos);
  error_of("/api/no/such/endpoint", 404);
  // A huge body is refused before it is read.
  httplib::Result big = dash.post("/api/studies/single/enqueue", std::string(2 << 20, 'x'));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(dash.get_json("/api/studies")["studies"].size(), 2u);  // and it still serves
}

TEST_F(DashboardTest, RefusesForeignHostsAndWritesUnlessAllowed) {
  Dashboard dash(scratch_.path(), {db_});
  httplib::Result rebound = dash.get("/api/studies", "attacker.example:" +
                                                         std::to_string(dash.port()));
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_NE(rebound->body.find("attacker.example"), std::string::npos);
  httplib::Result local = dash.get("/api/studies", "localhost:" + std::to_string(dash.port()));
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
  httplib::Result write = dash.post("/api/studies/single/enqueue", R"({"params": {"lr": 0.01}})");
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, 403);
  EXPECT_NE(write->body.find("--allow-write"), std::string::npos);
  dash.stop();

  Dashboard writable(scratch_.path(), {db_, "--allow-write"}, "writable");
  httplib::Result bad = writable.post("/api/studies/single/enqueue",
                                      R"({"params": {"lr": 5.0, "layers": 2, "optimizer": "adam"}})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("lr"), std::string::npos) << bad->body;
  httplib::Result malformed = writable.post("/api/studies/single/enqueue", "{not json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  httplib::Result good = writable.post("/api/studies/single/enqueue",
                                       R"({"params": {"lr": 0.01, "layers": 2, "optimizer": "adam"}})");
  ASSERT_TRUE(good);
  ASSERT_EQ(good->status, 200) << good->body;
  EXPECT_EQ(json::parse(good->body)["number"], 40);
  json queued = writable.get_json("/api/studies/single/trials?state=waiting");
  ASSERT_EQ(queued["total"], 1);
  EXPECT_EQ(queued["trials"][0]["params"]["layers"], 2);
}

TEST_F(DashboardTest, StaticFilesNeverLeaveTheirFolder) {
  fs::path site = scratch_.path() / "site";
  fs::create_directories(site / "assets");
  write_file(site / "index.html", "<!doctype html><p>front end</p>");
  write_file(site / "assets" / "app.js", "console.log(1)");
  write_file(scratch_.path() / "secret.txt", "do not serve");
  fs::create_symlink(scratch_.path() / "secret.txt", site / "leak.txt");
  Dashboard dash(scratch_.path(), {db_, "--static", site.string()});
  httplib::Result index = dash.get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_NE(index->body.find("front end"), std::string::npos);
  httplib::Result script = dash.get("/assets/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                           "/assets/%2E%2E/%2E%2E/secret.txt", "/leak.txt", "/nothing.js"}) {
    httplib::Result res = dash.get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("do not serve"), std::string::npos) << path;
  }
}

TEST_F(DashboardTest, ImportanceCommandPrintsATableOrJson) {
  Result table = run_winnow(scratch_.path(), {"importance", "--storage", db_, "--study",
                                              "single"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("lr"), std::string::npos);
  EXPECT_NE(table.out.find("momentum"), std::string::npos);
  Result json_out = run_winnow(scratch_.path(), {"importance", db_, "--study", "single",
                                                 "--method", "ped-anova", "--json"});
  ASSERT_EQ(json_out.exit_code, 0) << json_out.err;
  json parsed = json::parse(json_out.out);
  EXPECT_EQ(parsed["method"], "ped-anova");
  EXPECT_EQ(parsed["n_trials"], 31);
  EXPECT_EQ(parsed["importances"][0]["param"], "lr");
  Result typo = run_winnow(scratch_.path(), {"importance", db_, "--study", "single",
                                             "--params", "lrr"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("'lrr'"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("lr"), std::string::npos) << typo.err;
  Result objective = run_winnow(scratch_.path(), {"importance", db_, "--study", "pareto",
                                                  "--objective", "2"});
  EXPECT_EQ(objective.exit_code, 2);
  EXPECT_NE(objective.err.find("objective"), std::string::npos) << objective.err;
}

TEST_F(DashboardTest, PlotWritesEveryKindAsSvgHtmlAndPng) {
  const fs::path dir = scratch_.path();
  auto plot = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "plot");
    return run_winnow(dir, args);
  };
  struct Case {
    const char* kind;
    const char* study;
    const char* marker;  // an element the plot cannot lack
  };
  for (const Case& c : {Case{"history", "single", "<polyline"}, Case{"importance", "single", "lr"},
                        Case{"parallel", "single", "momentum"}, Case{"slice", "single", "layers"},
                        Case{"contour", "single", "<rect"}, Case{"pareto", "pareto", "Pareto"},
                        Case{"intermediate", "single", "stroke-dasharray"}}) {
    const fs::path out = dir / (std::string(c.kind) + ".svg");
    Result r = plot({c.kind, db_, "--study", c.study, "--out", out.string()});
    ASSERT_EQ(r.exit_code, 0) << c.kind << ": " << r.err;
    const std::string svg = read_file(out);
    EXPECT_EQ(svg.rfind("<svg", 0), 0u) << c.kind;
    EXPECT_NE(svg.find("</svg>"), std::string::npos) << c.kind;
    EXPECT_NE(svg.find(c.marker), std::string::npos) << c.kind;
    EXPECT_GT(svg.size(), 1000u) << c.kind;
  }
  // Every complete trial is a point of the history; the failed and pruned ones are not.
  const std::string history = read_file(dir / "history.svg");
  size_t points = 0;
  for (size_t at = history.find("<circle"); at != std::string::npos;
       at = history.find("<circle", at + 1)) {
    ++points;
  }
  EXPECT_EQ(points, 31u);

  Result png = plot({"history", db_, "--study", "single", "--log", "--out",
                     (dir / "history.png").string()});
  ASSERT_EQ(png.exit_code, 0) << png.err;
  const std::string bytes = read_file(dir / "history.png");
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  Result html = plot({"contour", db_, "--study", "single", "--params", "lr,layers", "--out",
                      (dir / "contour.html").string()});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(read_file(dir / "contour.html").find("<svg"), std::string::npos);

  Result single_front = plot({"pareto", db_, "--study", "single", "--out",
                              (dir / "x.svg").string()});
  EXPECT_EQ(single_front.exit_code, 2);
  EXPECT_NE(single_front.err.find("2 or 3 objectives"), std::string::npos) << single_front.err;
  Result one_param = plot({"contour", db_, "--study", "single", "--params", "lr", "--out",
                           (dir / "x.svg").string()});
  EXPECT_EQ(one_param.exit_code, 2);
  EXPECT_NE(one_param.err.find("two parameters"), std::string::npos) << one_param.err;
  Result typo = plot({"slice", db_, "--study", "single", "--params", "layer", "--out",
                      (dir / "x.svg").string()});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("'layer'"), std::string::npos) << typo.err;
  Result extension = plot({"history", db_, "--study", "single", "--out",
                           (dir / "x.pdf").string()});
  EXPECT_EQ(extension.exit_code, 2);
  EXPECT_NE(extension.err.find(".svg, .html or .png"), std::string::npos) << extension.err;
  EXPECT_FALSE(fs::exists(dir / "x.svg"));
  EXPECT_FALSE(fs::exists(dir / "x.pdf"));
}

}  // namespace
}  // namespace winnow::e2e
