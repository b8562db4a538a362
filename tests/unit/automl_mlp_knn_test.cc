// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "automl/models/families.h"
#include "winnow/error.h"
#include "winnow/space.h"

namespace winnow::automl {
namespace {

struct Dataset {
  Matrix x;
  Target y;
};

// Label 1 inside a circle of radius 1.2 in the first two of three features: not linearly
// separable, so a model has to be non-linear to score well.
Dataset circle(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  Dataset d{Matrix(rows, 3), {}};
  d.y.task = Task::kBinary;
  d.y.class_names = {"out", "in"};
  for (size_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < 3; ++j) d.x.at(r, j) = u(rng);
    float radius2 = d.x.at(r, 0) * d.x.at(r, 0) + d.x.at(r, 1) * d.x.at(r, 1);
    d.y.labels.push_back(radius2 < 1.44f ? 1 : 0);
  }
  return d;
}

// Three well separated Gaussian blobs in four features.
Dataset blobs(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.6f);
  const float centres[3][4] = {{2, 0, 0, 1}, {-2, 1, 0, -1}, {0, -2, 1, 0}};
  Dataset d{Matrix(rows, 4), {}};
  d.y.task = Task::kMulticlass;
  d.y.class_names = {"a", "b", "c"};
  for (size_t r = 0; r < rows; ++r) {
    int label = static_cast<int>(r % 3);
    for (size_t j = 0; j < 4; ++j) d.x.at(r, j) = centres[label][j] + noise(rng);
    d.y.labels.push_back(label);
  }
  return d;
}

// y = 3 sin(x0) + x1^2 + noise, x2 irrelevant.
Dataset wave(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::normal_distribution<double> noise(0.0, 0.1);
  Dataset d{Matrix(rows, 3), {}};
  d.y.task = Task::kRegression;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < 3; ++j) d.x.at(r, j) = u(rng);
    d.y.values.push_back(3.0 * std::sin(d.x.at(r, 0)) + d.x.at(r, 1) * d.x.at(r, 1) + noise(rng));
  }
  return d;
}

// Every feature times 1000 plus 5000: far from the standardised input the families expect.
Dataset unscaled(Dataset d) {
  for (float& v : d.x.data) v = v * 1000.0f + 5000.0f;
  return d;
}

DataShape shape_of(const Dataset& d) {
  DataShape s;
  s.task = d.y.task;
  s.rows = d.x.rows;
  s.features = d.x.cols;
  s.n_classes = d.y.n_classes();
  return s;
}

std::unique_ptr<Model> fitted(const ModelFamily& family, const Config& config, const Dataset& d,
                              uint64_t seed = 1) {
  auto model = family.create(config, shape_of(d));
  FitControl control;
  control.seed = seed;
  model->fit(d.x, d.y, control);
  return model;
}

std::vector<float> predictions(const Model& model, const Dataset& d) {
  std::vector<float> out(d.x.rows * d.y.n_outputs());
  model.predict(d.x, out);
  return out;
}

double accuracy(const std::vector<float>& probabilities, const Target& y) {
  const size_t classes = y.n_outputs();
  size_t right = 0;
  for (size_t r = 0; r < y.size(); ++r) {
    const float* p = probabilities.data() + r * classes;
    size_t best = static_cast<size_t>(std::max_element(p, p + classes) - p);
    right += static_cast<int32_t>(best) == y.labels[r];
  }
  return static_cast<double>(right) / static_cast<double>(y.size());
}

double r_squared(const std::vector<float>& predicted, const Target& y) {
  double mean = std::accumulate(y.values.begin(), y.values.end(), 0.0) / y.values.size();
  double residual = 0.0, total = 0.0;
  for (size_t i = 0; i < y.values.size(); ++i) {
    residual += (predicted[i] - y.values[i]) * (predicted[i] - y.values[i]);
    total += (y.values[i] - mean) * (y.values[i] - mean);
  }
  return 1.0 - residual / total;
}

