// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Random forests (Breiman 2001, "Random Forests") and extremely randomised trees (Geurts, Ernst
// and Wehenkel 2006, "Extremely randomized trees"), for classification (Gini or entropy) and
// regression (variance reduction).
//
// The one idea for speed: every feature is cut once, at fit time, into at most 255 quantile
// bins, and a node's split search is a histogram of its rows over those bins. A random forest
// scans every bin boundary of each sampled feature; extra trees draw one boundary per sampled
// feature uniformly between the node's lowest and highest occupied bin (Geurts et al., Alg. 2,
// with the draw made in quantile space instead of value space: a deliberate deviation that
// keeps one outlier from pushing nearly every draw to one side). Each split stores the raw
// float threshold between two bins, so predict compares raw inputs and never bins.
//
// Contract: trees are grown from per-tree seeds derived from FitControl::seed and the tree's
// index, so a fit is the same whatever the number of threads; control.check() runs before each
// tree. Leaves hold class frequencies (averaged over trees, clipped to [1e-6, 1], renormalised)
// or the mean target. min_samples_leaf counts bootstrap copies, as sample weights do.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "automl/models/families.h"
#include "automl/models/forest_tree.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

using forest::bin_data;
using forest::BinnedData;
using forest::ForestOptions;
using forest::Node;
using forest::parallel_for;
using forest::Tree;
using forest::TreeBuilder;
using forest::worker_count;

constexpr uint8_t kForestFormatVersion = 1;
// Fewer trees than this make too noisy an average to keep when a fit is stopped early.
constexpr size_t kMinTreesWhenStopped = 10;

class ForestModel : public Model {
 public:
  ForestModel() = default;
  explicit ForestModel(ForestOptions options) : options_(options) {}

  void fit(const Matrix& x, const Target& y, const FitControl& control) override {
    if (x.rows == 0 || x.rows != y.size()) {
      throw Error("forest: the training data has " + std::to_string(x.rows) +
                  " rows and the target " + std::to_string(y.size()) + "; need equal and > 0");
    }
    if (x.rows > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      throw Error("forest: more rows than a tree can index");
    }
    task_ = y.task;
    n_classes_ = is_classification(y.task) ? y.n_classes() : 0;
    if (is_classification(y.task)) {
      if (n_classes_ < 1) throw Error("forest: classification target without classes");
      for (int32_t label : y.labels) {
        if (label < 0 || label >= n_classes_) {
          throw Error("forest: label " + std::to_string(label) + " outside [0, " +
                      std::to_string(n_classes_) + ")");
        }
      }
    }
    n_features_ = x.cols;
    trees_.clear();  // a fit that stops leaves the model unfitted
    control.check();
    BinnedData data = bin_data(x, control);
    data.n_classes = n_classes_;
    data.labels = y.labels.data();
    data.values = y.values.data();
    control.check();

    const size_t n_trees = static_cast<size_t>(std::max(1, options_.n_trees));
    std::vector<Tree> trees(n_trees);
    const size_t workers = worker_count(n_trees, control.threads);
    std::vector<std::unique_ptr<TreeBuilder>> builders;
    for (size_t w = 0; w < workers; ++w) {
      builders.push_back(std::make_unique<TreeBuilder>(data, options_));
    }
    // A forest is useful with any number of trees: when told to stop, the trees built so far
    // are the model, unless there are too few of them to average.
    std::mutex check_mutex;  // should_stop need not be thread-safe
    std::atomic<bool> stopped{false};
    std::vector<uint8_t> built(n_trees, 0);
    parallel_for(n_trees, workers, [&](size_t worker, size_t t) {
      {
        std::lock_guard<std::mutex> lock(check_mutex);
        if (stopped || (control.should_stop && control.should_stop())) {
          stopped = true;
          return;
        }
      }
      trees[t] = builders[worker]->build(mix_seed(control.seed, t + 1));
      built[t] = 1;
    });
    trees_.clear();
    for (size_t t = 0; t < n_trees; ++t) {
      if (built[t]) trees_.push_back(std::move(trees[t]));
    }
    if (stopped && trees_.size() < std::min<size_t>(kMinTreesWhenStopped, n_trees)) {
      trees_.clear();
      throw FitStopped();
    }
  }

