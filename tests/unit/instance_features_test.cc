// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// [instances] features: the CSV file of instance features the rf model reads, through
// load_study_file on real files. Rows find their instances by path or unique file name, cells
// may be quoted, and every mistake names the features file's line.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "winnow/error.h"
#include "winnow/instances.h"
#include "winnow/study_file.h"

namespace winnow {
namespace {

namespace fs = std::filesystem;

class InstanceFeatures : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("winnow-features-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    for (const char* file : {"train/a/x.cnf", "train/b/y.cnf", "train/b/with,comma.cnf",
                             "test/z.cnf"}) {
      write(file, "p cnf 1 1\n");
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& relative, const std::string& text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << text;
  }

  // Loads a study whose features file holds `csv`, kept in features/ (rows may name instances
  // relative to it or to the study file).
  StudyFile load(const std::string& csv) {
    write("features/f.csv", csv);
    write("study.toml",
          "[study]\nsampler = \"rf\"\n[instances]\ntrain = \"train/*/*.cnf\"\n"
          "test = \"test\"\nfeatures = \"features/f.csv\"\n"
          "[objective]\ncommand = [\"solver\", \"{instance}\"]\n"
          "[space]\nx = {type = \"float\", low = 0, high = 1}\n");
    return load_study_file((dir_ / "study.toml").string());
  }

  std::string error_of(const std::string& csv) {
    try {
      load(csv);
    } catch (const Error& error) {
      return error.what();
    }
    ADD_FAILURE() << "no error for\n" << csv;
    return "";
  }

  static std::vector<double> features_of(const StudyFile& file, const std::string& name) {
    const InstanceSet& set = *file.study.instances;
    for (const auto* list : {&set.train, &set.test}) {
      for (const ProblemInstance& instance : *list) {
        if (fs::path(instance.path).filename() == name) return instance.features;
      }
    }
    ADD_FAILURE() << "no instance " << name;
    return {};
  }

  fs::path dir_;
};

TEST_F(InstanceFeatures, RowsNameInstancesByPathFileNameOrQuotedName) {
  StudyFile file = load(
      "instance, size, density\n"
      "../train/a/x.cnf, 1, 0.5\n"            // relative to the features file
      "train/b/y.cnf, 2, 0.25\n"              // relative to the study file
      "\"with,comma.cnf\", 3, \"0.125\"\n"    // quoted, with a comma
      "z.cnf, 4, 1e-3\n");                    // a unique file name
  ASSERT_EQ(file.study.instances->feature_names, (std::vector<std::string>{"size", "density"}));
  EXPECT_EQ(features_of(file, "x.cnf"), (std::vector<double>{1, 0.5}));
  EXPECT_EQ(features_of(file, "y.cnf"), (std::vector<double>{2, 0.25}));
  EXPECT_EQ(features_of(file, "with,comma.cnf"), (std::vector<double>{3, 0.125}));
  EXPECT_EQ(features_of(file, "z.cnf"), (std::vector<double>{4, 1e-3}));
}

TEST_F(InstanceFeatures, MistakesNameTheLine) {
  const std::string rest = "y.cnf,2\nwith,comma.cnf,3\nz.cnf,4\n";
  EXPECT_NE(error_of("instance,size\nx.cnf,nan\n" + rest)
                .find("f.csv:2: feature 'size': 'nan' is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_of("instance,size\nx.cnf,-inf\n" + rest).find("is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_of("instance,size\nx.cnf,1\ny.cnf,2\n\"with,comma.cnf\",3\nz.cnf,4\nx.cnf,5\n")
                .find("f.csv:6: instance 'x.cnf' has a row already on line 2"),
            std::string::npos);
  EXPECT_NE(error_of("instance,size\n\"x.cnf,1\n").find("f.csv:2: a quoted cell is not closed"),
            std::string::npos);
  // Unquoted, the comma makes a third cell.
  EXPECT_NE(error_of("instance,size\nx.cnf,1\n" + rest).find("f.csv:4: 3 cells, the header has 2"),
            std::string::npos);
  EXPECT_NE(error_of("instance,size\nx.cnf,1\n").find("has no row for training instance"),
            std::string::npos);
}

TEST_F(InstanceFeatures, AFileNameSharedByTwoInstancesMustBeAPath) {
  write("train/b/x.cnf", "p cnf 1 1\n");
  const std::string message =
      error_of("instance,size\nx.cnf,1\ny.cnf,2\n\"with,comma.cnf\",3\nz.cnf,4\n");
  EXPECT_NE(message.find("f.csv:2: 'x.cnf' is the file name of several instances"),
            std::string::npos)
      << message;
  StudyFile file = load("instance,size\ntrain/a/x.cnf,1\ntrain/b/x.cnf,5\ny.cnf,2\n"
                        "\"with,comma.cnf\",3\nz.cnf,4\n");
  const InstanceSet& set = *file.study.instances;
  for (const ProblemInstance& instance : set.train) {
    if (instance.path.ends_with("a/x.cnf")) {
      EXPECT_EQ(instance.features, std::vector<double>{1});
    } else if (instance.path.ends_with("b/x.cnf")) {
      EXPECT_EQ(instance.features, std::vector<double>{5});
    }
  }
}

}  // namespace
}  // namespace winnow
