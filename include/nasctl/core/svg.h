#pragma once
/// A small SVG chart writer (no plotting dependency): a Figure of one or more Panels laid out in a
/// grid, each with line series, scatter points, bar charts, linear or log axes, ticks, axis labels,
/// a legend and a title. Used for training curves, search progress and the latency roofline.
///
///   svg::Figure fig;
///   fig.title = "Training";
///   svg::Panel& loss = fig.add_panel("loss");
///   loss.x.label = "epoch";
///   loss.y.scale = svg::Scale::kLog;
///   loss.add_line("train", epochs, train_loss);
///   fig.save("curves.svg");  // atomic write

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace nasctl::svg {

/// Axis scale. Log axes drop points <= 0 (they cannot be drawn).
enum class Scale { kLinear, kLog };

/// Where a panel draws its legend (inside the plot area).
enum class LegendPosition { kTopRight, kTopLeft, kBottomRight, kBottomLeft, kNone };

/// One axis of a panel.
struct Axis {
  std::string label;             ///< axis title; default "" (none)
  Scale scale = Scale::kLinear;  ///< default linear
  /// Range; default NaN = from the data (padded a little; linear axes include 0 for bar charts).
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
};

/// A polyline through (x[i], y[i]); non-finite points break the line.
struct Line {
  std::string name;        ///< legend entry; default "" = not in the legend
  std::vector<double> x;
  std::vector<double> y;
  std::string color;       ///< CSS colour; default "" = the next palette colour
  double width = 2.0;      ///< stroke width in px; default 2
  bool dashed = false;     ///< default solid
  bool markers = false;    ///< also draw a dot at each point; default false
};

/// Scatter points.
struct Points {
  std::string name;                   ///< legend entry; default "" = not in the legend
  std::vector<double> x;
  std::vector<double> y;
  std::string color;                  ///< default "" = the next palette colour
  double radius = 3.0;                ///< px; default 3
  std::vector<std::string> tooltips;  ///< per point, shown on hover; default none
};

/// A bar series over the panel's categories (values[i] belongs to categories[i]). Several series
/// are drawn side by side, or stacked when Panel::stacked is set.
struct Bars {
  std::string name;                   ///< legend entry; default "" = not in the legend
  std::vector<double> values;
  std::string color;                  ///< default "" = the next palette colour
  std::vector<std::string> tooltips;  ///< per bar, shown on hover; default none
};

/// A text label at data coordinates (e.g. naming a roof of a roofline chart).
struct Note {
  double x = 0;
  double y = 0;
  std::string text;
  std::string color = "#333";  ///< default dark grey
};

/// One chart. With bars, the x axis is categorical (one slot per category) and `x.scale` is
/// ignored; lines and points are then drawn at category index coordinates (0, 1, ...).
struct Panel {
  std::string title;                   ///< default "" (none)
  Axis x;
  Axis y;
  std::vector<Line> lines;
  std::vector<Points> points;
  std::vector<Bars> bars;
  std::vector<std::string> categories; ///< bar labels; default: 1, 2, ...
  bool stacked = false;                ///< stack bar series instead of grouping; default false
  bool grid = true;                    ///< light grid lines at the ticks; default true
  LegendPosition legend = LegendPosition::kTopRight;
  std::vector<Note> notes;

  Line& add_line(const std::string& name, std::vector<double> x, std::vector<double> y);
  Points& add_points(const std::string& name, std::vector<double> x, std::vector<double> y);
  Bars& add_bars(const std::string& name, std::vector<double> values);
};

/// A figure: panels laid out row by row in `columns` columns.
struct Figure {
  std::string title;        ///< figure title above the panels; default "" (none)
  std::vector<Panel> panels;
  int columns = 1;          ///< panels per row; default 1
  int panel_width = 640;    ///< px per panel including its margins; default 640
  int panel_height = 400;   ///< px; default 400

  Panel& add_panel(const std::string& title = "");
  /// The SVG document. Throws Error when a series has x and y of different lengths, or a bar
  /// series more values than there are categories.
  std::string render() const;
  /// render() written atomically to `path`.
  void save(const std::string& path) const;
};

/// Tick positions for [lo, hi]: 1/2/5 x 10^k steps on linear axes, powers of ten on log axes
/// (with 2 and 5 in between when the range spans less than three decades).
std::vector<double> nice_ticks(double lo, double hi, Scale scale);
/// Compact tick label: "0", "2.5", "1e-3", "10k", "3M".
std::string format_tick(double value);
/// Escapes &, <, >, " and ' for SVG text and attributes.
std::string escape_xml(const std::string& text);

}  // namespace nasctl::svg