  void predict(const Matrix& x, std::span<float> out) const override {
    const size_t outputs = n_outputs();
    if (trees_.empty()) throw Error("forest: predict called before fit");
    if (x.cols != n_features_) {
      throw Error("forest: predict got " + std::to_string(x.cols) +
                  " columns, the model was fit on " + std::to_string(n_features_));
    }
    if (out.size() != x.rows * outputs) {
      throw Error("forest: predict output holds " + std::to_string(out.size()) +
                  " numbers, need " + std::to_string(x.rows * outputs));
    }
    // Rows in blocks, trees inside: a block's rows stay in cache while every tree visits them.
    constexpr size_t kBlock = 128;
    std::vector<double> acc;
    for (size_t start = 0; start < x.rows; start += kBlock) {
      const size_t stop = std::min(x.rows, start + kBlock);
      acc.assign((stop - start) * outputs, 0.0);
      for (const Tree& tree : trees_) {
        const Node* nodes = tree.nodes.data();
        for (size_t r = start; r < stop; ++r) {
          const float* row = x.data.data() + r * x.cols;
          const Node* node = nodes;
          while (node->feature >= 0) {
            node = nodes + (row[node->feature] <= node->threshold ? node->child : node->child + 1);
          }
          double* a = acc.data() + (r - start) * outputs;
          if (n_classes_ == 0) {
            a[0] += node->threshold;
          } else if (n_classes_ == 2) {
            a[0] += 1.0 - node->threshold;
            a[1] += node->threshold;
          } else if (n_classes_ == 1) {
            a[0] += 1.0;  // one class: every leaf is certain of it
          } else {
            const float* v = tree.leaf_values.data() + node->child;
            for (size_t c = 0; c < outputs; ++c) a[c] += v[c];
          }
        }
      }
      const double n_trees = static_cast<double>(trees_.size());
      for (size_t r = start; r < stop; ++r) {
        const double* a = acc.data() + (r - start) * outputs;
        float* o = out.data() + r * outputs;
        if (n_classes_ == 0) {
          o[0] = static_cast<float>(a[0] / n_trees);
          continue;
        }
        double total = 0.0;
        for (size_t c = 0; c < outputs; ++c) total += std::clamp(a[c] / n_trees, 1e-6, 1.0);
        for (size_t c = 0; c < outputs; ++c) {
          o[c] = static_cast<float>(std::clamp(a[c] / n_trees, 1e-6, 1.0) / total);
        }
      }
    }
  }

  void save(Writer& out) const override {
    out.u8(kForestFormatVersion);
    out.u8(static_cast<uint8_t>(task_));
    out.u32(static_cast<uint32_t>(n_classes_));
    out.u64(n_features_);
    out.u64(trees_.size());
    std::vector<int32_t> features, children;
    std::vector<float> thresholds;
    for (const Tree& tree : trees_) {
      features.clear();
      children.clear();
      thresholds.clear();
      for (const Node& node : tree.nodes) {
        features.push_back(node.feature);
        thresholds.push_back(node.threshold);
        children.push_back(node.child);
      }
      out.ints(features);
      out.floats(thresholds);
      out.ints(children);
      out.floats(tree.leaf_values);
    }
  }

  void load(Reader& in) {
    const Error corrupt("forest: model file is truncated or corrupt");
    if (in.u8() != kForestFormatVersion) throw Error("forest: unknown model format version");
    uint8_t task = in.u8();
    if (task > static_cast<uint8_t>(Task::kRegression)) throw corrupt;
    task_ = static_cast<Task>(task);
    const uint32_t n_classes = in.u32();
    if ((task_ == Task::kRegression) != (n_classes == 0) || n_classes > (1u << 20)) throw corrupt;
    n_classes_ = static_cast<int>(n_classes);
    n_features_ = in.u64();
    const size_t leaf_width = n_classes_ > 2 ? static_cast<size_t>(n_classes_) : 0;
    // Trees are appended as they are read, so a corrupt count fails on the data, not on a
    // huge allocation.
    const uint64_t n_trees = in.count(uint64_t{1} << 32);
    if (n_trees == 0) throw corrupt;
    trees_.clear();
    for (uint64_t t = 0; t < n_trees; ++t) {
      Tree& tree = trees_.emplace_back();
      std::vector<int32_t> features = in.ints();
      std::vector<float> thresholds = in.floats();
      std::vector<int32_t> children = in.ints();
      tree.leaf_values = in.floats();
      const size_t n = features.size();
      if (n == 0 || thresholds.size() != n || children.size() != n) throw corrupt;
      tree.nodes.resize(n);
      for (size_t i = 0; i < n; ++i) {
        // Children always follow their parent, so a valid file cannot make predict loop.
        const int64_t child = children[i];
        if (features[i] >= 0) {
          if (static_cast<uint64_t>(features[i]) >= n_features_ ||
              child <= static_cast<int64_t>(i) || child + 1 >= static_cast<int64_t>(n)) {
            throw corrupt;
          }
        } else if (features[i] != -1 ||
                   (leaf_width > 0 && (child < 0 || static_cast<size_t>(child) + leaf_width >
                                                        tree.leaf_values.size()))) {
          throw corrupt;
        }
        tree.nodes[i] = {features[i], thresholds[i], children[i]};
      }
    }
  }

  size_t n_outputs() const { return n_classes_ == 0 ? 1 : static_cast<size_t>(n_classes_); }

