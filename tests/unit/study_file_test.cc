// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Study files end to end through parse_study_file / load_study_file: the three formats read the
// same, and every error names the file, the line and the key or parameter. The SearchSpace rules
// are tested here through the file too, since their messages must carry the file's line.
#include "winnow/study_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "winnow/error.h"

namespace winnow {
namespace {

namespace fs = std::filesystem;

struct Format {
  StudyFileFormat format;
  std::string file;
};
const std::vector<Format> kFormats = {{StudyFileFormat::kToml, "study.toml"},
                                      {StudyFileFormat::kYaml, "study.yaml"},
                                      {StudyFileFormat::kJson, "study.json"}};

// The message of the winnow::Error that parsing throws ("" and a test failure if none).
std::string error_of(const std::string& text, StudyFileFormat format, const std::string& file) {
  try {
    parse_study_file(text, format, file);
  } catch (const Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "no error for " << file << ":\n" << text;
  return "";
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

std::string absolute(const std::string& relative) {
  return (fs::current_path() / relative).lexically_normal().string();
}

// --- A generator of small studies with the same line numbers in every format. Values are
// written as JSON literals, which TOML and YAML flow style read the same way.
//   line 1: forbidden clauses (or nothing), 2: objective, 3: command, 4: space, 5...: parameters.
using Fields = std::vector<std::pair<std::string, std::string>>;
struct ParamText {
  std::string name;
  Fields fields;
};

std::string make_study(StudyFileFormat format, const std::vector<ParamText>& params,
                       const std::string& forbidden = "",
                       const std::string& command = R"(["run"])") {
  auto fields_text = [&](const Fields& fields) {
    std::string text = "{";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) text += ", ";
      text += format == StudyFileFormat::kToml ? fields[i].first + " = "
                                               : "\"" + fields[i].first + "\": ";
      text += fields[i].second;
    }
    return text + "}";
  };
  std::string text;
  switch (format) {
    case StudyFileFormat::kToml:
      text = forbidden.empty() ? "# no clauses\n" : "forbidden = " + forbidden + "\n";
      text += "[objective]\ncommand = " + command + "\n[space]\n";
      for (const ParamText& p : params) text += p.name + " = " + fields_text(p.fields) + "\n";
      break;
    case StudyFileFormat::kYaml:
      text = forbidden.empty() ? "# no clauses\n" : "forbidden: " + forbidden + "\n";
      text += "objective:\n  command: " + command + "\nspace:\n";
      for (const ParamText& p : params) text += "  " + p.name + ": " + fields_text(p.fields) + "\n";
      break;
    case StudyFileFormat::kJson:
      text = forbidden.empty() ? "{\n" : "{\"forbidden\": " + forbidden + ",\n";
      text += "\"objective\": {\n\"command\": " + command + "},\n\"space\": {\n";
      for (size_t i = 0; i < params.size(); ++i) {
        text += "\"" + params[i].name + "\": " + fields_text(params[i].fields) +
                (i + 1 < params.size() ? ",\n" : "\n");
      }
      text += "}}\n";
      break;
  }
  return text;
}

// Expects, in every format, an error containing "<file>:<line>: " and `message`.
void expect_error_everywhere(const std::vector<ParamText>& params, int line,
                             const std::string& message, const std::string& forbidden = "",
                             const std::string& command = R"(["run"])") {
  for (const Format& f : kFormats) {
    std::string error = error_of(make_study(f.format, params, forbidden, command), f.format, f.file);
    EXPECT_TRUE(Contains(error, f.file + ":" + std::to_string(line) + ": ")) << f.file;
    EXPECT_TRUE(Contains(error, message)) << f.file;
  }
}

const ParamText kX = {"x", {{"type", R"("float")"}, {"low", "0"}, {"high", "1"}}};

TEST(StudyFileGeneratorTest, MinimalStudyParsesInEveryFormat) {
  for (const Format& f : kFormats) {
    StudyFile study = parse_study_file(make_study(f.format, {kX}, "", R"(["run", "{x}"])"),
                                       f.format, f.file);
    ASSERT_EQ(study.space.size(), 1u) << f.file;
    EXPECT_EQ(study.space.params()[0].origin, f.file + ":5");
    EXPECT_EQ(study.objective.command, (std::vector<std::string>{"run", "{x}"}));
  }
}

// --- The same full study in three formats ---------------------------------------------------

const char kFullToml[] = R"(# A full study, mirrored in YAML and JSON below.
forbidden = ["optimizer == 'sgd' and lr > 0.05"]

[study]
name = "demo"
directions = ["minimize", "maximize"]
objectives = ["loss", "accuracy"]
sampler = "random"
seed = 42
trials = 50
jobs = 2
timeout = "2h"
storage = "results/demo.db"
requeue_interrupted = true

[objective]
command = ["python3", "train.py", "--lr={lr}", "--layers", "{layers}"]
working_dir = "src"
timeout = "90s"
memory_limit = "2GB"
retries = 1
runs_dir = "runs"
kill_grace = 5
log_tail_lines = 20
env = { OMP_NUM_THREADS = "4", SEED = 7 }

[space]
lr = { type = "float", low = 1e-5, high = 0.1, log = true, default = 0.001 }
layers = { type = "int", low = 1, high = 8, step = 1 }
optimizer = { type = "categorical", choices = ["adam", "sgd"] }
momentum = { type = "float", low = 0.0, high = 0.99, when = "optimizer == 'sgd'" }
batch = { type = "ordinal", choices = [16, 32, 64] }

[[enqueue]]
lr = 0.001
layers = 2
optimizer = "adam"
batch = 32
)";

const char kFullYaml[] = R"(# A full study.
forbidden:
  - "optimizer == 'sgd' and lr > 0.05"
study:
  name: demo
  directions: [minimize, maximize]
  objectives: [loss, accuracy]
  sampler: random
  seed: 42
  trials: 50
  jobs: 2
  timeout: 2h
  storage: results/demo.db
  requeue_interrupted: true
objective:
  command: [python3, train.py, "--lr={lr}", --layers, "{layers}"]
  working_dir: src
  timeout: 90s
  memory_limit: 2GB
  retries: 1
  runs_dir: runs
  kill_grace: 5
  log_tail_lines: 20
  env:
    OMP_NUM_THREADS: "4"
    SEED: 7
space:
  lr: {type: float, low: 1e-5, high: 0.1, log: true, default: 0.001}
  layers:
    type: int
    low: 1
    high: 8
    step: 1
  optimizer: {type: categorical, choices: [adam, sgd]}
  momentum: {type: float, low: 0.0, high: 0.99, when: "optimizer == 'sgd'"}
  batch: {type: ordinal, choices: [16, 32, 64]}
enqueue:
  - {lr: 0.001, layers: 2, optimizer: adam, batch: 32}
)";

