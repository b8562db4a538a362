// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "runner/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <utility>

extern char** environ;

namespace winnow {
namespace {

using Clock = std::chrono::steady_clock;

// A file descriptor closed on scope exit.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// ---- Registry of live process groups, for kill_all_running_processes() in a signal handler. ----
// A fixed array of lock-free atomics: the handler may neither lock nor allocate.
constexpr size_t kMaxTrackedGroups = 1024;
std::atomic<pid_t> g_running_groups[kMaxTrackedGroups];
static_assert(std::atomic<pid_t>::is_always_lock_free);

int register_group(pid_t group) {
  for (size_t i = 0; i < kMaxTrackedGroups; ++i) {
    pid_t expected = 0;
    if (g_running_groups[i].compare_exchange_strong(expected, group)) return static_cast<int>(i);
  }
  return -1;  // more than kMaxTrackedGroups at once: this one is simply not tracked
}

void unregister_group(int slot) {
  if (slot >= 0) g_running_groups[slot].store(0);
}

// ---- The child side: everything is prepared before fork(), so that between fork() and exec
// only async-signal-safe calls run (another thread may hold the malloc lock at fork time). ----

enum class ChildStage : int { kMemoryLimit = 1, kWorkingDir = 2, kExec = 3, kFork = 4 };
struct ChildFailure {
  ChildStage stage;
  int error;
};

struct ChildPlan {
  std::vector<char*> argv;  // null-terminated
  std::vector<char*> envp;  // null-terminated
  // Full paths to try with execve, in PATH order. execvp itself is not used: it is not
  // async-signal-safe and it searches the PATH of this process, not the one given in `env`.
  std::vector<const char*> candidates;
  const char* working_dir = nullptr;
  bool limit_memory = false;
  rlimit memory_limit{};
  int stdin_fd = -1, stdout_fd = -1, log_fd = -1, report_fd = -1;
  // Read end of a pipe whose write end only this process holds: it reports end of file when
  // this process dies, however it dies.
  int death_fd = -1;
};

[[noreturn]] void report_child_failure(int report_fd, ChildStage stage, int error) {
  ChildFailure failure{stage, error};
  // Nothing more can be done if this write fails; the parent then sees a plain exit 127.
  [[maybe_unused]] ssize_t written = ::write(report_fd, &failure, sizeof failure);
  ::_exit(127);
}

// The program: its limits, its folder, its standard streams, then exec.
[[noreturn]] void exec_program(const ChildPlan& plan) {
  // Undo what the parent's thread may have set up, since exec keeps both: a blocked SIGTERM
  // would make the grace period useless, and an ignored SIGPIPE changes how pipelines end.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) {
    ::sigaction(sig, &default_action, nullptr);
  }
  ::close(plan.death_fd);
  if (plan.limit_memory && ::setrlimit(RLIMIT_AS, &plan.memory_limit) != 0) {
    report_child_failure(plan.report_fd, ChildStage::kMemoryLimit, errno);
  }
  if (plan.working_dir != nullptr && ::chdir(plan.working_dir) != 0) {
    report_child_failure(plan.report_fd, ChildStage::kWorkingDir, errno);
  }
  // Like execvp: ENOENT-like errors move on to the next PATH entry, EACCES is remembered.
  int error = ENOENT;
  bool saw_eacces = false;
  for (const char* path : plan.candidates) {
    ::execve(path, plan.argv.data(), plan.envp.data());
    error = errno;
    if (error == EACCES) {
      saw_eacces = true;
    } else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV &&
               error != ETIMEDOUT) {
      break;
    }
  }
  report_child_failure(plan.report_fd, ChildStage::kExec, saw_eacces ? EACCES : error);
}

// Closes every descriptor from `from` up, except `keep_a` and `keep_b`.
void close_all_but(int from, int keep_a, int keep_b) {
  int low = std::min(keep_a, keep_b), high = std::max(keep_a, keep_b);
  auto close_range = [](int first, int last) {
    if (first <= last) {
      ::syscall(SYS_close_range, static_cast<unsigned>(first), static_cast<unsigned>(last), 0u);
    }
  };
  close_range(from, low - 1);
  close_range(low + 1, high - 1);
  close_range(high + 1, INT_MAX);
}

