// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// End-to-end tests of what several processes and a newcomer's mistakes need: processes sharing a
// seeded study never repeat a configuration, a killed winnow takes its objectives with it, a
// resume knows the study's best, [[enqueue]] and `winnow enqueue` add to an existing study, a
// broken setup stops at once, and the command line names mistakes with a did-you-mean.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "e2e/e2e_util.h"

namespace winnow::e2e {
namespace {

std::string quick_study(const std::string& study_section, const std::string& command,
                        const std::string& extra = "") {
  return "[study]\n" + study_section + "\n[objective]\ncommand = " + command +
         "\n\n[space]\nx = { type = \"float\", low = 0.0, high = 1.0 }\n"
         "k = { type = \"int\", low = 0, high = 1000 }\n" + extra;
}

const char* kEcho = R"(["sh", "-c", "sleep 0.02; echo $0", "{x}"])";

TEST(SharedStudy, ProcessesWithOneSeedNeverRepeatAConfiguration) {
  for (const std::string sampler : {"random", "sobol"}) {
    SCOPED_TRACE(sampler);
    ScratchDir dir;
    std::string file = (dir.path() / "study.toml").string();
    write_file(file, quick_study("name = \"s\"\nsampler = \"" + sampler +
                                     "\"\nseed = 7\ntrials = 40\njobs = 2",
                                 kEcho));
    ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--trials", "1"}).exit_code, 0);
    Process a(dir.path(), {"run", file}, "a");
    Process b(dir.path(), {"run", file}, "b");
    Result ra = a.wait(), rb = b.wait();
    ASSERT_EQ(ra.exit_code, 0) << ra.err;
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "s");
    ASSERT_EQ(rows.size(), 40u);
    std::set<std::string> configurations;
    for (const auto& row : rows) configurations.insert(row["params"].dump());
    EXPECT_EQ(configurations.size(), 40u);
  }
}

// Gone, or a zombie nobody reaps yet (in a container, init may not).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z' ||
         stat[paren + 2] == 'X';
}