const char kFullJson[] = R"({
  "forbidden": ["optimizer == 'sgd' and lr > 0.05"],
  "study": {
    "name": "demo", "directions": ["minimize", "maximize"], "objectives": ["loss", "accuracy"],
    "sampler": "random", "seed": 42, "trials": 50, "jobs": 2, "timeout": "2h",
    "storage": "results/demo.db", "requeue_interrupted": true
  },
  "objective": {
    "command": ["python3", "train.py", "--lr={lr}", "--layers", "{layers}"],
    "working_dir": "src", "timeout": "90s", "memory_limit": "2GB", "retries": 1,
    "runs_dir": "runs", "kill_grace": 5, "log_tail_lines": 20,
    "env": {"OMP_NUM_THREADS": "4", "SEED": 7}
  },
  "space": {
    "lr": {"type": "float", "low": 1e-5, "high": 0.1, "log": true, "default": 0.001},
    "layers": {"type": "int", "low": 1, "high": 8, "step": 1},
    "optimizer": {"type": "categorical", "choices": ["adam", "sgd"]},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": "optimizer == 'sgd'"},
    "batch": {"type": "ordinal", "choices": [16, 32, 64]}
  },
  "enqueue": [{"lr": 0.001, "layers": 2, "optimizer": "adam", "batch": 32}]
}
)";

void expect_same_study(const StudyFile& a, const StudyFile& b) {
  EXPECT_EQ(a.study.name, b.study.name);
  EXPECT_EQ(a.study.directions, b.study.directions);
  EXPECT_EQ(a.study.objective_names, b.study.objective_names);
  EXPECT_EQ(a.study.sampler, b.study.sampler);
  EXPECT_EQ(a.study.seed, b.study.seed);
  EXPECT_EQ(a.trials, b.trials);
  EXPECT_EQ(a.jobs, b.jobs);
  EXPECT_EQ(a.timeout_seconds, b.timeout_seconds);
  EXPECT_EQ(a.retries, b.retries);
  EXPECT_EQ(a.storage, b.storage);
  EXPECT_EQ(a.requeue_interrupted, b.requeue_interrupted);
  EXPECT_EQ(a.objective.command, b.objective.command);
  EXPECT_EQ(a.objective.working_dir, b.objective.working_dir);
  EXPECT_EQ(a.objective.timeout_seconds, b.objective.timeout_seconds);
  EXPECT_EQ(a.objective.memory_limit_bytes, b.objective.memory_limit_bytes);
  EXPECT_EQ(a.objective.runs_dir, b.objective.runs_dir);
  EXPECT_EQ(a.objective.env, b.objective.env);
  EXPECT_EQ(a.objective.objective_names, b.objective.objective_names);
  EXPECT_EQ(a.objective.n_objectives, b.objective.n_objectives);
  EXPECT_EQ(a.objective.kill_grace_seconds, b.objective.kill_grace_seconds);
  EXPECT_EQ(a.objective.log_tail_lines, b.objective.log_tail_lines);
  EXPECT_EQ(a.space.to_json(), b.space.to_json());
  ASSERT_EQ(a.space.size(), b.space.size());
  for (size_t i = 0; i < a.space.size(); ++i) {
    const ParamSpec& pa = a.space.params()[i];
    const ParamSpec& pb = b.space.params()[i];
    EXPECT_EQ(pa.name, pb.name);
    EXPECT_EQ(pa.kind, pb.kind) << pa.name;
    EXPECT_EQ(pa.low, pb.low) << pa.name;
    EXPECT_EQ(pa.high, pb.high) << pa.name;
    EXPECT_EQ(pa.log, pb.log) << pa.name;
    EXPECT_EQ(pa.step, pb.step) << pa.name;
    EXPECT_EQ(pa.choices, pb.choices) << pa.name;
    EXPECT_EQ(pa.default_value, pb.default_value) << pa.name;
    EXPECT_EQ(pa.condition, pb.condition) << pa.name;
  }
  EXPECT_EQ(a.space.forbidden_clauses(), b.space.forbidden_clauses());
  EXPECT_EQ(a.enqueue, b.enqueue);
}