// The forked child is a supervisor, not the program: it leads the trial's process group, runs
// the program in it, and kills the whole group when this process dies (its death pipe reports
// end of file), so a Winnow killed with SIGKILL leaves no objective running beside the trials a
// resume starts. Otherwise it waits for the program and ends the way the program ended (same
// exit status, or the same signal), which is all the parent sees. Only async-signal-safe calls
// run here: the parent may have other threads.
[[noreturn]] void run_child(const ChildPlan& plan) {
  // Its own group, so a timeout or a stop can signal it together with everything it spawns.
  ::setpgid(0, 0);
  // The parent moved every source descriptor above 2, so no dup2 overwrites another source.
  ::dup2(plan.stdin_fd, STDIN_FILENO);
  ::dup2(plan.stdout_fd, STDOUT_FILENO);
  ::dup2(plan.log_fd, STDERR_FILENO);
  // Descriptors of other trials (a death pipe's write end above all: it would keep another
  // trial's supervisor from noticing) must not stay open here or leak into the program.
  close_all_but(3, plan.report_fd, plan.death_fd);
  // The program decides how it reacts to SIGTERM; the supervisor outlives it to report how it
  // ended, and dies with the group's SIGKILL.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGPIPE}) ::sigaction(sig, &ignore, nullptr);
  struct sigaction child_default {};
  child_default.sa_handler = SIG_DFL;  // an ignored SIGCHLD would reap the program unseen
  ::sigaction(SIGCHLD, &child_default, nullptr);

  // vfork: the program's child borrows this supervisor's memory until it execs, instead of
  // copying its page tables (a copy of the whole Winnow process's, which on a virtual machine
  // made the copy cost as much as a short run). It only calls async-signal-safe functions on
  // `plan` and execs or exits, as posix_spawn's child does.
  pid_t program = ::vfork();
  if (program < 0) report_child_failure(plan.report_fd, ChildStage::kFork, errno);
  if (program == 0) exec_program(plan);
  ::close(plan.report_fd);  // end of file for the parent once the program has exec'd
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, program, 0));
  int status = 0;
  while (true) {
    pollfd fds[2] = {{plan.death_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int ready = ::poll(fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 10);
    if (ready > 0 && fds[0].revents != 0) {
      ::kill(0, SIGKILL);  // the parent is gone: end the whole group, this supervisor with it
      ::_exit(137);
    }
    pid_t done = ::waitpid(program, &status, WNOHANG);
    if (done == program) break;
    if (done < 0 && errno != EINTR) ::_exit(127);
  }
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  // The same signal ends the supervisor, without a core file of its own.
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(sig, &default_action, nullptr);
  sigset_t only;
  ::sigemptyset(&only);
  ::sigaddset(&only, sig);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::kill(::getpid(), sig);
  ::_exit(128 + sig);
}

std::vector<std::string> executable_candidates(const std::string& program,
                                               const std::vector<std::string>& env) {
  if (program.empty()) return {};
  if (program.find('/') != std::string::npos) return {program};
  const char* path = nullptr;
  for (const std::string& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) path = entry.c_str() + 5;
  }
  if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";  // glibc's default, roughly
  std::vector<std::string> candidates;
  std::string_view rest(path);
  while (true) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    candidates.push_back((dir.empty() ? std::string(".") : std::string(dir)) + "/" + program);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return candidates;
}

// Moves `fd` to a number above 2 (close-on-exec), so dup2 onto 0..2 in the child cannot clobber
// another source descriptor when this process runs with some of 0..2 closed.
UniqueFd above_stdio(int fd) {
  if (fd < 0 || fd > 2) return UniqueFd(fd);
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return UniqueFd(moved);
}

std::string errno_text(int error) { return std::strerror(error); }

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk loses log text, never the trial
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Splits the output stream into lines for the callback and copies it to the log.
class OutputSink {
 public:
  static constexpr size_t kMaxLine = kMaxStdoutLine;

  OutputSink(int log_fd, const std::function<LineAction(std::string_view)>& on_line)
      : log_fd_(log_fd), on_line_(on_line) {}

  // True once the callback returned kTerminate while the program ran; no line is handed over
  // after that.
  bool termination_requested() const { return termination_requested_; }
  // The program has exited: from now on kTerminate is ignored and every line is handed over.
  void program_exited() { program_exited_ = true; }

  void append(const char* data, size_t size) {
    write_all(log_fd_, data, size);
    if (!on_line_ || termination_requested_) return;
    std::string_view chunk(data, size);
    while (!chunk.empty()) {
      size_t newline = chunk.find('\n');
      std::string_view piece = chunk.substr(0, newline);
      if (pending_.size() < kMaxLine) {
        pending_.append(piece.substr(0, kMaxLine - pending_.size()));
      }
      if (newline == std::string_view::npos) break;
      chunk.remove_prefix(newline + 1);
      deliver();
      if (termination_requested_) return;  // the rest goes to the log only
    }
  }

