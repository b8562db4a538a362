// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// End-to-end tests: the real `winnow` binary on real study files, real objective programs and a
// real SQLite file.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>

#include "e2e/e2e_util.h"

namespace winnow::e2e {
namespace {

// An objective whose behaviour depends on the trial number: it writes what it received and
// prints a result.
const char* kObjective = R"PY(
import json, os, sys
x = float(sys.argv[1]); kind = sys.argv[2]
trial = int(os.environ["WINNOW_TRIAL"])
params = json.load(open(os.environ["WINNOW_PARAMS_FILE"]))
assert params["params"]["x"] == x, params
print("winnow: step=1 value=%f" % (x * 2))
print("some log line")
print(json.dumps({"loss": (x - 0.3) ** 2, "kind_len": len(kind)}))
)PY";

std::string basic_study(const std::string& extra_objective = "", int trials = 12, int jobs = 2) {
  return R"(
[study]
name = "basic"
objectives = ["loss"]
directions = ["minimize"]
sampler = "sobol"
seed = 3
trials = )" + std::to_string(trials) + R"(
jobs = )" + std::to_string(jobs) + R"(

[objective]
command = ["python3", "objective.py", "{x}", "{kind}"]
timeout = "30s"
)" + extra_objective + R"(

[space]
x = { type = "float", low = 0.0, high = 1.0 }
kind = { type = "categorical", choices = ["a", "bb"] }
)";
}

TEST(Cli, RunShowAndExport) {
  ScratchDir dir;
  write_file(dir.path() / "objective.py", kObjective);
  write_file(dir.path() / "study.toml", basic_study());
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Best trial"), std::string::npos) << run.out;
  ASSERT_TRUE(fs::exists(dir.path() / "study.db"));  // beside the study file by default

  std::vector<nlohmann::json> rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "basic");
  ASSERT_EQ(rows.size(), 12u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["state"], "complete") << row.dump();
    double x = row["params"]["x"];
    EXPECT_NEAR(row["values"][0].get<double>(), (x - 0.3) * (x - 0.3), 1e-9);
    EXPECT_EQ(row["metrics"]["kind_len"].get<double>(), row["params"]["kind"].get<std::string>().size());
    EXPECT_NEAR(row["intermediate"]["1"].get<double>(), 2 * x, 1e-5);
  }
  // The per-trial log keeps the program's output.
  std::string log = read_file(dir.path() / "study-runs" / "basic" / "0" / "output.log");
  EXPECT_NE(log.find("some log line"), std::string::npos);

  Result show = run_winnow(dir.path(), {"show", (dir.path() / "study.db").string()});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("complete 12"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("kind_len"), std::string::npos) << "metrics in the leaderboard: " << show.out;

  Result csv = run_winnow(dir.path(), {"export", "--storage", "sqlite:///" + (dir.path() / "study.db").string(),
                                       "--study", "basic", "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 13);
  EXPECT_EQ(csv.out.rfind("number,state,value_loss,", 0), 0u) << csv.out;

  // Running again does nothing more: the study already has its trials.
  Result again = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(export_trials(dir.path(), (dir.path() / "study.db").string(), "basic").size(), 12u);
}

TEST(Cli, DefaultAutoSamplerRecordsAndPrintsItsChoices) {
  ScratchDir dir;
  write_file(dir.path() / "objective.py", kObjective);
  std::string study = basic_study("", 13, 2);
  study.erase(study.find("sampler = \"sobol\"\n"), std::string("sampler = \"sobol\"\n").size());
  write_file(dir.path() / "study.toml", study);
  Result run = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // Each change of sampler is printed, with its reason. With two workers either of the first two
  // trials of a phase may be the first to start, so the trial number is not checked.
  EXPECT_NE(run.err.find(": sampler sobol (space-filling start"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(": sampler gp ("), std::string::npos) << run.err;
  std::vector<nlohmann::json> rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "basic");
  ASSERT_EQ(rows.size(), 13u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["state"], "complete") << row.dump();
    EXPECT_EQ(row["user_attrs"]["winnow.sampler"], row["number"].get<int>() < 10 ? "sobol" : "gp")
        << row.dump();
  }
  Result show = run_winnow(dir.path(), {"show", (dir.path() / "study.db").string()});
  EXPECT_NE(show.out.find("Proposed by: sobol #0-9, gp #10-12"), std::string::npos) << show.out;
}