TEST(StudyFileTest, SameStudyInEveryFormatParsesTheSame) {
  StudyFile toml = parse_study_file(kFullToml, StudyFileFormat::kToml, "study.toml");
  StudyFile yaml = parse_study_file(kFullYaml, StudyFileFormat::kYaml, "study.yaml");
  StudyFile json = parse_study_file(kFullJson, StudyFileFormat::kJson, "study.json");
  expect_same_study(toml, yaml);
  expect_same_study(toml, json);

  EXPECT_EQ(toml.path, "study.toml");
  EXPECT_EQ(toml.study.name, "demo");
  EXPECT_EQ(toml.study.directions, (std::vector<Direction>{Direction::kMinimize,
                                                           Direction::kMaximize}));
  EXPECT_EQ(toml.study.objective_names, (std::vector<std::string>{"loss", "accuracy"}));
  EXPECT_EQ(toml.study.seed, 42u);
  EXPECT_EQ(toml.trials, 50);
  EXPECT_EQ(toml.jobs, 2);
  EXPECT_EQ(toml.timeout_seconds, 7200.0);
  EXPECT_TRUE(toml.requeue_interrupted);
  EXPECT_EQ(toml.retries, 1);
  EXPECT_EQ(toml.objective.timeout_seconds, 90.0);
  EXPECT_EQ(toml.objective.memory_limit_bytes, 2000000000);
  EXPECT_EQ(toml.objective.kill_grace_seconds, 5.0);
  EXPECT_EQ(toml.objective.log_tail_lines, 20);
  EXPECT_EQ(toml.objective.n_objectives, 2u);
  EXPECT_EQ(toml.objective.env.at("OMP_NUM_THREADS"), "4");
  EXPECT_EQ(toml.objective.env.at("SEED"), "7");
  // Parameters keep the order they were written in, although toml++ sorts keys.
  EXPECT_EQ(toml.space.find("lr")->kind, ParamKind::kFloat);
  EXPECT_TRUE(toml.space.find("lr")->log);
  EXPECT_EQ(toml.space.find("lr")->default_value, ParamValue(0.001));
  EXPECT_EQ(toml.space.find("layers")->step, 1.0);
  EXPECT_EQ(toml.space.find("batch")->choices,
            (std::vector<ParamValue>{int64_t{16}, int64_t{32}, int64_t{64}}));
  EXPECT_EQ(toml.space.find("momentum")->condition, "optimizer == 'sgd'");
  EXPECT_EQ(toml.space.forbidden_clauses(),
            std::vector<std::string>{"optimizer == 'sgd' and lr > 0.05"});
  ASSERT_EQ(toml.enqueue.size(), 1u);
  EXPECT_EQ(toml.enqueue[0].at("layers"), ParamValue(int64_t{2}));
  EXPECT_EQ(toml.enqueue[0].at("optimizer"), ParamValue(std::string("adam")));

  EXPECT_EQ(toml.space.find("lr")->origin, "study.toml:28");
  EXPECT_EQ(toml.space.find("layers")->origin, "study.toml:29");
  EXPECT_EQ(yaml.space.find("lr")->origin, "study.yaml:28");
  EXPECT_EQ(yaml.space.find("layers")->origin, "study.yaml:29");
  EXPECT_EQ(yaml.space.find("batch")->origin, "study.yaml:36");
  EXPECT_EQ(json.space.find("lr")->origin, "study.json:15");
  EXPECT_EQ(json.space.find("batch")->origin, "study.json:19");
}

TEST(StudyFileTest, DefaultsAndPathsRelativeToTheFile) {
  StudyFile study = parse_study_file("[objective]\ncommand = [\"run\"]\n[space]\n"
                                     "x = { type = \"float\", low = 0, high = 1 }\n",
                                     StudyFileFormat::kToml, "exp/tune.toml");
  EXPECT_EQ(study.study.name, "tune");
  EXPECT_EQ(study.study.directions, std::vector<Direction>{Direction::kMinimize});
  EXPECT_EQ(study.study.sampler, "auto");
  EXPECT_FALSE(study.study.seed.has_value());
  EXPECT_EQ(study.trials, 0);
  EXPECT_EQ(study.jobs, 1);
  EXPECT_EQ(study.timeout_seconds, 0.0);
  EXPECT_EQ(study.retries, 0);
  EXPECT_FALSE(study.requeue_interrupted);
  EXPECT_EQ(study.storage, absolute("exp/tune.db"));
  EXPECT_EQ(study.objective.working_dir, absolute("exp"));
  EXPECT_EQ(study.objective.runs_dir, absolute("exp/tune-runs"));
  EXPECT_EQ(study.objective.kill_grace_seconds, 2.0);

  StudyFile full = parse_study_file(kFullToml, StudyFileFormat::kToml, "exp/study.toml");
  EXPECT_EQ(full.storage, absolute("exp/results/demo.db"));
  EXPECT_EQ(full.objective.working_dir, absolute("exp/src"));
  EXPECT_EQ(full.objective.runs_dir, absolute("exp/runs"));
}

