// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers for end-to-end tests: a scratch folder per test, and running the real `winnow` binary
// with its output captured in files (no shell involved).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace winnow::e2e {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

struct Result {
  int exit_code = -1;
  int signal = 0;
  std::string out;
  std::string err;
};

// A started `winnow` process.
class Process {
 public:
  Process(const fs::path& dir, std::vector<std::string> args, const std::string& tag = "winnow")
      : out_(dir / (tag + ".out")), err_(dir / (tag + ".err")) {
    args.insert(args.begin(), WINNOW_BINARY);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }
  Result wait() {
    Result result;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.out = read_file(out_);
    result.err = read_file(err_);
    return result;
  }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
};

inline Result run_winnow(const fs::path& dir, std::vector<std::string> args) {
  return Process(dir, std::move(args)).wait();
}

// A fresh scratch folder under the system temp dir, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "winnow-e2e-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Every trial of the study as exported JSON Lines.
inline std::vector<nlohmann::json> export_trials(const fs::path& dir, const std::string& storage,
                                                 const std::string& study) {
  Result r = run_winnow(dir, {"export", "--storage", storage, "--study", study, "--format", "jsonl"});
  std::vector<nlohmann::json> rows;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

}  // namespace winnow::e2e
