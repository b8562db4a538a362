// The folder of one study's trial folders and checkpoints, and the note that says which study
// owns it.
//
// Trial folders are named by trial number and checkpoint folders by lineage, so two studies that
// share a folder collide at once: the second study's trial 0 overwrites the first's output.log
// and params.json, and a program that resumes from whatever it finds in {checkpoint_dir} starts
// from the other study's model. That happens whenever one study file is run against two storages
// (`--storage a.db`, then `--storage b.db`), or a study is deleted and created again under its
// old name. The note makes it an error instead.

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
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

// Writes the note whole under a temporary name, then links it into place: a reader never sees
// half a note, and of several workers starting at once exactly one note wins. False when another
// process linked its note first.
bool write_note(const fs::path& dir, const nlohmann::json& note) {
  static std::atomic<unsigned> sequence{0};
  const fs::path temporary =
      dir / ("." + std::string(kOwnerNote) + "." + std::to_string(getpid()) + "." +
             std::to_string(sequence.fetch_add(1)));
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << note.dump(2) << '\n';
    if (!out.flush()) {
      throw Error("could not write '" + temporary.string() + "': " + std::strerror(errno));
    }
  }
  const fs::path final_name = dir / kOwnerNote;
  int linked = ::link(temporary.c_str(), final_name.c_str());
  const int link_error = errno;
  std::error_code ignored;
  if (linked != 0 && link_error != EEXIST) {
    // A file system without hard links: a rename is atomic too, only not exclusive.
    fs::rename(temporary, final_name, ignored);
    return !ignored;
  }
  fs::remove(temporary, ignored);
  return linked == 0;
}

}  // namespace

std::string claim_study_runs_dir(const std::string& runs_dir, const StudyRecord& study,
                                 const std::string& storage_url) {
  const fs::path dir = fs::path(runs_dir) / study.name;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw Error("could not create the runs folder '" + dir.string() + "': " + error.message());
  }
  const nlohmann::json mine = {
      {"study", study.name}, {"created_ms", study.created_ms}, {"storage", storage_url}};
  const fs::path note_file = dir / kOwnerNote;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::ifstream in(note_file);
    if (!in) {
      // A folder from before the note is adopted as it is.
      if (write_note(dir, mine)) return dir.string();
      continue;
    }
    nlohmann::json theirs = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!theirs.is_object() || !theirs.contains("created_ms") ||
        !theirs["created_ms"].is_number_integer()) {
      throw Error("'" + note_file.string() +
                  "' should say which study owns the folder and does not; delete it if the "
                  "folder belongs to study '" + study.name + "'");
    }
    // The storage's address is not compared: workers on other machines may spell it otherwise.
    if (theirs.value("study", std::string()) == study.name &&
        theirs["created_ms"].get<int64_t>() == study.created_ms) {
      return dir.string();
    }
    throw Error("the runs folder '" + dir.string() + "' holds the trial folders and checkpoints of " +
                describe(theirs) + ", not of this " + describe(mine) +
                "; its trials would overwrite those logs and resume from those checkpoints. "
                "Set runs_dir in [objective] to another folder, or move that one away");
  }
  throw Error("could not claim the runs folder '" + dir.string() + "'");
}

}  // namespace winnow
