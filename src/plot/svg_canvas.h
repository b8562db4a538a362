// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A small SVG writer for winnow/plot.h: scales (linear, logarithmic, categorical), axes with
// round-numbered ticks, a perceptually ordered colour map, and the primitives the plots use.
// Text is escaped; numbers are written with enough digits for a pixel and no more.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace winnow::plot {

// Maps data to pixels. A log scale maps log10 of the data; a categorical one maps index i of n
// choices to the middle of the i-th of n equal bands.
struct Scale {
  double low = 0, high = 1;        // data domain (for a categorical scale: -0.5, n - 0.5)
  double from = 0, to = 1;         // pixel range
  bool log = false;
  std::vector<std::string> labels;  // categorical: the choices
  double operator()(double value) const;
  std::vector<double> ticks() const;  // data values of the tick marks
  std::string tick_label(double value) const;
};

// A scale over [low, high] padded by 5% (a point range becomes +-1 or x/10..x*10).
Scale padded_scale(double low, double high, double from, double to, bool log);

// Colour of t in [0, 1] on a blue-green-yellow ramp (like viridis), as "#rrggbb".
std::string ramp_colour(double t);

class SvgCanvas {
 public:
  SvgCanvas(int width, int height);
  void text(double x, double y, const std::string& content, const std::string& style = "",
            const std::string& anchor = "start", double rotate = 0);
  void line(double x1, double y1, double x2, double y2, const std::string& style);
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& style);
  void circle(double x, double y, double r, const std::string& style);
  void cross(double x, double y, double r, const std::string& style);
  void rect(double x, double y, double w, double h, const std::string& style);
  // A frame with ticks and tick labels on the left and bottom, and the axes' titles.
  void axes(const Scale& x, const Scale& y, const std::string& x_title,
            const std::string& y_title);
  void title(const std::string& content);
  void legend(double x, double y, const std::vector<std::pair<std::string, std::string>>& items);
  std::string finish();  // the whole document

  int width() const { return width_; }
  int height() const { return height_; }

 private:
  int width_, height_;
  std::ostringstream body_;
};

std::string escape_xml(const std::string& text);

}  // namespace winnow::plot
