#include "nasctl/core/svg.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"

namespace nasctl::svg {
namespace {

// Tableau 10: distinguishable, and readable by most colour-blind viewers.
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr int kPaletteSize = 10;
constexpr double kMarginLeft = 72, kMarginRight = 16, kMarginTop = 30, kMarginBottom = 46;
constexpr double kRotatedLabelsExtra = 64;  // room for slanted category labels
constexpr double kFigureTitleHeight = 32;
constexpr size_t kMaxCategoryLabels = 60;
constexpr size_t kMaxLabelChars = 16;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

bool usable(double v, Scale scale) { return std::isfinite(v) && (scale == Scale::kLinear || v > 0); }

double linear_step(double range) {
  double rough = range / 5.0;
  double mag = std::pow(10.0, std::floor(std::log10(rough)));
  double norm = rough / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/// The drawn range of one axis, and the mapping of data values to pixels.
struct Mapping {
  Scale scale = Scale::kLinear;
  double lo = 0, hi = 1;        // data range
  double p0 = 0, p1 = 1;        // pixel positions of lo and hi
  double t(double v) const { return scale == Scale::kLog ? std::log10(v) : v; }
  double operator()(double v) const { return p0 + (t(v) - t(lo)) / (t(hi) - t(lo)) * (p1 - p0); }
};

/// Range of `values` on `axis` (explicit bounds win), extended to whole ticks.
std::pair<double, double> axis_range(const Axis& axis, const std::vector<double>& values, bool include_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!usable(v, axis.scale)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (include_zero && axis.scale == Scale::kLinear) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (!std::isfinite(lo)) lo = axis.scale == Scale::kLog ? 1 : 0, hi = axis.scale == Scale::kLog ? 10 : 1;
  bool fixed_lo = std::isfinite(axis.min), fixed_hi = std::isfinite(axis.max);
  if (axis.scale == Scale::kLog) {
    if (!fixed_lo) lo = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
    if (!fixed_hi) hi = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
    if (fixed_lo) lo = axis.min;
    if (fixed_hi) hi = axis.max;
    if (hi <= lo) hi = lo * 10;
    return {lo, hi};
  }
  if (hi == lo) {
    double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  double step = linear_step(hi - lo);
  if (!fixed_lo) lo = std::floor(lo / step + 1e-9) * step;
  if (!fixed_hi) hi = std::ceil(hi / step - 1e-9) * step;
  if (fixed_lo) lo = axis.min;
  if (fixed_hi) hi = axis.max;
  if (hi <= lo) hi = lo + 1;
  return {lo, hi};
}

struct LegendEntry {
  std::string name, color, kind;  // kind: line | dashed | point | bar
};

class PanelWriter {
 public:
  PanelWriter(const Panel& panel, double x, double y, double w, double h, int id, std::ostringstream& out)
      : panel_(panel), out_(out), id_(id), x0_(x), y0_(y), w_(w), h_(h) {}

  void write() {
    check_lengths();
    categorical_ = !panel_.bars.empty();
    size_t n = categories();
    bool rotated = categorical_ && n > 12;
    double left = x0_ + kMarginLeft, right = x0_ + w_ - kMarginRight;
    double top = y0_ + kMarginTop, bottom = y0_ + h_ - kMarginBottom - (rotated ? kRotatedLabelsExtra : 0);
    set_mappings(left, right, top, bottom);
    out_ << "<g class=\"panel\">\n";
    out_ << "<clipPath id=\"clip" << id_ << "\"><rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\""
         << num(right - left) << "\" height=\"" << num(bottom - top) << "\"/></clipPath>\n";
    out_ << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(right - left)
         << "\" height=\"" << num(bottom - top) << "\" fill=\"#fff\" stroke=\"#999\"/>\n";
    write_y_ticks(left, right);
    if (categorical_) write_categories(top, bottom, rotated); else write_x_ticks(top, bottom);
    out_ << "<g clip-path=\"url(#clip" << id_ << ")\">\n";
    write_bars();
    write_lines();
    write_points();
    write_notes();
    out_ << "</g>\n";
    write_titles(left, right, top, bottom, rotated);
    write_legend(left, right, top, bottom);
    out_ << "</g>\n";
  }

 private:
  void check_lengths() const {
    for (const Line& l : panel_.lines)
      if (l.x.size() != l.y.size())
        throw Error("svg: line \"" + l.name + "\" has " + std::to_string(l.x.size()) + " x values but " +
                    std::to_string(l.y.size()) + " y values");
    for (const Points& p : panel_.points)
      if (p.x.size() != p.y.size())
        throw Error("svg: points \"" + p.name + "\" have " + std::to_string(p.x.size()) + " x values but " +
                    std::to_string(p.y.size()) + " y values");
    if (!panel_.categories.empty())
      for (const Bars& b : panel_.bars)
        if (b.values.size() > panel_.categories.size())
          throw Error("svg: bars \"" + b.name + "\" have " + std::to_string(b.values.size()) + " values but the panel has " +
                      std::to_string(panel_.categories.size()) + " categories");
  }

  size_t categories() const {
    size_t n = panel_.categories.size();
    for (const Bars& b : panel_.bars) n = std::max(n, b.values.size());
    return n;
  }

  std::string next_color(const std::string& wanted) {
    if (!wanted.empty()) return wanted;
    return kPalette[color_index_++ % kPaletteSize];
  }

  std::vector<double> stack_tops() const {
    std::vector<double> tops(categories(), 0.0);
    for (const Bars& b : panel_.bars)
      for (size_t i = 0; i < b.values.size(); ++i)
        if (std::isfinite(b.values[i])) tops[i] += b.values[i];
    return tops;
  }

  void set_mappings(double left, double right, double top, double bottom) {
    std::vector<double> xs, ys;
    for (const Line& l : panel_.lines) xs.insert(xs.end(), l.x.begin(), l.x.end()), ys.insert(ys.end(), l.y.begin(), l.y.end());
    for (const Points& p : panel_.points) xs.insert(xs.end(), p.x.begin(), p.x.end()), ys.insert(ys.end(), p.y.begin(), p.y.end());
    if (panel_.stacked) {
      std::vector<double> tops = stack_tops();
      ys.insert(ys.end(), tops.begin(), tops.end());
    }
    for (const Bars& b : panel_.bars) ys.insert(ys.end(), b.values.begin(), b.values.end());
    auto [ylo, yhi] = axis_range(panel_.y, ys, categorical_);
    ymap_ = Mapping{panel_.y.scale, ylo, yhi, bottom, top};
    if (categorical_) {
      xmap_ = Mapping{Scale::kLinear, -0.5, double(categories()) - 0.5, left, right};
    } else {
      auto [xlo, xhi] = axis_range(panel_.x, xs, false);
      xmap_ = Mapping{panel_.x.scale, xlo, xhi, left, right};
    }
  }

  void write_y_ticks(double left, double right) {
    for (double t : nice_ticks(ymap_.lo, ymap_.hi, ymap_.scale)) {
      double py = ymap_(t);
      if (panel_.grid)
        out_ << "<line x1=\"" << num(left) << "\" y1=\"" << num(py) << "\" x2=\"" << num(right) << "\" y2=\"" << num(py)
             << "\" stroke=\"#e5e5e5\"/>\n";
      out_ << "<line x1=\"" << num(left - 4) << "\" y1=\"" << num(py) << "\" x2=\"" << num(left) << "\" y2=\"" << num(py)
           << "\" stroke=\"#666\"/>\n";
      out_ << "<text x=\"" << num(left - 7) << "\" y=\"" << num(py + 4) << "\" text-anchor=\"end\">"
           << escape_xml(format_tick(t)) << "</text>\n";
    }
  }

  void write_x_ticks(double top, double bottom) {
    for (double t : nice_ticks(xmap_.lo, xmap_.hi, xmap_.scale)) {
      double px = xmap_(t);
      if (panel_.grid)
        out_ << "<line x1=\"" << num(px) << "\" y1=\"" << num(top) << "\" x2=\"" << num(px) << "\" y2=\"" << num(bottom)
             << "\" stroke=\"#e5e5e5\"/>\n";
      out_ << "<line x1=\"" << num(px) << "\" y1=\"" << num(bottom) << "\" x2=\"" << num(px) << "\" y2=\""
           << num(bottom + 4) << "\" stroke=\"#666\"/>\n";
      out_ << "<text x=\"" << num(px) << "\" y=\"" << num(bottom + 16) << "\" text-anchor=\"middle\">"
           << escape_xml(format_tick(t)) << "</text>\n";
    }
  }

  void write_categories(double /*top*/, double bottom, bool rotated) {
    size_t n = categories();
    size_t every = std::max<size_t>(1, (n + kMaxCategoryLabels - 1) / kMaxCategoryLabels);
    for (size_t i = 0; i < n; i += every) {
      std::string label = i < panel_.categories.size() ? panel_.categories[i] : std::to_string(i + 1);
      if (label.size() > kMaxLabelChars) label = label.substr(0, kMaxLabelChars - 1) + "~";
      double px = xmap_(double(i));
      if (rotated) {
        out_ << "<text transform=\"translate(" << num(px + 3) << "," << num(bottom + 8) << ") rotate(-60)\" "
             << "text-anchor=\"end\" font-size=\"9\">" << escape_xml(label) << "</text>\n";
      } else {
        out_ << "<text x=\"" << num(px) << "\" y=\"" << num(bottom + 16) << "\" text-anchor=\"middle\">"
             << escape_xml(label) << "</text>\n";
      }
    }
  }

  void write_bars() {
    size_t n = categories();
    size_t series = panel_.bars.size();
    double slot = (xmap_.p1 - xmap_.p0) / double(std::max<size_t>(n, 1));
    double group = slot * 0.8;
    double width = panel_.stacked ? group : group / double(series);
    std::vector<double> base(n, 0.0);
    for (size_t s = 0; s < series; ++s) {
      const Bars& b = panel_.bars[s];
      std::string color = next_color(b.color);
      legend_.push_back({b.name, color, "bar"});
      for (size_t i = 0; i < b.values.size(); ++i) {
        double v = b.values[i];
        if (!std::isfinite(v) || v == 0) continue;  // nothing to draw (stacks of one kind per bar)
        double from = panel_.stacked ? base[i] : 0.0;
        double to = from + v;
        if (panel_.stacked) base[i] = to;
        if (ymap_.scale == Scale::kLog && to <= 0) continue;
        // On a log axis a bar grows from the bottom of the plot (log 0 does not exist).
        double y_from = ymap_.scale == Scale::kLog && from <= 0 ? ymap_.p0 : ymap_(from);
        double y_to = ymap_(to);
        double px = xmap_(double(i)) - group / 2 + (panel_.stacked ? 0 : width * double(s));
        out_ << "<rect x=\"" << num(px) << "\" y=\"" << num(std::min(y_from, y_to)) << "\" width=\"" << num(width)
             << "\" height=\"" << num(std::abs(y_from - y_to)) << "\" fill=\"" << color << "\">";
        if (i < b.tooltips.size()) out_ << "<title>" << escape_xml(b.tooltips[i]) << "</title>";
        out_ << "</rect>\n";
      }
    }
  }

  bool x_ok(double v) const { return categorical_ ? std::isfinite(v) : usable(v, xmap_.scale); }

  void write_lines() {
    for (const Line& l : panel_.lines) {
      std::string color = next_color(l.color);
      legend_.push_back({l.name, color, l.dashed ? "dashed" : "line"});
      std::string dash = l.dashed ? " stroke-dasharray=\"6,4\"" : "";
      std::ostringstream path;
      bool pen_down = false;
      for (size_t i = 0; i < l.x.size(); ++i) {
        if (!x_ok(l.x[i]) || !usable(l.y[i], ymap_.scale)) {
          pen_down = false;
          continue;
        }
        path << (pen_down ? " L" : " M") << num(xmap_(l.x[i])) << "," << num(ymap_(l.y[i]));
        pen_down = true;
      }
      out_ << "<path d=\"" << path.str() << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\""
           << num(l.width) << "\"" << dash << "/>\n";
      if (!l.markers) continue;
      for (size_t i = 0; i < l.x.size(); ++i)
        if (x_ok(l.x[i]) && usable(l.y[i], ymap_.scale))
          out_ << "<circle cx=\"" << num(xmap_(l.x[i])) << "\" cy=\"" << num(ymap_(l.y[i])) << "\" r=\""
               << num(l.width + 1) << "\" fill=\"" << color << "\"/>\n";
    }
  }

  void write_points() {
    for (const Points& p : panel_.points) {
      std::string color = next_color(p.color);
      legend_.push_back({p.name, color, "point"});
      for (size_t i = 0; i < p.x.size(); ++i) {
        if (!x_ok(p.x[i]) || !usable(p.y[i], ymap_.scale)) continue;
        out_ << "<circle cx=\"" << num(xmap_(p.x[i])) << "\" cy=\"" << num(ymap_(p.y[i])) << "\" r=\"" << num(p.radius)
             << "\" fill=\"" << color << "\" fill-opacity=\"0.8\">";
        if (i < p.tooltips.size()) out_ << "<title>" << escape_xml(p.tooltips[i]) << "</title>";
        out_ << "</circle>\n";
      }
    }
  }

  void write_notes() {
    for (const Note& n : panel_.notes) {
      if (!x_ok(n.x) || !usable(n.y, ymap_.scale)) continue;
      out_ << "<text x=\"" << num(xmap_(n.x)) << "\" y=\"" << num(ymap_(n.y) - 4) << "\" fill=\"" << n.color
           << "\" font-size=\"10\">" << escape_xml(n.text) << "</text>\n";
    }
  }

  void write_titles(double left, double right, double top, double bottom, bool rotated) {
    if (!panel_.title.empty())
      out_ << "<text x=\"" << num((left + right) / 2) << "\" y=\"" << num(top - 10)
           << "\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"13\">" << escape_xml(panel_.title) << "</text>\n";
    if (!panel_.x.label.empty())
      out_ << "<text x=\"" << num((left + right) / 2) << "\" y=\"" << num(bottom + (rotated ? kRotatedLabelsExtra : 0) + 36)
           << "\" text-anchor=\"middle\">" << escape_xml(panel_.x.label) << "</text>\n";
    if (!panel_.y.label.empty())
      out_ << "<text transform=\"translate(" << num(x0_ + 16) << "," << num((top + bottom) / 2)
           << ") rotate(-90)\" text-anchor=\"middle\">" << escape_xml(panel_.y.label) << "</text>\n";
  }

  void write_legend(double left, double right, double top, double bottom) {
    std::vector<LegendEntry> entries;
    for (const LegendEntry& e : legend_)
      if (!e.name.empty()) entries.push_back(e);
    if (entries.empty() || panel_.legend == LegendPosition::kNone) return;
    size_t chars = 0;
    for (const LegendEntry& e : entries) chars = std::max(chars, e.name.size());
    double bw = 34 + 6.6 * double(chars), bh = 8 + 16 * double(entries.size());
    bool at_right = panel_.legend == LegendPosition::kTopRight || panel_.legend == LegendPosition::kBottomRight;
    bool at_top = panel_.legend == LegendPosition::kTopRight || panel_.legend == LegendPosition::kTopLeft;
    double bx = at_right ? right - bw - 8 : left + 8, by = at_top ? top + 8 : bottom - bh - 8;
    out_ << "<rect x=\"" << num(bx) << "\" y=\"" << num(by) << "\" width=\"" << num(bw) << "\" height=\"" << num(bh)
         << "\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
    for (size_t i = 0; i < entries.size(); ++i) {
      const LegendEntry& e = entries[i];
      double cy = by + 12 + 16 * double(i);
      if (e.kind == "bar")
        out_ << "<rect x=\"" << num(bx + 6) << "\" y=\"" << num(cy - 5) << "\" width=\"16\" height=\"10\" fill=\"" << e.color << "\"/>\n";
      else if (e.kind == "point")
        out_ << "<circle cx=\"" << num(bx + 14) << "\" cy=\"" << num(cy) << "\" r=\"4\" fill=\"" << e.color << "\"/>\n";
      else
        out_ << "<line x1=\"" << num(bx + 6) << "\" y1=\"" << num(cy) << "\" x2=\"" << num(bx + 22) << "\" y2=\"" << num(cy)
             << "\" stroke=\"" << e.color << "\" stroke-width=\"2\"" << (e.kind == "dashed" ? " stroke-dasharray=\"4,3\"" : "")
             << "/>\n";
      out_ << "<text x=\"" << num(bx + 28) << "\" y=\"" << num(cy + 4) << "\">" << escape_xml(e.name) << "</text>\n";
    }
  }

  const Panel& panel_;
  std::ostringstream& out_;
  int id_;
  double x0_, y0_, w_, h_;
  bool categorical_ = false;
  Mapping xmap_, ymap_;
  int color_index_ = 0;
  std::vector<LegendEntry> legend_;
};

}  // namespace

Line& Panel::add_line(const std::string& name, std::vector<double> x, std::vector<double> y) {
  Line line;
  line.name = name;
  line.x = std::move(x);
  line.y = std::move(y);
  lines.push_back(std::move(line));
  return lines.back();
}

Points& Panel::add_points(const std::string& name, std::vector<double> x, std::vector<double> y) {
  Points p;
  p.name = name;
  p.x = std::move(x);
  p.y = std::move(y);
  points.push_back(std::move(p));
  return points.back();
}

Bars& Panel::add_bars(const std::string& name, std::vector<double> values) {
  Bars b;
  b.name = name;
  b.values = std::move(values);
  bars.push_back(std::move(b));
  return bars.back();
}

Panel& Figure::add_panel(const std::string& title) {
  panels.emplace_back();
  panels.back().title = title;
  return panels.back();
}

std::string Figure::render() const {
  if (columns < 1) throw Error("svg: figure columns must be >= 1, but got " + std::to_string(columns));
  if (panel_width < 200 || panel_height < 150)
    throw Error("svg: panels must be at least 200x150 px, but got " + std::to_string(panel_width) + "x" +
                std::to_string(panel_height));
  int cols = std::max(1, std::min<int>(columns, int(std::max<size_t>(panels.size(), 1))));
  int rows = int((panels.size() + size_t(cols) - 1) / size_t(cols));
  double head = title.empty() ? 0 : kFigureTitleHeight;
  double width = double(cols * panel_width), height = head + double(std::max(rows, 1) * panel_height);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\"" << num(height)
      << "\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n";
  if (!title.empty())
    out << "<text x=\"" << num(width / 2) << "\" y=\"22\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">"
        << escape_xml(title) << "</text>\n";
  for (size_t i = 0; i < panels.size(); ++i) {
    double px = double(int(i) % cols * panel_width), py = head + double(int(i) / cols * panel_height);
    PanelWriter(panels[i], px, py, panel_width, panel_height, int(i), out).write();
  }
  out << "</svg>\n";
  return out.str();
}

void Figure::save(const std::string& path) const { write_file_atomic(path, render()); }

std::vector<double> nice_ticks(double lo, double hi, Scale scale) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  if (scale == Scale::kLog && lo > 0) {
    int k0 = int(std::floor(std::log10(lo) + 1e-9)), k1 = int(std::ceil(std::log10(hi) - 1e-9));
    bool minor = k1 - k0 < 3;
    int stride = std::max(1, (k1 - k0) / 8);  // at most ~8 decade labels
    for (int k = k0; k <= k1; ++k) {
      double d = std::pow(10.0, k);
      if ((k - k0) % stride == 0 && d >= lo * (1 - 1e-9) && d <= hi * (1 + 1e-9)) ticks.push_back(d);
      if (!minor) continue;
      for (double m : {2.0, 5.0})
        if (m * d >= lo * (1 - 1e-9) && m * d <= hi * (1 + 1e-9)) ticks.push_back(m * d);
    }
    std::sort(ticks.begin(), ticks.end());
    if (ticks.size() >= 2) return ticks;
    ticks.clear();  // a range inside one decade: fall back to linear ticks
  }
  double step = linear_step(hi - lo);
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string format_tick(double value) {
  if (value == 0) return "0";
  double a = std::abs(value);
  char buf[32];
  auto trimmed = [&](double v, const char* suffix) {
    std::snprintf(buf, sizeof buf, "%.3g%s", v, suffix);
    return std::string(buf);
  };
  if (a < 1e-3 || a >= 1e12) {
    int e = int(std::floor(std::log10(a)));
    double mantissa = value / std::pow(10.0, e);
    if (std::abs(mantissa - std::round(mantissa)) < 1e-6) std::snprintf(buf, sizeof buf, "%.0fe%d", mantissa, e);
    else std::snprintf(buf, sizeof buf, "%.2ge%d", mantissa, e);
    return buf;
  }
  if (a >= 1e9) return trimmed(value / 1e9, "G");
  if (a >= 1e6) return trimmed(value / 1e6, "M");
  if (a >= 1e4) return trimmed(value / 1e3, "k");
  std::snprintf(buf, sizeof buf, "%.4g", value);  // 1000, not 1e+03
  return buf;
}

std::string escape_xml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace nasctl::svg
