// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/process_owner.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>

#include "winnow/storage.h"

namespace winnow {
namespace {

struct ProcessStat {
  char state = '?';        // field 3: R, S, D, Z (zombie), X (dead), ...
  std::string start_time;  // field 22, clock ticks after boot, kept as text
};

// Reads /proc/<pid>/stat; nullopt when it cannot be read (process gone or no procfs).
std::optional<ProcessStat> read_process_stat(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/stat");
  if (!file) return std::nullopt;
  std::string line;
  std::getline(file, line);
  // Field 2 is the command name in parentheses and may itself contain spaces and ')', so the
  // fields after it are counted from the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  ProcessStat stat;
  std::string field;
  for (int index = 3; rest >> field; ++index) {
    if (index == 3) stat.state = field.empty() ? '?' : field[0];
    if (index == 22) {
      stat.start_time = field;
      return stat;
    }
  }
  return std::nullopt;
}

std::optional<pid_t> parse_pid(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return static_cast<pid_t>(value);
}

}  // namespace

std::string owner_host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0) return "unknown-host";
  return buffer;
}

std::string this_process_owner() {
  std::string pid = std::to_string(getpid());
  std::optional<ProcessStat> stat = read_process_stat(pid);
  return owner_host_name() + ":" + pid + ":" + (stat ? stat->start_time : "0");
}

bool owner_heartbeats(std::string_view owner) {
  size_t second = owner.rfind(':');
  if (second == std::string_view::npos || second == 0) return false;
  size_t first = owner.rfind(':', second - 1);
  return first != std::string_view::npos &&
         parse_pid(owner.substr(first + 1, second - first - 1)).has_value();
}

bool owner_is_lost(std::string_view owner, int64_t last_sign_ms, int64_t now_ms,
                   int64_t lease_ms) {
  if (lease_ms > 0 && now_ms - last_sign_ms > lease_ms && owner_heartbeats(owner)) return true;
  return owner_process_is_gone(owner);
}

bool owner_process_is_gone(std::string_view owner) {
  // The host may in principle contain ':', the pid and start time cannot: split from the right.
  size_t second = owner.rfind(':');
  if (second == std::string_view::npos || second == 0) return false;
  size_t first = owner.rfind(':', second - 1);
  if (first == std::string_view::npos) return false;
  std::string_view host = owner.substr(0, first);
  std::string_view pid_text = owner.substr(first + 1, second - first - 1);
  std::string_view start_time = owner.substr(second + 1);
  std::optional<pid_t> pid = parse_pid(pid_text);
  if (!pid || host != owner_host_name()) return false;

  // EPERM means the process exists but belongs to another user: alive.
  if (kill(*pid, 0) != 0 && errno == ESRCH) return true;
  std::optional<ProcessStat> stat = read_process_stat(std::string(pid_text));
  // Unreadable: either it exited since kill() (check again) or there is no procfs, and then a
  // live pid is all we can know.
  if (!stat) return kill(*pid, 0) != 0 && errno == ESRCH;
  // A zombie has finished running; it only waits for its parent to collect its status.
  if (stat->state == 'Z' || stat->state == 'X') return true;
  return stat->start_time != start_time;
}

}  // namespace winnow
