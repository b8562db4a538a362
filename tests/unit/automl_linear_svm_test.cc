// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "linear" and "svm" families: learning on small synthetic problems, probabilities, save /
// load, determinism, stopping, and the hyperparameters each task gets.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "automl/models/families.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

struct Data {
  Matrix x;
  Target y;
};

// Gaussian blobs around well separated centres: linearly separable up to noise.
Data blobs(size_t rows, int classes, size_t features, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.7);
  Data d{Matrix(rows, features), Target{}};
  d.y.task = classes == 2 ? Task::kBinary : Task::kMulticlass;
  for (int k = 0; k < classes; ++k) d.y.class_names.push_back("c" + std::to_string(k));
  for (size_t r = 0; r < rows; ++r) {
    int label = static_cast<int>(r % classes);
    d.y.labels.push_back(label);
    for (size_t c = 0; c < features; ++c) {
      double centre = c < 2 ? 2.0 * std::cos(label * 2.0944 + c * 1.5708) : 0.0;
      d.x.at(r, c) = static_cast<float>(centre + noise(rng));
    }
  }
  return d;
}

// Inside versus outside a circle: no linear model separates it, an RBF machine does.
Data circle(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  Data d{Matrix(rows, 2), Target{}};
  d.y.task = Task::kBinary;
  d.y.class_names = {"in", "out"};
  for (size_t r = 0; r < rows; ++r) {
    double a = u(rng), b = u(rng);
    d.x.at(r, 0) = static_cast<float>(a);
    d.x.at(r, 1) = static_cast<float>(b);
    d.y.labels.push_back(a * a + b * b < 1.0 ? 0 : 1);
  }
  return d;
}

// y = 3 x0 - 2 x1 + 0.5 x2 + 10 + noise; the other features are irrelevant.
Data linear_target(size_t rows, size_t features, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  Data d{Matrix(rows, features), Target{}};
  d.y.task = Task::kRegression;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < features; ++c) d.x.at(r, c) = static_cast<float>(n01(rng));
    d.y.values.push_back(3 * d.x.at(r, 0) - 2 * d.x.at(r, 1) + 0.5 * d.x.at(r, 2) + 10 +
                         0.1 * n01(rng));
  }
  return d;
}

Data sine(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  Data d{Matrix(rows, 1), Target{}};
  d.y.task = Task::kRegression;
  for (size_t r = 0; r < rows; ++r) {
    d.x.at(r, 0) = static_cast<float>(u(rng));
    d.y.values.push_back(5.0 * std::sin(d.x.at(r, 0)) + 100.0);
  }
  return d;
}

DataShape shape_of(const Data& d) {
  DataShape shape;
  shape.task = d.y.task;
  shape.rows = d.x.rows;
  shape.features = d.x.cols;
  shape.n_classes = d.y.n_classes();
  return shape;
}

std::unique_ptr<Model> fit(const ModelFamily& family, const Config& config, const Data& d,
                           uint64_t seed = 0) {
  auto model = family.create(config, shape_of(d));
  FitControl control;
  control.seed = seed;
  model->fit(d.x, d.y, control);
  return model;
}

std::vector<float> predict(const Model& model, const Matrix& x, size_t outputs) {
  std::vector<float> out(x.rows * outputs);
  model.predict(x, out);
  return out;
}

double accuracy(const std::vector<float>& probabilities, const Target& y) {
  size_t k = y.class_names.size(), correct = 0;
  for (size_t r = 0; r < y.labels.size(); ++r) {
    auto begin = probabilities.begin() + r * k;
    correct += std::max_element(begin, begin + k) - begin == y.labels[r];
  }
  return static_cast<double>(correct) / y.labels.size();
}

double r_squared(const std::vector<float>& predicted, const std::vector<double>& values) {
  double mean = 0, residual = 0, total = 0;
  for (double v : values) mean += v / values.size();
  for (size_t i = 0; i < values.size(); ++i) {
    residual += (values[i] - predicted[i]) * (values[i] - predicted[i]);
    total += (values[i] - mean) * (values[i] - mean);
  }
  return 1 - residual / total;
}

