// The folder of one study's trial folders and checkpoints, and the note that says which study
// owns it.
//
// Trial folders are named by trial number and checkpoint folders by lineage, so two studies that
// share a folder collide at once: the second study's trial 0 overwrites the first's output.log
// and params.json, and a program that resumes from whatever it finds in {checkpoint_dir} starts
// from the other study's model. That happens whenever one study file is run against two storages
// (`--storage a.db`, then `--storage b.db`), or a study is deleted and created again under its
// old name. The note makes it an error instead.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "winnow/command.h"
#include "winnow/error.h"
#include "winnow/storage.h"

namespace winnow {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOwnerNote = "study.json";

std::string utc_text(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm parts{};
  char text[32] = "?";
  if (gmtime_r(&seconds, &parts) != nullptr) {
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  }
  return text;
}

std::string describe(const nlohmann::json& owner) {
  return "study '" + owner.value("study", std::string("?")) + "' created " +
         utc_text(owner.value("created_ms", int64_t{0})) + " in " +
         owner.value("storage", std::string("?"));
}

// Writes the note whole under a name no other writer uses, then links it into place: a reader
// never sees half a note, and of several workers starting at once (on this host or another
// sharing the folder) exactly one note wins. False when another writer linked its note first.
bool write_note(const fs::path& dir, const nlohmann::json& note) {
  static std::atomic<unsigned> sequence{0};
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::random_device entropy;
  const fs::path temporary =
      dir / ("." + std::string(kOwnerNote) + "." + host + "." + std::to_string(getpid()) + "." +
             std::to_string(sequence.fetch_add(1)) + "." + std::to_string(entropy()));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error("could not write '" + temporary.string() + "': " + std::strerror(errno));
  }
  const std::string text = note.dump(2) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int write_error = errno;
  ::close(fd);
  std::error_code ignored;
  if (!written) {
    fs::remove(temporary, ignored);
    throw Error("could not write '" + temporary.string() + "': " + std::strerror(write_error));
  }
  const fs::path final_name = dir / kOwnerNote;
  const int linked = ::link(temporary.c_str(), final_name.c_str());
  const int link_error = errno;
  if (linked != 0 && (link_error == EPERM || link_error == ENOTSUP || link_error == EOPNOTSUPP)) {
    // A file system without hard links: a rename is atomic too, only not exclusive.
    fs::rename(temporary, final_name, ignored);
    if (ignored) {
      throw Error("could not write '" + final_name.string() + "': " + ignored.message());
    }
    return true;
  }
  fs::remove(temporary, ignored);
  if (linked != 0 && link_error != EEXIST) {
    throw Error("could not write '" + final_name.string() + "': " + std::strerror(link_error));
  }
  return linked == 0;
}

// The note in `dir`, nullopt when there is none. A note being replaced on a file system
// without hard links may read short for a moment, so a bad one is read again before it counts.
std::optional<nlohmann::json> read_note(const fs::path& dir) {
  const fs::path note_file = dir / kOwnerNote;
  for (int attempt = 0;; ++attempt) {
    std::ifstream in(note_file);
    if (!in) return std::nullopt;
    nlohmann::json note = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (note.is_object() && note.contains("created_ms") && note["created_ms"].is_number_integer()) {
      return note;
    }
    if (attempt == 3) {
      throw Error("'" + note_file.string() +
                  "' should say which study owns the folder and does not; delete it if the "
                  "folder belongs to the study being run");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

[[noreturn]] void refuse(const fs::path& dir, const nlohmann::json& theirs,
                         const std::string& mine) {
  throw Error("the runs folder '" + dir.string() + "' holds the trial folders and checkpoints of " +
              describe(theirs) + ", not of this " + mine +
              "; its trials would overwrite those logs and resume from those checkpoints. "
              "Set runs_dir in [objective] to another folder, or move that one away");
}

bool is_memory(const std::string& storage_url) { return storage_url == "memory"; }

// The study's folder under runs_dir. A study name is any text, so the characters that would
// make it another path ('/', '\\', '%', control characters; a name "." or "..") are written as
// %XX: a name such as "../x" or "/home" stays a folder inside runs_dir.
fs::path study_folder(const std::string& runs_dir, const std::string& name) {
  std::string folder;
  for (unsigned char c : name) {
    if (c == '/' || c == '\\' || c == '%' || c < 0x20 || c == 0x7f ||
        ((name == "." || name == "..") && c == '.')) {
      char escaped[4];
      std::snprintf(escaped, sizeof(escaped), "%%%02X", c);
      folder += escaped;
    } else {
      folder += static_cast<char>(c);
    }
  }
  return fs::path(runs_dir) / folder;
}

}  // namespace

void check_study_runs_dir_free(const std::string& runs_dir, const std::string& study_name,
                               const std::string& storage_url) {
  if (is_memory(storage_url)) return;
  const fs::path dir = study_folder(runs_dir, study_name);
  if (std::optional<nlohmann::json> theirs = read_note(dir)) {
    refuse(dir, *theirs, "new study '" + study_name + "' in " + storage_url);
  }
}

std::string claim_study_runs_dir(const std::string& runs_dir, const StudyRecord& study,
                                 const std::string& storage_url) {
  const fs::path dir = study_folder(runs_dir, study.name);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw Error("could not create the runs folder '" + dir.string() + "': " + error.message());
  }
  // A study in memory is made anew by every process, so none could find its folder again.
  if (is_memory(storage_url)) return dir.string();
  const nlohmann::json mine = {
      {"study", study.name}, {"created_ms", study.created_ms}, {"storage", storage_url}};
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<nlohmann::json> theirs = read_note(dir);
    if (!theirs) {
      // A folder from before the note is adopted as it is.
      if (write_note(dir, mine)) return dir.string();
      continue;
    }
    // The storage's address is not compared: workers on other machines may spell it otherwise.
    if (theirs->value("study", std::string()) == study.name &&
        (*theirs)["created_ms"].get<int64_t>() == study.created_ms) {
      return dir.string();
    }
    refuse(dir, *theirs, describe(mine));
  }
  throw Error("could not claim the runs folder '" + dir.string() + "'");
}

}  // namespace winnow