TEST(Cli, BadStudyFileNamesFileLineAndParameter) {
  ScratchDir dir;
  std::string text = basic_study();
  text.replace(text.find("low = 0.0, high = 1.0"), 21, "low = 2.0, high = 1.0");
  write_file(dir.path() / "bad.toml", text);
  Result r = run_winnow(dir.path(), {"run", (dir.path() / "bad.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml:17: parameter 'x': low (2) must be less than high (1)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'x'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "bad.db"));

  write_file(dir.path() / "typo.toml", basic_study("retires = 2"));
  r = run_winnow(dir.path(), {"run", (dir.path() / "typo.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'retries'"), std::string::npos) << r.err;

  r = run_winnow(dir.path(), {"show", (dir.path() / "missing.db").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing.db"), std::string::npos);
}

TEST(Cli, HangingObjectiveIsKilledAtItsTimeout) {
  ScratchDir dir;
  write_file(dir.path() / "study.toml", R"(
[study]
trials = 2
[objective]
command = ["sh", "-c", "sleep 60 & sleep 60; echo 1", "ignored", "{x}"]
timeout = "500ms"
kill_grace = "200ms"
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  auto start = std::chrono::steady_clock::now();
  Result r = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(seconds, 30.0);
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "study");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["state"], "failed");
    EXPECT_NE(row["failure_reason"].get<std::string>().find("timed out"), std::string::npos) << row.dump();
  }
}

TEST(Cli, CrashingAndLyingObjectivesFailOnlyTheirTrial) {
  ScratchDir dir;
  write_file(dir.path() / "objective.py", R"PY(
import os, signal, sys
n = int(sys.argv[1]) % 6
print("starting", file=sys.stderr)
if n == 0: os.kill(os.getpid(), signal.SIGSEGV)
elif n == 1: sys.exit(3)
elif n == 2: print("the answer is forty-two")
elif n == 3: print("nan")
elif n == 4: print('{"value": "high"}')
else: print(0.5)
)PY");
  write_file(dir.path() / "study.toml", R"(
[study]
trials = 12
jobs = 3
[objective]
command = ["python3", "objective.py", "{trial}", "{x}"]
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  Result r = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "study");
  ASSERT_EQ(rows.size(), 12u);
  std::map<int, std::string> expected = {{0, "signal 11"}, {1, "status 3"}, {2, "forty-two"},
                                         {3, "NaN"}, {4, "high"}};
  for (const auto& row : rows) {
    int n = row["number"].get<int>() % 6;
    if (n == 5) {
      EXPECT_EQ(row["state"], "complete") << row.dump();
      continue;
    }
    EXPECT_EQ(row["state"], "failed") << row.dump();
    std::string reason = row["failure_reason"];
    EXPECT_NE(reason.find(expected[n]), std::string::npos) << n << ": " << reason;
    EXPECT_NE(reason.find("starting"), std::string::npos) << "log tail missing: " << reason;
  }
}

TEST(Cli, MaliciousCategoricalValueIsOneLiteralArgument) {
  ScratchDir dir;
  fs::path canary = dir.path() / "canary";
  write_file(canary, "alive");
  write_file(dir.path() / "objective.py", R"PY(
import sys
open(sys.argv[2], "a").write(repr(sys.argv[1:]) + "\n")
print(len(sys.argv))
)PY");
  write_file(dir.path() / "study.toml", R"TOML(
[study]
trials = 6
sampler = "grid"
[objective]
command = ["python3", "objective.py", "{evil}", "argv.txt"]
[space]
evil = { type = "categorical", choices = ["x; rm -f canary", "$(rm -f canary)", "`rm -f canary` && echo pwned > pwned"] }
)TOML");
  Result r = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(canary));
  EXPECT_FALSE(fs::exists(dir.path() / "pwned"));
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "study");
  ASSERT_EQ(rows.size(), 3u);  // the grid has three points
  for (const auto& row : rows) EXPECT_EQ(row["values"][0].get<double>(), 3.0) << row.dump();
  std::string argv = read_file(dir.path() / "argv.txt");
  EXPECT_NE(argv.find("['x; rm -f canary', 'argv.txt']"), std::string::npos) << argv;
}

TEST(Cli, ChoicesWithLineBreaksAndPythonJsonShowAndStoreWhole) {
  // A newline in a choice split its row of the `show` table in two; a NaN metric in what
  // Python's json.dumps prints failed the trial as invalid JSON.
  ScratchDir dir;
  write_file(dir.path() / "objective.py",
             "import json, sys\n"
             "print(json.dumps({'value': len(sys.argv[1]), 'gap': float('nan'),"
             " 'top': float('inf'), 'tab\\there': 1, 'back\\\\slash': 2}))\n");
  write_file(dir.path() / "study.toml", R"TOML(
[study]
trials = 2
sampler = "grid"
[objective]
command = ["python3", "objective.py", "{text}"]
[space]
text = { type = "categorical", choices = ["line one\nline two", "tab\there"] }
)TOML");
  const std::string file = (dir.path() / "study.toml").string();
  Result run = run_winnow(dir.path(), {"run", file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "study");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["state"], "complete") << row.dump();
    EXPECT_TRUE(row.dump().find("\"gap\"") != std::string::npos) << row.dump();
  }
  // Metric names are column headers: escaped, they once outgrew the width measured raw.
  Result show = run_winnow(dir.path(), {"show", file});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("line one\\nline two"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("tab\\there"), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("line one\n"), std::string::npos) << show.out;
  Result trial = run_winnow(dir.path(), {"show", file, "--trial", "0"});
  ASSERT_EQ(trial.exit_code, 0) << trial.err;
  EXPECT_EQ(trial.out.find("line one\n"), std::string::npos) << trial.out;
}

TEST(Cli, StudyFilesThatCouldOnlyMisbehaveAreRefusedAtOnce) {
  ScratchDir dir;
  struct Case {
    std::string name, objective, space, extra, message;
  };
  const std::string echo = R"(command = ["echo", "1"])";
  const std::vector<Case> cases = {
      // The widest finite budget range once made hyperband and asha allocate without end.
      {"budget", echo, R"(x = { type = "float", low = 0.0, high = 1.0 })",
       "scheduler = \"hyperband\"\n[budget]\nmin = 1e-300\nmax = 1e300\n",
       "max / min = 1e+300 / 1e-300 makes more than 64 rungs with eta = 3"},
      // A grid of a billion points was built before its size was checked.
      {"grid", echo, R"(n = { type = "int", low = 0, high = 1000000000 })", "sampler = \"grid\"\n",
       "the grid has more than 2000000 points"},
      {"env", R"(command = ["echo", "{lr}"])",
       "lr = { type = \"float\", low = 0.1, high = 1.0 }\nLR = { type = \"float\", low = 0.1, "
       "high = 1.0 }",
       "", "parameters 'lr' and 'LR' would both reach the program as WINNOW_PARAM_LR"},
  };
  for (const Case& c : cases) {
    std::string extra = c.extra;
    std::string budget;
    if (size_t at = extra.find("[budget]"); at != std::string::npos) {
      budget = extra.substr(at);
      extra = extra.substr(0, at);
    }
    write_file(dir.path() / (c.name + ".toml"), "[study]\ntrials = 3\n" + extra +
                                                    "[objective]\n" + c.objective + "\n" + budget +
                                                    "[space]\n" + c.space + "\n");
    auto start = std::chrono::steady_clock::now();
    Result r = run_winnow(dir.path(), {"run", (dir.path() / (c.name + ".toml")).string()});
    EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << ": " << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60)) << c.name;
  }
}

