#include "nasctl/core/svg.h"

#include <gtest/gtest.h>

#include <regex>

#include "nasctl/core/files.h"
#include "support.h"

namespace nasctl::svg {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(SvgTicks, LinearTicksAreOneTwoFiveSteps) {
  EXPECT_EQ(nice_ticks(0, 10, Scale::kLinear), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(0, 1, Scale::kLinear).size(), 6u);  // 0, 0.2, ... 1
  std::vector<double> t = nice_ticks(-3, 7, Scale::kLinear);
  EXPECT_DOUBLE_EQ(t.front(), -2);
  EXPECT_DOUBLE_EQ(t.back(), 6);
}

TEST(SvgTicks, LogTicksArePowersOfTen) {
  EXPECT_EQ(nice_ticks(1e-2, 1e4, Scale::kLog), (std::vector<double>{1e-2, 1e-1, 1, 10, 100, 1e3, 1e4}));
  // Short ranges get 2 and 5 in between.
  EXPECT_EQ(nice_ticks(1, 100, Scale::kLog), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
}

TEST(SvgTicks, Labels) {
  EXPECT_EQ(format_tick(0), "0");
  EXPECT_EQ(format_tick(2.5), "2.5");
  EXPECT_EQ(format_tick(1000), "1000");
  EXPECT_EQ(format_tick(1e-4), "1e-4");
  EXPECT_EQ(format_tick(20000), "20k");
  EXPECT_EQ(format_tick(3e6), "3M");
  EXPECT_EQ(format_tick(4e12), "4e12");
}

TEST(SvgEscape, EscapesMarkup) { EXPECT_EQ(escape_xml("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;"); }

TEST(SvgFigure, LinePointsBarsAndLegend) {
  Figure fig;
  fig.title = "T <1>";
  fig.columns = 2;
  Panel& a = fig.add_panel("curves");
  a.x.label = "epoch";
  a.y.label = "loss";
  a.y.scale = Scale::kLog;
  a.add_line("train", {0, 1, 2}, {1.0, 0.5, 0.25});
  a.add_points("val", {0, 2}, {0.9, 0.3}).tooltips = {"first", "last"};
  Panel& b = fig.add_panel("layers");
  b.categories = {"conv1", "conv2", "fc"};
  b.add_bars("compute", {1, 2, 3});
  b.add_bars("memory", {0.5, 0.5, 0.5});
  b.stacked = true;
  std::string svg = fig.render();
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("T &lt;1&gt;"), std::string::npos);
  EXPECT_EQ(count(svg, "<path d="), 1);
  EXPECT_EQ(count(svg, "<title>"), 2);  // the two point tooltips
  EXPECT_EQ(count(svg, ">train</text>"), 1);
  EXPECT_EQ(count(svg, ">compute</text>"), 1);
  EXPECT_EQ(count(svg, ">conv2</text>"), 1);
  // 6 bars + 2 legend swatches + plot backgrounds (2) + figure background + clip rects (2)
  EXPECT_EQ(count(svg, "<rect"), 6 + 2 + 2 + 1 + 2 + 2);  // + the 2 legend boxes
  // Two panels side by side: the figure is two panels wide.
  EXPECT_NE(svg.find("width=\"1280.00\""), std::string::npos);
}

TEST(SvgFigure, StackedBarsReachTheSumOfTheirParts) {
  Figure fig;
  fig.panel_height = 400;
  Panel& p = fig.add_panel();
  p.y.min = 0;
  p.y.max = 10;
  p.categories = {"a"};
  p.add_bars("", {4});
  p.add_bars("", {6});
  p.stacked = true;
  std::string svg = fig.render();
  // Plot area spans y = 30 .. 354 (400 - 46) for 0..10: bars of 4 and 6 units are 129.6 and 194.4 px.
  EXPECT_NE(svg.find("height=\"129.60\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("height=\"194.40\""), std::string::npos);
  EXPECT_NE(svg.find("y=\"30.00\" width"), std::string::npos);  // the top bar reaches the top (10)
}

TEST(SvgFigure, LogAxisSkipsNonPositiveValues) {
  Figure fig;
  Panel& p = fig.add_panel();
  p.x.scale = Scale::kLog;
  p.add_points("", {-1, 0, 1, 10}, {1, 1, 1, 1});
  EXPECT_EQ(count(fig.render(), "<circle"), 2);
}

TEST(SvgFigure, MismatchedSeriesAreErrors) {
  Figure fig;
  fig.add_panel().add_line("loss", {1, 2}, {1});
  EXPECT_THROW_MSG(fig.render(), "line \"loss\" has 2 x values but 1 y values");
  Figure bars;
  Panel& p = bars.add_panel();
  p.categories = {"a"};
  p.add_bars("b", {1, 2});
  EXPECT_THROW_MSG(bars.render(), "bars \"b\" have 2 values but the panel has 1 categories");
}

TEST(SvgFigure, SaveWritesTheFile) {
  testing::TempDir dir;
  Figure fig;
  fig.add_panel("empty");
  fig.save(dir.file("f.svg"));
  EXPECT_EQ(read_file(dir.file("f.svg")), fig.render());
}

}  // namespace
}  // namespace nasctl::svg
