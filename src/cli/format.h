#pragma once
// Small text-formatting helpers shared by the commands' table output.

#include <cstdint>
#include <string>
#include <vector>

namespace nasctl::cli {

/// 3504872 -> "3,504,872".
std::string with_commas(int64_t value);
/// 300774272 -> "300.77 M", 4.1e9 -> "4.10 G".
std::string human_count(double value);
/// `value` with `digits` decimals: fixed(2.71828, 3) -> "2.718".
std::string fixed(double value, int digits);
/// A fraction as a percentage with `digits` decimals: 0.91424 -> "91.42%"; not finite -> "-".
std::string percent(double fraction, int digits = 2);
/// `value` with `significant` digits, as printf's %g: 0.000123456 -> "0.0001235".
std::string significant(double value, int significant = 4);
/// Bytes in KiB with one decimal: 1536 -> "1.5".
std::string kib(int64_t bytes);

/// A plain-text table with left-aligned first column and right-aligned numeric columns.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header, std::vector<bool> right_align = {});
  void add_row(std::vector<std::string> row);
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_align_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace nasctl::cli