TEST(Cli, ShellScriptWarningsEmptyToldValuesAndExportsOverTheStudyFiles) {
  ScratchDir dir;
  write_file(dir.path() / "shell.toml", R"TOML(
[study]
trials = 2
sampler = "grid"
[objective]
command = ["sh", "-c", "echo '{c}' >&2; echo {x}", "sh"]
[space]
c = { type = "categorical", choices = ["plain", "x'; touch pwned; echo '"] }
x = { type = "int", low = 1, high = 2 }
)TOML");
  Result shell = run_winnow(dir.path(), {"run", (dir.path() / "shell.toml").string()});
  EXPECT_EQ(shell.exit_code, 0) << shell.err;
  EXPECT_NE(shell.err.find("warning: command argument 3: {c} is pasted into a sh script"),
            std::string::npos)
      << shell.err;
  EXPECT_EQ(shell.err.find("{x} is pasted"), std::string::npos) << shell.err;

  write_file(dir.path() / "manual.toml",
             "[study]\n[objective]\ncommand = [\"echo\", \"1\"]\n[space]\n"
             "x = { type = \"float\", low = 0.0, high = 1.0 }\n");
  const std::string file = (dir.path() / "manual.toml").string();
  ASSERT_EQ(run_winnow(dir.path(), {"ask", file}).exit_code, 0);
  Result empty = run_winnow(dir.path(), {"tell", file, "--trial", "0", "--value", ""});
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("empty value"), std::string::npos) << empty.err;
  Result blank = run_winnow(dir.path(), {"tell", file, "--trial", "0", "--value", " "});
  EXPECT_NE(blank.exit_code, 0) << blank.err;
  ASSERT_EQ(run_winnow(dir.path(), {"tell", file, "--trial", "0", "--value", "0.5"}).exit_code, 0);

  // An export never replaces the study's own files.
  const std::string db = (dir.path() / "manual.db").string();
  const std::string before = read_file(db);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"export", db, "-o", db},
        std::vector<std::string>{"export", file, "-o", file},
        std::vector<std::string>{"export", file, "-o", db}}) {
    Result r = run_winnow(dir.path(), args);
    EXPECT_EQ(r.exit_code, 2) << args[3] << ": " << r.err;
    EXPECT_NE(r.err.find("refusing to write over"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_file(db), before);
  EXPECT_NE(read_file(file).find("[space]"), std::string::npos);
}

TEST(Cli, ATimeoutBeyondTheClockMeansNoLimit) {
  // Added to the clock's now, it once overflowed into the past: no trial ran, exit status 0.
  ScratchDir dir;
  write_file(dir.path() / "long.toml",
             "[study]\ntrials = 2\ntimeout = 1e10\n[objective]\ncommand = [\"echo\", \"{x}\"]\n"
             "[space]\nx = { type = \"float\", low = 0.0, high = 1.0 }\n");
  const std::string file = (dir.path() / "long.toml").string();
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--trials", "3", "--timeout", "99999999999h"})
                .exit_code,
            0);
  auto rows = export_trials(dir.path(), (dir.path() / "long.db").string(), "long");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) EXPECT_EQ(row["state"], "complete") << row.dump();
}