  // End of output: a last line without "\n" still counts.
  void finish() {
    if (on_line_ && !termination_requested_ && !pending_.empty()) deliver();
  }

 private:
  void deliver() {
    std::string line = std::move(pending_);
    pending_.clear();
    if (on_line_(line) == LineAction::kTerminate && !program_exited_) {
      termination_requested_ = true;
    }
  }

  int log_fd_;
  const std::function<LineAction(std::string_view)>& on_line_;
  std::string pending_;
  bool termination_requested_ = false;
  bool program_exited_ = false;
};

int poll_timeout_ms(std::optional<Clock::time_point> deadline) {
  if (!deadline) return -1;
  auto remaining = *deadline - Clock::now();
  if (remaining <= Clock::duration::zero()) return 0;
  // Rounded up, so poll never wakes just before the deadline and spins.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

Clock::time_point after_seconds(Clock::time_point from, double seconds) {
  // Capped at ~30 years so huge limits do not overflow the clock.
  seconds = std::clamp(seconds, 0.0, 1e9);
  return from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

double seconds_of(const timeval& time) {
  return static_cast<double>(time.tv_sec) + 1e-6 * static_cast<double>(time.tv_usec);
}

// CPU seconds so far of the children of `supervisor` (the program), read from /proc just
// before the group is killed: a program killed with its supervisor is never reaped by it, so
// the supervisor's usage would not include it. schedstat's first field is nanoseconds on a CPU;
// 0 if /proc cannot tell.
double children_cpu_seconds(pid_t supervisor) {
  const std::string self = "/proc/" + std::to_string(supervisor);
  std::ifstream list(self + "/task/" + std::to_string(supervisor) + "/children");
  double seconds = 0;
  pid_t child = 0;
  while (list >> child) {
    std::ifstream schedstat("/proc/" + std::to_string(child) + "/schedstat");
    double nanoseconds = 0;
    if (schedstat >> nanoseconds) seconds += nanoseconds * 1e-9;
  }
  return seconds;
}

// The parent's hold on a started child: whatever happens (including an exception from the line
// callback), the group is killed and the child reaped before run_process returns.
class ChildHandle {
 public:
  explicit ChildHandle(pid_t pid) : pid_(pid), slot_(register_group(pid)) {}
  ChildHandle(const ChildHandle&) = delete;
  ChildHandle& operator=(const ChildHandle&) = delete;
  ~ChildHandle() {
    if (pid_ > 0) {
      kill_group(SIGKILL);
      reap();
    }
  }
  pid_t pid() const { return pid_; }
  // Never with a pid <= 0 after reap(): kill(-(-1)) would signal init, kill(-0) our own group.
  void kill_group(int sig) const {
    if (pid_ > 0) ::kill(-pid_, sig);
  }
  // Waits for the (already exited or killed) child; returns its wait status. The registry slot
  // is freed first: until the zombie is reaped its pid cannot be reused, so a concurrent
  // kill_all_running_processes() never hits an unrelated group. `cpu_seconds`, if given, gets
  // the CPU time (user + system) of the child and of the children it waited for: the
  // supervisor's own and the program's it reaped.
  int reap(double* cpu_seconds = nullptr) {
    unregister_group(std::exchange(slot_, -1));
    int status = 0;
    rusage usage{};
    while (::wait4(pid_, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (cpu_seconds != nullptr) {
      *cpu_seconds = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
    }
    return status;
  }

 private:
  pid_t pid_;
  int slot_;
};

// Reads what is left in the pipe once the program is gone, until EOF. Bounded in time: a
// descendant that left the process group may still hold the write end.
void drain(int fd, OutputSink& sink, std::vector<char>& buffer) {
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  pollfd entry{fd, POLLIN, 0};
  while (true) {
    int ready = ::poll(&entry, 1, poll_timeout_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    sink.append(buffer.data(), static_cast<size_t>(n));
  }
}

ProcessResult spawn_failure(std::string error, Clock::time_point start) {
  ProcessResult result;
  result.ending = ProcessEnding::kSpawnFailed;
  result.error = std::move(error);
  result.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace

std::string_view to_string(ProcessEnding ending) {
  switch (ending) {
    case ProcessEnding::kExited: return "exited";
    case ProcessEnding::kSignaled: return "signaled";
    case ProcessEnding::kTimedOut: return "timed out";
    case ProcessEnding::kStopped: return "stopped";
    case ProcessEnding::kTerminated: return "terminated";
    case ProcessEnding::kSpawnFailed: return "spawn failed";
  }
  return "unknown";
}

void kill_all_running_processes() noexcept {
  for (auto& group : g_running_groups) {
    pid_t pid = group.load();
    if (pid > 0) ::kill(-pid, SIGKILL);
  }
}

ProcessResult run_process(const ProcessRequest& request) {
  const Clock::time_point start = Clock::now();
  if (request.argv.empty()) return spawn_failure("the command is empty", start);

  // Everything the child needs, built now: after fork() it may not allocate.
  std::vector<std::string> env_strings;
  if (request.env) {
    env_strings = *request.env;
  } else {
    for (char** entry = environ; *entry != nullptr; ++entry) env_strings.emplace_back(*entry);
  }
  std::vector<std::string> argv_strings = request.argv;
  std::vector<std::string> candidates = executable_candidates(request.argv[0], env_strings);
  ChildPlan plan;
  for (std::string& arg : argv_strings) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (std::string& entry : env_strings) plan.envp.push_back(entry.data());
  plan.envp.push_back(nullptr);
  for (const std::string& candidate : candidates) plan.candidates.push_back(candidate.c_str());
  if (!request.working_dir.empty()) plan.working_dir = request.working_dir.c_str();
  if (request.memory_limit_bytes > 0) {
    // An unprivileged process may lower its hard limit but never raise it.
    rlimit current{};
    ::getrlimit(RLIMIT_AS, &current);
    rlim_t wanted = static_cast<rlim_t>(request.memory_limit_bytes);
    plan.limit_memory = true;
    plan.memory_limit.rlim_max = std::min(wanted, current.rlim_max);
    plan.memory_limit.rlim_cur = plan.memory_limit.rlim_max;
  }

  UniqueFd stdin_fd = above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const char* log_path = request.log_path.empty() ? "/dev/null" : request.log_path.c_str();
  UniqueFd log_fd =
      above_stdio(::open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!log_fd) {
    return spawn_failure("cannot open log file '" + request.log_path + "': " + errno_text(errno),
                         start);
  }
  if (!stdin_fd) return spawn_failure("cannot open /dev/null: " + errno_text(errno), start);
  int out_pipe[2], report_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return spawn_failure("cannot create a pipe: " + errno_text(errno), start);
  }
  UniqueFd out_read = above_stdio(out_pipe[0]), out_write = above_stdio(out_pipe[1]);
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
    return spawn_failure("cannot create a pipe: " + errno_text(errno), start);
  }
  UniqueFd report_read = above_stdio(report_pipe[0]), report_write = above_stdio(report_pipe[1]);
  int death_pipe[2];
  if (::pipe2(death_pipe, O_CLOEXEC) != 0) {
    return spawn_failure("cannot create a pipe: " + errno_text(errno), start);
  }
  // This process holds the write end until the program's run is over; the supervisor watches
  // the read end.
  UniqueFd death_read = above_stdio(death_pipe[0]), death_write = above_stdio(death_pipe[1]);
  if (!out_read || !out_write || !report_read || !report_write || !death_read || !death_write) {
    return spawn_failure("cannot duplicate a descriptor: " + errno_text(errno), start);
  }
  plan.stdin_fd = stdin_fd.get();
  plan.stdout_fd = out_write.get();
  plan.log_fd = log_fd.get();
  plan.report_fd = report_write.get();
  plan.death_fd = death_read.get();

  pid_t pid = ::fork();
  if (pid < 0) return spawn_failure("fork failed: " + errno_text(errno), start);
  if (pid == 0) run_child(plan);

  // Also from the parent, so the group exists before anyone signals it (the usual race); then
  // registered, so that kill_all_running_processes() finds a group to kill.
  ::setpgid(pid, pid);
  ChildHandle child(pid);
  out_write.reset();
  report_write.reset();
  death_read.reset();
  stdin_fd.reset();

  // The report pipe closes at exec (O_CLOEXEC) or carries why the child gave up.
  ChildFailure failure{};
  ssize_t got;
  while ((got = ::read(report_read.get(), &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof failure)) {
    child.reap();
    switch (failure.stage) {
      case ChildStage::kMemoryLimit:
        return spawn_failure("cannot set the memory limit: " + errno_text(failure.error), start);
      case ChildStage::kWorkingDir:
        return spawn_failure("cannot enter working directory '" + request.working_dir +
                                 "': " + errno_text(failure.error),
                             start);
      case ChildStage::kExec: return spawn_failure(errno_text(failure.error), start);
      case ChildStage::kFork:
        return spawn_failure("fork failed: " + errno_text(failure.error), start);
    }
    return spawn_failure("the child reported an unknown failure", start);
  }
  report_read.reset();

  // Without pidfd_open (very old kernels, strict seccomp filters) fall back to checking the
  // child every 10 ms; with it, poll() wakes exactly when something happens.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  std::optional<ProcessEnding> forced;  // kTimedOut, kStopped or kTerminated, once decided
  std::optional<Clock::time_point> deadline;
  if (request.timeout_seconds > 0) deadline = after_seconds(start, request.timeout_seconds);
  std::optional<Clock::time_point> kill_deadline;  // while in the SIGTERM grace period

  double killed_program_cpu = 0;  // the program's CPU time when its group was killed
  auto kill_group_now = [&] {
    killed_program_cpu = std::max(killed_program_cpu, children_cpu_seconds(pid));
    child.kill_group(SIGKILL);
  };
  auto terminate = [&](ProcessEnding why) {
    forced = why;
    deadline.reset();
    if (request.kill_grace_seconds > 0) {
      child.kill_group(SIGTERM);
      kill_deadline = after_seconds(Clock::now(), request.kill_grace_seconds);
    } else {
      kill_group_now();
    }
  };

  OutputSink sink(log_fd.get(), request.on_stdout_line);
  std::vector<char> buffer(64 * 1024);
  enum { kOutput, kPidfd, kStop };
  std::array<pollfd, 3> fds{{{out_read.get(), POLLIN, 0},
                             {pidfd.get(), POLLIN, 0},
                             {request.stop_fd, POLLIN, 0}}};
  bool exited = false;
  while (!exited) {
    int timeout = poll_timeout_ms(kill_deadline ? kill_deadline : deadline);
    if (!pidfd) timeout = timeout < 0 ? 10 : std::min(timeout, 10);
    int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) {
      // Cannot wait any more (should not happen): do not leave the program behind.
      terminate(ProcessEnding::kStopped);
      break;
    }
    if (ready > 0 && fds[kOutput].revents != 0) {
      ssize_t n = ::read(out_read.get(), buffer.data(), buffer.size());
      if (n > 0) {
        sink.append(buffer.data(), static_cast<size_t>(n));
        if (!forced && sink.termination_requested()) terminate(ProcessEnding::kTerminated);
      } else if (n == 0 || errno != EINTR) {
        fds[kOutput].fd = -1;  // EOF: the program closed its stdout but may still run
      }
    }
    if (pidfd) {
      exited = ready > 0 && fds[kPidfd].revents != 0;
    } else {
      siginfo_t info{};
      // WNOWAIT leaves the zombie, so the pid (and group id) cannot be reused before reap().
      exited = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == pid;
    }
    if (exited) break;
    if (!forced && ready > 0 && fds[kStop].revents != 0) terminate(ProcessEnding::kStopped);
    if (forced) fds[kStop].fd = -1;  // stays readable; polling it again would spin
    const Clock::time_point now = Clock::now();
    if (deadline && now >= *deadline) terminate(ProcessEnding::kTimedOut);
    if (kill_deadline && now >= *kill_deadline) {
      kill_group_now();
      kill_deadline.reset();
    }
  }

  // The program is gone (or being killed); so must be everything it left in its group, or a
  // background process would keep the pipe open and live on after the trial.
  child.kill_group(SIGKILL);
  sink.program_exited();
  if (fds[kOutput].fd >= 0) drain(out_read.get(), sink, buffer);
  sink.finish();
  double cpu_seconds = 0;
  int status = child.reap(&cpu_seconds);

  ProcessResult result;
  if (WIFEXITED(status)) {
    result.ending = ProcessEnding::kExited;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.ending = ProcessEnding::kSignaled;
    result.signal = WTERMSIG(status);
  }
  if (forced) result.ending = *forced;
  result.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // A program reaped by its supervisor is in the supervisor's usage; one killed with it is not,
  // and its time read before the kill counts instead (never both: the larger is the program's).
  result.cpu_seconds = std::max(cpu_seconds, killed_program_cpu);
  return result;
}

}  // namespace winnow
