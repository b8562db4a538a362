// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "automl/models/families.h"
#include "winnow/error.h"
#include "winnow/space.h"

namespace winnow::automl {
namespace {

struct Data {
  Matrix x;
  Target y;
};

// Two noisy informative features in an XOR pattern plus pure-noise columns: no single axis
// split helps at the root, so only a forest that keeps splitting learns it.
Data xor_data(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Data d{Matrix(rows, 5), Target{}};
  d.y.task = Task::kBinary;
  d.y.class_names = {"a", "b"};
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < 5; ++c) d.x.at(r, c) = u(rng);
    d.y.labels.push_back((d.x.at(r, 0) > 0) != (d.x.at(r, 1) > 0) ? 1 : 0);
  }
  return d;
}

// Three classes by the angle of (x0, x1), with a noise column.
Data multiclass_data(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  Data d{Matrix(rows, 3), Target{}};
  d.y.task = Task::kMulticlass;
  d.y.class_names = {"a", "b", "c"};
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < 3; ++c) d.x.at(r, c) = g(rng);
    double angle = std::atan2(d.x.at(r, 1), d.x.at(r, 0)) + M_PI;
    d.y.labels.push_back(std::min(2, static_cast<int>(angle / (2 * M_PI / 3))));
  }
  return d;
}

Data regression_data(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  Data d{Matrix(rows, 4), Target{}};
  d.y.task = Task::kRegression;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < 4; ++c) d.x.at(r, c) = u(rng);
    d.y.values.push_back(2.0 * std::sin(d.x.at(r, 0)) + d.x.at(r, 1) * d.x.at(r, 1));
  }
  return d;
}

DataShape shape_of(const Data& d) {
  return DataShape{d.y.task, d.x.rows, d.x.cols, d.y.n_classes()};
}

std::unique_ptr<Model> fit_model(const ModelFamily& family, const Data& d, int n_trees,
                                 uint64_t seed = 7, int threads = 1) {
  DataShape shape = shape_of(d);
  Config config = family.portfolio(shape).front();
  config[family.name + "_n_trees"] = int64_t{n_trees};
  auto model = family.create(config, shape);
  FitControl control;
  control.seed = seed;
  control.threads = threads;
  model->fit(d.x, d.y, control);
  return model;
}

std::vector<float> predict(const Model& model, const Matrix& x, size_t outputs) {
  std::vector<float> out(x.rows * outputs);
  model.predict(x, out);
  return out;
}

double accuracy(const std::vector<float>& probabilities, const Target& y) {
  const size_t k = y.n_outputs();
  size_t correct = 0;
  for (size_t r = 0; r < y.size(); ++r) {
    const float* p = probabilities.data() + r * k;
    size_t best = std::max_element(p, p + k) - p;
    correct += static_cast<int32_t>(best) == y.labels[r];
  }
  return static_cast<double>(correct) / y.size();
}

std::vector<ModelFamily> families() { return {random_forest_family(), extra_trees_family()}; }

TEST(Forest, LearnsXorFarAboveChance) {
  Data train = xor_data(600, 1), test = xor_data(400, 2);
  for (const ModelFamily& family : families()) {
    auto model = fit_model(family, train, 40);
    EXPECT_GT(accuracy(predict(*model, test.x, 2), test.y), 0.85) << family.name;
  }
}