TEST(KillNine, TheObjectiveAndEverythingItStartedDieWithWinnow) {
  ScratchDir dir;
  // The objective starts a child of its own, then both wait far longer than the test.
  write_file(dir.path() / "objective.py", R"PY(
import os, subprocess, sys, time
child = subprocess.Popen(["sleep", "300"])
open("pids.tmp", "w").write("%d %d\n" % (os.getpid(), child.pid))
os.rename("pids.tmp", "pids")
time.sleep(300)
)PY");
  std::string file = (dir.path() / "study.toml").string();
  write_file(file, quick_study("trials = 1", R"(["python3", "objective.py", "{x}"])"));
  Process winnow(dir.path(), {"run", file});
  fs::path pids = dir.path() / "pids";
  for (int i = 0; i < 3000 && !fs::exists(pids); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(pids)) << "the objective never started";
  std::istringstream in(read_file(pids));
  pid_t objective = 0, grandchild = 0;
  in >> objective >> grandchild;
  ASSERT_GT(objective, 0);
  ASSERT_GT(grandchild, 0);
  winnow.signal(SIGKILL);
  EXPECT_EQ(winnow.wait().signal, SIGKILL);
  bool gone = false;
  for (int i = 0; i < 1000 && !gone; ++i) {
    gone = process_gone(objective) && process_gone(grandchild);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(process_gone(objective)) << "the objective outlived winnow";
  EXPECT_TRUE(process_gone(grandchild)) << "the objective's child outlived winnow";
  if (!gone) {
    ::kill(objective, SIGKILL);
    ::kill(grandchild, SIGKILL);
  }
}

TEST(Resume, TheProgressLineShowsTheStudysBestNotTheRunsBest) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  // Maximising x: the enqueued x = 1 is the best any trial can reach.
  write_file(file, quick_study("directions = [\"maximize\"]\nsampler = \"random\"\nseed = 2\ntrials = 1",
                               R"(["sh", "-c", "echo $0", "{x}"])",
                               "\n[[enqueue]]\nx = 1.0\nk = 3\n"));
  Result first = run_winnow(dir.path(), {"run", file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Result resumed = run_winnow(dir.path(), {"resume", file, "--trials", "3"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  size_t line = resumed.err.find("trial 1 complete");
  ASSERT_NE(line, std::string::npos) << resumed.err;
  std::string text = resumed.err.substr(line, resumed.err.find('\n', line) - line);
  EXPECT_NE(text.find("best 1 (#0)"), std::string::npos) << text;
}

TEST(Enqueue, NewConfigurationsOfAnExistingStudyAreQueued) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  std::string base = quick_study("name = \"q\"\nsampler = \"random\"\nseed = 2\ntrials = 2",
                                 R"(["sh", "-c", "echo $0", "{x}"])");
  write_file(file, base + "\n[[enqueue]]\nx = 0.5\nk = 5\n");
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  // A second [[enqueue]] table added to the file of the existing study, and one from the
  // command line; the first one is not queued again.
  write_file(file, base + "\n[[enqueue]]\nx = 0.5\nk = 5\n\n[[enqueue]]\nx = 0.25\nk = 7\n");
  Result queued = run_winnow(dir.path(), {"enqueue", file, "x=0.75", "k=9"});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  EXPECT_NE(queued.out.find("queued: k=9 x=0.75"), std::string::npos) << queued.out;
  Result again = run_winnow(dir.path(), {"enqueue", file, "x=0.75", "k=9"});
  EXPECT_NE(again.out.find("already in the study"), std::string::npos) << again.out;
  Result typo = run_winnow(dir.path(), {"enqueue", file, "xx=0.75", "k=9"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'x'"), std::string::npos) << typo.err;

  Result resumed = run_winnow(dir.path(), {"resume", file, "--trials", "4"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "q");
  ASSERT_EQ(rows.size(), 4u);
  std::multiset<double> xs;
  for (const auto& row : rows) xs.insert(row["params"]["x"].get<double>());
  EXPECT_EQ(xs.count(0.5), 1u);
  EXPECT_EQ(xs.count(0.25), 1u);
  EXPECT_EQ(xs.count(0.75), 1u);
}

TEST(Enqueue, StringChoicesThatReadAsNumbersAndAMistakeChangesNothing) {
  ScratchDir dir;
  const std::string file = (dir.path() / "study.toml").string();
  write_file(file, "[study]\nname = \"c\"\n[objective]\ncommand = [\"echo\", \"1\"]\n[space]\n"
                   "lr = { type = \"categorical\", choices = [\"1e-3\", \"007\", 1, \"1\", true, "
                   "\"true\"] }\n");
  // A mistake, before the study exists: no storage file is made.
  Result wrong = run_winnow(dir.path(), {"enqueue", file, "lr=0.5"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_FALSE(fs::exists(dir.path() / "study.db"));
  // Strings that read as numbers were once turned into numbers that are no choice.
  for (const auto& [given, queued] : std::vector<std::pair<std::string, std::string>>{
           {"lr=1e-3", "lr=1e-3"}, {"lr=007", "lr=007"}, {"lr=1", "lr=1"},
           {"lr=\"1\"", "lr=1"}, {"lr=true", "lr=true"}, {"lr=\"true\"", "lr=true"}}) {
    Result r = run_winnow(dir.path(), {"enqueue", file, given, "--force"});
    ASSERT_EQ(r.exit_code, 0) << given << ": " << r.err;
    EXPECT_NE(r.out.find("queued: " + queued), std::string::npos) << given << ": " << r.out;
  }
  std::vector<nlohmann::json> rows =
      export_trials(dir.path(), (dir.path() / "study.db").string(), "c");
  ASSERT_EQ(rows.size(), 6u);
  const std::vector<nlohmann::json> expected = {"1e-3", "007", 1, "1", true, "true"};
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["params"]["lr"], expected[i]) << i;
}

TEST(SharedStudy, CreateOnlyQueuesTheEnqueuedAndWorkersFollowAWidenedSpace) {
  ScratchDir dir, elsewhere;
  const std::string file = (dir.path() / "study.toml").string();
  const std::string db = (dir.path() / "study.db").string();
  write_file(file, quick_study("name = \"w\"\nsampler = \"random\"\nseed = 2", kEcho,
                               "\n[[enqueue]]\nx = 0.25\nk = 3\n"));
  // --create-only once returned before [[enqueue]] was queued, and workers leave it to `run`:
  // the configuration was never evaluated.
  ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--create-only"}).exit_code, 0);
  Result worker = run_winnow(elsewhere.path(), {"worker", "--storage", db, "--study", "w",
                                                "--trials", "2"});
  ASSERT_EQ(worker.exit_code, 0) << worker.err;
  auto rows = export_trials(dir.path(), db, "w");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["params"]["x"], 0.25);

  // Widening the space in the file is allowed; workers, which read the definition stored when
  // the study was created, were then refused as if they narrowed it.
  std::string widened = read_file(file);
  widened.replace(widened.find("high = 1.0"), 10, "high = 2.0");
  write_file(file, widened);
  ASSERT_EQ(run_winnow(dir.path(), {"run", file, "--trials", "3"}).exit_code, 0);
  Result after = run_winnow(elsewhere.path(), {"worker", "--storage", db, "--study", "w",
                                               "--trials", "5"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(export_trials(dir.path(), db, "w").size(), 5u);
}

TEST(StudyManagement, ARefusedRunLeavesTheStorageAsItWasAndNamesStayInRunsDir) {
  ScratchDir dir;
  const std::string file = (dir.path() / "study.toml").string();
  const std::string db = (dir.path() / "study.db").string();
  const std::string base = quick_study("name = \"r\"\nseed = 2\ntrials = 1", kEcho);
  write_file(file, base);
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  // Another study's note in the runs folder refuses the run: the widened space it brought was
  // once stored all the same.
  write_file(dir.path() / "study-runs" / "r" / "study.json",
             R"({"study": "r", "created_ms": 1, "storage": "elsewhere"})");
  std::string widened = base;
  widened.replace(widened.find("high = 1000"), 11, "high = 2000");
  write_file(file, widened);
  const std::string before = read_file(db);
  Result refused = run_winnow(dir.path(), {"run", file, "--trials", "2"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("runs_dir"), std::string::npos) << refused.err;
  EXPECT_EQ(read_file(db), before);

  // A study name is any text; its runs folder stays inside runs_dir.
  for (const std::string name : {"../../escaped", "/tmp/absolute", "..", "a\nb"}) {
    SCOPED_TRACE(name);
    Result named = run_winnow(dir.path(), {"run", file, "--study", name, "--storage",
                                           (dir.path() / "names.db").string()});
    ASSERT_EQ(named.exit_code, 0) << named.err;
  }
  EXPECT_FALSE(fs::exists(dir.path().parent_path().parent_path() / "escaped"));
  EXPECT_FALSE(fs::exists("/tmp/absolute/study.json"));
  EXPECT_TRUE(fs::exists(dir.path() / "study-runs" / "..%2F..%2Fescaped" / "study.json"));
  EXPECT_TRUE(fs::exists(dir.path() / "study-runs" / "%2Ftmp%2Fabsolute" / "0"));
  EXPECT_TRUE(fs::exists(dir.path() / "study-runs" / "%2E%2E" / "study.json"));
  EXPECT_TRUE(fs::exists(dir.path() / "study-runs" / "a%0Ab" / "study.json"));
}

TEST(SharedStudy, AnotherSamplerIsNotedAndRecordedWithEachTrial) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  write_file(file, quick_study("name = \"switch\"\nsampler = \"random\"\ntrials = 2",
                               R"(["sh", "-c", "echo $0", "{x}"])"));
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  Result resumed = run_winnow(dir.path(), {"resume", file, "--trials", "4", "--sampler", "sobol"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("created with sampler 'random'; this run uses 'sobol'"),
            std::string::npos)
      << resumed.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "switch");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3]["user_attrs"]["winnow.sampler"], "sobol") << rows[3].dump();
}

TEST(BrokenSetup, AMisspeltProgramStopsTheRunAndCostsNoTrials) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  write_file(file, quick_study("name = \"typo\"\ntrials = 30",
                               R"(["pyhton3-no-such-program", "train.py", "{x}"])"));
  Result r = run_winnow(dir.path(), {"run", file});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("setup looks broken"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pyhton3-no-such-program"), std::string::npos) << r.err;
  auto rows = export_trials(dir.path(), (dir.path() / "study.db").string(), "typo");
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& row : rows) EXPECT_TRUE(row["interrupted"].get<bool>()) << row.dump();
}

TEST(Failures, AReasonAndItsLogTailArePrintedOnceThenCounted) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  write_file(dir.path() / "objective.py", R"PY(
import sys
if int(sys.argv[1]) % 2 == 0:
    print("detail-of-the-crash", file=sys.stderr)
    sys.exit(3)
print(0.5)
)PY");
  write_file(file, quick_study("name = \"flaky\"\ntrials = 8", R"(["python3", "objective.py", "{trial}"])"));
  Result r = run_winnow(dir.path(), {"run", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  size_t first = r.err.find("detail-of-the-crash");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("detail-of-the-crash", first + 1), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("trial 0 failed:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("winnow: 4 trials failed:"), std::string::npos) << r.err;
}

TEST(CommandLine, MistakesGetADidYouMean) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  write_file(file, quick_study("trials = 1", kEcho));
  Result command = run_winnow(dir.path(), {"shwo", "study.db"});
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.err.find("unknown command 'shwo' (did you mean 'show'?)"), std::string::npos)
      << command.err;
  Result option = run_winnow(dir.path(), {"run", file, "--trails", "3"});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_NE(option.err.find("unknown option '--trails' (did you mean '--trials'?)"),
            std::string::npos)
      << option.err;
  // Every mistake on the command line exits 2, not CLI11's own codes (104-114).
  Result range = run_winnow(dir.path(), {"run", file, "--trials", "-3"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_NE(range.err.find("must be at least 0, got -3"), std::string::npos) << range.err;
  Result no_file = run_winnow(dir.path(), {"run"});
  EXPECT_EQ(no_file.exit_code, 2) << no_file.err;
  Result not_a_number = run_winnow(dir.path(), {"run", file, "--trials", "x"});
  EXPECT_EQ(not_a_number.exit_code, 2) << not_a_number.err;
  EXPECT_NE(not_a_number.err.find("--trials"), std::string::npos) << not_a_number.err;
  Result extra = run_winnow(dir.path(), {"show", file, "surplus", "arguments"});
  EXPECT_EQ(extra.exit_code, 2) << extra.err;
  Result help = run_winnow(dir.path(), {"help", "run"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--trials"), std::string::npos) << help.out;
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  Result write = run_winnow(dir.path(), {"export", (dir.path() / "study.db").string(), "-o",
                                         (dir.path() / "no-such-folder" / "t.csv").string()});
  EXPECT_EQ(write.exit_code, 2);
  EXPECT_NE(write.err.find("No such file or directory"), std::string::npos) << write.err;
}

TEST(StudyManagement, ShowAndExportAgreeThatSeveralStudiesNeedAName) {
  ScratchDir dir;
  std::string db = (dir.path() / "shared.db").string();
  for (const std::string name : {"first", "second"}) {
    std::string file = (dir.path() / (name + ".toml")).string();
    write_file(file, quick_study("name = \"" + name + "\"\ntrials = 2\nstorage = \"shared.db\"",
                                 R"(["sh", "-c", "echo $0", "{x}"])"));
    ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  }
  Result show = run_winnow(dir.path(), {"show", db});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("2 studies"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("choose one with --study NAME"), std::string::npos) << show.out;
  Result exported = run_winnow(dir.path(), {"export", db});
  EXPECT_EQ(exported.exit_code, 2);
  EXPECT_NE(exported.err.find("choose one with --study NAME: first second"), std::string::npos)
      << exported.err;
  Result one = run_winnow(dir.path(), {"show", db, "--study", "second"});
  EXPECT_NE(one.out.find("Study 'second'"), std::string::npos) << one.out;
}

TEST(StudyManagement, CopyRenameAndDelete) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  write_file(file, quick_study("name = \"orig\"\ntrials = 3",
                               R"(["sh", "-c", "echo winnow: step=1 value=0.5; echo $0", "{x}"])"));
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  std::string db = (dir.path() / "study.db").string();
  std::string other = (dir.path() / "other.db").string();

  Result copied = run_winnow(dir.path(), {"copy", db, "--study", "orig", "--to", other});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  auto before = export_trials(dir.path(), db, "orig");
  auto after = export_trials(dir.path(), other, "orig");
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    for (const char* field : {"number", "state", "values", "params", "intermediate"}) {
      EXPECT_EQ(after[i][field], before[i][field]) << field << " of trial " << i;
    }
  }
  Result same = run_winnow(dir.path(), {"copy", db, "--study", "orig"});
  EXPECT_EQ(same.exit_code, 2);
  ASSERT_EQ(run_winnow(dir.path(), {"copy", db, "--study", "orig", "--as", "backup"}).exit_code, 0);

  Result renamed = run_winnow(dir.path(), {"rename", db, "--study", "backup", "--to", "kept"});
  ASSERT_EQ(renamed.exit_code, 0) << renamed.err;
  Result dry = run_winnow(dir.path(), {"delete", db, "--study", "kept"});
  EXPECT_EQ(dry.exit_code, 1);
  EXPECT_NE(dry.out.find("add --yes"), std::string::npos) << dry.out;
  ASSERT_EQ(run_winnow(dir.path(), {"delete", db, "--study", "kept", "--yes"}).exit_code, 0);
  Result listed = run_winnow(dir.path(), {"studies", db});
  EXPECT_NE(listed.out.find("1 study"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("kept"), std::string::npos) << listed.out;
}

TEST(StudyManagement, StudiesTrialDetailAskAndTell) {
  ScratchDir dir;
  std::string file = (dir.path() / "study.toml").string();
  write_file(file, quick_study("name = \"manual\"\nsampler = \"random\"\nseed = 3\ntrials = 2",
                               R"(["sh", "-c", "echo winnow: step=1 value=0.5; echo $0", "{x}"])"));
  ASSERT_EQ(run_winnow(dir.path(), {"run", file}).exit_code, 0);
  std::string db = (dir.path() / "study.db").string();

  Result studies = run_winnow(dir.path(), {"studies", db});
  ASSERT_EQ(studies.exit_code, 0) << studies.err;
  EXPECT_NE(studies.out.find("1 study"), std::string::npos) << studies.out;
  EXPECT_NE(studies.out.find("manual"), std::string::npos) << studies.out;

  Result detail = run_winnow(dir.path(), {"show", db, "--trial", "1"});
  ASSERT_EQ(detail.exit_code, 0) << detail.err;
  EXPECT_NE(detail.out.find("Trial 1 of study 'manual': complete"), std::string::npos)
      << detail.out;
  EXPECT_NE(detail.out.find("intermediate value"), std::string::npos) << detail.out;
  Result missing = run_winnow(dir.path(), {"show", db, "--trial", "9"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("trials 0 to 1"), std::string::npos) << missing.err;

  // The study holds its `trials = 2`: ask keeps to the budget as run does, unless told another.
  Result over = run_winnow(dir.path(), {"ask", file});
  EXPECT_EQ(over.exit_code, 2);
  EXPECT_NE(over.err.find("already holds its 2 trials"), std::string::npos) << over.err;
  Result asked = run_winnow(dir.path(), {"ask", file, "--trials", "4"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  EXPECT_EQ(asked.out.rfind("number=2\n", 0), 0u) << asked.out;
  EXPECT_NE(asked.out.find("\nx="), std::string::npos) << asked.out;
  Result json = run_winnow(dir.path(), {"ask", file, "--json", "--trials", "0"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["number"], 3);

  Result told = run_winnow(dir.path(), {"tell", file, "--trial", "2", "--value", "0.125"});
  ASSERT_EQ(told.exit_code, 0) << told.err;
  Result failed = run_winnow(dir.path(), {"tell", file, "--trial", "3", "--state", "failed",
                                          "--reason", "node lost"});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  Result twice = run_winnow(dir.path(), {"tell", file, "--trial", "2", "--value", "0.5"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("no running trial 2"), std::string::npos) << twice.err;

  auto rows = export_trials(dir.path(), db, "manual");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2]["state"], "complete");
  EXPECT_EQ(rows[2]["values"][0], 0.125);
  EXPECT_EQ(rows[3]["state"], "failed");
  EXPECT_EQ(rows[3]["failure_reason"], "node lost");
  // Trials started by `ask` belong to no process: a run does not fail them as orphans.
  ASSERT_EQ(run_winnow(dir.path(), {"ask", file, "--trials", "5"}).exit_code, 0);
  EXPECT_EQ(run_winnow(dir.path(), {"ask", file, "--trials", "5"}).exit_code, 2);
  ASSERT_EQ(run_winnow(dir.path(), {"resume", file, "--trials", "6"}).exit_code, 0);
  EXPECT_EQ(export_trials(dir.path(), db, "manual")[4]["state"], "running");
}

}  // namespace
}  // namespace winnow::e2e
