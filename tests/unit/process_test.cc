// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// run_process on real programs: exit codes, signals, spawn failures, timeouts that take the whole
// process group down, memory limits, stop requests, termination asked for by the line callback,
// logs, live output and literal arguments.
#include "runner/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace winnow {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("winnow_process_test_" + std::to_string(::getpid()) +
                                        "_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string read_file(const std::string& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Runs `request` and collects its stdout lines.
  ProcessResult run(ProcessRequest request, std::vector<std::string>* lines = nullptr) {
    if (lines != nullptr) {
      request.on_stdout_line = [lines](std::string_view line) {
        lines->emplace_back(line);
        return LineAction::kContinue;
      };
    }
    return run_process(request);
  }

  fs::path dir_;
};

ProcessRequest shell(const std::string& script) {
  ProcessRequest request;
  request.argv = {"/bin/sh", "-c", script};
  return request;
}

ProcessRequest command(std::vector<std::string> argv) {
  ProcessRequest request;
  request.argv = std::move(argv);
  return request;
}

// Members of a process group, zombies included, read from /proc.
std::vector<pid_t> group_members(pid_t group) {
  std::vector<pid_t> members;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    std::getline(stat, text);
    size_t close = text.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 1));
    char state = 0;
    pid_t parent = 0, process_group = 0;
    fields >> state >> parent >> process_group;
    if (process_group == group) members.push_back(std::stoi(name));
  }
  return members;
}

// Waits (bounded) for every member of `group` to end and reaps those that are ours, then tells
// whether the group is gone. Meant to run as a child subreaper (PR_SET_CHILD_SUBREAPER), so the
// orphans of the group are reparented to this process and not left as init's zombies.
bool group_ends(pid_t group) {
  for (pid_t member : group_members(group)) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, member, 0));
    if (fd < 0) continue;  // already reaped
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 10'000) != 1) ::kill(member, SIGKILL);  // a survivor: clean up
    ::close(fd);
    ::waitpid(member, nullptr, 0);
  }
  return ::kill(-group, 0) == -1 && errno == ESRCH;
}

