// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow automl` end to end: the real binary on CSV files written here, small enough for the
// sanitizer build, with learnable rules so that the scores say the models learnt.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include "e2e/automl_data.h"
#include "e2e/e2e_util.h"

namespace winnow::e2e {
namespace {

std::map<std::string, double> evaluate(const fs::path& dir, const std::string& model,
                                       const std::string& csv) {
  Result r = run_winnow(dir, {"automl", "evaluate", model, csv, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, double> metrics;
  nlohmann::json parsed = nlohmann::json::parse(r.out);
  for (const auto& [name, value] : parsed.items()) metrics[name] = value;
  return metrics;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(AutomlCli, FitsBinaryTaskDropsUselessColumnsAndPredictsProbabilities) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(300, 1));
  write_file(dir.path() / "test.csv", binary_csv(200, 2));
  write_file(dir.path() / "new.csv", binary_csv(50, 3, false));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label", "--trials",
                                       "6", "--seed", "1", "--jobs", "2", "--out", "m.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.err.find("dropped constant columns: constant"), std::string::npos) << fit.err;
  EXPECT_NE(fit.err.find("dropped identifier-like columns: id"), std::string::npos) << fit.err;
  EXPECT_NE(fit.out.find("Leaderboard"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("Ensemble"), std::string::npos) << fit.out;

  auto metrics = evaluate(dir.path(), "m.winnow", "test.csv");
  EXPECT_GT(metrics["roc_auc"], 0.9);
  EXPECT_GT(metrics["accuracy"], 0.8);
  EXPECT_TRUE(metrics.contains("log_loss"));

  Result predict = run_winnow(dir.path(), {"automl", "predict", "m.winnow", "new.csv", "--out",
                                           "p.csv", "--proba"});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  auto lines = lines_of(read_file(dir.path() / "p.csv"));
  ASSERT_EQ(lines.size(), 51u);
  EXPECT_EQ(lines[0], "no,yes");
  for (size_t i = 1; i < lines.size(); ++i) {
    double p0 = 0, p1 = 0;
    char comma = 0;
    std::istringstream(lines[i]) >> p0 >> comma >> p1;
    EXPECT_NEAR(p0 + p1, 1.0, 1e-4) << lines[i];
  }

  Result labels = run_winnow(dir.path(), {"automl", "predict", "m.winnow", "new.csv"});
  ASSERT_EQ(labels.exit_code, 0) << labels.err;
  auto label_lines = lines_of(labels.out);
  ASSERT_EQ(label_lines.size(), 51u);
  EXPECT_EQ(label_lines[0], "label");
  EXPECT_TRUE(label_lines[1] == "yes" || label_lines[1] == "no");

  Result show = run_winnow(dir.path(), {"automl", "show", "m.winnow", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  nlohmann::json summary = nlohmann::json::parse(show.out);
  EXPECT_EQ(summary["trials"]["complete"].get<int>(), 6);
  EXPECT_FALSE(summary["ensemble"]["members"].empty());
}

TEST(AutomlCli, RefitReplacesFoldModelsAndBestSingleStaysComparable) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(200, 16));
  write_file(dir.path() / "test.csv", binary_csv(100, 17));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--trials", "4", "--refit", "--out", "r.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("Final model: members refit on all rows"), std::string::npos) << fit.out;
  Result show = run_winnow(dir.path(), {"automl", "show", "r.winnow", "--json"});
  nlohmann::json summary = nlohmann::json::parse(show.out);
  EXPECT_EQ(summary["final_model"].get<std::string>().find("members refit on all rows"), 0u);
  EXPECT_GT(evaluate(dir.path(), "r.winnow", "test.csv")["roc_auc"], 0.9);
  Result single = run_winnow(dir.path(), {"automl", "predict", "r.winnow", "test.csv",
                                          "--best-single", "--proba"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  auto lines = lines_of(single.out);
  ASSERT_EQ(lines.size(), 101u);
  double p0 = 0, p1 = 0;
  char comma = 0;
  std::istringstream(lines[1]) >> p0 >> comma >> p1;
  EXPECT_NEAR(p0 + p1, 1.0, 1e-4);
}

TEST(AutomlCli, AshaGivesSampledTrialsFractionsOfTheRows) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(200, 18));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--trials", "24", "--scheduler", "asha", "--models",
                                       "linear,knn", "--storage", "a.db", "--out", "a.winnow",
                                       "--quiet"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  std::map<std::string, int> budgets;
  for (const auto& row : export_trials(dir.path(), "a.db", "automl")) {
    EXPECT_EQ(row["state"], "complete") << row.dump();
    auto budget = row["user_attrs"].find("winnow.budget");
    budgets[budget == row["user_attrs"].end() ? "portfolio" : budget->dump().substr(0, 4)] += 1;
  }
  EXPECT_GT(budgets["0.11"], 0);  // sampled trials start on a ninth of the rows
  EXPECT_GT(budgets["0.33"], 0);  // and the best are promoted
  Result show = run_winnow(dir.path(), {"automl", "show", "a.winnow"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
}

TEST(AutomlCli, SameSeedAndTrialBudgetGiveIdenticalPredictions) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(200, 4));
  write_file(dir.path() / "new.csv", binary_csv(100, 5, false));
  for (const char* name : {"a", "b"}) {
    Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                         "--trials", "5", "--seed", "3", "--jobs", "2", "--out",
                                         std::string(name) + ".winnow", "--quiet"});
    ASSERT_EQ(fit.exit_code, 0) << fit.err;
    Result predict = run_winnow(dir.path(), {"automl", "predict", std::string(name) + ".winnow",
                                             "new.csv", "--proba", "--out",
                                             std::string(name) + ".csv"});
    ASSERT_EQ(predict.exit_code, 0) << predict.err;
  }
  EXPECT_EQ(read_file(dir.path() / "a.csv"), read_file(dir.path() / "b.csv"));
}

TEST(AutomlCli, RegressionOnSemicolonFileLearnsTheLinearRule) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", regression_csv(300, 6));
  write_file(dir.path() / "test.csv", regression_csv(100, 7));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "y", "--trials",
                                       "4", "--models", "linear,xgboost", "--out", "r.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  auto metrics = evaluate(dir.path(), "r.winnow", "test.csv");
  EXPECT_GT(metrics["r2"], 0.95);
  EXPECT_LT(metrics["rmse"], 1.0);
}

