// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow plot`: a plot of winnow/plot.h written as SVG, as an HTML page, or as PNG (the SVG
// rendered by librsvg with cairo).
#include <cairo.h>
#include <librsvg/rsvg.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "storage_args.h"
#include "validators.h"
#include "winnow/error.h"
#include "winnow/plot.h"

// fontconfig (under librsvg's text rendering) keeps its caches until the process ends, by
// design; a LeakSanitizer build of winnow must not call them leaks. Unused in other builds.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\nleak:libglib-2.0.so\nleak:libpango\nleak:libharfbuzz.so\n";
}

namespace winnow::cli {
namespace {

void write_png(const std::string& svg, const std::string& path, int width, int height) {
  GError* error = nullptr;
  RsvgHandle* handle = rsvg_handle_new_from_data(
      reinterpret_cast<const guint8*>(svg.data()), svg.size(), &error);
  if (!handle) {
    std::string message = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    throw Error("plot: cannot render the SVG: " + message);
  }
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  cairo_t* cr = cairo_create(surface);
  RsvgRectangle viewport{0, 0, static_cast<double>(width), static_cast<double>(height)};
  const bool drawn = rsvg_handle_render_document(handle, cr, &viewport, &error);
  cairo_destroy(cr);
  cairo_status_t status = drawn ? cairo_surface_write_to_png(surface, path.c_str())
                                 : CAIRO_STATUS_WRITE_ERROR;
  cairo_surface_destroy(surface);
  g_object_unref(handle);
  if (error) g_error_free(error);
  if (status != CAIRO_STATUS_SUCCESS) throw Error("plot: cannot write '" + path + "'");
}

}  // namespace

Command add_plot_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "plot", "Draw a plot of a study as SVG, HTML or PNG (history, importance, parallel, "
              "slice, contour, pareto, intermediate)");
  auto kind = std::make_shared<std::string>();
  auto location = std::make_shared<StorageArgs>();
  auto out = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>("fanova");
  auto options = std::make_shared<PlotOptions>();
  command->add_option("kind", *kind, "history, importance, parallel, slice, contour, pareto "
                                     "or intermediate")
      ->required()
      ->check(CLI::IsMember({"history", "importance", "parallel", "slice", "contour", "pareto",
                             "intermediate"}));
  command->add_option("location", location->positional,
                      "Storage URL, SQLite file or study file (same as --storage)");
  add_storage_options(*command, *location);
  command->add_option("-o,--out", *out, "Output file: .svg, .html or .png")->required();
  command->add_option("--objective", options->objective, "Which objective, from 0")
      ->capture_default_str();
  command->add_option("--params", options->params,
                      "Parameters to plot (comma-separated; contour: exactly two)")
      ->delimiter(',');
  command->add_flag("--log", options->log_scale, "Logarithmic value axis (history, slice)");
  command->add_option("--method", *method, "Importance method: fanova or ped-anova")
      ->check(CLI::IsMember({"fanova", "ped-anova"}))
      ->capture_default_str();
  command->add_option("--width", options->width, "Width in pixels")->capture_default_str();
  command->add_option("--height", options->height, "Height in pixels")->capture_default_str();
  command->footer(
      "Examples:\n"
      "  winnow plot history study.db --out history.svg --log\n"
      "  winnow plot importance --storage study.db --study resnet --out importance.png\n"
      "  winnow plot contour study.db --params lr,layers --out contour.html\n"
      "  winnow plot pareto study.db --out front.svg");
  return [kind, location, out, method, options] {
    const std::string extension = std::filesystem::path(*out).extension().string();
    if (extension != ".svg" && extension != ".html" && extension != ".png") {
      throw Error("--out '" + *out + "': the name must end in .svg, .html or .png");
    }
    ResolvedStudies resolved = resolve_studies(*location);
    const StudyRecord& study = single_study(resolved);
    PlotOptions chosen = *options;
    chosen.importance_method = *importance_method_from_string(*method);
    const std::string svg = plot_svg(*plot_kind_from_string(*kind), study,
                                     resolved.storage->trials(study.id), chosen);
    if (extension == ".png") {
      write_png(svg, *out, chosen.width, chosen.height);
    } else {
      write_output(*out, extension == ".svg" ? svg : svg_page(svg, study.name + ": " + *kind));
    }
    std::cout << "wrote " << *out << "\n";
    return 0;
  };
}

}  // namespace winnow::cli
