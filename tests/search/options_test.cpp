// Search options: config JSON and flags fill one struct; validate() names the key and the value.

#include <gtest/gtest.h>

#include "nasctl/core/configs.h"
#include "nasctl/search/options.h"
#include "support.h"

namespace nasctl::search {
namespace {

TEST(SearchOptions, EmbeddedDefaultIsAQuickTinySearch) {
  std::string origin;
  Json json = load_config("search", "default", &origin);
  SearchOptions o = search_options_from_json(json, origin);
  EXPECT_EQ(o.space, "tiny");
  EXPECT_EQ(o.data, "fashion-mnist");
  EXPECT_EQ(o.hardware, "coral-usb3");
  EXPECT_GT(o.target_ms, 0.0);
  EXPECT_EQ(o.controller.reward, RewardKind::kAbsolute);
  EXPECT_DOUBLE_EQ(o.controller.effective_beta(), -0.3);  // tuned for the short search, see the config
  EXPECT_NO_THROW(o.validate());
}

TEST(SearchOptions, BuiltInQ256ConfigIsTheQuickSearchWithFourTimesTheQBatch) {
  std::string origin;
  Json quick = load_config("search", "default", &origin);
  Json q256 = load_config("search", "tiny_q256", &origin);
  SearchOptions o = search_options_from_json(q256, origin);
  EXPECT_EQ(o.val_batch_size, 256);
  EXPECT_NO_THROW(o.validate());
  // Everything else as the embedded default, so that the two stay comparable.
  quick.erase("description");
  q256.erase("description");
  q256.erase("val_batch_size");
  EXPECT_EQ(q256, quick);
}

TEST(SearchOptions, ARewardWithoutABetaBringsItsOwnBeta) {
  std::string origin;
  SearchOptions quick = search_options_from_json(load_config("search", "default", &origin), origin);
  // `--reward mnas_soft` over the quick config: MnasNet's -0.07, not the absolute reward's -0.3.
  SearchOptions soft = search_options_from_json(parse_json(R"({"controller": {"reward": "mnas_soft"}})", "p"),
                                                "command line", quick);
  EXPECT_DOUBLE_EQ(soft.controller.effective_beta(), -0.07);
  SearchOptions hard = search_options_from_json(
      parse_json(R"({"controller": {"reward": "mnas_hard", "beta": -0.5}})", "p"), "command line", quick);
  EXPECT_DOUBLE_EQ(hard.controller.effective_beta(), -0.5);
  // A patch that leaves the reward alone keeps the config's beta.
  SearchOptions longer = search_options_from_json(parse_json(R"({"steps": 4000})", "p"), "command line", quick);
  EXPECT_DOUBLE_EQ(longer.controller.effective_beta(), -0.3);
}

TEST(SearchOptions, JsonRoundTripsAndPatchesWin) {
  Json json = parse_json(R"({"space": "edgetpu", "target_ms": 2.5, "steps": 50,
                            "controller": {"reward": "mnas_soft", "lr": 0.01}, "warmup": {"op": 0.1}})", "x");
  SearchOptions o = search_options_from_json(json, "cfg.json");
  EXPECT_EQ(o.space, "edgetpu");
  EXPECT_EQ(o.controller.reward, RewardKind::kMnasSoft);
  EXPECT_DOUBLE_EQ(o.controller.effective_beta(), -0.07);
  EXPECT_DOUBLE_EQ(o.warmup.op, 0.1);
  EXPECT_DOUBLE_EQ(o.warmup.filter, 0.25);  // untouched default
  SearchOptions back = search_options_from_json(o.to_json(), "config.json");
  EXPECT_EQ(back.to_json(), o.to_json());
  // A flag patch over the file: only the given keys change.
  SearchOptions patched = search_options_from_json(parse_json(R"({"steps": 7, "controller": {"beta": -0.2}})", "p"),
                                                   "command line", o);
  EXPECT_EQ(patched.steps, 7);
  EXPECT_DOUBLE_EQ(patched.controller.lr, 0.01);
  EXPECT_DOUBLE_EQ(patched.controller.effective_beta(), -0.2);
  Json merged = merge_json(json, parse_json(R"({"controller": {"lr": 0.5}})", "p"));
  EXPECT_EQ(merged["controller"]["reward"], "mnas_soft");
  EXPECT_EQ(merged["controller"]["lr"], 0.5);
}

TEST(SearchOptions, BadValuesNameTheKey) {
  EXPECT_THROW_MSG(search_options_from_json(parse_json(R"({"stepz": 3})", "x"), "cfg.json"),
                   "cfg.json: stepz is not a known key");
  EXPECT_THROW_MSG(search_options_from_json(parse_json(R"({"controller": {"reward": "fast"}})", "x"), "cfg.json"),
                   "cfg.json: controller.reward must be one of absolute, mnas_soft, mnas_hard, but got \"fast\"");
  EXPECT_THROW_MSG(search_options_from_json(parse_json(R"({"steps": "many"})", "x"), "cfg.json"),
                   "cfg.json: steps must be an integer");
  EXPECT_THROW_MSG(search_options_from_json(parse_json(R"({"edgetpu_only": "maybe"})", "x"), "cfg.json"),
                   "cfg.json: edgetpu_only must be one of \"auto\", \"on\", \"off\"");
  SearchOptions o;
  EXPECT_THROW_MSG(o.validate(), "search.target_ms is required");
  o.target_ms = 1.0;
  o.validate();
  o.target_ms = -3;
  EXPECT_THROW_MSG(o.validate(), "search.target_ms (--target-ms) must be > 0 (the target latency in ms), but got -3");
  o.target_ms = 1.0;
  o.controller.start = 1.0;
  EXPECT_THROW_MSG(o.validate(), "search.controller.start must be in [0, 1), but got 1");
  o.controller.start = 0.25;
  o.controller.beta = 0.5;
  EXPECT_THROW_MSG(o.validate(), "search.controller.beta (--beta) must be <= 0");
  o.controller.beta = std::nan("");
  o.val_fraction = 0;
  EXPECT_THROW_MSG(o.validate(), "search.val_fraction must be in (0, 1), but got 0");
}

}  // namespace
}  // namespace nasctl::search