TEST(AutomlCli, TreeFamiliesAloneFitAndPredict) {
  // No family that wants scaled inputs: the space has no scaling parameter at all.
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(120, 15));
  write_file(dir.path() / "new.csv", binary_csv(20, 16, false));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--trials", "2", "--models", "random_forest", "--out",
                                       "f.winnow", "--quiet"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  Result predict = run_winnow(dir.path(), {"automl", "predict", "f.winnow", "new.csv"});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(lines_of(predict.out).size(), 21u);
}

TEST(AutomlCli, MulticlassDefaultsToLogLoss) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", multiclass_csv(240, 8));
  write_file(dir.path() / "test.csv", multiclass_csv(90, 9));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "species",
                                       "--trials", "4", "--out", "c.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.err.find("multiclass task, metric log_loss"), std::string::npos) << fit.err;
  auto metrics = evaluate(dir.path(), "c.winnow", "test.csv");
  EXPECT_LT(metrics["log_loss"], 0.5);
  EXPECT_GT(metrics["accuracy"], 0.85);
}

TEST(AutomlCli, PredictChecksColumnsAgainstTheSchema) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(150, 10));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--trials", "2", "--models", "linear", "--out", "m.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  write_file(dir.path() / "missing.csv", "x1,colour\n0.5,red\n");
  Result missing = run_winnow(dir.path(), {"automl", "predict", "m.winnow", "missing.csv"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("column 'x2' is missing"), std::string::npos) << missing.err;
  write_file(dir.path() / "odd.csv", "x1,x2,colour,extra\n0.5,,purple,1\n-1,2,red,2\n");
  Result odd = run_winnow(dir.path(), {"automl", "predict", "m.winnow", "odd.csv"});
  EXPECT_EQ(odd.exit_code, 0) << odd.err;
  EXPECT_NE(odd.err.find("ignored columns the model was not trained with: extra"), std::string::npos)
      << odd.err;
  EXPECT_NE(odd.err.find("not seen in training"), std::string::npos) << odd.err;
  EXPECT_EQ(lines_of(odd.out).size(), 3u);
  write_file(dir.path() / "huge.csv", "x1,x2,colour\n0.5,1,red\n1e50,1,red\n");
  Result huge = run_winnow(dir.path(), {"automl", "predict", "m.winnow", "huge.csv"});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_NE(huge.err.find("huge.csv:3: column 'x1' holds '1e50', beyond the range"),
            std::string::npos)
      << huge.err;
  EXPECT_TRUE(huge.out.empty()) << huge.out;
}