TEST(StudyFileTest, StorageUrls) {
  auto storage_of = [](const std::string& url) {
    return parse_study_file("[study]\nstorage = \"" + url +
                                "\"\n[objective]\ncommand = [\"run\"]\n[space]\n"
                                "x = { type = \"float\", low = 0, high = 1 }\n",
                            StudyFileFormat::kToml, "exp/study.toml")
        .storage;
  };
  EXPECT_EQ(storage_of("memory"), "memory");
  EXPECT_EQ(storage_of("sqlite:///data/s.db"), "sqlite:///data/s.db");
  EXPECT_EQ(storage_of("sqlite://s.db"), "sqlite://" + absolute("exp/s.db"));
  EXPECT_EQ(storage_of("/data/s.db"), "/data/s.db");
  EXPECT_EQ(storage_of("../s.db"), absolute("s.db"));
}

// --- load_study_file --------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "winnow-study-file-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(LoadStudyFileTest, PicksTheFormatByExtension) {
  TempDir dir;
  StudyFile toml = load_study_file(dir.write("a.toml", kFullToml));
  StudyFile yaml = load_study_file(dir.write("a.yaml", kFullYaml));
  StudyFile yml = load_study_file(dir.write("a.yml", kFullYaml));
  StudyFile json = load_study_file(dir.write("a.json", kFullJson));
  expect_same_study(toml, yaml);
  expect_same_study(toml, yml);
  expect_same_study(toml, json);
  EXPECT_EQ(toml.path, (dir.path() / "a.toml").string());
  EXPECT_EQ(toml.objective.working_dir, (dir.path() / "src").string());
  EXPECT_EQ(toml.storage, (dir.path() / "results/demo.db").string());
  EXPECT_EQ(yaml.space.find("lr")->origin, (dir.path() / "a.yaml").string() + ":28");

  // A TOML file read as YAML fails: the extension decides, not the content.
  std::string misnamed = dir.write("b.yaml", kFullToml);
  EXPECT_THROW(load_study_file(misnamed), Error);
}

TEST(LoadStudyFileTest, RejectsUnknownExtensionsAndMissingFiles) {
  TempDir dir;
  std::string ini = dir.write("study.ini", kFullToml);
  try {
    load_study_file(ini);
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_TRUE(Contains(error.what(), "study.ini: unknown study file format '.ini'"));
    EXPECT_TRUE(Contains(error.what(), ".toml, .yaml, .yml or .json"));
  }
  EXPECT_THROW(load_study_file(dir.write("noextension", kFullToml)), Error);
  try {
    load_study_file((dir.path() / "missing.toml").string());
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_TRUE(Contains(error.what(), "missing.toml: cannot read study file"));
  }
  fs::create_directory(dir.path() / "folder.toml");
  EXPECT_THROW(load_study_file((dir.path() / "folder.toml").string()), Error);
}

// --- Errors found by SearchSpace::validate(), carrying the file's line ------------------------

TEST(StudyFileErrorTest, LowNotLessThanHigh) {
  expect_error_everywhere(
      {kX, {"lr", {{"type", R"("float")"}, {"low", "0.1"}, {"high", "0.01"}}}}, 6,
      "parameter 'lr': low (0.1) must be less than high (0.01)");
}

TEST(StudyFileErrorTest, LogScaleNeedsPositiveLow) {
  expect_error_everywhere(
      {{"lr", {{"type", R"("float")"}, {"low", "0"}, {"high", "1"}, {"log", "true"}}}}, 5,
      "parameter 'lr': low (0) must be greater than 0 on a log scale");
}

TEST(StudyFileErrorTest, EmptyChoices) {
  expect_error_everywhere({{"opt", {{"type", R"("categorical")"}, {"choices", "[]"}}}}, 5,
                          "parameter 'opt': choices must not be empty");
}

TEST(StudyFileErrorTest, ConditionSyntax) {
  expect_error_everywhere({kX, {"y", {{"type", R"("int")"}, {"low", "1"}, {"high", "3"},
                                      {"when", R"("x >")"}}}},
                          6, "parameter 'y': condition:");
}

TEST(StudyFileErrorTest, ConditionUnknownParent) {
  expect_error_everywhere(
      {{"optimizer", {{"type", R"("categorical")"}, {"choices", R"(["adam", "sgd"])"}}},
       {"momentum", {{"type", R"("float")"}, {"low", "0"}, {"high", "1"},
                     {"when", R"("optimiser == 'sgd'")"}}}},
      6, "parameter 'momentum': condition 'optimiser == 'sgd'' refers to unknown parameter "
         "'optimiser' (did you mean 'optimizer'?)");
}

