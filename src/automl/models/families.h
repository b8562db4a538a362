// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The model families, one per file in this folder; registry.cc lists them.
#pragma once
#include <mutex>

#include "automl/models/model.h"

namespace winnow::automl {

ModelFamily xgboost_family();        // xgboost.cc: gradient-boosted trees (XGBoost's C API)
ModelFamily random_forest_family();  // forest.cc: random forest
ModelFamily extra_trees_family();    // forest.cc: extremely randomised trees
ModelFamily linear_family();         // linear.cc: L1/L2 logistic (liblinear), ridge/elastic net
ModelFamily knn_family();            // knn.cc: k-nearest neighbours
ModelFamily mlp_family();            // mlp.cc: multilayer perceptron (Eigen)
ModelFamily svm_family();            // svm.cc: kernel SVM (libsvm), small data only

namespace internal {
// Guards the C library's rand() state, which liblinear's L1 solver and libsvm's Platt scaling
// draw from: held from srand(seed) to the end of their training (defined in linear.cc).
std::mutex& libc_rand_mutex();
}  // namespace internal

}  // namespace winnow::automl
