// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <string>

#include "automl/models/families.h"
#include "common/strings.h"
#include "winnow/error.h"

namespace winnow::automl {

const std::vector<ModelFamily>& model_families() {
  // Order matters: the portfolio tries each family's first configuration in this order, so the
  // families most often best on tabular data come first.
  static const std::vector<ModelFamily> families = {
      xgboost_family(), random_forest_family(), extra_trees_family(), linear_family(),
      mlp_family(),     knn_family(),           svm_family(),
  };
  return families;
}

const ModelFamily& find_family(std::string_view name) {
  std::vector<std::string> names;
  for (const ModelFamily& family : model_families()) {
    if (family.name == name) return family;
    names.push_back(family.name);
  }
  throw Error("unknown model family '" + std::string(name) + "' (families: " + join(names, ", ") +
              ")" + did_you_mean(name, names));
}

}  // namespace winnow::automl