TEST(StudyFileErrorTest, ConditionCycle) {
  for (const Format& f : kFormats) {
    std::string error = error_of(
        make_study(f.format,
                   {{"a", {{"type", R"("float")"}, {"low", "0"}, {"high", "1"},
                           {"when", R"("b > 0.5")"}}},
                    {"b", {{"type", R"("float")"}, {"low", "0"}, {"high", "1"},
                           {"when", R"("a > 0.5")"}}}}),
        f.format, f.file);
    EXPECT_TRUE(Contains(error, "cyclic condition")) << f.file;
    // Either parameter may be where the cycle is found.
    EXPECT_TRUE(Contains(error, f.file + ":5: parameter 'a'") ||
                Contains(error, f.file + ":6: parameter 'b'"))
        << error;
  }
}

TEST(StudyFileErrorTest, ForbiddenClauseForbidsEverything) {
  expect_error_everywhere({kX}, 1, "forbidden clause 'x >= 0': forbids every configuration",
                          R"(["x > 0.9", "x >= 0"])");
}

TEST(StudyFileErrorTest, ForbiddenClauseUnknownParameter) {
  expect_error_everywhere({kX}, 1, "forbidden clause 'y > 1': unknown parameter 'y'",
                          R"(["y > 1"])");
}

TEST(StudyFileErrorTest, DuplicateParameterName) {
  std::vector<ParamText> params = {kX, kX};
  std::string toml = error_of(make_study(StudyFileFormat::kToml, params),
                              StudyFileFormat::kToml, "study.toml");
  EXPECT_TRUE(Contains(toml, "study.toml:6:")) << toml;  // TOML itself forbids it
  EXPECT_TRUE(Contains(toml, "syntax error")) << toml;
  for (const Format& f : {kFormats[1], kFormats[2]}) {
    EXPECT_EQ(error_of(make_study(f.format, params), f.format, f.file),
              f.file + ":6: space.x: defined twice (first on line 5)");
  }
}

// --- Errors of the schema ---------------------------------------------------------------------

TEST(StudyFileErrorTest, WrongValueType) {
  expect_error_everywhere({{"lr", {{"type", R"("float")"}, {"low", R"("0.1")"}, {"high", "1"}}}},
                          5, "space.lr.low: expected a number, got a string (\"0.1\")");
  expect_error_everywhere({{"n", {{"type", R"("int")"}, {"low", "1.5"}, {"high", "4"}}}}, 5,
                          "space.n.low: expected an integer, got a float (1.5)");
  expect_error_everywhere(
      {{"lr", {{"type", R"("float")"}, {"low", "1"}, {"high", "2"}, {"log", R"("yes")"}}}}, 5,
      "space.lr.log: expected a boolean (true or false), got a string (\"yes\")");
  expect_error_everywhere({{"lr", {{"type", R"("float")"}, {"low", "[1]"}, {"high", "2"}}}}, 5,
                          "space.lr.low: expected a number, got a list");
}

TEST(StudyFileErrorTest, UnknownParameterKeys) {
  expect_error_everywhere({{"lr", {{"type", R"("float")"}, {"lo", "0"}, {"high", "1"}}}}, 5,
                          "space.lr: unknown key 'lo' (did you mean 'low'?)");
  expect_error_everywhere({{"opt", {{"type", R"("categorical")"}, {"choice", R"(["a"])"}}}}, 5,
                          "space.opt: unknown key 'choice' (did you mean 'choices'?)");
  expect_error_everywhere(
      {{"lr", {{"type", R"("float")"}, {"low", "0"}, {"high", "1"}, {"choices", "[1]"}}}}, 5,
      "space.lr: 'choices' does not apply to a float parameter (it takes low, high, log, step, "
      "default, when)");
  expect_error_everywhere({{"opt", {{"type", R"("ordinal")"}, {"choices", "[1]"}, {"log", "true"}}}},
                          5, "space.opt: 'log' does not apply to a ordinal parameter");
}

TEST(StudyFileErrorTest, ParameterType) {
  expect_error_everywhere({{"lr", {{"low", "0"}, {"high", "1"}}}}, 5,
                          "space.lr: missing 'type' (float, int, categorical or ordinal)");
  expect_error_everywhere({{"lr", {{"type", R"("flaot")"}, {"low", "0"}, {"high", "1"}}}}, 5,
                          "space.lr.type: unknown type 'flaot' (did you mean 'float'?)");
  expect_error_everywhere({{"lr", {{"type", R"("float")"}, {"low", "0"}}}}, 5,
                          "space.lr: missing 'high'");
  expect_error_everywhere({{"opt", {{"type", R"("categorical")"}}}}, 5,
                          "space.opt: missing 'choices'");
}

TEST(StudyFileErrorTest, UnknownPlaceholderInCommand) {
  expect_error_everywhere(
      {{"lr", {{"type", R"("float")"}, {"low", "0"}, {"high", "1"}}}}, 3,
      "objective.command: command argument 2 '--lr={lrr}': unknown placeholder {lrr} (did you "
      "mean 'lr'?)",
      "", R"(["run", "--lr={lrr}"])");
}

TEST(StudyFileErrorTest, CommandShape) {
  expect_error_everywhere({kX}, 3, "objective.command: is empty", "", "[]");
  expect_error_everywhere({kX}, 3, "objective.command: expected a list", "",
                          R"("python train.py")");
  expect_error_everywhere({kX}, 3, "objective.command[1]: expected a string, got a float (0.5)",
                          "", R"(["run", 0.5])");
}

