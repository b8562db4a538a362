# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Writes the R-packaged datasets of the AutoML benchmark as raw CSV files into the directory given
# as the only argument; export_datasets.py calls it and then normalises and describes the files.
# Missing values are written as empty fields (not R's "NA", which is also a legitimate level in
# some datasets), factors as their labels, and nothing is reordered, so the output depends only on
# the package versions.
#
#   Rscript bench/automl/export_r_datasets.R OUT_DIR
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript export_r_datasets.R OUT_DIR")
out <- args[[1]]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# name in the benchmark = c(package, object in that package)
sets <- list(
  pima_diabetes = c("mlbench", "PimaIndiansDiabetes2"),  # the version with zeros as NA
  vehicle = c("mlbench", "Vehicle"),
  satellite = c("mlbench", "Satellite"),
  credit_data = c("modeldata", "credit_data"),
  wa_churn = c("modeldata", "wa_churn"),
  hpc_data = c("modeldata", "hpc_data"),
  penguins = c("modeldata", "penguins"),
  concrete = c("modeldata", "concrete"),
  ames = c("modeldata", "ames"),
  diamonds = c("ggplot2", "diamonds")
)
for (name in names(sets)) {
  package <- sets[[name]][[1]]
  object <- sets[[name]][[2]]
  env <- new.env()
  data(list = object, package = package, envir = env)
  frame <- as.data.frame(env[[object]])
  # Ordered factors (diamonds' cut, colour, clarity) are written as labels like any factor.
  for (column in names(frame)) {
    if (is.factor(frame[[column]])) frame[[column]] <- as.character(frame[[column]])
  }
  write.csv(frame, file.path(out, paste0(name, ".csv")), row.names = FALSE, na = "")
  cat(name, nrow(frame), ncol(frame), package, "\n")
}