TEST(Cli, TwoStudiesOfOneNameNeverShareTrialFolders) {
  // One study file run against two storages names both studies "study": their trial 0 once
  // shared <runs_dir>/study/0/ and checkpoints/0/, so the second overwrote the first's logs.
  ScratchDir dir;
  write_file(dir.path() / "study.toml",
             "[study]\ntrials = 2\n[objective]\ncommand = [\"echo\", \"{x}\"]\n"
             "[space]\nx = { type = \"float\", low = 0.0, high = 1.0 }\n");
  const std::string file = (dir.path() / "study.toml").string();
  const std::string first = (dir.path() / "a.db").string();
  ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--storage", first}).exit_code, 0);
  const fs::path folder = dir.path() / "study-runs" / "study";
  const std::string params = read_file(folder / "0" / "params.json");
  ASSERT_TRUE(fs::exists(folder / "study.json"));

  const std::string second = (dir.path() / "b.db").string();
  Result other = run_winnow(dir.path(), {"run", file, "--storage", second});
  EXPECT_NE(other.exit_code, 0);
  // Refused before the study was made: nothing is left in the other storage.
  Result listed = run_winnow(dir.path(), {"studies", second});
  EXPECT_EQ(listed.out.find("study"), std::string::npos) << listed.out << listed.err;
  EXPECT_NE(other.err.find("runs folder '" + folder.string() + "'"), std::string::npos)
      << other.err;
  EXPECT_NE(other.err.find("runs_dir"), std::string::npos) << other.err;
  EXPECT_EQ(read_file(folder / "0" / "params.json"), params);

  // The study that owns the folder goes on using it, and a folder from before the note (no
  // study.json) is adopted by the study that runs in it.
  ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--storage", first, "--trials", "3"}).exit_code,
            0);
  fs::remove(folder / "study.json");
  ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--storage", first, "--trials", "4"}).exit_code,
            0);
  EXPECT_TRUE(fs::exists(folder / "study.json"));
  EXPECT_EQ(export_trials(dir.path(), first, "study").size(), 4u);
  EXPECT_EQ(read_file(folder / "0" / "params.json"), params);

  // A study in memory is made anew by each run: its folder is not claimed.
  write_file(dir.path() / "mem.toml",
             "[study]\ntrials = 1\nstorage = \"memory\"\n[objective]\ncommand = [\"echo\", \"{x}\"]\n"
             "[space]\nx = { type = \"float\", low = 0.0, high = 1.0 }\n");
  const std::string memory_file = (dir.path() / "mem.toml").string();
  EXPECT_EQ(run_winnow(dir.path(), {"run", memory_file}).exit_code, 0);
  Result again = run_winnow(dir.path(), {"run", memory_file});
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST(Cli, TheSeedBelongsToTheStudy) {
  // Another --seed on an existing study silently gave that process a sequence of its own, and
  // CLI11 read "--seed -1" as 2^64 - 1.
  ScratchDir dir;
  const std::string space = "[space]\nx = { type = \"float\", low = 0.0, high = 1.0 }\n";
  const std::string objective = "[objective]\ncommand = [\"echo\", \"{x}\"]\n";
  write_file(dir.path() / "seeded.toml", "[study]\ntrials = 2\nseed = 1\n" + objective + space);
  const std::string file = (dir.path() / "seeded.toml").string();
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);

  Result other = run_winnow(dir.path(), {"run", file, "--trials", "3", "--seed", "5"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("was created with seed 1; --seed 5"), std::string::npos) << other.err;
  for (const char* bad : {"-1", "0x10", "99999999999999999999", "1.5"}) {
    Result r = run_winnow(dir.path(), {"run", file, "--seed", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("expected a whole number from 0 to"), std::string::npos) << r.err;
  }
  Result same = run_winnow(dir.path(), {"run", file, "--trials", "3", "--seed", "01"});
  EXPECT_EQ(same.exit_code, 0) << same.err;

  write_file(dir.path() / "seeded.toml", "[study]\ntrials = 4\nseed = 2\n" + objective + space);
  Result edited = run_winnow(dir.path(), {"run", file});
  EXPECT_EQ(edited.exit_code, 0) << edited.err;
  EXPECT_NE(edited.err.find("created with seed 1; the study file's seed 2 is not used"),
            std::string::npos)
      << edited.err;
  EXPECT_EQ(export_trials(dir.path(), (dir.path() / "seeded.db").string(), "seeded").size(), 4u);
}

TEST(Cli, AnUnreachableDatabaseIsReportedSoonAtATerminal) {
  // `studies` and `show` once waited out a minute of retries, as a worker does for an outage.
  ScratchDir dir;
  Result r = run_winnow(dir.path(), {"studies", "--storage", "postgresql://winnow@127.0.0.1:1/none"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL at postgresql://winnow@127.0.0.1:1/none"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("retrying for up to 10 s"), std::string::npos) << r.err;
}

TEST(Cli, RetriedTrialLinksToTheAttemptItRetries) {
  ScratchDir dir;
  write_file(dir.path() / "objective.py", R"PY(
import os, sys
marker = "attempted-" + sys.argv[1]
if not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit(1)
print(1.0)
)PY");
  write_file(dir.path() / "study.toml", R"(
[study]
trials = 4
[objective]
command = ["python3", "objective.py", "{x}"]
retries = 1
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  Result r = run_winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "study");
  ASSERT_EQ(rows.size(), 4u);  // the budget counts attempts: 2 failed + 2 retries
  EXPECT_EQ(rows[0]["state"], "failed");
  EXPECT_EQ(rows[1]["state"], "complete");
  EXPECT_EQ(rows[1]["retry_of"], 0);
  EXPECT_EQ(rows[1]["params"], rows[0]["params"]);
}

std::string sleepy_study(int trials, int jobs) {
  return R"(
[study]
name = "sleepy"
trials = )" + std::to_string(trials) + R"(
jobs = )" + std::to_string(jobs) + R"(
[objective]
command = ["sh", "-c", "sleep 0.05; echo $0", "{x}"]
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)";
}

TEST(Cli, KillNineThenResumeKeepsEveryCompletedTrial) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("kill instants drawn with seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (int round = 0; round < 3; ++round) {
    ScratchDir dir;
    write_file(dir.path() / "study.toml", sleepy_study(40, 3));
    std::string db = (dir.path() / "study.db").string();
    Process winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
    // Kill at a random instant once it has made progress.
    int wait_ms = std::uniform_int_distribution<int>(100, 600)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    winnow.signal(SIGKILL);
    Result killed = winnow.wait();
    EXPECT_EQ(killed.signal, SIGKILL);

    std::map<int, nlohmann::json> completed_before;
    if (fs::exists(db)) {
      for (const auto& row : export_trials(dir.path(), db, "sleepy")) {
        if (row["state"] == "complete") completed_before[row["number"]] = row;
      }
    }
    Result resumed = run_winnow(dir.path(), {"resume", (dir.path() / "study.toml").string()});
    if (!fs::exists(db) || resumed.exit_code == 2) {
      // Killed before the study was even created: nothing to resume is a clear error.
      EXPECT_NE(resumed.err.find("nothing to resume"), std::string::npos) << resumed.err;
      continue;
    }
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    std::vector<nlohmann::json> rows = export_trials(dir.path(), db, "sleepy");
    int counted = 0;
    for (const auto& row : rows) {
      int number = row["number"];
      EXPECT_EQ(number, &row - &rows[0]);  // gapless numbering
      if (completed_before.contains(number)) {
        EXPECT_EQ(row, completed_before[number]);
      }
      if (row["state"] == "failed") {
        EXPECT_TRUE(row["interrupted"].get<bool>()) << row.dump();
        EXPECT_NE(row["failure_reason"].get<std::string>().find("interrupted"), std::string::npos);
      } else {
        EXPECT_EQ(row["state"], "complete") << row.dump();
        ++counted;
      }
    }
    EXPECT_EQ(counted, 40) << "round " << round;
  }
}

TEST(Cli, TwoProcessesShareOneSqliteStudy) {
  ScratchDir dir;
  write_file(dir.path() / "study.toml", sleepy_study(60, 2));
  std::string file = (dir.path() / "study.toml").string();
  // Create the study first so both processes open the same one.
  ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--trials", "1"}).exit_code, 0);
  Process a(dir.path(), {"run", file}, "a");
  Process b(dir.path(), {"run", file}, "b");
  Result ra = a.wait(), rb = b.wait();
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "sleepy");
  ASSERT_EQ(rows.size(), 60u);
  std::set<int> numbers;
  for (const auto& row : rows) {
    numbers.insert(row["number"].get<int>());
    EXPECT_EQ(row["state"], "complete");
  }
  EXPECT_EQ(numbers.size(), 60u);
  EXPECT_EQ(*numbers.rbegin(), 59);
}