// Hand-written cases: one text per format, for the sections the generator does not vary.
struct Case {
  StudyFileFormat format;
  std::string file;
  std::string text;
};

void expect_error(const std::vector<Case>& cases, const std::vector<std::string>& expected) {
  for (const Case& c : cases) {
    std::string error = error_of(c.text, c.format, c.file);
    for (const std::string& part : expected) {
      std::string want = part;
      // "@" stands for the file name, so one expectation serves every format.
      for (size_t at = want.find('@'); at != std::string::npos; at = want.find('@', at + 1)) {
        want.replace(at, 1, c.file);
      }
      EXPECT_TRUE(Contains(error, want)) << c.file;
    }
  }
}

const std::string kSpaceToml = "[space]\nx = { type = \"float\", low = 0, high = 1 }\n";
const std::string kSpaceYaml = "space:\n  x: {type: float, low: 0, high: 1}\n";
const std::string kObjectiveToml = "[objective]\ncommand = [\"run\"]\n";
const std::string kObjectiveYaml = "objective:\n  command: [run]\n";
const std::string kRestJson =
    R"("objective": {"command": ["run"]}, "space": {"x": {"type": "float", "low": 0, "high": 1}})";

// Each case has the interesting line on line 2 of the file.
std::vector<Case> study_section_cases(const std::string& toml_line, const std::string& yaml_line,
                                      const std::string& json_line) {
  return {{StudyFileFormat::kToml, "s.toml",
           "[study]\n" + toml_line + "\n" + kObjectiveToml + kSpaceToml},
          {StudyFileFormat::kYaml, "s.yaml",
           "study:\n  " + yaml_line + "\n" + kObjectiveYaml + kSpaceYaml},
          {StudyFileFormat::kJson, "s.json",
           "{\"study\": {\n" + json_line + "},\n" + kRestJson + "}"}};
}

TEST(StudyFileErrorTest, StudySection) {
  expect_error(study_section_cases("trails = 10", "trails: 10", R"("trails": 10)"),
               {"@:2: study: unknown key 'trails' (did you mean 'trials'?)"});
  expect_error(study_section_cases("memory_limit = 3", "memory_limit: 3", R"("memory_limit": 3)"),
               {"@:2: study: unknown key 'memory_limit' ('memory_limit' belongs in section "
                "'objective')"});
  expect_error(study_section_cases("jobs = 0", "jobs: 0", R"("jobs": 0)"),
               {"@:2: study.jobs: must be at least 1, got 0"});
  expect_error(study_section_cases("seed = \"x\"", "seed: x", R"("seed": "x")"),
               {"@:2: study.seed: expected an integer, got a string (\"x\")"});
  expect_error(study_section_cases("timeout = \"2 weeks\"", "timeout: 2 weeks",
                                   R"("timeout": "2 weeks")"),
               {"@:2: ", "study.timeout"});
  expect_error(study_section_cases("directions = [\"maximise\"]", "directions: [maximise]",
                                   R"("directions": ["maximise"])"),
               {"@:2: study.directions[0]: unknown direction 'maximise' (did you mean "
                "'maximize'?)"});
  expect_error(study_section_cases("objectives = [\"loss\", \"time\"]", "objectives: [loss, time]",
                                   R"("objectives": ["loss", "time"])"),
               {"@:2: study.objectives: names 2 objectives but there are 1 directions"});
  expect_error(study_section_cases("sampler = \"randon\"", "sampler: randon",
                                   R"("sampler": "randon")"),
               {"@:2: study.sampler: unknown sampler 'randon' (did you mean 'random'?)"});
  expect_error(study_section_cases("direction = \"max\"\ndirections = [\"max\"]",
                                   "direction: max\n  directions: [max]",
                                   "\"direction\": \"max\",\n\"directions\": [\"max\"]"),
               {"@:3: study: give either 'direction'"});
}

TEST(StudyFileErrorTest, ObjectiveSection) {
  auto cases = [](const std::string& toml, const std::string& yaml, const std::string& json) {
    return std::vector<Case>{
        {StudyFileFormat::kToml, "s.toml", "[objective]\n" + toml + "\n" + kSpaceToml},
        {StudyFileFormat::kYaml, "s.yaml", "objective:\n  " + yaml + "\n" + kSpaceYaml},
        {StudyFileFormat::kJson, "s.json",
         "{\"objective\": {\n" + json +
             R"(}, "space": {"x": {"type": "float", "low": 0, "high": 1}}})"}};
  };
  expect_error(cases("comand = [\"run\"]", "comand: [run]", R"("comand": ["run"])"),
               {"@:2: objective: unknown key 'comand' (did you mean 'command'?)"});
  expect_error(cases("working_dir = \".\"", "working_dir: .", R"("working_dir": ".")"),
               {"@:1: objective: missing 'command'"});
  expect_error(cases("command = [\"run\"]\nmemory_limit = \"lots\"",
                     "command: [run]\n  memory_limit: lots",
                     "\"command\": [\"run\"],\n\"memory_limit\": \"lots\""),
               {"@:3: ", "objective.memory_limit"});
  expect_error(cases("command = [\"run\"]\nretries = -1", "command: [run]\n  retries: -1",
                     "\"command\": [\"run\"],\n\"retries\": -1"),
               {"@:3: objective.retries: must be at least 0, got -1"});
  expect_error(cases("command = [\"run\"]\nenv = { A = 0.5 }", "command: [run]\n  env: {A: 0.5}",
                     "\"command\": [\"run\"],\n\"env\": {\"A\": 0.5}"),
               {"@:3: objective.env.A: expected a string, got a float (0.5) (quote it)"});
}

