// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Makes a model file whose ensemble has exactly N members with equal weights, for measuring
// `winnow serve` at a given ensemble size (bench/serve_bench.sh: 5 and 20 members):
//
//   serve_model model.winnow model20.winnow --members 20
//
// The members are the file's first N (the ensemble's members, then the best single trial when
// the ensemble left it out). When the file has fewer, members are repeated in turn (copies of
// the same fold models, each evaluated on its own, as a distinct member would be); the program
// says so. The front becomes this one ensemble, its cost the sum of its members' costs.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>

#include "automl/predictor_impl.h"
#include "winnow/automl.h"
#include "winnow/error.h"

namespace {

using winnow::automl::EnsembleMember;
using winnow::automl::FoldModel;
using winnow::automl::FrontEntry;
using winnow::automl::Predictor;

EnsembleMember copy_member(const EnsembleMember& member) {
  EnsembleMember copy;
  copy.family = member.family;
  copy.trial = member.trial;
  copy.config_json = member.config_json;
  copy.cost = member.cost;
  for (const FoldModel& fold : member.folds) {
    copy.folds.push_back(winnow::automl::load_fold_model(
        winnow::automl::save_fold_model(fold), member.family));
  }
  return copy;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 || std::string(argv[3]) != "--members" || std::atoi(argv[4]) < 1) {
    std::cerr << "usage: serve_model IN.winnow OUT.winnow --members N\n";
    return 2;
  }
  const size_t n = static_cast<size_t>(std::atoi(argv[4]));
  try {
    Predictor model = Predictor::load(argv[1]);
    // The Predictor is ours and not const; impl() only hands out a const view of it.
    auto& impl = const_cast<Predictor::Impl&>(model.impl());
    const size_t available = impl.members.size();
    std::vector<EnsembleMember> members;
    for (size_t i = 0; i < n; ++i) members.push_back(copy_member(impl.members[i % available]));
    FrontEntry entry;
    entry.cost = impl.preprocessing_cost;
    for (EnsembleMember& member : members) {
      member.weight = 1.0 / static_cast<double>(n);
      entry.weights.push_back(member.weight);
      entry.cost.seconds_per_row_batch1 += member.cost.seconds_per_row_batch1;
      entry.cost.seconds_per_row_batch1000 += member.cost.seconds_per_row_batch1000;
      entry.cost.bytes += member.cost.bytes;
    }
    // Accuracy of this ensemble was never validated.
    entry.loss = entry.score = std::nan("");
    impl.members = std::move(members);
    bool best_kept = false;
    for (const EnsembleMember& member : impl.members) best_kept |= member.trial == impl.best_trial;
    if (!best_kept) impl.best_trial = impl.members.front().trial;
    impl.front = {entry};
    impl.chosen = 0;
    nlohmann::json listed = nlohmann::json::array();
    for (const EnsembleMember& member : impl.members) {
      listed.push_back(
          {{"trial", member.trial}, {"model", member.family}, {"weight", member.weight}});
    }
    impl.summary["ensemble"]["members"] = listed;
    impl.summary["final_model"] = "benchmark ensemble of " + std::to_string(n) +
                                  " equally weighted members (serve_model)";
    model.save(argv[2]);
    std::cout << "serve_model: wrote " << argv[2] << " with " << n << " members";
    if (available < n) {
      std::cout << " (the file has " << available << "; members repeated to make " << n << ")";
    }
    std::cout << "\n";
  } catch (const winnow::Error& e) {
    std::cerr << "serve_model: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
