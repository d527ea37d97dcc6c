#pragma once
// The flags of an options schema (core/option_schema.h) on a CLI11 command: one flag per row that
// has one, its help text, its placeholder and its default; after parsing, the flags given become a
// JSON patch over a config.

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cli/app.h"
#include "nasctl/core/option_schema.h"

namespace nasctl::cli {

template <typename T>
class OptionFlags {
 public:
  /// Adds the rows' flags to `cmd`; --help shows each row's value in `defaults` as its default.
  OptionFlags(CLI::App* cmd, const OptionSchema<T>& schema, const T& defaults) : schema_(schema) {
    for (const auto& row : schema.rows()) {
      if (row->flag().empty() || row->bound_elsewhere()) continue;
      auto slot = std::make_unique<Slot>();
      slot->row = row.get();
      if (row->is_switch()) {
        slot->option = cmd->add_flag(row->flag_names(), slot->on, row->help());
      } else {
        slot->option = cmd->add_option(row->flag_names(), slot->text, row->help())->type_name(row->metavar());
        Json value = row->flag_only() ? Json() : row->write(defaults);
        bool shown = !value.is_null() && !(value.is_array() && value.empty()) && !(value.is_string() && value.get<std::string>().empty());
        if (shown) slot->option->default_str(value.is_string() ? value.get<std::string>() : value.dump());
      }
      slots_.push_back(std::move(slot));
    }
  }

  /// The flags given on the command line (and the global --seed when `root` has it given), as a
  /// JSON patch of the schema's shape.
  Json patch(const CLI::App& root, const GlobalOptions& global) const {
    Json patch = Json::object();
    for (const auto& slot : slots_) {
      if (slot->option->count() == 0) continue;
      Json value = slot->row->is_switch() ? Json(slot->on) : slot->row->parse_flag(slot->text, schema_.label(*slot->row));
      option_detail::set_path(patch, slot->row->key(), std::move(value));
    }
    const auto* seed = schema_.find("seed");
    if (seed != nullptr && root.get_option("--seed")->count() > 0) patch["seed"] = global.seed;
    return patch;
  }

 private:
  struct Slot {
    const OptionRowBase<T>* row = nullptr;
    CLI::Option* option = nullptr;
    std::string text;
    bool on = false;
  };
  const OptionSchema<T>& schema_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace nasctl::cli
