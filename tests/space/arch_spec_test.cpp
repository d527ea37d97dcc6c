#include "nasctl/space/arch_spec.h"

#include <gtest/gtest.h>

#include "nasctl/core/files.h"
#include "support.h"

namespace nasctl::space {
namespace {

Json small_arch_json() {
  return Json::parse(R"({
    "name": "small", "input": [8, 8, 3], "classes": 10,
    "stem": {"filters": 8, "kernel": 3, "stride": 1, "activation": "relu"},
    "blocks": [
      {"type": "ibn", "kernel": 3, "expansion": 2, "filters": 8, "stride": 1},
      {"type": "fused_ibn", "kernel": 5, "expansion": 2.5, "filters": 16, "stride": 2, "se": true,
       "activation": "hard_swish"},
      {"type": "skip"},
      {"type": "group_ibn", "kernel": 3, "expansion": 2, "filters": 16, "groups": 4, "activation": "relu6"}],
    "head": {"filters": 32, "activation": "relu", "hidden": 64}})");
}

TEST(RoundFilters, MatchesMobileNetMakeDivisible) {
  // Values from MobileNet's _make_divisible(v, 8) (torchvision / TF models).
  EXPECT_EQ(round_filters(8), 8);
  EXPECT_EQ(round_filters(10), 16);  // 8 would lose more than 10%
  EXPECT_EQ(round_filters(12), 16);
  EXPECT_EQ(round_filters(18), 24);
  EXPECT_EQ(round_filters(20), 24);
  EXPECT_EQ(round_filters(36), 40);
  EXPECT_EQ(round_filters(100), 104);
  EXPECT_EQ(round_filters(3.2), 8);  // never below the divisor
  EXPECT_EQ(round_filters(750), 752);
  EXPECT_EQ(round_filters(30, 4), 32);
}

TEST(Channels, ExpandedAndSqueezeExcite) {
  EXPECT_EQ(expanded_channels(16, 1.0), 16);
  EXPECT_EQ(expanded_channels(16, 6.0), 96);
  EXPECT_EQ(expanded_channels(80, 2.3), 184);  // MobileNetV3's 184 = 80 x 2.3
  EXPECT_EQ(expanded_channels(24, 2.5), 60);
  EXPECT_EQ(se_channels(72), 24);   // MobileNetV3-Large: make_divisible(72 / 4) = 24
  EXPECT_EQ(se_channels(120), 32);  // 30 -> 32
  EXPECT_EQ(se_channels(16), 8);
}

TEST(ArchJson, ParsesEveryField) {
  ArchSpec a = arch_from_json(small_arch_json(), "small.json");
  EXPECT_EQ(a.name, "small");
  EXPECT_EQ(a.space, "");
  EXPECT_EQ(a.input, (graph::Shape{8, 8, 3}));
  EXPECT_EQ(a.classes, 10);
  EXPECT_EQ(a.stem.stride, 1);
  ASSERT_EQ(a.blocks.size(), 4u);
  EXPECT_EQ(a.blocks[0].type, BlockType::kInvertedBottleneck);
  EXPECT_EQ(a.blocks[0].activation, graph::Activation::kRelu);
  EXPECT_FALSE(a.blocks[0].se);
  EXPECT_EQ(a.blocks[1].type, BlockType::kFusedInvertedBottleneck);
  EXPECT_DOUBLE_EQ(a.blocks[1].expansion, 2.5);
  EXPECT_EQ(a.blocks[1].kernel, 5);
  EXPECT_TRUE(a.blocks[1].se);
  EXPECT_EQ(a.blocks[1].activation, graph::Activation::kHardSwish);
  // A skip block takes the channels before it and stride 1.
  EXPECT_EQ(a.blocks[2].type, BlockType::kSkip);
  EXPECT_EQ(a.blocks[2].filters, 16);
  EXPECT_EQ(a.blocks[2].stride, 1);
  EXPECT_EQ(a.blocks[3].groups, 4);
  EXPECT_EQ(a.blocks[3].activation, graph::Activation::kRelu6);
  EXPECT_EQ(a.head.filters, 32);
  EXPECT_EQ(a.head.hidden, 64);
}

TEST(ArchJson, RoundTripsCanonically) {
  ArchSpec a = arch_from_json(small_arch_json(), "small.json");
  Json j = arch_to_json(a);
  EXPECT_EQ(j["format"], "nasctl.arch");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["blocks"][0]["expansion"], 2);  // integral expansions are written as integers
  EXPECT_TRUE(j["blocks"][0]["expansion"].is_number_integer());
  EXPECT_EQ(j["blocks"][1]["expansion"], 2.5);
  EXPECT_EQ(j["blocks"][2], Json::parse(R"({"type": "skip"})"));
  EXPECT_FALSE(j["blocks"][0].contains("groups"));
  EXPECT_EQ(j["blocks"][3]["groups"], 4);
  EXPECT_EQ(arch_to_json(arch_from_json(j, "again")), j);
}

