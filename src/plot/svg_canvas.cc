// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "plot/svg_canvas.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace winnow::plot {
namespace {

std::string num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

std::string format_tick(double value) {
  char buffer[32];
  if (value != 0 && (std::abs(value) >= 1e5 || std::abs(value) < 1e-3)) {
    std::snprintf(buffer, sizeof buffer, "%.0e", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
  }
  return buffer;
}

}  // namespace

double Scale::operator()(double value) const {
  double a = low, b = high, v = value;
  if (log) {
    a = std::log10(low);
    b = std::log10(high);
    v = std::log10(std::max(value, 1e-300));
  }
  if (b == a) return 0.5 * (from + to);
  return from + (v - a) / (b - a) * (to - from);
}

std::vector<double> Scale::ticks() const {
  std::vector<double> out;
  if (!labels.empty()) {
    for (size_t i = 0; i < labels.size(); ++i) out.push_back(static_cast<double>(i));
    return out;
  }
  if (log) {
    for (double e = std::floor(std::log10(low)); e <= std::ceil(std::log10(high)); ++e) {
      double v = std::pow(10.0, e);
      if (v >= low && v <= high) out.push_back(v);
    }
    if (out.size() >= 2) return out;
    out.clear();
  }
  // Steps of 1, 2 or 5 times a power of ten, about six of them.
  const double span = high - low;
  if (!(span > 0)) return {low};
  const double rough = span / 6;
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (rough <= m * power) {
      step = m * power;
      break;
    }
  }
  for (double v = std::ceil(low / step) * step; v <= high + step * 1e-9; v += step) {
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return out;
}

std::string Scale::tick_label(double value) const {
  if (!labels.empty()) {
    auto index = static_cast<size_t>(std::lround(value));
    return index < labels.size() ? labels[index] : "";
  }
  return format_tick(value);
}

Scale padded_scale(double low, double high, double from, double to, bool log) {
  Scale scale;
  scale.from = from;
  scale.to = to;
  scale.log = log;
  if (log) {
    if (low == high) {
      low /= 10;
      high *= 10;
    }
    double pad = std::pow(high / low, 0.05);
    scale.low = low / pad;
    scale.high = high * pad;
    return scale;
  }
  if (low == high) {
    low -= 1;
    high += 1;
  }
  double pad = 0.05 * (high - low);
  scale.low = low - pad;
  scale.high = high + pad;
  return scale;
}

std::string ramp_colour(double t) {
  static const std::array<std::array<double, 3>, 5> stops = {
      {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * (stops.size() - 1);
  size_t i = std::min(static_cast<size_t>(t), stops.size() - 2);
  double f = t - static_cast<double>(i);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x",
                static_cast<int>(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
                static_cast<int>(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
                static_cast<int>(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
  return buffer;
}

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

SvgCanvas::SvgCanvas(int width, int height) : width_(width), height_(height) {}

void SvgCanvas::text(double x, double y, const std::string& content, const std::string& style,
                     const std::string& anchor, double rotate) {
  body_ << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" text-anchor=\"" << anchor
        << "\"";
  if (rotate != 0) body_ << " transform=\"rotate(" << rotate << " " << num(x) << " " << num(y) << ")\"";
  if (!style.empty()) body_ << " style=\"" << style << "\"";
  body_ << ">" << escape_xml(content) << "</text>\n";
}

void SvgCanvas::line(double x1, double y1, double x2, double y2, const std::string& style) {
  body_ << "<line x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2)
        << "\" y2=\"" << num(y2) << "\" style=\"" << style << "\"/>\n";
}

void SvgCanvas::polyline(const std::vector<std::pair<double, double>>& points,
                         const std::string& style) {
  if (points.empty()) return;
  body_ << "<polyline fill=\"none\" points=\"";
  for (const auto& [x, y] : points) body_ << num(x) << "," << num(y) << " ";
  body_ << "\" style=\"" << style << "\"/>\n";
}

void SvgCanvas::circle(double x, double y, double r, const std::string& style) {
  body_ << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"" << r << "\" style=\""
        << style << "\"/>\n";
}

void SvgCanvas::cross(double x, double y, double r, const std::string& style) {
  line(x - r, y - r, x + r, y + r, style);
  line(x - r, y + r, x + r, y - r, style);
}

void SvgCanvas::rect(double x, double y, double w, double h, const std::string& style) {
  body_ << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(w)
        << "\" height=\"" << num(h) << "\" style=\"" << style << "\"/>\n";
}

void SvgCanvas::axes(const Scale& x, const Scale& y, const std::string& x_title,
                     const std::string& y_title) {
  const double left = std::min(x.from, x.to), right = std::max(x.from, x.to);
  const double top = std::min(y.from, y.to), bottom = std::max(y.from, y.to);
  rect(left, top, right - left, bottom - top, "fill:none;stroke:#888");
  for (double v : x.ticks()) {
    double px = x(v);
    if (px < left - 0.5 || px > right + 0.5) continue;
    line(px, bottom, px, bottom + 4, "stroke:#888");
    line(px, top, px, bottom, "stroke:#eee");
    text(px, bottom + 16, x.tick_label(v), "font-size:11px", "middle");
  }
  for (double v : y.ticks()) {
    double py = y(v);
    if (py < top - 0.5 || py > bottom + 0.5) continue;
    line(left - 4, py, left, py, "stroke:#888");
    line(left, py, right, py, "stroke:#eee");
    text(left - 6, py + 4, y.tick_label(v), "font-size:11px", "end");
  }
  text(0.5 * (left + right), bottom + 34, x_title, "font-size:12px", "middle");
  text(left - 52, 0.5 * (top + bottom), y_title, "font-size:12px", "middle", -90);
}

void SvgCanvas::title(const std::string& content) {
  text(width_ / 2.0, 22, content, "font-size:15px;font-weight:bold", "middle");
}

void SvgCanvas::legend(double x, double y,
                       const std::vector<std::pair<std::string, std::string>>& items) {
  for (const auto& [label, colour] : items) {
    rect(x, y - 9, 10, 10, "fill:" + colour);
    text(x + 15, y, label, "font-size:11px");
    y += 16;
  }
}

std::string SvgCanvas::finish() {
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width_ << "\" height=\""
      << height_ << "\" viewBox=\"0 0 " << width_ << " " << height_
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << body_.str() << "</svg>\n";
  return out.str();
}

}  // namespace winnow::plot
