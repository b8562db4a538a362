// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Algorithm configuration end to end: the real `winnow` binary tunes a real program (a small
// Python "solver" whose cost depends on its parameters and on the instance file it reads) over
// instance files listed by a glob, a directory and a listing file; reports, test evaluation,
// runtime costs with capping, exit codes and study-file errors.
#include <gtest/gtest.h>

#include <set>

#include "e2e/e2e_util.h"

namespace winnow::e2e {
namespace {

// Reads "difficulty=D" from its instance (arguments "--key value" or "--key=value"); the cost grows with the distance of --x from 0.3,
// with --mode slow, and with the instance's difficulty; a little seeded noise. In --sleep mode
// it sleeps for cost x scale seconds instead of printing (a runtime cost); --exit sets the
// exit status of a successful run (SAT solvers exit 10 and 20).
constexpr const char* kSolver = R"PY(import random, sys, time
args, tokens = {}, iter(sys.argv[1:])
for token in tokens:
    key, value = token.split("=", 1) if "=" in token else (token, next(tokens))
    args[key] = value
difficulty = float(open(args["--instance"]).read().split("=")[1])
x = float(args["--x"])
cost = difficulty * (0.1 + (x - 0.3) ** 2 + (0.5 if args["--mode"] == "slow" else 0.0))
cost *= 1 + 0.05 * random.Random(int(args.get("--seed", "0"))).random()
if "--sleep" in args:
    time.sleep(cost * float(args["--sleep"]))
else:
    print(cost)
sys.exit(int(args.get("--exit", "0")))
)PY";

void make_instances(const fs::path& dir, const std::string& name, int n, int offset = 0) {
  fs::create_directories(dir / name);
  for (int i = 0; i < n; ++i) {
    write_file(dir / name / ("p" + std::to_string(i) + ".inst"),
               "difficulty=" + std::to_string(1 + (i + offset) % 4) + "\n");
  }
}

std::string study_text(const std::string& sampler, int budget, const std::string& extra_objective,
                       const std::string& train = "train/*.inst") {
  return "[study]\nname = \"ac\"\nsampler = \"" + sampler + "\"\nbudget_runs = " +
         std::to_string(budget) + "\nseed = 4\n\n"
         "[instances]\ntrain = \"" + train + "\"\ntest = \"test\"\n\n"
         "[objective]\ncommand = [\"python3\", \"solver.py\", \"--x\", \"{x}\", \"--mode\", "
         "\"{mode}\", \"--instance={instance}\"" + extra_objective + "\n\n"
         "[space]\nx = {type = \"float\", low = 0.0, high = 1.0}\n"
         "mode = {type = \"categorical\", choices = [\"fast\", \"slow\"]}\n";
}

nlohmann::json show_json(const fs::path& dir) {
  Result shown = run_winnow(dir, {"show", (dir / "study.db").string(), "--json"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  return nlohmann::json::parse(shown.out);
}

TEST(AlgorithmConfiguration, RaceTunesOverInstancesReportsVerdictsAndEvaluatesOnTest) {
  ScratchDir dir;
  write_file(dir.path() / "solver.py", kSolver);
  make_instances(dir.path(), "train", 12);
  make_instances(dir.path(), "test", 4, 1);
  write_file(dir.path() / "study.toml",
             study_text("race", 150, "]\nseed_arg = \"--seed={seed}\""));
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string(), "-j", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Incumbent: configuration"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("On the test instances: mean cost"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("evaluated the incumbent on 4 test instance(s)"), std::string::npos);

  std::vector<nlohmann::json> rows = export_trials(dir.path(), (dir.path() / "study.db").string(),
                                                   "ac");
  ASSERT_EQ(rows.size(), 154u);  // the budget of tuning runs, then the 4 test runs
  std::set<std::string> instances;
  std::set<std::pair<std::string, std::string>> runs;
  int test_runs = 0;
  for (const auto& row : rows) {
    const auto& attrs = row["user_attrs"];
    ASSERT_TRUE(attrs.contains("winnow.instance")) << row.dump();
    ASSERT_TRUE(attrs.contains("winnow.seed")) << row.dump();
    if (attrs.contains("winnow.phase")) {
      ++test_runs;
      EXPECT_NE(attrs["winnow.instance"].get<std::string>().find("/test/"), std::string::npos);
      continue;
    }
    EXPECT_NE(attrs["winnow.instance"].get<std::string>().find("/train/"), std::string::npos);
    instances.insert(attrs["winnow.instance"].get<std::string>());
    EXPECT_TRUE(runs.emplace(attrs["winnow.configuration"].dump(),
                             attrs["winnow.position"].dump())
                    .second);
    EXPECT_EQ(row["state"], "complete");
  }
  EXPECT_EQ(test_runs, 4);
  EXPECT_EQ(instances.size(), 12u);  // every training instance was raced on

  nlohmann::json report = show_json(dir.path());
  ASSERT_TRUE(report["incumbent"].is_object()) << report.dump(2);
  EXPECT_EQ(report["incumbent"]["params"]["mode"], "fast");
  EXPECT_NEAR(report["incumbent"]["params"]["x"].get<double>(), 0.3, 0.2);
  EXPECT_EQ(report["incumbent"]["test"].size(), 4u);
  EXPECT_TRUE(report["incumbent"]["test_cost"].is_number());
  int eliminated = 0;
  for (const auto& c : report["configurations"]) {
    if (c["status"] == "eliminated") {
      ++eliminated;
      EXPECT_NE(c["reason"].get<std::string>().find("iteration"), std::string::npos);
    }
  }
  EXPECT_GT(eliminated, 5);
  Result shown = run_winnow(dir.path(), {"show", (dir.path() / "study.db").string()});
  EXPECT_NE(shown.out.find("eliminated"), std::string::npos) << shown.out;
  // One run's value ranks nothing: no "best trial" ahead of the configuration report.
  EXPECT_EQ(shown.out.find("Best trial"), std::string::npos) << shown.out;
}

TEST(AlgorithmConfiguration, InstanceFilesChangedBeforeAResumeAreRefused) {
  // Runs are kept by their place in a shuffle of the instance files: files added later moved
  // stored runs onto other instances, and the tests paired runs on different instances.
  ScratchDir dir;
  write_file(dir.path() / "solver.py", kSolver);
  make_instances(dir.path(), "train", 6);
  make_instances(dir.path(), "test", 1);
  write_file(dir.path() / "study.toml", study_text("race", 12, "]"));
  const std::string file = (dir.path() / "study.toml").string();
  Result run = run_winnow(dir.path(), {"run", file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Renamed, every position that was run holds another instance now.
  for (int i = 0; i < 6; ++i) {
    fs::rename(dir.path() / "train" / ("p" + std::to_string(i) + ".inst"),
               dir.path() / "train" / ("q" + std::to_string(i) + ".inst"));
  }
  Result resumed = run_winnow(dir.path(), {"resume", file, "--trials", "24"});
  EXPECT_EQ(resumed.exit_code, 2) << resumed.err;
  EXPECT_NE(resumed.err.find("the instance files changed since the study began"),
            std::string::npos)
      << resumed.err;
  for (int i = 0; i < 6; ++i) {
    fs::rename(dir.path() / "train" / ("q" + std::to_string(i) + ".inst"),
               dir.path() / "train" / ("p" + std::to_string(i) + ".inst"));
  }
  Result again = run_winnow(dir.path(), {"resume", file, "--trials", "24"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  // The first run's test run does not use up the larger budget: all 24 are tuning runs.
  int tuning_runs = 0;
  for (const auto& row : export_trials(dir.path(), (dir.path() / "study.db").string(), "ac")) {
    tuning_runs += !row["user_attrs"].contains("winnow.phase");
  }
  EXPECT_EQ(tuning_runs, 24);
}

TEST(AlgorithmConfiguration, RuntimeCostWithCappingCutsHopelessRunsAndCountsParTen) {
  ScratchDir dir;
  write_file(dir.path() / "solver.py", kSolver);
  make_instances(dir.path(), "train", 6);
  make_instances(dir.path(), "test", 2);
  // A listing file for the training instances; the solver exits 10 like a SAT solver.
  write_file(dir.path() / "train.txt", "# training set\ntrain/p0.inst\ntrain/p1.inst\n"
                                       "train/p2.inst\ntrain/p3.inst\n\ntrain/p4.inst\n");
  write_file(dir.path() / "study.toml",
             study_text("random", 40,
                        ", \"--sleep\", \"0.1\", \"--exit\", \"10\"]\ncost = \"runtime\"\n"
                        "cutoff = \"0.4s\"\nexit_codes = [0, 10]",
                        "train.txt"));
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> rows = export_trials(dir.path(), (dir.path() / "study.db").string(),
                                                   "ac");
  int capped = 0, censored = 0;
  for (const auto& row : rows) {
    ASSERT_EQ(row["state"], "complete") << row.dump();
    const double value = row["values"][0].get<double>();
    if (row["user_attrs"].contains("winnow.cap")) ++capped;
    if (row["metrics"].contains("censored")) {
      ++censored;
      // Censored at a cap below the cutoff: the cap; at the cutoff: PAR10.
      if (!row["user_attrs"].contains("winnow.cap")) {
        EXPECT_DOUBLE_EQ(value, 4.0);
      }
    } else {
      EXPECT_LT(value, 0.4 + 0.2);
      // The solver mostly sleeps: its CPU time is Python's start, below its run time.
      ASSERT_TRUE(row["metrics"].contains("cpu_seconds")) << row.dump();
      EXPECT_GT(row["metrics"]["cpu_seconds"].get<double>(), 0) << row.dump();
      EXPECT_LT(row["metrics"]["cpu_seconds"].get<double>(), value) << row.dump();
    }
  }
  EXPECT_GT(capped, 0);
  EXPECT_GT(censored, 0);
  nlohmann::json report = show_json(dir.path());
  EXPECT_GT(report["censored_runs"].get<int>(), 0);
  EXPECT_EQ(report["incumbent"]["test"].size(), 2u);
}

TEST(AlgorithmConfiguration, StudyFileMistakesNameTheFileLineAndKey) {
  ScratchDir dir;
  write_file(dir.path() / "solver.py", kSolver);
  make_instances(dir.path(), "train", 3);
  make_instances(dir.path(), "test", 1);
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {study_text("race", 10, "]", "nothing/*.inst"), "instances.train: 'nothing/*.inst' matches no file"},
      {study_text("race", 10, "]\ncost = \"runtime\""), "a runtime cost needs a cutoff"},
      {study_text("race", 10, "]\nseed_arg = \"--seed {seed}\""),
       "objective.seed_arg: '--seed {seed}' would reach the program as one argument"},
      {study_text("race", 10, "]\nseed_arg = \"--seed\""), "objective.seed_arg: must contain {seed}"},
      {study_text("race", 10, "]\ncost = \"time\""), "unknown cost 'time'"},
      {study_text("race", 10, "]\nexit_codes = [0, 300]"), "objective.exit_codes[1]"},
      {study_text("race", 10, "]\nretries = 1"), "objective.retries: a study with [instances]"},
  };
  for (const Case& c : cases) {
    write_file(dir.path() / "study.toml", c.text);
    Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
    EXPECT_EQ(run.exit_code, 2) << c.text << run.err;
    EXPECT_NE(run.err.find("study.toml:"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
  }
  // A test instance that is also a training instance.
  write_file(dir.path() / "study.toml",
             "[study]\nsampler = \"race\"\n[instances]\ntrain = \"train\"\n"
             "test = \"train/p1*\"\n[objective]\ncommand = [\"python3\", \"{instance}\"]\n"
             "[space]\nx = {type = \"float\", low = 0, high = 1}\n");
  Result overlap = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(overlap.exit_code, 2);
  EXPECT_NE(overlap.err.find("study.toml:5: instances.test: 'train/p1.inst' is also a training "
                             "instance"),
            std::string::npos)
      << overlap.err;
  // The same through a symbolic link: the same files, refused alike.
  fs::create_directory_symlink(dir.path() / "train", dir.path() / "link");
  write_file(dir.path() / "study.toml",
             "[study]\nsampler = \"race\"\n[instances]\ntrain = \"train\"\n"
             "test = \"link/p1*\"\n[objective]\ncommand = [\"python3\", \"{instance}\"]\n"
             "[space]\nx = {type = \"float\", low = 0, high = 1}\n");
  Result linked = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(linked.exit_code, 2);
  EXPECT_NE(linked.err.find("is also a training instance"), std::string::npos) << linked.err;
  // A listing file that names a folder, or one instance twice, which would weigh it double.
  for (const auto& [listing, message] : std::vector<std::pair<std::string, std::string>>{
           {"train/p0.inst\ntrain\n", "list.txt:2: instance 'train' is not a file"},
           {"train/p0.inst\n# again\n./train/p0.inst\n",
            "list.txt:3: instance './train/p0.inst' is listed already on line 1"}}) {
    write_file(dir.path() / "list.txt", listing);
    write_file(dir.path() / "study.toml",
               "[study]\nsampler = \"race\"\n[instances]\ntrain = \"list.txt\"\n"
               "[objective]\ncommand = [\"python3\", \"{instance}\"]\n"
               "[space]\nx = {type = \"float\", low = 0, high = 1}\n");
    Result listed = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
    EXPECT_EQ(listed.exit_code, 2);
    EXPECT_NE(listed.err.find(message), std::string::npos) << listed.err;
  }
  // A runtime cost maximised: every challenger would be capped at once.
  write_file(dir.path() / "study.toml",
             "[study]\nsampler = \"race\"\ndirection = \"maximize\"\n[instances]\n"
             "train = \"train\"\n[objective]\ncommand = [\"python3\", \"{instance}\"]\n"
             "cost = \"runtime\"\ncutoff = \"1s\"\n"
             "[space]\nx = {type = \"float\", low = 0, high = 1}\n");
  Result maximised = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(maximised.exit_code, 2);
  EXPECT_NE(maximised.err.find("study.toml:3: study.direction: a runtime cost is minimised"),
            std::string::npos)
      << maximised.err;
  // Racing without instances, and run keys without instances.
  write_file(dir.path() / "study.toml",
             "[study]\nsampler = \"race\"\n[objective]\ncommand = [\"python3\"]\n"
             "[space]\nx = {type = \"float\", low = 0, high = 1}\n");
  Result no_instances = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_NE(no_instances.err.find("study.toml:2: study.sampler: 'race' races configurations"),
            std::string::npos)
      << no_instances.err;
  write_file(dir.path() / "study.toml",
             "[objective]\ncommand = [\"python3\"]\ncutoff = \"2s\"\n"
             "[space]\nx = {type = \"float\", low = 0, high = 1}\n");
  Result stray = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_NE(stray.err.find("study.toml:3: objective.cutoff: belongs to algorithm configuration"),
            std::string::npos)
      << stray.err;
}

}  // namespace
}  // namespace winnow::e2e