TEST(StudyFileErrorTest, TopLevel) {
  expect_error({{StudyFileFormat::kToml, "s.toml", kObjectiveToml + kSpaceToml + "[sapce]\n"},
                {StudyFileFormat::kYaml, "s.yaml", kObjectiveYaml + kSpaceYaml + "sapce: {}\n"},
                {StudyFileFormat::kJson, "s.json", "{" + kRestJson + ",\n\"sapce\": {}}"}},
               {"unknown key 'sapce' (did you mean 'space'?)"});
  expect_error({{StudyFileFormat::kToml, "s.toml", "trials = 3\n" + kObjectiveToml + kSpaceToml},
                {StudyFileFormat::kYaml, "s.yaml", "trials: 3\n" + kObjectiveYaml + kSpaceYaml},
                {StudyFileFormat::kJson, "s.json", "{\"trials\": 3,\n" + kRestJson + "}"}},
               {"@:1: unknown key 'trials' ('trials' belongs in section 'study')"});
  expect_error({{StudyFileFormat::kToml, "s.toml", kSpaceToml},
                {StudyFileFormat::kYaml, "s.yaml", kSpaceYaml},
                {StudyFileFormat::kJson, "s.json", R"({"space": {}})"}},
               {"@:1: missing section 'objective'"});
  expect_error({{StudyFileFormat::kToml, "s.toml", kObjectiveToml},
                {StudyFileFormat::kYaml, "s.yaml", kObjectiveYaml},
                {StudyFileFormat::kJson, "s.json", R"({"objective": {"command": ["run"]}})"}},
               {"@:1: missing section 'space'"});
  expect_error({{StudyFileFormat::kToml, "s.toml", ""},
                {StudyFileFormat::kYaml, "s.yaml", "# nothing yet\n"}},
               {"@:1: missing section 'objective'"});
  expect_error({{StudyFileFormat::kToml, "s.toml", "study = 3\n"},
                {StudyFileFormat::kYaml, "s.yaml", "study: 3\n"},
                {StudyFileFormat::kJson, "s.json", R"({"study": 3})"}},
               {"@:1: study: expected a table, got an integer (3)"});
  expect_error({{StudyFileFormat::kYaml, "s.yaml", "- a\n- b\n"},
                {StudyFileFormat::kJson, "s.json", "[1]"}},
               {"@:1: the top level must be a table"});
}

TEST(StudyFileErrorTest, TomlForbiddenAfterASectionGetsAHint) {
  std::string error = error_of(kObjectiveToml + kSpaceToml + "forbidden = [\"x > 0.5\"]\n",
                               StudyFileFormat::kToml, "s.toml");
  EXPECT_TRUE(Contains(error, "s.toml:5: space.forbidden: "));
  EXPECT_TRUE(Contains(error, "put it before the first [section]"));
}

TEST(StudyFileErrorTest, Enqueue) {
  std::vector<Case> unknown = {
      {StudyFileFormat::kToml, "s.toml", kObjectiveToml + kSpaceToml + "[[enqueue]]\ny = 1\n"},
      {StudyFileFormat::kYaml, "s.yaml", kObjectiveYaml + kSpaceYaml + "enqueue:\n- {y: 1}\n"},
      {StudyFileFormat::kJson, "s.json", "{" + kRestJson + ",\n\"enqueue\": [{\"y\": 1}]}"}};
  expect_error(unknown, {"enqueue[0]: unknown parameter 'y'"});
  EXPECT_TRUE(Contains(error_of(unknown[0].text, unknown[0].format, unknown[0].file), "s.toml:6:"));
  EXPECT_TRUE(Contains(error_of(unknown[1].text, unknown[1].format, unknown[1].file), "s.yaml:6:"));
  EXPECT_TRUE(Contains(error_of(unknown[2].text, unknown[2].format, unknown[2].file), "s.json:2:"));

  // A bad value is reported at its own line, a bad configuration at the entry's.
  expect_error({{StudyFileFormat::kToml, "s.toml",
                 kObjectiveToml + kSpaceToml + "[[enqueue]]\nx = 0.5\n[[enqueue]]\nx = 7\n"}},
               {"s.toml:8: enqueue[1]: parameter 'x': 7 is outside [0, 1]"});
  expect_error({{StudyFileFormat::kYaml, "s.yaml",
                 kObjectiveYaml + kSpaceYaml + "enqueue:\n- {x: 0.5}\n- {x: 7}\n"}},
               {"s.yaml:7: enqueue[1]: parameter 'x': 7 is outside [0, 1]"});
  expect_error({{StudyFileFormat::kToml, "s.toml",
                 "forbidden = [\"x > 0.5\"]\n" + kObjectiveToml + kSpaceToml +
                     "[[enqueue]]\nx = 0.75\n"}},
               {"s.toml:6: enqueue[0]: the configuration is forbidden by clause 'x > 0.5'"});
  expect_error({{StudyFileFormat::kJson, "s.json",
                 "{\"forbidden\": [\"x > 0.5\"],\n" + kRestJson + ",\n\"enqueue\": [\n{\"x\": 0.75}]}"}},
               {"s.json:4: enqueue[0]: the configuration is forbidden by clause 'x > 0.5'"});
}