TEST(Cli, CtrlCStopsCleanlyAndMarksRunningTrials) {
  ScratchDir dir;
  write_file(dir.path() / "study.toml", R"(
[study]
name = "long"
trials = 4
jobs = 2
[objective]
command = ["sh", "-c", "echo started > started-$0; sleep 60; echo 1", "{trial}", "{x}"]
kill_grace = "300ms"
[space]
x = { type = "float", low = 0.0, high = 1.0 }
)");
  Process winnow(dir.path(), {"run", (dir.path() / "study.toml").string()});
  // Wait until both trials are really running (observable: their marker files).
  for (int i = 0; i < 3000 && !(fs::exists(dir.path() / "started-0") && fs::exists(dir.path() / "started-1")); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  winnow.signal(SIGINT);
  Result r = winnow.wait();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "long");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["state"], "failed");
    EXPECT_TRUE(row["interrupted"].get<bool>()) << row.dump();
  }
  // A resume runs the study to its end; interrupted trials do not count towards its budget.
  std::string text = read_file(dir.path() / "study.toml");
  text.replace(text.find("sleep 60"), 8, "sleep 0");
  write_file(dir.path() / "study.toml", text);
  Result resumed = run_winnow(dir.path(), {"resume", (dir.path() / "study.toml").string()});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "long");
  ASSERT_EQ(rows.size(), 6u);
  int complete = 0;
  for (const auto& row : rows) complete += row["state"] == "complete";
  EXPECT_EQ(complete, 4);
}

