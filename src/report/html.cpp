#include "report/html.h"

#include <cmath>
#include <cstdio>

namespace nasctl::report::html {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double value, int digits) {
  if (!std::isfinite(value)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

std::string percent(double fraction, int digits) {
  if (!std::isfinite(fraction)) return "n/a";
  return fixed(100 * fraction, digits) + "%";
}

std::string grouped(long long value) {
  std::string digits = std::to_string(value < 0 ? -value : value), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::string inline_svg(const std::string& svg_document, const std::string& prefix) {
  std::string svg = svg_document;
  if (svg.rfind("<?xml", 0) == 0) svg.erase(0, svg.find('\n') + 1);
  replace_all(svg, "id=\"", "id=\"" + prefix);
  replace_all(svg, "url(#", "url(#" + prefix);
  return svg;
}

Cell text_cell(const std::string& text) { return {escape(text), ""}; }

Cell number_cell(double value, int digits, const std::string& suffix) {
  if (!std::isfinite(value)) return {"n/a", "-1e300"};
  char key[64];
  std::snprintf(key, sizeof key, "%.9g", value);
  return {fixed(value, digits) + suffix, key};
}

std::string table(const std::vector<std::string>& head, const std::vector<std::vector<Cell>>& rows,
                  const std::string& css_class) {
  std::string out = "<table class=\"sortable " + css_class + "\"><thead><tr>";
  for (const std::string& h : head) out += "<th title=\"click to sort\">" + escape(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const Cell& c : row) {
      out += c.sort.empty() ? "<td>" : "<td class=\"num\" data-sort=\"" + escape(c.sort) + "\">";
      out += c.html + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string facts(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out = "<div class=\"facts\">";
  for (const auto& [label, value] : items) {
    out += "<div class=\"fact\"><div class=\"value\">" + value + "</div><div class=\"label\">" + escape(label) +
           "</div></div>";
  }
  return out + "</div>\n";
}

}  // namespace nasctl::report::html
