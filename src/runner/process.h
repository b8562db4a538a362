// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Running one program to its end: no shell, its own process group, a wall-clock limit, an
// address-space limit, a stop request, its output kept in a log file and handed over line by
// line, and an early end when the caller asks for it after some line. The command objective
// (command_objective.cc) builds on this; nothing here knows about trials.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winnow {

// What the line callback wants next.
enum class LineAction {
  kContinue,   // keep running and keep handing over lines
  kTerminate,  // end the program now: see ProcessRequest::on_stdout_line
};

// The longest line of standard output handed to ProcessRequest::on_stdout_line: a longer one
// arrives cut to this many bytes (the log keeps it whole).
inline constexpr size_t kMaxStdoutLine = size_t{1} << 20;

struct ProcessRequest {
  // The argument list; each entry reaches the program as one literal argv entry. argv[0] is the
  // program, looked up in the PATH of `env` (or of this process when `env` has none) when it
  // has no slash. Required.
  std::vector<std::string> argv;
  // The complete environment, as "NAME=value" entries. Default: nullopt, this process's.
  std::optional<std::vector<std::string>> env;
  // Working directory of the program. Default: "" (the current directory).
  std::string working_dir;
  // Standard output and standard error end up here; the file is created or truncated first.
  // Standard error goes straight to the file while standard output passes through this
  // process, so lines a program writes to both in quick succession may interleave out of order.
  // Default: "" (both are discarded).
  std::string log_path;
  // Wall-clock limit in seconds (0 = none). Default: 0.
  double timeout_seconds = 0;
  // RLIMIT_AS of the program in bytes (0 = none). Default: 0.
  int64_t memory_limit_bytes = 0;
  // After SIGTERM (timeout, stop or a kTerminate from the callback), seconds before SIGKILL;
  // 0 sends SIGKILL at once. Default: 2.
  double kill_grace_seconds = 2.0;
  // A descriptor that becomes readable when the program must stop (an eventfd). It is only
  // polled, never read, so one descriptor can serve every running program. Default: -1 (none).
  int stop_fd = -1;
  // Called on the calling thread for every line of standard output as it arrives, without its
  // "\n". A line longer than 1 MiB is cut to its first 1 MiB. If the callback throws, the
  // process group is killed and reaped, and the exception propagates. Default: none.
  //
  // Returning kTerminate ends a program that is still running the way a timeout does (SIGTERM to
  // its process group, SIGKILL after kill_grace_seconds, everything reaped), and the run ends as
  // kTerminated. The callback is not called again: what the program prints while it shuts down
  // still reaches the log, not the callback. Once run_process has seen the program exit on its
  // own (and reads the rest of its output), kTerminate is ignored, there being nothing left to
  // end: every remaining line is still handed over and the run ends as it would have. (A
  // program that exits just as the callback asks may thus end either way.)
  std::function<LineAction(std::string_view line)> on_stdout_line;
};

// When several reasons to end a program arise (a timeout, a stop, a kTerminate), the first one
// is the ending.
enum class ProcessEnding {
  kExited,       // exited on its own; ProcessResult::exit_code
  kSignaled,     // killed by a signal that Winnow did not send; ProcessResult::signal
  kTimedOut,     // ran past timeout_seconds and was terminated
  kStopped,      // stop_fd became readable and it was terminated
  kTerminated,   // the line callback returned LineAction::kTerminate and it was terminated
  kSpawnFailed,  // never ran; ProcessResult::error says why
};
std::string_view to_string(ProcessEnding ending);

struct ProcessResult {
  ProcessEnding ending = ProcessEnding::kSpawnFailed;
  // How the program itself ended (also for kTimedOut, kStopped and kTerminated): its exit
  // status if it exited (a program may catch SIGTERM and exit), else the signal that killed it
  // (SIGTERM, or SIGKILL when it outlived the grace period).
  int exit_code = -1;  // -1 unless it exited
  int signal = 0;      // 0 unless a signal killed it
  // kSpawnFailed: what went wrong, e.g. "No such file or directory" (exec), or
  // "cannot enter working directory 'x': No such file or directory".
  std::string error;
  double elapsed_seconds = 0;
  // CPU time (user + system) of the program and of the descendants it waited for, not counting
  // Winnow's own work to start it; for a program killed with SIGKILL, its time just before.
  double cpu_seconds = 0;
};

// Runs `request.argv` and waits for it, reading its output as it comes. The calling thread
// blocks in poll() on the output pipe, a pidfd of the program and the stop descriptor, so a
// trial costs no polling. When the program exits, whatever else is left of its process group is
// killed with SIGKILL (processes that left the group with setsid/setpgid are out of reach).
// Never throws for a failing program; only the callback's exceptions and std::bad_alloc.
// Thread-safe: any number of threads may run programs at once.
ProcessResult run_process(const ProcessRequest& request);

// SIGKILLs the process group of every program run_process is currently running (up to the first
// 1024 at once). Async-signal-safe, for a second Ctrl-C.
void kill_all_running_processes() noexcept;

}  // namespace winnow