TEST(Cli, ParametersReachTheProgramAsEnvironmentAndFile) {
  ScratchDir dir;
  write_file(dir.path() / "objective.py", R"PY(
import json, os
p = json.load(open(os.environ["WINNOW_PARAMS_FILE"]))["params"]
assert float(os.environ["WINNOW_PARAM_LEARNING_RATE"]) == p["learning_rate"]
assert os.environ["WINNOW_TRIAL_DIR"].endswith("/" + os.environ["WINNOW_TRIAL"])
assert "WINNOW_PARAM_MOMENTUM" not in os.environ or p["opt"] == "sgd"
print(p["learning_rate"])
)PY");
  write_file(dir.path() / "study.yaml", R"(
study:
  trials: 8
  sampler: random
objective:
  command: [python3, objective.py]
space:
  learning_rate: {type: float, low: 0.001, high: 0.1, log: true}
  opt: {type: categorical, choices: [adam, sgd]}
  momentum: {type: float, low: 0.0, high: 0.9, when: "opt == 'sgd'"}
)");
  Result r = run_winnow(dir.path(), {"run", (dir.path() / "study.yaml").string(), "--seed", "4"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "study");
  ASSERT_EQ(rows.size(), 8u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["state"], "complete") << row.dump();
    EXPECT_EQ(row["params"].contains("momentum"), row["params"]["opt"] == "sgd");
  }
}

}  // namespace
}  // namespace winnow::e2e