TEST(ArchJson, AcceptsADocumentWithAnArchMember) {
  Json wrapped = {{"arch", small_arch_json()}, {"latency_ms", 1.5}};
  EXPECT_TRUE(is_arch_json(wrapped));
  EXPECT_EQ(arch_from_json(wrapped, "run/arch.json").blocks.size(), 4u);
  Json bad = wrapped;
  bad["arch"]["blocks"][0]["kernel"] = 4;
  EXPECT_THROW_MSG(arch_from_json(bad, "run/arch.json"), "run/arch.json: arch.blocks[0].kernel must be an odd kernel size");
}

TEST(ArchJson, TellsArchFromGraph) {
  EXPECT_TRUE(is_arch_json(small_arch_json()));
  EXPECT_FALSE(is_arch_json(Json::parse(R"({"name": "g", "input": [8, 8, 3], "nodes": [], "outputs": []})")));
  EXPECT_FALSE(is_arch_json(Json::array()));
}

TEST(ArchJson, LoadsFiles) {
  testing::TempDir dir;
  write_file_atomic(dir.file("a.json"), small_arch_json().dump());
  EXPECT_EQ(load_arch_file(dir.file("a.json")).blocks.size(), 4u);
  EXPECT_THROW_MSG(load_arch_file(dir.file("missing.json")), "missing.json");
  write_file_atomic(dir.file("broken.json"), "{\"blocks\": [");
  EXPECT_THROW_MSG(load_arch_file(dir.file("broken.json")), "broken.json: invalid JSON");
}

// Each bad input names the file, the key and the value.
TEST(ArchJson, RejectsBadInput) {
  auto with = [](const std::string& pointer, const Json& value) {
    Json j = small_arch_json();
    j[Json::json_pointer(pointer)] = value;
    return j;
  };
  auto without = [](const std::string& key) {
    Json j = small_arch_json();
    j.erase(key);
    return j;
  };
  EXPECT_THROW_MSG(arch_from_json(with("/colour", "red"), "a.json"), "a.json: colour is not a known key");
  EXPECT_THROW_MSG(arch_from_json(with("/format", "nasctl.graph"), "a.json"),
                   "a.json: format must be \"nasctl.arch\", but got \"nasctl.graph\"");
  EXPECT_THROW_MSG(arch_from_json(with("/version", 2), "a.json"), "a.json: version must be 1, but got 2");
  EXPECT_THROW_MSG(arch_from_json(without("stem"), "a.json"), "a.json: stem is required but missing");
  EXPECT_THROW_MSG(arch_from_json(without("blocks"), "a.json"), "a.json: blocks is required but missing");
  EXPECT_THROW_MSG(arch_from_json(with("/input", Json::array({8, 8})), "a.json"),
                   "a.json: input must be [height, width, channels], all > 0, but got [8,8]");
  EXPECT_THROW_MSG(arch_from_json(with("/classes", 0), "a.json"), "a.json: classes must be >= 1, but got 0");
  EXPECT_THROW_MSG(arch_from_json(with("/stem/stride", 3), "a.json"), "a.json: stem.stride must be 1 or 2, but got 3");
  EXPECT_THROW_MSG(arch_from_json(with("/stem/activation", "swish"), "a.json"),
                   "a.json: stem.activation must be one of relu, relu6, hard_swish, but got \"swish\"");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/type", "mbconv"), "a.json"),
                   "a.json: blocks[0].type must be one of ibn, fused_ibn, group_ibn, skip, but got \"mbconv\"");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/kernel", 4), "a.json"),
                   "a.json: blocks[0].kernel must be an odd kernel size in [1, 255], but got 4");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/expansion", 0), "a.json"),
                   "a.json: blocks[0].expansion must be in (0, 64], but got 0");
  // 1e308 once trained a 1-channel layer (the expanded width wrapped).
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/expansion", 1e308), "a.json"),
                   "a.json: blocks[0].expansion must be in (0, 64], but got 1e+308");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/filters", 2147483648), "a.json"),
                   "a.json: blocks[0].filters must be an integer in [-2147483648, 2147483647], but got 2147483648");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/filters", 0), "a.json"),
                   "a.json: blocks[0].filters must be >= 1, but got 0");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/se", "yes"), "a.json"),
                   "a.json: blocks[0].se must be true or false, but got \"yes\"");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/0/groups", 2), "a.json"), "a.json: blocks[0].groups is not a known key");
  EXPECT_THROW_MSG(arch_from_json(with("/blocks/2/kernel", 3), "a.json"), "a.json: blocks[2].kernel is not a known key");
  EXPECT_THROW_MSG(arch_from_json(with("/head/filters", -1), "a.json"), "a.json: head.filters must be >= 0, but got -1");
  Json no_expansion = small_arch_json();
  no_expansion["blocks"][0].erase("expansion");
  EXPECT_THROW_MSG(arch_from_json(no_expansion, "a.json"), "a.json: blocks[0].expansion is required but missing");
}

}  // namespace
}  // namespace nasctl::space
