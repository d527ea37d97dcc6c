#pragma once
// Small pieces of HTML writing shared by the report's sections.

#include <string>
#include <vector>

namespace nasctl::report::html {

/// Escapes &, <, >, " and ' for text and attribute values.
std::string escape(const std::string& text);
/// `value` with `digits` decimals; "n/a" when not finite.
std::string fixed(double value, int digits);
/// 0.9123 -> "91.23%"; "n/a" when not finite.
std::string percent(double fraction, int digits = 2);
/// 1234567 -> "1,234,567".
std::string grouped(long long value);

/// An SVG document (svg::Figure::render, latency::report_svg) ready to sit inside an HTML page: the
/// XML prolog dropped and every id (and its url(#...) references) prefixed with `prefix`, so that
/// several figures in one page never share a clip path.
std::string inline_svg(const std::string& svg_document, const std::string& prefix);

/// One table cell: its HTML and the key a click on the column header sorts by ("" = the text).
struct Cell {
  std::string html;
  std::string sort;
};
Cell text_cell(const std::string& text);
Cell number_cell(double value, int digits, const std::string& suffix = "");

/// A table whose headers sort its rows (with the page's script; the order as given without it).
std::string table(const std::vector<std::string>& head, const std::vector<std::vector<Cell>>& rows,
                  const std::string& css_class);

/// <div class="facts">: label / value pairs shown as large numbers at the top of a section.
std::string facts(const std::vector<std::pair<std::string, std::string>>& items);

}  // namespace nasctl::report::html