TEST(StudyFileErrorTest, SyntaxErrors) {
  EXPECT_TRUE(Contains(error_of("[objective]\ncommand = [\"run\"\n[space]\n",
                                StudyFileFormat::kToml, "s.toml"),
                       "s.toml:3:1: syntax error: "));
  EXPECT_TRUE(Contains(error_of("objective:\n  command: [run\nspace: {}\n",
                                StudyFileFormat::kYaml, "s.yaml"),
                       "s.yaml:3:"));
  std::string json = error_of("{\n \"objective\": {\"command\": [\"run\"]},\n}",
                              StudyFileFormat::kJson, "s.json");
  EXPECT_TRUE(Contains(json, "s.json:3:1: syntax error: ")) << json;
  EXPECT_EQ(json.find("json.exception"), std::string::npos) << json;
  EXPECT_TRUE(Contains(error_of("", StudyFileFormat::kJson, "s.json"), "s.json:1:1: syntax error"));
  EXPECT_EQ(error_of("{\"a\":\n 1e999}", StudyFileFormat::kJson, "s.json"),
            "s.json:2:6: number overflow parsing '1e999'");
  EXPECT_TRUE(Contains(error_of("a: [1e999]", StudyFileFormat::kYaml, "s.yaml"),
                       "s.yaml:1: a[0]: number out of range: 1e999"));
  // toml++ 3.3 asserts on these in a header-only debug build (marzer/tomlplusplus#301); the
  // shared library that CMake links reports them.
  EXPECT_TRUE(Contains(error_of("[[[1]]]\n", StudyFileFormat::kToml, "s.toml"),
                       "s.toml:1:3: syntax error: "));
  EXPECT_TRUE(Contains(error_of("[\x1c]\n", StudyFileFormat::kToml, "s.toml"),
                       "s.toml:1:2: syntax error: "));
  EXPECT_TRUE(Contains(error_of("a = 1979-05-27\n", StudyFileFormat::kToml, "s.toml"),
                       "s.toml:1: a: dates and times are not used"));
}

// --- YAML specifics ---------------------------------------------------------------------------

TEST(StudyFileYamlTest, ScalarsFollowTheCoreSchema) {
  StudyFile study = parse_study_file(
      "objective:\n  command: [run, 10, \"{c}\"]\nspace:\n"
      "  c: {type: categorical, choices: [yes, 'true', true, \"3\", 3, 1e-5, ~x]}\n",
      StudyFileFormat::kYaml, "s.yaml");
  EXPECT_EQ(study.objective.command, (std::vector<std::string>{"run", "10", "{c}"}));
  EXPECT_EQ(study.space.find("c")->choices,
            (std::vector<ParamValue>{std::string("yes"), std::string("true"), true,
                                     std::string("3"), int64_t{3}, 1e-5, std::string("~x")}));
}

TEST(StudyFileYamlTest, AnchorsWorkAndHostileDocumentsFail) {
  StudyFile study = parse_study_file(
      "objective: {command: [run]}\nspace:\n"
      "  a: &unit {type: float, low: 0, high: 1}\n  b: *unit\n",
      StudyFileFormat::kYaml, "s.yaml");
  EXPECT_EQ(study.space.size(), 2u);
  EXPECT_TRUE(Contains(error_of("&a [*a]\n", StudyFileFormat::kYaml, "s.yaml"), "s.yaml:1:"));
  EXPECT_TRUE(Contains(error_of("a: &a [*a]\n", StudyFileFormat::kYaml, "s.yaml"),
                       "nested too deeply"));
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    std::string previous(1, static_cast<char>(c - 1));
    laughs += std::string(1, c) + ": &" + c + " [*" + previous + ", *" + previous + ", *" +
              previous + ", *" + previous + ", *" + previous + ", *" + previous + ", *" +
              previous + ", *" + previous + ", *" + previous + ", *" + previous + "]\n";
  }
  EXPECT_TRUE(Contains(error_of(laughs, StudyFileFormat::kYaml, "s.yaml"), "more than"));
  EXPECT_TRUE(Contains(error_of(kObjectiveYaml + kSpaceYaml + "---\nb: 1\n",
                                StudyFileFormat::kYaml, "s.yaml"),
                       "s.yaml:5: unexpected content after the document"));
  // yaml-cpp 0.7's LoadAll never returns on this (a stray '}' after a complete flow mapping).
  EXPECT_TRUE(Contains(error_of("{\"objective\": {\"command\": [\"run\"]}},\n\"x\": 1}\n}\n",
                                StudyFileFormat::kYaml, "s.yaml"),
                       "s.yaml:1:"));
}

}  // namespace
}  // namespace winnow
