// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Ensembles within an inference-time limit, measured on held-out data. Given model files fitted
// on the same trials with different front methods (`winnow automl fit --front-method greedy`,
// `nsga2`) and a labelled test file, prints JSON lines:
//   - "front": per method and batch size (1, 1000), the hypervolume of its front of (validation
//     loss, time per row), both normalised to [0, 1] over the union of the methods' points with
//     the reference at 1.1;
//   - "limit": per batch size and limit (10 %, 30 %, 100 % of the time of the ensemble a fit
//     without a limit uses), the test metric of the front's choice (the first model file's) and
//     of AutoGluon's rule (from that ensemble, drop the slowest member until the rest fit), with
//     their times and member counts.
//
//   build/bench/ensemble_front --test test.csv --label dataset=vehicle \
//       greedy=g.winnow nsga2=n.winnow
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/hypervolume.h"
#include "automl/front.h"
#include "automl/predictor_impl.h"
#include "winnow/automl.h"
#include "winnow/error.h"

namespace {

using winnow::automl::FrontEntry;
using winnow::automl::InferenceCost;
using winnow::automl::Predictor;

struct Method {
  std::string name;
  Predictor model;
};

// The front's points (loss, seconds per row at `batch`), normalised with the given bounds.
double normalised_hypervolume(const std::vector<FrontEntry>& front, int batch,
                              const double low[2], const double high[2]) {
  std::vector<double> points;
  for (const FrontEntry& entry : front) {
    double values[2] = {entry.loss, entry.cost.seconds_per_row(batch)};
    for (int k = 0; k < 2; ++k) {
      double span = std::max(high[k] - low[k], 1e-300);
      points.push_back((values[k] - low[k]) / span);
    }
  }
  const double reference[2] = {1.1, 1.1};
  return winnow::exact_hypervolume(points, 2, reference);
}

// AutoGluon's rule from `full`: members dropped slowest first until the ensemble's time at
// `batch` fits `limit` (the last member stays), the remaining weights scaled to sum to 1.
FrontEntry drop_slowest(const Predictor::Impl& model, const FrontEntry& full, int batch,
                        double limit) {
  std::vector<InferenceCost> costs;
  for (const auto& member : model.members) costs.push_back(member.cost);
  FrontEntry entry = full;
  for (;;) {
    entry.cost = winnow::automl::ensemble_cost(entry.weights, costs, model.preprocessing_cost);
    size_t used = 0, slowest = 0;
    for (size_t m = 0; m < entry.weights.size(); ++m) {
      if (entry.weights[m] <= 0) continue;
      if (used == 0 || costs[m].seconds_per_row(batch) > costs[slowest].seconds_per_row(batch)) {
        slowest = m;
      }
      ++used;
    }
    if (entry.cost.seconds_per_row(batch) <= limit || used <= 1) break;
    entry.weights[slowest] = 0;
    double sum = 0;
    for (double w : entry.weights) sum += w;
    for (double& w : entry.weights) w /= sum;
  }
  return entry;
}

size_t members_of(const FrontEntry& entry) {
  return static_cast<size_t>(
      std::count_if(entry.weights.begin(), entry.weights.end(), [](double w) { return w > 0; }));
}

// The model's metric on the test file with the members weighted as `entry` says.
double test_score(Predictor& model, const FrontEntry& entry, const std::string& test) {
  Predictor::Impl& impl = model.impl();
  impl.front.push_back(entry);
  impl.choose(impl.front.size() - 1);
  double value = model.evaluate_csv(test).front().second;
  impl.front.pop_back();
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  std::string test;
  nlohmann::json labels = nlohmann::json::object();
  std::vector<Method> methods;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--test" && i + 1 < argc) {
        test = argv[++i];
      } else if (arg == "--label" && i + 1 < argc) {
        std::string label = argv[++i];
        size_t eq = label.find('=');
        if (eq == std::string::npos) throw winnow::Error("--label takes key=value");
        labels[label.substr(0, eq)] = label.substr(eq + 1);
      } else if (size_t eq = arg.find('='); eq != std::string::npos) {
        methods.push_back({arg.substr(0, eq), Predictor::load(arg.substr(eq + 1))});
      } else {
        throw winnow::Error("usage: ensemble_front --test FILE [--label k=v] NAME=MODEL...");
      }
    }
    if (test.empty() || methods.empty()) throw winnow::Error("give --test and at least one model");

    for (int batch : {1, 1000}) {
      double low[2] = {INFINITY, INFINITY}, high[2] = {-INFINITY, -INFINITY};
      for (const Method& method : methods) {
        for (const FrontEntry& entry : method.model.impl().front) {
          double values[2] = {entry.loss, entry.cost.seconds_per_row(batch)};
          for (int k = 0; k < 2; ++k) {
            low[k] = std::min(low[k], values[k]);
            high[k] = std::max(high[k], values[k]);
          }
        }
      }
      for (const Method& method : methods) {
        nlohmann::json line = labels;
        line["kind"] = "front";
        line["method"] = method.name;
        line["batch"] = batch;
        line["entries"] = method.model.impl().front.size();
        line["hypervolume"] = normalised_hypervolume(method.model.impl().front, batch, low, high);
        std::cout << line.dump() << std::endl;
      }
    }

    Predictor& model = methods.front().model;
    const FrontEntry full = model.impl().front[model.impl().chosen];
    const double full_score = test_score(model, full, test);
    for (int batch : {1, 1000}) {
      const double full_seconds = full.cost.seconds_per_row(batch);
      for (double fraction : {0.1, 0.3, 1.0}) {
        const double limit = fraction * full_seconds;
        const auto& front = model.impl().front;
        bool fits = false;
        const FrontEntry chosen = front[winnow::automl::choose_entry(front, limit, batch, &fits)];
        const FrontEntry pruned = drop_slowest(model.impl(), full, batch, limit);
        nlohmann::json line = labels;
        line["kind"] = "limit";
        line["method"] = methods.front().name;
        line["metric"] = model.metric();
        line["batch"] = batch;
        line["fraction"] = fraction;
        line["limit_s"] = limit;
        line["full_score"] = full_score;
        line["full_members"] = members_of(full);
        line["front_score"] = test_score(model, chosen, test);
        line["front_s"] = chosen.cost.seconds_per_row(batch);
        line["front_fits"] = fits;
        line["front_members"] = members_of(chosen);
        line["rule_score"] = test_score(model, pruned, test);
        line["rule_s"] = pruned.cost.seconds_per_row(batch);
        line["rule_fits"] = pruned.cost.seconds_per_row(batch) <= limit;
        line["rule_members"] = members_of(pruned);
        std::cout << line.dump() << std::endl;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "ensemble_front: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