TEST(Forest, MulticlassProbabilitiesSumToOneAndAreNeverHard) {
  Data train = multiclass_data(500, 3), test = multiclass_data(300, 4);
  for (const ModelFamily& family : families()) {
    auto model = fit_model(family, train, 30);
    std::vector<float> p = predict(*model, test.x, 3);
    EXPECT_GT(accuracy(p, test.y), 0.8) << family.name;
    for (size_t r = 0; r < test.x.rows; ++r) {
      double sum = 0;
      for (size_t c = 0; c < 3; ++c) {
        EXPECT_GT(p[r * 3 + c], 0.0f);
        EXPECT_LT(p[r * 3 + c], 1.0f);
        sum += p[r * 3 + c];
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
}

TEST(Forest, BinaryGivesTwoColumnsSummingToOne) {
  Data train = xor_data(300, 5);
  for (const ModelFamily& family : families()) {
    auto model = fit_model(family, train, 10);
    std::vector<float> p = predict(*model, train.x, 2);
    for (size_t r = 0; r < train.x.rows; ++r) {
      EXPECT_NEAR(p[2 * r] + p[2 * r + 1], 1.0f, 1e-5);
      EXPECT_GT(p[2 * r], 0.0f);
    }
  }
}

TEST(Forest, RegressionExplainsMostVariance) {
  Data train = regression_data(800, 6), test = regression_data(300, 7);
  for (const ModelFamily& family : families()) {
    auto model = fit_model(family, train, 30);
    std::vector<float> p = predict(*model, test.x, 1);
    double mean = 0, sse = 0, sst = 0;
    for (double v : test.y.values) mean += v / test.y.values.size();
    for (size_t r = 0; r < p.size(); ++r) {
      sse += (p[r] - test.y.values[r]) * (p[r] - test.y.values[r]);
      sst += (test.y.values[r] - mean) * (test.y.values[r] - mean);
    }
    EXPECT_GT(1.0 - sse / sst, 0.85) << family.name;
  }
}

TEST(Forest, SaveLoadRoundTripPredictsIdentically) {
  Data binary = xor_data(200, 8), multi = multiclass_data(200, 9), reg = regression_data(200, 10);
  for (const ModelFamily& family : families()) {
    for (const Data* d : {&binary, &multi, &reg}) {
      auto model = fit_model(family, *d, 8);
      Writer writer;
      model->save(writer);
      Reader reader(writer.buffer());
      auto loaded = family.load(reader);
      EXPECT_TRUE(reader.done());
      const size_t k = d->y.n_outputs();
      EXPECT_EQ(predict(*model, d->x, k), predict(*loaded, d->x, k)) << family.name;
    }
  }
}

TEST(Forest, TruncatedModelFileThrowsError) {
  Data d = multiclass_data(100, 11);
  auto model = fit_model(random_forest_family(), d, 3);
  Writer writer;
  model->save(writer);
  std::string bytes = writer.buffer();
  Reader reader(std::string_view(bytes).substr(0, bytes.size() / 2));
  EXPECT_THROW(random_forest_family().load(reader), Error);
}

TEST(Forest, SameSeedSamePredictionsWhateverTheThreads) {
  Data train = multiclass_data(300, 12), test = multiclass_data(100, 16);
  for (const ModelFamily& family : families()) {
    auto a = fit_model(family, train, 12, 5, 1);
    auto b = fit_model(family, train, 12, 5, 3);
    auto c = fit_model(family, train, 12, 6, 1);
    EXPECT_EQ(predict(*a, test.x, 3), predict(*b, test.x, 3)) << family.name;
    // Extra trees memorise their training rows whatever the seed, so compare on new rows.
    EXPECT_NE(predict(*a, test.x, 3), predict(*c, test.x, 3)) << family.name;
  }
}

TEST(Forest, ShouldStopMakesFitThrowFitStopped) {
  Data train = xor_data(200, 13);
  for (const ModelFamily& family : families()) {
    DataShape shape = shape_of(train);
    auto model = family.create(family.portfolio(shape).front(), shape);
    int calls = 0;
    FitControl control;
    control.threads = 2;
    control.should_stop = [&calls] { return ++calls > 3; };
    EXPECT_THROW(model->fit(train.x, train.y, control), FitStopped) << family.name;
  }
}

TEST(Forest, StoppedLateKeepsTheTreesBuiltSoFar) {
  Data train = xor_data(200, 14);
  for (const ModelFamily& family : families()) {
    DataShape shape = shape_of(train);
    auto model = family.create(family.portfolio(shape).front(), shape);
    int calls = 0;
    FitControl control;
    control.threads = 1;
    control.should_stop = [&calls] { return ++calls > 40; };
    ASSERT_NO_THROW(model->fit(train.x, train.y, control)) << family.name;
    Writer out;
    model->save(out);
    Writer full_out;
    auto full = family.create(family.portfolio(shape).front(), shape);
    full->fit(train.x, train.y, FitControl{});
    full->save(full_out);
    // Fewer trees, a smaller model; and it still predicts probabilities.
    EXPECT_LT(out.buffer().size(), full_out.buffer().size() / 2) << family.name;
    std::vector<float> p(train.x.rows * 2);
    model->predict(train.x, p);
    EXPECT_NEAR(p[0] + p[1], 1.0f, 1e-5f);
  }
}

TEST(Forest, SplitsOnTiedValuesAndSkipsConstantColumns) {
  // Column 0 is constant, column 1 is 0/1 and decides the label, column 2 is mostly one value.
  Data d{Matrix(200, 3), Target{}};
  d.y.task = Task::kBinary;
  d.y.class_names = {"a", "b"};
  for (size_t r = 0; r < 200; ++r) {
    d.x.at(r, 0) = 3.0f;
    d.x.at(r, 1) = static_cast<float>(r % 2);
    d.x.at(r, 2) = r % 10 == 0 ? static_cast<float>(r) : -1.0f;
    d.y.labels.push_back(static_cast<int32_t>(r % 2));
  }
  for (const ModelFamily& family : families()) {
    auto model = fit_model(family, d, 10);
    Matrix probe(2, 3);
    probe.at(0, 1) = 0.2f;  // unseen values fall on the side of the nearer training value
    probe.at(1, 1) = 0.8f;
    probe.at(0, 2) = probe.at(1, 2) = -1.0f;
    std::vector<float> p = predict(*model, probe, 2);
    EXPECT_GT(p[0], 0.9f) << family.name;
    EXPECT_GT(p[3], 0.9f) << family.name;
  }
}

TEST(Forest, PredictRejectsWrongColumnCount) {
  Data train = xor_data(100, 14);
  auto model = fit_model(random_forest_family(), train, 2);
  Matrix wrong(3, 4);
  std::vector<float> out(6);
  EXPECT_THROW(model->predict(wrong, out), Error);
}

TEST(Forest, PortfolioConfigsAreMembersOfTheSpace) {
  for (Task task : {Task::kBinary, Task::kRegression}) {
    DataShape shape{task, 1000, 30, task == Task::kBinary ? 2 : 0};
    for (const ModelFamily& family : families()) {
      SearchSpace space;
      space.add_categorical("model", {family.name});
      family.add_params(space, "model == '" + family.name + "'", shape);
      space.validate();
      for (const auto& prefix_check : space.params()) {
        if (prefix_check.name != "model") {
          EXPECT_EQ(prefix_check.name.rfind(family.name + "_", 0), 0u) << prefix_check.name;
        }
      }
      for (Config config : family.portfolio(shape)) {
        config["model"] = family.name;
        EXPECT_NO_THROW(space.check(config)) << family.name;
        EXPECT_NO_THROW(family.create(config, shape));
      }
    }
  }
}

TEST(Forest, MinSamplesLeafAndMaxDepthSmoothPredictions) {
  // A single deep tree on training data memorises labels; a depth-1 forest cannot.
  Data train = xor_data(300, 15);
  DataShape shape = shape_of(train);
  ModelFamily family = random_forest_family();
  Config config = family.portfolio(shape).front();
  config["random_forest_n_trees"] = int64_t{5};
  config["random_forest_bootstrap"] = false;
  config["random_forest_max_features"] = 1.0;
  auto deep = family.create(config, shape);
  config["random_forest_max_depth"] = int64_t{1};
  auto stump = family.create(config, shape);
  FitControl control;
  deep->fit(train.x, train.y, control);
  stump->fit(train.x, train.y, control);
  EXPECT_EQ(accuracy(predict(*deep, train.x, 2), train.y), 1.0);
  EXPECT_LT(accuracy(predict(*stump, train.x, 2), train.y), 0.8);
}

}  // namespace
}  // namespace winnow::automl