void expect_probabilities(const std::vector<float>& p, size_t classes) {
  ASSERT_EQ(p.size() % classes, 0u);
  for (size_t r = 0; r < p.size() / classes; ++r) {
    double sum = 0.0;
    for (size_t c = 0; c < classes; ++c) {
      float v = p[r * classes + c];
      EXPECT_GT(v, 0.0f);
      EXPECT_LT(v, 1.0f);
      sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

std::unique_ptr<Model> round_trip(const ModelFamily& family, const Model& model) {
  Writer writer;
  model.save(writer);
  std::string bytes = writer.take();
  Reader reader(bytes);
  auto loaded = family.load(reader);
  EXPECT_TRUE(reader.done());
  return loaded;
}

void expect_portfolio_in_space(const ModelFamily& family, const DataShape& shape) {
  SearchSpace space;
  space.add_categorical("model", {family.name});
  family.add_params(space, "model == '" + family.name + "'", shape);
  space.validate();
  auto portfolio = family.portfolio(shape);
  ASSERT_GE(portfolio.size(), 2u);
  for (Config config : portfolio) {
    config["model"] = family.name;
    EXPECT_NO_THROW(space.check(config));
  }
}

Config small_mlp() {
  return {{"mlp_hidden_layers", int64_t{1}}, {"mlp_width", int64_t{32}},
          {"mlp_learning_rate", 1e-2},       {"mlp_alpha", 1e-4},
          {"mlp_batch_size", int64_t{32}},   {"mlp_max_epochs", int64_t{60}}};
}

TEST(MlpFamily, LearnsNonLinearBinaryBoundary) {
  auto model = fitted(mlp_family(), small_mlp(), circle(600, 1));
  Dataset test = circle(300, 2);
  auto p = predictions(*model, test);
  expect_probabilities(p, 2);
  EXPECT_GT(accuracy(p, test.y), 0.9);
}

TEST(MlpFamily, MulticlassProbabilitiesSumToOneAndPredictWell) {
  Config config = small_mlp();
  config["mlp_hidden_layers"] = int64_t{2};
  config["mlp_dropout"] = 0.1;
  auto model = fitted(mlp_family(), config, blobs(300, 3));
  Dataset test = blobs(150, 4);
  auto p = predictions(*model, test);
  expect_probabilities(p, 3);
  EXPECT_GT(accuracy(p, test.y), 0.9);
}

TEST(MlpFamily, LearnsNonLinearRegression) {
  auto model = fitted(mlp_family(), small_mlp(), wave(600, 5));
  Dataset test = wave(200, 6);
  EXPECT_GT(r_squared(predictions(*model, test), test.y), 0.85);
}

TEST(MlpFamily, LearnsFromUnscaledInputAndTarget) {
  Dataset train = unscaled(wave(600, 5));
  for (double& v : train.y.values) v = v * 1e4 + 1e6;
  Dataset test = unscaled(wave(200, 6));
  for (double& v : test.y.values) v = v * 1e4 + 1e6;
  auto model = fitted(mlp_family(), small_mlp(), train);
  EXPECT_GT(r_squared(predictions(*model, test), test.y), 0.85);
}

TEST(MlpFamily, SaveLoadRoundTripGivesIdenticalPredictions) {
  for (const Dataset& d : {blobs(150, 7), wave(150, 8)}) {
    auto model = fitted(mlp_family(), small_mlp(), d);
    auto loaded = round_trip(mlp_family(), *model);
    EXPECT_EQ(predictions(*model, d), predictions(*loaded, d));
  }
}

TEST(MlpFamily, SameSeedSamePredictionsOtherSeedOthers) {
  Dataset d = circle(200, 9);
  Config config = small_mlp();
  config["mlp_dropout"] = 0.2;
  auto a = predictions(*fitted(mlp_family(), config, d, 11), d);
  auto b = predictions(*fitted(mlp_family(), config, d, 11), d);
  auto c = predictions(*fitted(mlp_family(), config, d, 12), d);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(MlpFamily, ShouldStopMakesFitThrowFitStopped) {
  Dataset d = circle(200, 10);
  auto model = mlp_family().create(small_mlp(), shape_of(d));
  FitControl control;
  int calls = 0;
  control.should_stop = [&calls] { return ++calls > 5; };
  EXPECT_THROW(model->fit(d.x, d.y, control), FitStopped);
  EXPECT_EQ(calls, 6);
}

TEST(MlpFamily, PortfolioConfigurationsBelongToItsSpace) {
  Dataset d = blobs(30, 1);
  expect_portfolio_in_space(mlp_family(), shape_of(d));
  EXPECT_TRUE(mlp_family().wants_scaling);
}

TEST(MlpFamily, RejectsMismatchedTarget) {
  Dataset d = blobs(30, 1);
  d.y.labels.pop_back();
  auto model = mlp_family().create(small_mlp(), shape_of(d));
  EXPECT_THROW(model->fit(d.x, d.y, FitControl{}), Error);
}

Config knn(int64_t k, const std::string& weights) {
  return {{"knn_n_neighbors", k}, {"knn_weights", weights}};
}

TEST(KnnFamily, ClassifiesWithProbabilitiesThatSumToOne) {
  for (const char* weights : {"uniform", "distance"}) {
    auto model = fitted(knn_family(), knn(7, weights), circle(600, 1));
    Dataset test = circle(300, 2);
    auto p = predictions(*model, test);
    expect_probabilities(p, 2);
    EXPECT_GT(accuracy(p, test.y), 0.9) << weights;
  }
  auto model = fitted(knn_family(), knn(5, "uniform"), blobs(300, 3));
  Dataset test = blobs(150, 4);
  auto p = predictions(*model, test);
  expect_probabilities(p, 3);
  EXPECT_GT(accuracy(p, test.y), 0.9);
}

TEST(KnnFamily, ManhattanDistanceClassifies) {
  Config config = knn(7, "uniform");
  config["knn_p"] = int64_t{1};
  auto model = fitted(knn_family(), config, blobs(300, 3));
  Dataset test = blobs(150, 4);
  EXPECT_GT(accuracy(predictions(*model, test), test.y), 0.9);
}

TEST(KnnFamily, RegressesWithWeightedMean) {
  auto model = fitted(knn_family(), knn(10, "distance"), wave(800, 5));
  Dataset test = wave(200, 6);
  EXPECT_GT(r_squared(predictions(*model, test), test.y), 0.85);
}

TEST(KnnFamily, DistanceWeightsReturnTheValueOfAnExactMatch) {
  Dataset train = unscaled(wave(200, 5));
  auto model = fitted(knn_family(), knn(15, "distance"), train);
  auto predicted = predictions(*model, train);
  for (size_t i = 0; i < train.y.values.size(); ++i) {
    EXPECT_NEAR(predicted[i], train.y.values[i], 1e-3);
  }
}

TEST(KnnFamily, SaveLoadRoundTripGivesIdenticalPredictions) {
  for (const Dataset& d : {blobs(150, 7), wave(150, 8)}) {
    auto model = fitted(knn_family(), knn(5, "distance"), d);
    auto loaded = round_trip(knn_family(), *model);
    EXPECT_EQ(predictions(*model, d), predictions(*loaded, d));
  }
}

TEST(KnnFamily, LargeTrainingSetIsSubsampledBySeed) {
  Dataset train = wave(20500, 9);
  Dataset test = wave(50, 10);
  auto a = predictions(*fitted(knn_family(), knn(1, "uniform"), train, 3), test);
  auto b = predictions(*fitted(knn_family(), knn(1, "uniform"), train, 3), test);
  auto c = predictions(*fitted(knn_family(), knn(1, "uniform"), train, 4), test);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // The subsample is what is saved: the model file holds at most the row cap.
  Writer writer;
  fitted(knn_family(), knn(1, "uniform"), train, 3)->save(writer);
  EXPECT_LT(writer.buffer().size(), 20001u * 3 * sizeof(float) + 20001u * sizeof(double) + 200);
}

TEST(MlpAndKnnFamilies, TruncatedModelFileThrowsError) {
  Dataset d = blobs(60, 2);
  for (const ModelFamily& family : {mlp_family(), knn_family()}) {
    Config config = family.name == "mlp" ? small_mlp() : knn(3, "uniform");
    Writer writer;
    fitted(family, config, d)->save(writer);
    std::string bytes = writer.take();
    Reader reader(std::string_view(bytes).substr(0, bytes.size() / 2));
    EXPECT_THROW(family.load(reader), Error) << family.name;
  }
}

TEST(KnnFamily, PortfolioConfigurationsBelongToItsSpace) {
  Dataset d = wave(30, 1);
  expect_portfolio_in_space(knn_family(), shape_of(d));
  EXPECT_TRUE(knn_family().applicable(DataShape{Task::kBinary, 1000000, 50, 2}));
}

TEST(KnnFamily, RejectsUnknownWeights) {
  Dataset d = wave(30, 1);
  EXPECT_THROW(knn_family().create(knn(5, "gaussian"), shape_of(d)), Error);
}

}  // namespace
}  // namespace winnow::automl