 private:
  ForestOptions options_;
  Task task_ = Task::kRegression;
  int n_classes_ = 0;
  size_t n_features_ = 0;
  std::vector<Tree> trees_;
};

// ---- The two families ----------------------------------------------------------------------

double sqrt_fraction(const DataShape& shape) {
  const double d = static_cast<double>(std::max<size_t>(1, shape.features));
  return std::clamp(std::sqrt(d) / d, 0.05, 1.0);
}

ForestOptions read_options(const std::string& family, bool extra_trees, const Config& config,
                           const DataShape& shape) {
  const bool classification = is_classification(shape.task);
  ForestOptions o;
  o.extra_trees = extra_trees;
  o.n_trees = static_cast<int>(param_int(config, family + "_n_trees", 300));
  o.max_features =
      param_float(config, family + "_max_features", classification ? sqrt_fraction(shape) : 1.0);
  o.min_samples_leaf = static_cast<int>(param_int(config, family + "_min_samples_leaf", 1));
  o.max_depth = static_cast<int>(param_int(config, family + "_max_depth", 0));
  o.entropy = classification && param_string(config, family + "_criterion", "gini") == "entropy";
  o.bootstrap = !extra_trees && param_int(config, family + "_bootstrap", 1) != 0;
  auto require = [&](bool ok, const std::string& what) {
    if (!ok) throw Error(family + ": " + what);
  };
  require(o.n_trees >= 1, family + "_n_trees = " + std::to_string(o.n_trees) + ", need >= 1");
  require(o.max_features > 0.0 && o.max_features <= 1.0,
          family + "_max_features = " + std::to_string(o.max_features) + ", need in (0, 1]");
  require(o.min_samples_leaf >= 1,
          family + "_min_samples_leaf = " + std::to_string(o.min_samples_leaf) + ", need >= 1");
  require(o.max_depth >= 0,
          family + "_max_depth = " + std::to_string(o.max_depth) + ", need >= 0 (0 = unlimited)");
  return o;
}

ModelFamily forest_family(const std::string& name, bool extra_trees) {
  ModelFamily family;
  family.name = name;
  family.wants_scaling = false;
  family.applicable = [](const DataShape&) { return true; };
  family.add_params = [name, extra_trees](SearchSpace& space, const std::string& condition,
                                          const DataShape& shape) {
    space.add_int(name + "_n_trees", 50, 500).log().when(condition);
    space.add_float(name + "_max_features", 0.05, 1.0).log().when(condition);
    space.add_int(name + "_min_samples_leaf", 1, 20).log().when(condition);
    // 0 = grow until leaves are pure or reach min_samples_leaf, the usual forest default.
    space.add_categorical(name + "_max_depth", {int64_t{0}, int64_t{8}, int64_t{16}})
        .when(condition);
    if (is_classification(shape.task)) {
      space.add_categorical(name + "_criterion", {std::string("gini"), std::string("entropy")})
          .when(condition);
    }
    if (!extra_trees) space.add_categorical(name + "_bootstrap", {true, false}).when(condition);
  };
  family.portfolio = [name, extra_trees](const DataShape& shape) {
    const bool classification = is_classification(shape.task);
    auto config = [&](double max_features, int64_t min_leaf, const char* criterion) {
      Config c{{name + "_n_trees", int64_t{300}},
               {name + "_max_features", max_features},
               {name + "_min_samples_leaf", min_leaf},
               {name + "_max_depth", int64_t{0}}};
      if (classification) c[name + "_criterion"] = std::string(criterion);
      if (!extra_trees) c[name + "_bootstrap"] = true;
      return c;
    };
    // scikit-learn's defaults first (sqrt of the features for classification, all of them for
    // regression, there with leaves of two rows, which halves the model's size for little
    // loss), then a wider and a smoother variant.
    if (classification) {
      const double sqrt_d = sqrt_fraction(shape);
      return std::vector<Config>{config(sqrt_d, 1, "gini"), config(0.5, 1, "entropy"),
                                 config(sqrt_d, 3, "gini")};
    }
    return std::vector<Config>{config(1.0, 2, "gini"), config(1.0 / 3.0, 1, "gini"),
                               config(0.5, 5, "gini")};
  };
  family.create = [name, extra_trees](const Config& config, const DataShape& shape) {
    return std::make_unique<ForestModel>(read_options(name, extra_trees, config, shape));
  };
  family.load = [](Reader& in) {
    auto model = std::make_unique<ForestModel>();
    model->load(in);
    return std::unique_ptr<Model>(std::move(model));
  };
  return family;
}

}  // namespace

ModelFamily random_forest_family() { return forest_family("random_forest", false); }
ModelFamily extra_trees_family() { return forest_family("extra_trees", true); }

}  // namespace winnow::automl
