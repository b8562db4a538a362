// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Built with nothing but `pkg-config --cflags --libs --static winnow` (tests/package/
// install_test.sh). It reaches every compiled dependency of the static library: the TOML and
// YAML readers, SQLite storage and the GP sampler's NLopt fits, so a library missing from
// winnow.pc fails the link or the run.
// Usage: pkg_config_consumer DIRECTORY   (where the SQLite file is written)
#include <winnow/winnow.h>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pkg_config_consumer DIRECTORY\n";
    return 2;
  }
  winnow::StudyFile toml = winnow::parse_study_file(R"(
[study]
name = "package"
sampler = "gp:n_startup=4"
seed = 3
[objective]
command = ["true"]
[space]
x = { type = "float", low = -2.0, high = 2.0 }
)",
                                                    winnow::StudyFileFormat::kToml, "study.toml");
  winnow::StudyFile yaml = winnow::parse_study_file(
      "study: {name: package, sampler: 'gp:n_startup=4', seed: 3}\n"
      "objective: {command: ['true']}\n"
      "space: {x: {type: float, low: -2.0, high: 2.0}}\n",
      winnow::StudyFileFormat::kYaml, "study.yaml");
  if (yaml.study.sampler != toml.study.sampler) {
    std::cerr << "TOML and YAML disagree on the sampler\n";
    return 1;
  }

  std::shared_ptr<winnow::Storage> storage =
      winnow::open_storage(std::string(argv[1]) + "/package.db");
  auto study = winnow::Study::create(storage, toml.space, toml.study);
  study.optimize([](winnow::Trial& t) { return t.float_param("x") * t.float_param("x"); },
                 {.n_trials = 8});
  std::optional<winnow::FrozenTrial> best = study.best_trial();
  if (!best || study.trials().size() != 8) {
    std::cerr << "expected 8 trials and a best one\n";
    return 1;
  }
  std::cout << "best value " << best->values[0] << " over " << study.trials().size()
            << " trials in " << storage->url() << "\n";
  return 0;
}