// Makes this test process the reaper of its orphaned descendants while alive.
class ChildSubreaper {
 public:
  ChildSubreaper() { EXPECT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  ~ChildSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

TEST_F(ProcessTest, ReportsExitCode) {
  ProcessResult result = run(shell("exit 3"));
  EXPECT_EQ(result.ending, ProcessEnding::kExited);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.signal, 0);

  result = run(command({"/bin/false"}));
  EXPECT_EQ(result.ending, ProcessEnding::kExited);
  EXPECT_EQ(result.exit_code, 1);
}

// The CPU time is the program's (reaped by its supervisor), not the wall time: a busy loop
// counts, a sleep does not.
TEST_F(ProcessTest, CountsTheProgramsCpuTimeNotItsSleep) {
  ProcessResult busy = run(shell("i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done"));
  EXPECT_EQ(busy.ending, ProcessEnding::kExited);
  EXPECT_GT(busy.cpu_seconds, 0.02);
  EXPECT_LE(busy.cpu_seconds, busy.elapsed_seconds + 0.01);
  ProcessResult asleep = run(command({"/bin/sleep", "0.3"}));
  EXPECT_EQ(asleep.ending, ProcessEnding::kExited);
  EXPECT_GE(asleep.elapsed_seconds, 0.3);
  EXPECT_LT(asleep.cpu_seconds, 0.1);
  // Killed at its limit with SIGKILL, together with its supervisor, which never reaps it: its
  // time still counts (a capped run's CPU time is what capping saves).
  ProcessRequest looping = shell("while :; do :; done");
  looping.timeout_seconds = 0.5;
  looping.kill_grace_seconds = 0;
  ProcessResult killed = run(looping);
  EXPECT_EQ(killed.ending, ProcessEnding::kTimedOut);
  EXPECT_GT(killed.cpu_seconds, 0.05);  // the supervisor alone: a few milliseconds
  EXPECT_LE(killed.cpu_seconds, killed.elapsed_seconds + 0.01);
}

TEST_F(ProcessTest, ReportsSignal) {
  ProcessResult result = run(shell("kill -SEGV $$"));
  EXPECT_EQ(result.ending, ProcessEnding::kSignaled);
  EXPECT_EQ(result.signal, SIGSEGV);
  EXPECT_EQ(result.exit_code, -1);
}

TEST_F(ProcessTest, SpawnFailureCarriesTheExecError) {
  ProcessResult result = run(command({"/nonexistent/winnow-objective"}));
  EXPECT_EQ(result.ending, ProcessEnding::kSpawnFailed);
  EXPECT_EQ(result.error, "No such file or directory");

  result = run(command({"winnow-no-such-program-in-path"}));
  EXPECT_EQ(result.ending, ProcessEnding::kSpawnFailed);
  EXPECT_EQ(result.error, "No such file or directory");

  // A file without execute permission.
  std::ofstream(path("script.sh")) << "#!/bin/sh\necho hi\n";
  result = run(command({path("script.sh")}));
  EXPECT_EQ(result.ending, ProcessEnding::kSpawnFailed);
  EXPECT_EQ(result.error, "Permission denied");

  result = run(command({}));
  EXPECT_EQ(result.ending, ProcessEnding::kSpawnFailed);
}

TEST_F(ProcessTest, MissingWorkingDirectoryIsASpawnFailure) {
  ProcessRequest request = command({"/bin/true"});
  request.working_dir = path("missing");
  ProcessResult result = run(request);
  EXPECT_EQ(result.ending, ProcessEnding::kSpawnFailed);
  EXPECT_NE(result.error.find("working directory"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("No such file or directory"), std::string::npos) << result.error;
}

TEST_F(ProcessTest, RunsInTheWorkingDirectory) {
  ProcessRequest request = command({"/bin/pwd"});
  request.working_dir = dir_.string();
  std::vector<std::string> lines;
  ASSERT_EQ(run(request, &lines).ending, ProcessEnding::kExited);
  EXPECT_EQ(lines, std::vector<std::string>{fs::canonical(dir_).string()});
}

TEST_F(ProcessTest, ProgramIsLookedUpInThePathOfItsEnvironment) {
  ProcessRequest request = command({"sh", "-c", "echo \"$WINNOW_X\""});
  request.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "WINNOW_X=42"};
  std::vector<std::string> lines;
  ProcessResult result = run(request, &lines);
  EXPECT_EQ(result.ending, ProcessEnding::kExited);
  EXPECT_EQ(lines, std::vector<std::string>{"42"});

  // The parent's PATH would find sh; the program's does not.
  request.env = std::vector<std::string>{"PATH=" + dir_.string()};
  result = run(request);
  EXPECT_EQ(result.ending, ProcessEnding::kSpawnFailed);
  EXPECT_EQ(result.error, "No such file or directory");
}

TEST_F(ProcessTest, TimeoutKillsTheWholeProcessGroup) {
  ChildSubreaper subreaper;
  // Prints its process group id, then hangs in two sleeps, one of them in the background.
  ProcessRequest request = shell("echo $$; sleep 100 & sleep 100");
  request.timeout_seconds = 0.3;
  request.kill_grace_seconds = 0.5;
  std::vector<std::string> lines;
  ProcessResult result = run(request, &lines);
  EXPECT_EQ(result.ending, ProcessEnding::kTimedOut);
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_GE(result.elapsed_seconds, 0.3);
  EXPECT_LT(result.elapsed_seconds, 5.0);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(group_ends(std::stoi(lines[0]))) << "a sleep survived the timeout";
}

TEST_F(ProcessTest, ProgramIgnoringSigtermIsKilledAfterTheGrace) {
  // trap "" makes the shell and the sleep it starts ignore SIGTERM.
  ProcessRequest request = shell("trap '' TERM; sleep 100");
  request.timeout_seconds = 0.2;
  request.kill_grace_seconds = 0.2;
  ProcessResult result = run(request);
  EXPECT_EQ(result.ending, ProcessEnding::kTimedOut);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_GE(result.elapsed_seconds, 0.4);
  EXPECT_LT(result.elapsed_seconds, 5.0);
}

TEST_F(ProcessTest, BackgroundProcessLeftBehindIsKilledWhenTheProgramExits) {
  ChildSubreaper subreaper;
  std::vector<std::string> lines;
  ProcessResult result = run(shell("echo $$; sleep 100 & exit 0"), &lines);
  EXPECT_EQ(result.ending, ProcessEnding::kExited);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_LT(result.elapsed_seconds, 5.0);  // not held up by the sleep keeping stdout open
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(group_ends(std::stoi(lines[0]))) << "the background sleep survived";
}

TEST_F(ProcessTest, StopFdEndsTheRunPromptly) {
  int stop = ::eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(stop, 0);
  ProcessRequest request = shell("echo ready; sleep 100");
  request.stop_fd = stop;
  request.kill_grace_seconds = 5;
  // Stop as soon as the program is known to run.
  request.on_stdout_line = [stop](std::string_view line) {
    if (line == "ready") ::eventfd_write(stop, 1);
    return LineAction::kContinue;
  };
  ProcessResult result = run_process(request);
  EXPECT_EQ(result.ending, ProcessEnding::kStopped);
  EXPECT_EQ(result.signal, SIGTERM);  // ended within the grace, by SIGTERM
  EXPECT_LT(result.elapsed_seconds, 4.0);
  // Only polled, never read: it still tells every other run to stop.
  pollfd entry{stop, POLLIN, 0};
  EXPECT_EQ(::poll(&entry, 1, 0), 1);
  // A run started while the stop is requested ends at once.
  result = run_process(request);
  EXPECT_EQ(result.ending, ProcessEnding::kStopped);
  ::close(stop);
}

TEST_F(ProcessTest, CallbackTerminationEndsTheWholeGroup) {
  ChildSubreaper subreaper;
  // Prints its group id and a second line (one write, so both are out before the callback can
  // answer), starts a background sleep and waits; on SIGTERM it says goodbye and exits 0, as a
  // program that saves its state on SIGTERM would.
  ProcessRequest request = shell("trap 'echo bye; exit 0' TERM; printf '%s\\nsecond\\n' $$; "
                                 "sleep 100 & wait");
  request.log_path = path("output.log");
  request.kill_grace_seconds = 30;  // ending well within it shows SIGTERM was enough
  std::vector<std::string> lines;
  request.on_stdout_line = [&](std::string_view line) {
    lines.emplace_back(line);
    return LineAction::kTerminate;
  };
  ProcessResult result = run_process(request);
  EXPECT_EQ(result.ending, ProcessEnding::kTerminated);
  EXPECT_EQ(to_string(result.ending), "terminated");
  EXPECT_EQ(result.exit_code, 0);  // it caught SIGTERM and exited
  EXPECT_EQ(result.signal, 0);
  EXPECT_LT(result.elapsed_seconds, 20.0);
  // Not called again after kTerminate; the rest of the output still reaches the log.
  ASSERT_EQ(lines.size(), 1u);
  std::string log = read_file(request.log_path);
  EXPECT_NE(log.find("second\n"), std::string::npos) << log;
  EXPECT_NE(log.find("bye\n"), std::string::npos) << log;
  EXPECT_TRUE(group_ends(std::stoi(lines[0]))) << "the background sleep survived";
}

TEST_F(ProcessTest, CallbackTerminationKillsAProgramIgnoringSigtermAfterTheGrace) {
  ProcessRequest request = shell("trap '' TERM; echo ready; sleep 100");
  request.kill_grace_seconds = 0.3;
  request.on_stdout_line = [](std::string_view) { return LineAction::kTerminate; };
  ProcessResult result = run_process(request);
  EXPECT_EQ(result.ending, ProcessEnding::kTerminated);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_GE(result.elapsed_seconds, 0.3);
  EXPECT_LT(result.elapsed_seconds, 5.0);

  // No grace: SIGKILL at once.
  request.kill_grace_seconds = 0;
  result = run_process(request);
  EXPECT_EQ(result.ending, ProcessEnding::kTerminated);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_LT(result.elapsed_seconds, 5.0);
}

TEST_F(ProcessTest, CallbackTerminationAfterTheProgramExitedIsIgnored) {
  // A last line without "\n" is only complete at end of output, after the program exited.
  ProcessRequest request = shell("printf last");
  std::vector<std::string> lines;
  request.on_stdout_line = [&](std::string_view line) {
    lines.emplace_back(line);
    return LineAction::kTerminate;
  };
  ProcessResult result = run_process(request);
  EXPECT_EQ(result.ending, ProcessEnding::kExited);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(lines, std::vector<std::string>{"last"});
}

TEST_F(ProcessTest, MemoryLimitStopsAMemoryHog) {
  ProcessRequest request = command({"/usr/bin/python3", "-c", "x = bytearray(2 * 10**9)"});
  request.log_path = path("output.log");
  request.memory_limit_bytes = 200'000'000;
  ProcessResult result = run(request);
  EXPECT_FALSE(result.ending == ProcessEnding::kExited && result.exit_code == 0);
  EXPECT_NE(read_file(path("output.log")).find("MemoryError"), std::string::npos);

  // The same limit leaves a modest program alone.
  request.argv = {"/usr/bin/python3", "-c", "x = bytearray(10**7); print(len(x))"};
  std::vector<std::string> lines;
  result = run(request, &lines);
  EXPECT_EQ(result.ending, ProcessEnding::kExited);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(lines, std::vector<std::string>{"10000000"});
}

TEST_F(ProcessTest, StdoutAndStderrBothReachTheLog) {
  ProcessRequest request = shell("echo to-stdout; echo to-stderr >&2; echo again");
  request.log_path = path("output.log");
  std::ofstream(request.log_path) << "stale text from an earlier run\n";
  std::vector<std::string> lines;
  ASSERT_EQ(run(request, &lines).ending, ProcessEnding::kExited);
  std::string log = read_file(request.log_path);
  EXPECT_NE(log.find("to-stdout\n"), std::string::npos) << log;
  EXPECT_NE(log.find("to-stderr\n"), std::string::npos) << log;
  EXPECT_NE(log.find("again\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("stale"), std::string::npos) << log;
  // Only stdout goes to the callback.
  EXPECT_EQ(lines, (std::vector<std::string>{"to-stdout", "again"}));
}

TEST_F(ProcessTest, LinesArriveLiveAndInOrder) {
  // The program blocks on a FIFO after its first report; only a callback that runs while the
  // program is still running can let it go on. A runner that waited for the exit would hit
  // the timeout instead.
  const std::string fifo = path("go");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ProcessRequest request = shell(
      "echo 'winnow: step=1 value=0.5'; read go < '" + fifo +
      "'; echo 'winnow: step=2 value=0.25'; printf '0.125'");  // last line without "\n"
  request.timeout_seconds = 20;
  std::vector<std::string> lines;
  request.on_stdout_line = [&](std::string_view line) {
    lines.emplace_back(line);
    if (lines.size() == 1) std::ofstream(fifo) << "go\n";
    return LineAction::kContinue;
  };
  ProcessResult result = run_process(request);
  EXPECT_EQ(result.ending, ProcessEnding::kExited);
  EXPECT_EQ(lines, (std::vector<std::string>{"winnow: step=1 value=0.5",
                                             "winnow: step=2 value=0.25", "0.125"}));
}

TEST_F(ProcessTest, VeryLongLineIsCutForTheCallbackButLoggedWhole) {
  ProcessRequest request =
      command({"/usr/bin/python3", "-c", "print('a' * (3 << 20)); print('end')"});
  request.log_path = path("output.log");
  std::vector<std::string> lines;
  ASSERT_EQ(run(request, &lines).ending, ProcessEnding::kExited);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), size_t{1} << 20);
  EXPECT_EQ(lines[1], "end");
  EXPECT_EQ(fs::file_size(request.log_path), (size_t{3} << 20) + 1 + 4);
}

TEST_F(ProcessTest, ArgumentsAreLiteralNeverShellWords) {
  const std::string canary = path("winnow_canary");
  std::ofstream(canary) << "alive\n";
  const std::vector<std::string> nasty = {
      "x; rm -rf " + canary, "$(rm -rf " + canary + ")", "`rm -rf " + canary + "`",
      "a b  c", "*", "'quoted'", "&& rm -rf " + canary, "|cat", ""};
  ProcessRequest request = command({"/usr/bin/printf", "[%s]\\n"});
  request.argv.insert(request.argv.end(), nasty.begin(), nasty.end());
  std::vector<std::string> lines;
  ASSERT_EQ(run(request, &lines).ending, ProcessEnding::kExited);
  ASSERT_EQ(lines.size(), nasty.size());
  for (size_t i = 0; i < nasty.size(); ++i) EXPECT_EQ(lines[i], "[" + nasty[i] + "]");
  EXPECT_TRUE(fs::exists(canary));

  // The argument count seen by the program is exactly ours.
  request.argv = {"/usr/bin/python3", "-c", "import sys; print(len(sys.argv))", nasty[0]};
  lines.clear();
  ASSERT_EQ(run(request, &lines).ending, ProcessEnding::kExited);
  EXPECT_EQ(lines, std::vector<std::string>{"2"});
  EXPECT_TRUE(fs::exists(canary));
}

TEST_F(ProcessTest, CallbackExceptionKillsTheProgramAndPropagates) {
  ChildSubreaper subreaper;
  ProcessRequest request = shell("echo $$; sleep 100 & sleep 100");
  pid_t group = 0;
  request.on_stdout_line = [&](std::string_view line) -> LineAction {
    group = std::stoi(std::string(line));
    throw std::runtime_error("storage is gone");
  };
  EXPECT_THROW(run_process(request), std::runtime_error);
  ASSERT_GT(group, 0);
  EXPECT_TRUE(group_ends(group)) << "a sleep survived";
}

TEST_F(ProcessTest, KillAllRunningProcessesEndsRunsOnOtherThreads) {
  std::promise<void> started;
  std::future<ProcessResult> result = std::async(std::launch::async, [&] {
    ProcessRequest request = shell("echo ready; sleep 100");
    bool told = false;
    request.on_stdout_line = [&](std::string_view) {
      if (!std::exchange(told, true)) started.set_value();
      return LineAction::kContinue;
    };
    return run_process(request);
  });
  started.get_future().wait();
  kill_all_running_processes();
  ProcessResult ended = result.get();
  EXPECT_EQ(ended.ending, ProcessEnding::kSignaled);
  EXPECT_EQ(ended.signal, SIGKILL);
}

TEST_F(ProcessTest, ManyConcurrentRunsDoNotInterfere) {
  std::vector<std::future<std::vector<std::string>>> runs;
  for (int i = 0; i < 8; ++i) {
    runs.push_back(std::async(std::launch::async, [i] {
      std::vector<std::string> lines;
      ProcessRequest request = command({"/bin/echo", "run", std::to_string(i)});
      request.on_stdout_line = [&](std::string_view line) {
        lines.emplace_back(line);
        return LineAction::kContinue;
      };
      EXPECT_EQ(run_process(request).exit_code, 0);
      return lines;
    }));
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(runs[i].get(), std::vector<std::string>{"run " + std::to_string(i)});
  }
}

}  // namespace
}  // namespace winnow
