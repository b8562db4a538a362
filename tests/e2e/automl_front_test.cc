// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow automl` with inference-time limits: the front of ensembles kept in the model file,
// `show --front`, and `fit/predict/evaluate --infer-limit`.
#include <gtest/gtest.h>

#include <cmath>

#include "e2e/automl_data.h"
#include "e2e/e2e_util.h"

namespace winnow::e2e {
namespace {

nlohmann::json summary_of(const fs::path& dir, const std::string& model) {
  Result show = run_winnow(dir, {"automl", "show", model, "--json"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  return nlohmann::json::parse(show.out);
}

size_t chosen_index(const nlohmann::json& summary) {
  for (size_t i = 0; i < summary["front"].size(); ++i) {
    if (summary["front"][i]["chosen"].get<bool>()) return i;
  }
  ADD_FAILURE() << "no chosen ensemble";
  return 0;
}

TEST(AutomlFront, ModelFileKeepsAFrontAndLimitsChooseFasterEnsembles) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", binary_csv(300, 31));
  write_file(dir.path() / "test.csv", binary_csv(100, 32));
  // Families of very different speeds, so the front has more than one ensemble.
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                       "--trials", "6", "--models", "linear,random_forest,knn",
                                       "--jobs", "2", "--out", "m.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("Inference per row:"), std::string::npos) << fit.out;

  nlohmann::json summary = summary_of(dir.path(), "m.winnow");
  const nlohmann::json& front = summary["front"];
  ASSERT_GE(front.size(), 2u) << summary.dump(2);
  // Without a limit, plain greedy selection's ensemble (the report's).
  EXPECT_DOUBLE_EQ(front[chosen_index(summary)]["score"].get<double>(),
                   summary["ensemble"]["score"].get<double>());
  for (size_t i = 0; i < front.size(); ++i) {
    EXPECT_GT(front[i]["seconds_per_row_batch1"].get<double>(), 0.0);
    EXPECT_GT(front[i]["seconds_per_row_batch1000"].get<double>(), 0.0);
    EXPECT_GT(front[i]["bytes"].get<double>(), 0.0);
    EXPECT_FALSE(front[i]["members"].empty());
    if (i > 0) {
      // Most accurate first: a later ensemble is less accurate (roc_auc) and faster at one of
      // the batch sizes.
      EXPECT_LE(front[i]["score"].get<double>(), front[i - 1]["score"].get<double>());
    }
  }
  for (const auto& member : summary["members"]) {
    EXPECT_GT(member["seconds_per_row_batch1"].get<double>(), 0.0) << member.dump();
  }

  Result table = run_winnow(dir.path(), {"automl", "show", "m.winnow", "--front"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("time/row (1000)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("* " + std::to_string(chosen_index(summary) + 1)), std::string::npos)
      << table.out;

  // The fastest ensemble's own time is a limit only it (or one as fast) meets.
  size_t fastest = 0;
  for (size_t i = 1; i < front.size(); ++i) {
    if (front[i]["seconds_per_row_batch1"].get<double>() <
        front[fastest]["seconds_per_row_batch1"].get<double>()) {
      fastest = i;
    }
  }
  ASSERT_NE(fastest, 0u);
  auto micros = [](double seconds) { return std::to_string(seconds * 1e6 * 1.0001) + "us"; };
  const double fastest_seconds = front[fastest]["seconds_per_row_batch1"].get<double>();
  Result fast = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "label",
                                        "--trials", "6", "--models", "linear,random_forest,knn",
                                        "--jobs", "2", "--infer-limit", micros(fastest_seconds),
                                        "--out", "fast.winnow"});
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  nlohmann::json fast_summary = summary_of(dir.path(), "fast.winnow");
  size_t chosen = chosen_index(fast_summary);
  // Timings differ between two fits, so only the choice's rule is checked: within the limit,
  // or the fastest with a note.
  double chosen_seconds = fast_summary["front"][chosen]["seconds_per_row_batch1"].get<double>();
  if (chosen_seconds > fastest_seconds * 1.0001) {
    EXPECT_NE(fast.err.find("no ensemble answers within"), std::string::npos) << fast.err;
  }
  EXPECT_GT(fast_summary["ensemble"]["infer_limit_seconds"].get<double>(), 0.0);

  // predict and evaluate switch ensembles without refitting.
  Result best = run_winnow(dir.path(), {"automl", "predict", "m.winnow", "test.csv", "--proba"});
  Result limited = run_winnow(dir.path(), {"automl", "predict", "m.winnow", "test.csv", "--proba",
                                           "--infer-limit", micros(fastest_seconds)});
  ASSERT_EQ(best.exit_code, 0) << best.err;
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_NE(best.out, limited.out) << "the fastest ensemble predicted as the most accurate";
  Result none = run_winnow(dir.path(), {"automl", "evaluate", "m.winnow", "test.csv",
                                        "--infer-limit", "1ns"});
  EXPECT_NE(none.exit_code, 0);
  Result tiny = run_winnow(dir.path(), {"automl", "evaluate", "m.winnow", "test.csv",
                                        "--infer-limit", "0.001us"});
  ASSERT_EQ(tiny.exit_code, 0) << tiny.err;
  EXPECT_NE(tiny.err.find("using the fastest"), std::string::npos) << tiny.err;
  Result generous = run_winnow(dir.path(), {"automl", "evaluate", "m.winnow", "test.csv",
                                            "--infer-limit", "10s", "--infer-batch", "1000"});
  Result plain = run_winnow(dir.path(), {"automl", "evaluate", "m.winnow", "test.csv"});
  ASSERT_EQ(generous.exit_code, 0) << generous.err;
  EXPECT_EQ(generous.out, plain.out);
  // The target column of a labelled file is expected, not "ignored".
  EXPECT_EQ(plain.err.find("label"), std::string::npos) << plain.err;
}

TEST(AutomlFront, NsgaTwoFrontAndBadOptions) {
  ScratchCwd dir;
  write_file(dir.path() / "train.csv", regression_csv(200, 33));
  Result fit = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "y", "--trials",
                                       "4", "--models", "linear,knn", "--front-method", "nsga2",
                                       "--out", "n.winnow"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  nlohmann::json summary = summary_of(dir.path(), "n.winnow");
  EXPECT_EQ(summary["ensemble"]["front_method"], "nsga2");
  EXPECT_FALSE(summary["front"].empty());

  for (const auto& [flag, value, message] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"--infer-batch", "10", "--infer-batch must be 1 or 1000"},
           {"--front-method", "genetic", "--front-method must be greedy or nsga2"},
           {"--infer-limit", "fast", "--infer-limit"}}) {
    Result bad = run_winnow(dir.path(), {"automl", "fit", "train.csv", "--target", "y",
                                         "--trials", "2", flag, value, "--out", "bad.winnow"});
    EXPECT_EQ(bad.exit_code, 2) << flag;
    EXPECT_NE(bad.err.find(message), std::string::npos) << bad.err;
    EXPECT_FALSE(fs::exists(dir.path() / "bad.winnow"));
  }
}

}  // namespace
}  // namespace winnow::e2e