void expect_distributions(const std::vector<float>& p, size_t k) {
  for (size_t r = 0; r < p.size() / k; ++r) {
    double sum = 0;
    for (size_t j = 0; j < k; ++j) {
      EXPECT_GE(p[r * k + j], 1e-7f);
      EXPECT_LT(p[r * k + j], 1.0f);
      sum += p[r * k + j];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

std::unique_ptr<Model> round_trip(const ModelFamily& family, const Model& model) {
  Writer out;
  model.save(out);
  Reader in(out.buffer());
  auto loaded = family.load(in);
  EXPECT_TRUE(in.done());
  return loaded;
}

Config logistic(const std::string& penalty, double c) {
  return {{"linear_penalty", penalty}, {"linear_C", c}};
}

TEST(LinearFamily, LogisticRegressionSeparatesBlobsWithCalibratedProbabilities) {
  const ModelFamily family = linear_family();
  Data train = blobs(300, 2, 4, 1), test = blobs(300, 2, 4, 2);
  for (const char* penalty : {"l2", "l1"}) {
    auto model = fit(family, logistic(penalty, 1.0), train);
    auto p = predict(*model, test.x, 2);
    EXPECT_GT(accuracy(p, test.y), 0.95) << penalty;
    expect_distributions(p, 2);
  }
}

TEST(LinearFamily, MulticlassOneVersusRestLearnsThreeClasses) {
  const ModelFamily family = linear_family();
  Data train = blobs(300, 3, 4, 3), test = blobs(300, 3, 4, 4);
  auto model = fit(family, logistic("l2", 1.0), train);
  auto p = predict(*model, test.x, 3);
  EXPECT_GT(accuracy(p, test.y), 0.9);
  expect_distributions(p, 3);
}

TEST(LinearFamily, ClassAbsentFromTrainingStillGetsAColumn) {
  const ModelFamily family = linear_family();
  Data train = blobs(90, 2, 3, 5);
  train.y.task = Task::kMulticlass;
  train.y.class_names.push_back("never seen");
  auto model = fit(family, logistic("l2", 1.0), train);
  auto p = predict(*model, train.x, 3);
  expect_distributions(p, 3);
  EXPECT_GT(accuracy(p, train.y), 0.9);
}

TEST(LinearFamily, RegressionPenaltiesFitALinearTarget) {
  const ModelFamily family = linear_family();
  Data train = linear_target(200, 6, 6), test = linear_target(200, 6, 7);
  std::vector<Config> configs = {
      {{"linear_penalty", std::string("ridge")}, {"linear_alpha", 1.0}},
      {{"linear_penalty", std::string("lasso")}, {"linear_alpha", 1e-3}},
      {{"linear_penalty", std::string("elasticnet")}, {"linear_alpha", 1e-3},
       {"linear_l1_ratio", 0.5}},
  };
  for (const Config& config : configs) {
    auto model = fit(family, config, train);
    EXPECT_GT(r_squared(predict(*model, test.x, 1), test.y.values), 0.99)
        << winnow::to_string(config.at("linear_penalty"));
  }
}

TEST(LinearFamily, RidgeWithMoreFeaturesThanRowsStillFits) {
  const ModelFamily family = linear_family();
  Data train = linear_target(30, 60, 8);
  auto model = fit(family, {{"linear_penalty", std::string("ridge")}, {"linear_alpha", 1e-3}},
                   train);
  EXPECT_GT(r_squared(predict(*model, train.x, 1), train.y.values), 0.99);
}

TEST(LinearFamily, StrongLassoPredictsTheMean) {
  const ModelFamily family = linear_family();
  Data train = linear_target(100, 4, 9);
  auto model = fit(family, {{"linear_penalty", std::string("lasso")}, {"linear_alpha", 100.0}},
                   train);
  double mean = 0;
  for (double v : train.y.values) mean += v / train.y.values.size();
  for (float v : predict(*model, train.x, 1)) EXPECT_NEAR(v, mean, 1e-3);
}

TEST(LinearFamily, SaveLoadGivesIdenticalPredictions) {
  const ModelFamily family = linear_family();
  Data classes = blobs(150, 3, 4, 10);
  auto model = fit(family, logistic("l1", 0.5), classes);
  EXPECT_EQ(predict(*round_trip(family, *model), classes.x, 3), predict(*model, classes.x, 3));
  Data values = linear_target(100, 4, 11);
  model = fit(family, {{"linear_penalty", std::string("elasticnet")}, {"linear_alpha", 0.01},
                       {"linear_l1_ratio", 0.3}}, values);
  EXPECT_EQ(predict(*round_trip(family, *model), values.x, 1), predict(*model, values.x, 1));
}

TEST(LinearFamily, SameSeedSamePredictions) {
  const ModelFamily family = linear_family();
  Data train = blobs(200, 3, 5, 12);
  auto a = fit(family, logistic("l1", 0.3), train, 7);
  auto b = fit(family, logistic("l1", 0.3), train, 7);
  EXPECT_EQ(predict(*a, train.x, 3), predict(*b, train.x, 3));
}

TEST(LinearFamily, StopRequestEndsTheFit) {
  const ModelFamily family = linear_family();
  Data train = blobs(60, 2, 3, 13);
  FitControl control;
  control.should_stop = [] { return true; };
  auto model = family.create(logistic("l2", 1.0), shape_of(train));
  EXPECT_THROW(model->fit(train.x, train.y, control), FitStopped);
  Data values = linear_target(60, 3, 14);
  model = family.create({{"linear_penalty", std::string("lasso")}, {"linear_alpha", 0.1}},
                        shape_of(values));
  EXPECT_THROW(model->fit(values.x, values.y, control), FitStopped);
}

TEST(LinearFamily, EachTaskGetsItsOwnHyperparameters) {
  const ModelFamily family = linear_family();
  DataShape shape;
  shape.task = Task::kBinary;
  shape.n_classes = 2;
  SearchSpace classification;
  classification.add_categorical("model", {std::string("linear")});
  family.add_params(classification, "model == 'linear'", shape);
  classification.validate();
  EXPECT_NE(classification.find("linear_C"), nullptr);
  EXPECT_EQ(classification.find("linear_alpha"), nullptr);

  shape.task = Task::kRegression;
  SearchSpace regression;
  regression.add_categorical("model", {std::string("linear")});
  family.add_params(regression, "model == 'linear'", shape);
  regression.validate();
  EXPECT_EQ(regression.find("linear_C"), nullptr);
  Config ridge = {{"model", std::string("linear")}, {"linear_penalty", std::string("ridge")}};
  Config elastic = {{"model", std::string("linear")},
                    {"linear_penalty", std::string("elasticnet")}};
  EXPECT_FALSE(regression.is_active("linear_l1_ratio", ridge));
  EXPECT_TRUE(regression.is_active("linear_l1_ratio", elastic));
  for (const Config& config : family.portfolio(shape)) {
    Config full = config;
    full["model"] = std::string("linear");
    EXPECT_NO_THROW(regression.check(full));
  }
}

TEST(LinearFamily, UnknownPenaltyIsAnError) {
  DataShape shape;
  shape.task = Task::kRegression;
  EXPECT_THROW(linear_family().create({{"linear_penalty", std::string("l2")}}, shape), Error);
}

TEST(SvmFamily, RbfMachineLearnsACircle) {
  const ModelFamily family = svm_family();
  Data train = circle(300, 20), test = circle(300, 21);
  auto model = fit(family, {{"svm_C", 10.0}, {"svm_gamma", 1.0}}, train);
  auto p = predict(*model, test.x, 2);
  EXPECT_GT(accuracy(p, test.y), 0.93);
  expect_distributions(p, 2);
}

TEST(SvmFamily, MulticlassProbabilitiesSumToOne) {
  const ModelFamily family = svm_family();
  Data train = blobs(150, 3, 3, 22), test = blobs(150, 3, 3, 23);
  auto model = fit(family, {{"svm_C", 1.0}, {"svm_gamma", 0.3}}, train);
  auto p = predict(*model, test.x, 3);
  EXPECT_GT(accuracy(p, test.y), 0.9);
  expect_distributions(p, 3);
}

TEST(SvmFamily, EpsilonRegressionFitsASine) {
  const ModelFamily family = svm_family();
  Data train = sine(200, 24), test = sine(200, 25);
  auto model = fit(family, {{"svm_C", 10.0}, {"svm_gamma", 1.0}, {"svm_epsilon", 0.01}}, train);
  EXPECT_GT(r_squared(predict(*model, test.x, 1), test.y.values), 0.98);
}

TEST(SvmFamily, SaveLoadGivesIdenticalPredictions) {
  const ModelFamily family = svm_family();
  Data classes = blobs(120, 3, 3, 26);
  auto model = fit(family, {{"svm_C", 1.0}, {"svm_gamma", 0.5}}, classes);
  EXPECT_EQ(predict(*round_trip(family, *model), classes.x, 3), predict(*model, classes.x, 3));
  Data values = sine(100, 27);
  model = fit(family, {{"svm_C", 1.0}, {"svm_gamma", 1.0}, {"svm_epsilon", 0.1}}, values);
  EXPECT_EQ(predict(*round_trip(family, *model), values.x, 1), predict(*model, values.x, 1));
}

TEST(SvmFamily, CorruptModelFileIsAnError) {
  const ModelFamily family = svm_family();
  Data train = circle(60, 28);
  auto model = fit(family, {{"svm_C", 1.0}, {"svm_gamma", 1.0}}, train);
  Writer out;
  model->save(out);
  std::string bytes = out.buffer().substr(0, out.buffer().size() - 9);
  Reader in(bytes);
  EXPECT_THROW(family.load(in), Error);
}

TEST(SvmFamily, SameSeedSamePlattProbabilities) {
  const ModelFamily family = svm_family();
  Data train = circle(150, 29);
  Config config = {{"svm_C", 1.0}, {"svm_gamma", 1.0}};
  auto a = fit(family, config, train, 5);
  auto b = fit(family, config, train, 5);
  EXPECT_EQ(predict(*a, train.x, 2), predict(*b, train.x, 2));
}

TEST(SvmFamily, StopRequestEndsTheFit) {
  const ModelFamily family = svm_family();
  Data train = circle(60, 30);
  FitControl control;
  control.should_stop = [] { return true; };
  auto model = family.create({{"svm_C", 1.0}, {"svm_gamma", 1.0}}, shape_of(train));
  EXPECT_THROW(model->fit(train.x, train.y, control), FitStopped);
}

TEST(SvmFamily, OfferedOnlyOnSmallData) {
  const ModelFamily family = svm_family();
  DataShape shape;
  shape.task = Task::kBinary;
  shape.rows = 1000;
  EXPECT_TRUE(family.applicable(shape));
  shape.rows = 1000000;
  EXPECT_FALSE(family.applicable(shape));
}

TEST(SvmFamily, EpsilonOnlyForRegression) {
  const ModelFamily family = svm_family();
  DataShape shape;
  shape.features = 8;
  shape.task = Task::kBinary;
  SearchSpace classification;
  family.add_params(classification, "", shape);
  classification.validate();
  EXPECT_EQ(classification.find("svm_epsilon"), nullptr);
  EXPECT_DOUBLE_EQ(std::get<double>(*classification.find("svm_gamma")->default_value), 1.0 / 8);
  shape.task = Task::kRegression;
  SearchSpace regression;
  family.add_params(regression, "", shape);
  regression.validate();
  EXPECT_NE(regression.find("svm_epsilon"), nullptr);
}

}  // namespace
}  // namespace winnow::automl