TEST(AutomlCli, PredictReadsCategoricalColumnsAsTrainingDid) {
  ScratchCwd dir;
  std::string train = "zip,size,label\n";
  for (int i = 0; i < 120; ++i) {
    train += std::string(i % 2 ? "01001" : "02002") + "," + std::to_string(i % 5) + "," +
             (i % 2 ? "a" : "b") + "\n";
  }
  write_file(dir.path() / "train.csv", train);
  // Every zip here looks like a number; read as one, "01001" would become 1001, a category
  // never seen in training.
  write_file(dir.path() / "new.csv", "zip,size\n01001,1\n02002,1\n");
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--categorical", "zip", "--trials", "2", "--models",
                                       "linear", "--out", "z.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  Result predict = run_winnow(dir.path(), {"automl", "predict", "z.winnow", "new.csv"});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(predict.out, "label\na\nb\n");
  EXPECT_EQ(predict.err.find("not seen in training"), std::string::npos) << predict.err;
}

TEST(AutomlCli, BadInputGetsAClearErrorAndWritesNoModel) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(60, 11));
  write_file(dir.path() / "empty.csv", "");
  write_file(dir.path() / "one_class.csv", "x,y\n1,a\n2,a\n3,a\n");
  write_file(dir.path() / "constant.csv", "x,y\n1,5\n2,5\n3,5\n");
  write_file(dir.path() / "text_target.csv", "x,y\n1,a\n2,b\n3,c\n");
  write_file(dir.path() / "mixed_target.csv", "x,y\n1,1.5\n2,2.5\n3,oops\n4,3.5\n");
  write_file(dir.path() / "dup.csv", "x,x,y\n1,2,a\n");
  write_file(dir.path() / "ragged.csv", "x,y\n1,a\n2\n");
  write_file(dir.path() / "binary.csv", std::string("PK\x03\x04\x00\x00\x01", 7));
  std::string huge = "x,y\n";
  for (int i = 0; i < 40; ++i) {
    huge += (i == 7 ? std::string("1e50") : std::to_string(i)) + (i % 2 ? ",a\n" : ",b\n");
  }
  write_file(dir.path() / "huge.csv", huge);
  write_file(dir.path() / "latin1.csv", "x,caf\xE9,y\n1,2,a\n2,3,b\n");
  write_file(dir.path() / "tiny.csv", "x,y\n1,a\n2,b\n3,a\n4,b\n5,NA\n");
  // In a target a stray text is no missing value: it may be a rare class, so the user says.
  std::string stray_target = "x,y\n";
  for (int i = 0; i < 300; ++i) stray_target += std::to_string(i % 7) + "," + std::to_string(i) + ".5\n";
  stray_target += "1,unknown\n";
  write_file(dir.path() / "stray_target.csv", stray_target);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"train.csv", "--target", "lable"}, "no column named 'lable'"},
      {{"empty.csv", "--target", "y"}, "empty"},
      {{"one_class.csv", "--target", "y"}, "single class"},
      {{"constant.csv", "--target", "y", "--task", "regression"}, "constant"},
      {{"text_target.csv", "--target", "y", "--task", "regression"}, "numeric target"},
      // The message quotes the cell that is not a number, not the column's first.
      {{"mixed_target.csv", "--target", "y", "--task", "regression"}, "holds 'oops'"},
      {{"dup.csv", "--target", "y"}, "duplicate column name 'x'"},
      {{"ragged.csv", "--target", "y"}, "ragged.csv:3"},
      {{"binary.csv", "--target", "y"}, "binary.csv"},
      // A number past float's range would hang or poison the models (they learn in float).
      {{"huge.csv", "--target", "y"}, "huge.csv:9: column 'x' holds '1e50', beyond the range"},
      {{"latin1.csv", "--target", "y"}, "latin1.csv:1: the name of column 2 is not UTF-8"},
      // Five folds of cross-validation over four rows left some folds nothing to score.
      {{"tiny.csv", "--target", "y"}, "tiny.csv: 4 row(s) with a value in 'y' are too few"},
      {{"stray_target.csv", "--target", "y"}, "not all of them numbers"},
      {{"train.csv", "--target", "label", "--metric", "rmse"}, "not a metric of a binary task"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"automl", "fit"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--trials", "2", "--out", "bad.winnow"});
    Result r = run_winnow(dir.path(), args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args[0] << ": " << r.err;
    EXPECT_FALSE(fs::exists(dir.path() / "bad.winnow")) << c.args[0];
  }
  // A model file that cannot be written is found before the search.
  for (const auto& [out, message] : std::vector<std::pair<std::string, std::string>>{
           {"no/such/dir/m.winnow", "cannot write model file no/such/dir/m.winnow"},
           {".", "--out . is a directory"}}) {
    Result r = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--trials", "2", "--out", out});
    EXPECT_EQ(r.exit_code, 2) << out << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << out << ": " << r.err;
    EXPECT_EQ(r.err.find("trial"), std::string::npos) << "searched before failing: " << r.err;
  }
  write_file(dir.path() / "not_a_model", "hello");
  Result r = run_winnow(dir.path(), {"automl", "show", "not_a_model"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a Winnow model file"), std::string::npos) << r.err;
}

TEST(AutomlCli, AFewStrayTextsInANumericColumnAreMissingWithANote) {
  ScratchCwd dir;
  // z, all distinct numbers and one '-', was read as text and dropped as an identifier.
  std::string many = "x,z,y\n";
  for (int i = 0; i < 300; ++i) {
    many += std::to_string(i % 7) + "," + (i == 5 ? std::string("-") : std::to_string(i * 0.37)) +
            "," + std::to_string(i) + ".5\n";
  }
  write_file(dir.path() / "many.csv", many);
  Result stray = run_winnow(dir.path(), {"automl", "fit", "many.csv", "--target", "y", "--trials",
                                         "2", "--out", "stray.winnow"});
  EXPECT_EQ(stray.exit_code, 0) << stray.err;
  EXPECT_NE(stray.err.find("many.csv: column 'z' is numeric but 1 of its 300 filled cells are "
                           "not numbers ('-'; the first on line 7)"),
            std::string::npos)
      << stray.err;
  EXPECT_EQ(stray.err.find("identifier-like"), std::string::npos) << stray.err;
  EXPECT_NE(stray.err.find("2 feature columns"), std::string::npos) << stray.err;

  std::string fresh = "x,z\n";
  for (int i = 0; i < 40; ++i) fresh += "1," + (i == 3 ? std::string("n.a.") : "2.5") + "\n";
  write_file(dir.path() / "fresh.csv", fresh);
  Result predicted = run_winnow(dir.path(), {"automl", "predict", "stray.winnow", "fresh.csv"});
  EXPECT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_NE(predicted.err.find("column 'z' is numeric but 1 of its 40 filled cells"),
            std::string::npos)
      << predicted.err;
}

TEST(AutomlCli, StoredSearchResumesAndRefusesOtherData) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(150, 12));
  write_file(dir.path() / "other.csv", binary_csv(150, 13));
  std::vector<std::string> base = {"automl", "fit", "train.csv", "--target", "label", "--storage",
                                   "s.db", "--out", "m.winnow", "--quiet"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  ASSERT_EQ(run_winnow(dir.path(), with({"--trials", "3"})).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir.path() / "s.db.automl"));
  Result again = run_winnow(dir.path(), with({"--trials", "5"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto trials = export_trials(dir.path(), "s.db", "automl");
  EXPECT_EQ(trials.size(), 5u);
  for (const auto& row : trials) EXPECT_EQ(row["state"], "complete") << row.dump();
  Result show = run_winnow(dir.path(), {"automl", "show", "m.winnow", "--json"});
  EXPECT_EQ(nlohmann::json::parse(show.out)["trials"]["complete"].get<int>(), 5);
  Result other = run_winnow(dir.path(), {"automl", "fit", "other.csv", "--target", "label",
                                         "--storage", "s.db", "--trials", "6", "--out", "o.winnow"});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("fitted on other data"), std::string::npos) << other.err;
  // Another study in the same storage keeps its trials' files apart.
  Result second = run_winnow(dir.path(), {"automl", "fit", "other.csv", "--target", "label",
                                          "--storage", "s.db", "--study", "second", "--trials", "2",
                                          "--out", "o.winnow", "--quiet"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(fs::exists(dir.path() / "s.db.automl" / "automl"));
  EXPECT_TRUE(fs::exists(dir.path() / "s.db.automl" / "second"));
  // A model file cut short is refused, not half read.
  std::string bytes = read_file(dir.path() / "m.winnow");
  write_file(dir.path() / "cut.winnow", bytes.substr(0, bytes.size() / 2));
  Result cut = run_winnow(dir.path(), {"automl", "show", "cut.winnow"});
  EXPECT_EQ(cut.exit_code, 2);
  EXPECT_NE(cut.err.find("truncated or corrupt"), std::string::npos) << cut.err;
  // So is one whose bytes changed: every field of a damaged file can look plausible.
  std::string flipped = bytes;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x40);
  write_file(dir.path() / "flipped.winnow", flipped);
  write_file(dir.path() / "rows.csv", binary_csv(5, 99, false));
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"automl", "show", "flipped.winnow"},
        std::vector<std::string>{"automl", "predict", "flipped.winnow", "rows.csv"}}) {
    Result damaged = run_winnow(dir.path(), command);
    EXPECT_EQ(damaged.exit_code, 2) << command[1] << ": " << damaged.err;
    EXPECT_NE(damaged.err.find("checksum does not match"), std::string::npos) << damaged.err;
    EXPECT_TRUE(damaged.out.empty()) << damaged.out;
  }
  EXPECT_EQ(run_winnow(dir.path(), {"automl", "show", "m.winnow"}).exit_code, 0);
}

TEST(AutomlCli, TimeLimitHolds) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(400, 14));
  auto start = std::chrono::steady_clock::now();
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--time-limit", "10s", "--out", "t.winnow", "--quiet"});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  // The rule: the limit plus the larger of 5% and 10 s. The limit leaves a model time
  // to finish under sanitizers on a loaded machine.
  EXPECT_LT(seconds, 10 + 10);
}

TEST(AutomlCli, MemoryLimitStopsModelsAndSaysSo) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(100, 15));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--trials", "2", "--memory-limit", "1MB", "--out", "x.winnow"});
  EXPECT_EQ(fit.exit_code, 2);
  EXPECT_NE(fit.err.find("memory limit"), std::string::npos) << fit.err;
  EXPECT_FALSE(fs::exists(dir.path() / "x.winnow"));
}

}  // namespace
}  // namespace winnow::e2e
