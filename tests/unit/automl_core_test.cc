// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The AutoML pieces between the CSV reader and the models: metrics, greedy ensemble selection,
// preprocessing, validation folds, the trial store, and preparing training data.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <set>

#include "automl/data/csv_reader.h"
#include "automl/data/schema.h"
#include "automl/ensemble.h"
#include "automl/metrics.h"
#include "automl/pipeline/pipeline.h"
#include "automl/prepare.h"
#include "automl/trial_store.h"
#include "automl/validation.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

Target binary_target(std::vector<int32_t> labels) {
  Target t;
  t.task = Task::kBinary;
  t.labels = std::move(labels);
  t.class_names = {"no", "yes"};
  return t;
}

std::vector<float> binary_predictions(const std::vector<float>& positive) {
  std::vector<float> out;
  for (float p : positive) {
    out.push_back(1 - p);
    out.push_back(p);
  }
  return out;
}

TEST(AutomlMetrics, MatchHandComputedValues) {
  Target t = binary_target({0, 0, 1, 1});
  // scikit-learn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) == 0.75
  auto p = binary_predictions({0.1f, 0.4f, 0.35f, 0.8f});
  EXPECT_NEAR(score(Metric::kRocAuc, t, p), 0.75, 1e-12);
  EXPECT_NEAR(score(Metric::kAccuracy, t, p), 0.75, 1e-12);  // 0.35 is the one miss
  double log_loss = -(std::log(0.9) + std::log(0.6) + std::log(0.35) + std::log(0.8)) / 4;
  EXPECT_NEAR(score(Metric::kLogLoss, t, p), log_loss, 1e-6);
  // Ties share their rank: all equal scores give 0.5.
  EXPECT_NEAR(score(Metric::kRocAuc, t, binary_predictions({0.5f, 0.5f, 0.5f, 0.5f})), 0.5, 1e-12);
  // F1 of the positive class: one true positive, no false positive, one false negative.
  EXPECT_NEAR(score(Metric::kF1, t, p), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(loss(Metric::kRocAuc, t, p), 0.25, 1e-12);

  Target r;
  r.task = Task::kRegression;
  r.values = {1, 2, 3, 4};
  std::vector<float> q = {1, 2, 3, 6};
  EXPECT_NEAR(score(Metric::kRmse, r, q), 1.0, 1e-12);
  EXPECT_NEAR(score(Metric::kMae, r, q), 0.5, 1e-12);
  EXPECT_NEAR(score(Metric::kR2, r, q), 1 - 4.0 / 5.0, 1e-12);
}

TEST(AutomlMetrics, NamesDependOnTheTask) {
  EXPECT_EQ(default_metric(Task::kBinary), Metric::kRocAuc);
  EXPECT_EQ(default_metric(Task::kMulticlass), Metric::kLogLoss);
  EXPECT_EQ(default_metric(Task::kRegression), Metric::kRmse);
  EXPECT_EQ(metric_from_string("auc", Task::kBinary), Metric::kRocAuc);
  EXPECT_THROW(metric_from_string("rmse", Task::kBinary), Error);
  EXPECT_THROW(metric_from_string("acuracy", Task::kMulticlass), Error);
}

TEST(AutomlEnsemble, CombinesModelsThatErrDifferentlyAndKeepsTheBestPrefix) {
  // Each model is right with confidence on half the rows and unsure on the rest; together
  // they are right everywhere.
  Target t = binary_target({1, 1, 0, 0});
  std::vector<float> a = binary_predictions({0.9f, 0.45f, 0.1f, 0.55f});
  std::vector<float> b = binary_predictions({0.45f, 0.9f, 0.55f, 0.1f});
  std::vector<float> bad = binary_predictions({0.2f, 0.2f, 0.8f, 0.8f});
  EnsembleSelection s = select_ensemble({a, b, bad}, t, Metric::kLogLoss, 25);
  EXPECT_NEAR(std::accumulate(s.weights.begin(), s.weights.end(), 0.0), 1.0, 1e-12);
  EXPECT_GT(s.weights[0], 0.3);
  EXPECT_GT(s.weights[1], 0.3);
  EXPECT_EQ(s.weights[2], 0.0);
  EXPECT_LT(s.loss, score(Metric::kLogLoss, t, a));
  // The kept prefix is the best round.
  EXPECT_EQ(s.loss, *std::min_element(s.loss_by_round.begin(), s.loss_by_round.end()));
}

TEST(AutomlEnsemble, StopsAfterTheRoundInWhichItIsTold) {
  Target t = binary_target({1, 1, 0, 0});
  std::vector<float> a = binary_predictions({0.9f, 0.45f, 0.1f, 0.55f});
  std::vector<float> b = binary_predictions({0.45f, 0.9f, 0.55f, 0.1f});
  EnsembleSelection s = select_ensemble({a, b}, t, Metric::kLogLoss, 25, [] { return true; });
  EXPECT_EQ(s.loss_by_round.size(), 1u);
  EXPECT_EQ(s.rounds_kept, 1u);
}

TEST(AutomlMetrics, MacroF1CountsOnlyClassesThatOccur) {
  Target t;
  t.task = Task::kMulticlass;
  t.class_names = {"a", "b", "c"};
  t.labels = {0, 1, 0, 1};
  // Perfect on a and b; c occurs nowhere, so it does not pull the average down.
  std::vector<float> p = {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0};
  EXPECT_NEAR(score(Metric::kF1, t, p), 1.0, 1e-12);
}

TEST(AutomlEnsemble, OneGoodModelStaysAlone) {
  Target t = binary_target({1, 0, 1, 0});
  std::vector<float> good = binary_predictions({0.9f, 0.1f, 0.8f, 0.2f});
  std::vector<float> worse = binary_predictions({0.6f, 0.5f, 0.4f, 0.5f});
  EnsembleSelection s = select_ensemble({good, worse}, t, Metric::kLogLoss, 25);
  EXPECT_EQ(s.weights[0], 1.0);
  EXPECT_EQ(s.rounds_kept, 1u);
}

Table small_table() {
  return parse_csv(
      "num,cat,many,y\n"
      "1,a,l1,1\n2,b,l2,0\n,a,l3,1\n4,c,l1,0\n5,a,l2,1\n6,b,l3,0\n7,a,l4,1\n8,c,l5,0\n"
      "9,a,l1,1\n10,b,l2,0\n11,a,l3,1\n12,c,l4,0\n",
      "small.csv");
}

TEST(AutomlPipeline, OneHotIndicatorsAndUnseenLevels) {
  PreparedData data = prepare_training_data(small_table(), "y", "auto");
  std::vector<size_t> rows(data.features.rows);
  std::iota(rows.begin(), rows.end(), size_t{0});
  PipelineChoices choices;
  choices.onehot_max_levels = 3;
  choices.high_cardinality = "frequency";
  Pipeline pipeline;
  Matrix x = pipeline.fit_transform(data.features, rows, data.target, choices);
  // num + its missing indicator, cat one-hot (3), many by frequency (1).
  ASSERT_EQ(x.cols, 6u);
  EXPECT_EQ(x.at(2, 1), 1.0f);                  // the missing indicator
  EXPECT_EQ(x.at(2, 0), 7.0f);                  // imputed with the median of the others
  EXPECT_EQ(x.at(0, 2) + x.at(0, 3) + x.at(0, 4), 1.0f);
  EXPECT_NEAR(x.at(0, 5), 3.0 / 12, 1e-6);      // l1 appears 3 times in 12 rows
  // A new table with an unseen category: all zeros in the one-hot block.
  Schema schema = Schema::of(data.features);
  Table fresh = schema.conform(parse_csv("num,cat,many\n3,zzz,l9\n", "new.csv"), nullptr);
  Matrix y = pipeline.transform(fresh);
  EXPECT_EQ(y.at(0, 2) + y.at(0, 3) + y.at(0, 4), 0.0f);
  // Saved and loaded, it transforms identically.
  Writer out;
  pipeline.save(out);
  Reader in(out.buffer());
  Pipeline loaded = Pipeline::load(in);
  EXPECT_EQ(loaded.transform(data.features).data, pipeline.transform(data.features).data);
}

TEST(AutomlPipeline, TargetEncodingIsCrossFittedOnTrainingRows) {
  PreparedData data = prepare_training_data(small_table(), "y", "auto");
  std::vector<size_t> rows(data.features.rows);
  std::iota(rows.begin(), rows.end(), size_t{0});
  PipelineChoices choices;
  choices.onehot_max_levels = 2;
  choices.high_cardinality = "target";
  Pipeline pipeline;
  Matrix train = pipeline.fit_transform(data.features, rows, data.target, choices);
  Matrix again = pipeline.transform(data.features);
  // The training rows' encoding comes from the other parts, so it differs from the encoding
  // of the same rows learnt on all of them.
  bool differs = false;
  for (size_t r = 0; r < train.rows; ++r) {
    for (size_t c = 0; c < train.cols; ++c) differs = differs || train.at(r, c) != again.at(r, c);
  }
  EXPECT_TRUE(differs);
}

TEST(AutomlPipeline, FeatureSelectionKeepsTheInformativeColumn) {
  std::string csv = "signal,noise,y\n";
  for (int i = 0; i < 40; ++i) {
    csv += std::to_string(i % 2 ? 5 + i % 3 : -5 - i % 3) + "," + std::to_string((i * 7) % 11) +
           "," + (i % 2 ? "a" : "b") + "\n";
  }
  PreparedData data = prepare_training_data(parse_csv(csv, "s.csv"), "y", "auto");
  std::vector<size_t> rows(data.features.rows);
  std::iota(rows.begin(), rows.end(), size_t{0});
  PipelineChoices choices;
  choices.feature_fraction = 0.5;
  Pipeline pipeline;
  Matrix x = pipeline.fit_transform(data.features, rows, data.target, choices);
  ASSERT_EQ(x.cols, 1u);
  EXPECT_EQ(std::abs(x.at(0, 0)), 5.0f);  // the signal column, unscaled
}

TEST(AutomlValidation, StratifiedFoldsCoverEveryRowOnce) {
  Target t;
  t.task = Task::kBinary;
  t.class_names = {"a", "b"};
  for (int i = 0; i < 100; ++i) t.labels.push_back(i < 20 ? 1 : 0);
  ValidationPlan plan = plan_validation(t, 5, 7);
  ASSERT_EQ(plan.repeats, 3u);  // small data: three shuffles
  ASSERT_EQ(plan.valid.size(), 15u);
  EXPECT_EQ(plan.scored.size(), 100u);
  for (size_t repeat = 0; repeat < 3; ++repeat) {
    std::set<size_t> seen;
    for (size_t f = repeat * 5; f < repeat * 5 + 5; ++f) {
      EXPECT_EQ(plan.valid[f].size() + plan.train[f].size(), 100u);
      int positives = 0;
      for (size_t row : plan.valid[f]) {
        EXPECT_TRUE(seen.insert(row).second);
        positives += t.labels[row];
      }
      EXPECT_EQ(positives, 4);  // 20 positives over 5 folds
    }
    EXPECT_EQ(seen.size(), 100u);
  }
  EXPECT_NE(plan.valid[0], plan.valid[5]);  // another shuffle
  EXPECT_FALSE(plan.holdout);
  // Wide small data is held out once, not once per repetition.
  Target wide;
  wide.task = Task::kRegression;
  wide.values.assign(2000, 1.0);
  ValidationPlan wide_plan = plan_validation(wide, 6000, 7);
  EXPECT_TRUE(wide_plan.holdout);
  EXPECT_EQ(wide_plan.repeats, 1u);
  EXPECT_EQ(wide_plan.valid.size(), 1u);
  Target big;
  big.task = Task::kRegression;
  big.values.assign(200000, 1.0);
  ValidationPlan holdout = plan_validation(big, 10, 7);
  EXPECT_TRUE(holdout.holdout);
  EXPECT_EQ(holdout.valid.size(), 1u);
  EXPECT_EQ(holdout.scored.size(), 40000u);
}

StoredTrial stored(int64_t number, double loss, std::string family, size_t bytes = 8) {
  StoredTrial t;
  t.trial = number;
  t.loss = loss;
  t.family = std::move(family);
  t.oof.assign(4, 0.5f);
  t.fold_models = {std::string(bytes, 'x')};
  return t;
}

TEST(AutomlTrialStore, KeepsTheBestAndTheBestOfEachFamily) {
  TrialStore store(2, 1, uint64_t{1} << 30, "");
  store.add(stored(0, 0.5, "xgboost"));
  store.add(stored(1, 0.4, "xgboost"));
  store.add(stored(2, 0.3, "xgboost"));
  store.add(stored(3, 0.9, "knn"));  // worst, but the best knn
  std::vector<int64_t> kept;
  for (const StoredTrial* t : store.best()) kept.push_back(t->trial);
  EXPECT_EQ(kept, (std::vector<int64_t>{2, 1, 3}));
}

TEST(AutomlTrialStore, StaysWithinItsByteBudgetAndFilesFollowIt) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "winnow-trial-store-test";
  std::filesystem::remove_all(dir);
  {
    TrialStore store(10, 0, 3000, dir.string());
    store.add(stored(0, 0.5, "a", 1000));
    store.add(stored(1, 0.4, "a", 1000));
    store.add(stored(2, 0.3, "a", 1000));  // the three no longer fit: the worst goes
    EXPECT_EQ(store.best().size(), 2u);
    EXPECT_FALSE(std::filesystem::exists(dir / "trial-0.bin"));
    EXPECT_TRUE(std::filesystem::exists(dir / "trial-2.bin"));
  }
  TrialStore reopened(10, 0, 1 << 20, dir.string());
  EXPECT_EQ(reopened.load({0, 1, 2}, 4), 2u);
  EXPECT_EQ(reopened.best().front()->trial, 2);
  std::filesystem::remove_all(dir);
}

TEST(AutomlPrepare, InfersTheTaskAndDropsUselessColumns) {
  std::string csv = "id,const,x,label,count\n";
  for (int i = 0; i < 30; ++i) {
    csv += "u" + std::to_string(i) + ",k," + std::to_string(i % 7) + "," +
           std::to_string(i % 3) + "," + std::to_string(i * 1.5) + "\n";
  }
  PreparedData d = prepare_training_data(parse_csv(csv, "p.csv"), "label", "auto");
  EXPECT_EQ(d.target.task, Task::kMulticlass);
  EXPECT_EQ(d.target.class_names, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_EQ(d.features.columns.size(), 2u);  // x and count; id and const dropped
  PreparedData r = prepare_training_data(parse_csv(csv, "p.csv"), "count", "auto");
  EXPECT_EQ(r.target.task, Task::kRegression);
  EXPECT_THROW(prepare_training_data(parse_csv(csv, "p.csv"), "const", "auto"), Error);
  EXPECT_THROW(prepare_training_data(parse_csv(csv, "p.csv"), "id", "regression"), Error);
}

}  // namespace
}  // namespace winnow::automl
