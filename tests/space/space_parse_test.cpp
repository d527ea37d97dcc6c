// Parsing search space files: what the language means, and every bad input with its message.
#include <gtest/gtest.h>

#include "nasctl/core/files.h"
#include "nasctl/space/search_space.h"
#include "support.h"
#include "two_stage_space.h"

namespace nasctl::space {
namespace {

using testing::two_stage_space;

Json with(const std::string& pointer, const Json& value) {
  Json j = two_stage_space();
  j[Json::json_pointer(pointer)] = value;
  return j;
}

SearchSpace parse(const Json& j) { return SearchSpace::from_json(j, "t.json"); }

std::vector<std::string> names(const SearchSpace& sp) {
  std::vector<std::string> out;
  for (const Decision& d : sp.decisions()) out.push_back(d.name);
  return out;
}

TEST(SpaceParse, DecisionsAreNamedByStageLayerAndKind) {
  SearchSpace sp = parse(two_stage_space());
  EXPECT_EQ(sp.name(), "t");
  EXPECT_EQ(sp.origin(), "t.json");
  EXPECT_EQ(sp.num_stages(), 2);
  ASSERT_EQ(sp.layers().size(), 4u);
  EXPECT_EQ(sp.layers()[2].stage, 1);
  EXPECT_EQ(sp.layers()[2].index_in_stage, 0);
  EXPECT_EQ(sp.layers()[2].stride, 2);
  EXPECT_EQ(sp.layers()[3].stride, 1);
  EXPECT_EQ(sp.layers()[3].base_filters, 16);
  // Single-choice settings (type of first layers, activation, se, stage 0's multiplier) are fixed
  // values, not decisions.
  EXPECT_EQ(names(sp), (std::vector<std::string>{
                           "stage0/layer0/kernel", "stage0/layer0/expansion", "stage0/layer1/type",
                           "stage0/layer1/kernel", "stage0/layer1/expansion", "stage1/filter_multiplier",
                           "stage1/layer0/kernel", "stage1/layer0/expansion", "stage1/layer1/type",
                           "stage1/layer1/kernel", "stage1/layer1/expansion"}));
  const Decision& type = sp.decisions()[2];
  EXPECT_EQ(type.kind, DecisionKind::kType);
  EXPECT_EQ(type.choices, (std::vector<Json>{"ibn", "skip"}));
  EXPECT_EQ(type.layers, (std::vector<int>{1}));
  const Decision& mult = sp.decisions()[5];
  EXPECT_EQ(mult.kind, DecisionKind::kFilterMultiplier);
  EXPECT_EQ(mult.layers, (std::vector<int>{2, 3}));  // one decision per stage
  EXPECT_EQ(sp.layer_filters(2, 0.5), 8);
  EXPECT_EQ(sp.decision_index(0, DecisionKind::kActivation), -1);
  EXPECT_EQ(sp.layer_choices(0, DecisionKind::kActivation), (std::vector<Json>{"relu"}));
  EXPECT_EQ(sp.layer_choices(3, DecisionKind::kKernel), (std::vector<Json>{3, 5}));
  EXPECT_EQ(sp.decision_index(3, DecisionKind::kKernel), 9);
}

TEST(SpaceParse, StagesAndOverridesOverrideDefaults) {
  Json j = two_stage_space();
  j["stages"][1]["kernel"] = 7;  // a scalar is a fixed value
  j["stages"][1]["activation"] = Json::array({"relu", "hard_swish"});
  j["stages"][1]["overrides"] = Json::parse(R"([{"layer": 1, "type": ["fused_ibn", "skip"], "se": [false, true]}])");
  SearchSpace sp = parse(j);
  EXPECT_EQ(sp.layer_choices(2, DecisionKind::kKernel), (std::vector<Json>{7}));
  EXPECT_EQ(sp.layer_choices(3, DecisionKind::kActivation), (std::vector<Json>{"relu", "hard_swish"}));
  EXPECT_EQ(sp.layer_choices(3, DecisionKind::kType), (std::vector<Json>{"fused_ibn", "skip"}));
  EXPECT_EQ(sp.layer_choices(3, DecisionKind::kSqueezeExcite), (std::vector<Json>{false, true}));
  EXPECT_EQ(sp.layer_choices(2, DecisionKind::kSqueezeExcite), (std::vector<Json>{false}));
  // An override that sets the type decides it alone: "skippable" adds no skip there.
  j["stages"][1]["overrides"][0]["type"] = "fused_ibn";
  EXPECT_EQ(parse(j).layer_choices(3, DecisionKind::kType), (std::vector<Json>{"fused_ibn"}));
}

TEST(SpaceParse, TiesMakeOneDecisionPerStage) {
  Json j = two_stage_space();
  j["stages"][1]["tie"] = {"kernel", "expansion"};
  SearchSpace sp = parse(j);
  EXPECT_EQ(names(sp), (std::vector<std::string>{
                           "stage0/layer0/kernel", "stage0/layer0/expansion", "stage0/layer1/type",
                           "stage0/layer1/kernel", "stage0/layer1/expansion", "stage1/filter_multiplier",
                           "stage1/kernel", "stage1/expansion", "stage1/layer1/type"}));
  EXPECT_EQ(sp.decisions()[6].layers, (std::vector<int>{2, 3}));
  // Ties in the defaults apply to every stage.
  Json d = two_stage_space();
  d["defaults"]["tie"] = {"expansion"};
  EXPECT_EQ(parse(d).decisions()[0].name, "stage0/expansion");  // tied decisions come first
  // Tying the type is fine where no layer can be skipped.
  Json t = two_stage_space();
  t["defaults"]["skippable"] = false;
  t["defaults"]["type"] = {"ibn", "fused_ibn"};
  t["stages"][0]["tie"] = {"type"};
  EXPECT_EQ(parse(t).decisions()[0].name, "stage0/type");
}

TEST(SpaceParse, FilterMultipliersGivingTheSameWidthCountOnce) {
  // 16 x {0.5, 0.625, 0.75, 1, 1.25, 1.5, 2} rounds to {8, 16, 16, 16, 24, 24, 32}: TuNAS keeps
  // the distinct widths; we keep the multiplier closest to each width, ordered by width.
  Json j = with("/stages/1/filter_multiplier", {0.5, 0.625, 0.75, 1.0, 1.25, 1.5, 2.0});
  SearchSpace sp = parse(j);
  EXPECT_EQ(sp.decisions()[5].choices, (std::vector<Json>{0.5, 1.0, 1.5, 2.0}));
  // All alike: a fixed value.
  EXPECT_EQ(parse(with("/stages/1/filter_multiplier", {0.75, 1.0})).decision_index(2, DecisionKind::kFilterMultiplier), -1);
}

TEST(SpaceParse, LoadsBuiltInsAndFiles) {
  EXPECT_EQ(SearchSpace::load("tiny").name(), "tiny");
  EXPECT_EQ(SearchSpace::load("tiny").origin(), "configs/spaces/tiny.json");
  testing::TempDir dir;
  write_file_atomic(dir.file("mine.json"), two_stage_space().dump());
  EXPECT_EQ(SearchSpace::load(dir.file("mine.json")).origin(), dir.file("mine.json"));
  EXPECT_THROW_MSG(SearchSpace::load("no_such_space"), "no_such_space: no such file, and not a built-in spaces config");
  write_file_atomic(dir.file("broken.json"), "{\"name\": ");
  EXPECT_THROW_MSG(SearchSpace::load(dir.file("broken.json")), "broken.json: invalid JSON");
}

TEST(SpaceParse, SetInputRevalidates) {
  SearchSpace sp = parse(two_stage_space());
  sp.set_input({32, 32, 3}, 100);
  EXPECT_EQ(sp.input(), (graph::Shape{32, 32, 3}));
  EXPECT_EQ(sp.classes(), 100);
  EXPECT_EQ(sp.json()["input"], Json::array({32, 32, 3}));
  EXPECT_EQ(sp.json()["classes"], 100);
  EXPECT_THROW_MSG(sp.set_input({0, 32, 3}, 10), "space 't': input must be positive, but got 0x32x3");
  EXPECT_THROW_MSG(sp.set_input({32, 32, 3}, 0), "space 't': classes must be >= 1, but got 0");
}

// Every bad input names the file, the key and the value.
TEST(SpaceParse, RejectsBadInput) {
  Json j = two_stage_space();
  j["stagez"] = 1;
  EXPECT_THROW_MSG(parse(j), "t.json: stagez is not a known key");
  EXPECT_THROW_MSG(parse(with("/stages/1/kernal", 3)), "t.json: stages[1].kernal is not a known key");
  EXPECT_THROW_MSG(parse(with("/defaults/layers", 3)), "t.json: defaults.layers is not a known key");
  EXPECT_THROW_MSG(parse(with("/stages/0/overrides", Json::parse(R"([{"layer": 1, "filter_multiplier": 2}])"))),
                   "t.json: stages[0].overrides[0].filter_multiplier is not a known key");
  EXPECT_THROW_MSG(parse(with("/format", "nasctl.arch")), "t.json: format must be \"nasctl.space\"");
  Json no_name = two_stage_space();
  no_name.erase("name");
  EXPECT_THROW_MSG(parse(no_name), "t.json: name is required but missing");
  Json no_stages = two_stage_space();
  no_stages.erase("stages");
  EXPECT_THROW_MSG(parse(no_stages), "t.json: stages is required but missing");
  EXPECT_THROW_MSG(parse(with("/stages", Json::array())), "t.json: stages must be a list of 1 to 64 stages");
  EXPECT_THROW_MSG(parse(with("/input", {8, 8})), "t.json: input must be [height, width, channels], all > 0");
  EXPECT_THROW_MSG(parse(with("/classes", 0)), "t.json: classes must be >= 1, but got 0");
  EXPECT_THROW_MSG(parse(with("/stem/filters", 0)), "t.json: stem.filters must be >= 1, but got 0");
  EXPECT_THROW_MSG(parse(with("/stages/1/layers", 0)), "t.json: stages[1].layers must be an integer in [1, 64], but got 0");
  // A typo's 2^31 - 1 layers are refused, not allocated.
  EXPECT_THROW_MSG(parse(with("/stages/1/layers", 2147483647)), "t.json: stages[1].layers must be an integer in [1, 64], but got 2147483647");
  EXPECT_THROW_MSG(parse(with("/stages/1/layers", 4294967297)), "t.json: stages[1].layers must be an integer in [-2147483648, 2147483647], but got 4294967297");
  EXPECT_THROW_MSG(parse(with("/stem/filters", 16777217)), "t.json: stem.filters must be at most 16777216");
  EXPECT_THROW_MSG(parse(with("/stages/0/stride", 3)), "t.json: stages[0].stride must be 1 or 2, but got 3");
  EXPECT_THROW_MSG(parse(with("/stages/1/filters", 20)),
                   "t.json: stages[1].filters must be a multiple of 8 (filters are rounded to multiples of 8; "
                   "write a multiple such as 24), but got 20");
}

TEST(SpaceParse, RejectsBadChoices) {
  EXPECT_THROW_MSG(parse(with("/defaults/kernel", {3, 4})),
                   "t.json: defaults.kernel[1] must be an odd kernel size in [1, 255], but got 4");
  EXPECT_THROW_MSG(parse(with("/defaults/kernel", 4)), "t.json: defaults.kernel must be an odd kernel size in [1, 255], but got 4");
  EXPECT_THROW_MSG(parse(with("/defaults/kernel", {3, 3})), "t.json: defaults.kernel lists 3 twice");
  // 2^32 + 3 would have narrowed to 3.
  EXPECT_THROW_MSG(parse(with("/defaults/kernel", {3, 4294967299})),
                   "t.json: defaults.kernel[1] must be an odd kernel size in [1, 255], but got 4294967299");
  EXPECT_THROW_MSG(parse(with("/defaults/kernel", Json::array())),
                   "t.json: defaults.kernel must be a value or a non-empty list of choices");
  EXPECT_THROW_MSG(parse(with("/defaults/expansion", {0.5, 2})),
                   "t.json: defaults.expansion[0] must be an expansion ratio in [1, 64], but got 0.5");
  EXPECT_THROW_MSG(parse(with("/stages/1/filter_multiplier", {0, 1})),
                   "t.json: stages[1].filter_multiplier[0] must be a filter multiplier in (0, 16], but got 0");
  EXPECT_THROW_MSG(parse(with("/defaults/activation", "swish")),
                   "t.json: defaults.activation must be one of relu, relu6, hard_swish, but got \"swish\"");
  EXPECT_THROW_MSG(parse(with("/defaults/se", {false, "yes"})), "t.json: defaults.se[1] must be true or false, but got \"yes\"");
  EXPECT_THROW_MSG(parse(with("/defaults/type", {"ibn", "mbconv"})),
                   "t.json: defaults.type[1] must be one of ibn, fused_ibn, group_ibn, but got \"mbconv\"");
  EXPECT_THROW_MSG(parse(with("/defaults/groups", 0)), "t.json: defaults.groups must be >= 1, but got 0");
  EXPECT_THROW_MSG(parse(with("/defaults/skippable", "yes")), "t.json: defaults.skippable must be true or false");
}

TEST(SpaceParse, RejectsSkipWhereItWouldChangeShape) {
  // On the first layer of a stage (stride and channels change there).
  EXPECT_THROW_MSG(parse(with("/stages/1/overrides", Json::parse(R"([{"layer": 0, "type": ["ibn", "skip"]}])"))),
                   "t.json: stages[1].overrides[0].type[1] must be one of ibn, fused_ibn, group_ibn (the first layer "
                   "of a stage changes stride or channels, so it cannot be skipped), but got \"skip\"");
  // Stage-wide settings reach the first layer too.
  EXPECT_THROW_MSG(parse(with("/stages/1/type", {"ibn", "skip"})),
                   "t.json: stages[1].type[1] must be one of ibn, fused_ibn, group_ibn (\"skip\" would reach the first "
                   "layer of a stage; use \"skippable\": true to let the other layers be skipped), but got \"skip\"");
  EXPECT_THROW_MSG(parse(with("/defaults/type", "skip")), "t.json: defaults.type must be one of ibn, fused_ibn, group_ibn");
  // A non-first layer may list skip itself.
  EXPECT_NO_THROW(parse(with("/stages/1/overrides", Json::parse(R"([{"layer": 1, "type": ["ibn", "skip"]}])"))));
}

TEST(SpaceParse, RejectsBadTiesAndOverrides) {
  EXPECT_THROW_MSG(parse(with("/stages/1/tie", {"kernal"})),
                   "t.json: stages[1].tie[0] must name a decision (type, kernel, expansion, filter_multiplier, "
                   "activation, se), but got \"kernal\"");
  Json j = with("/stages/1/tie", {"kernel"});
  j["stages"][1]["overrides"] = Json::parse(R"([{"layer": 1, "kernel": [3, 7]}])");
  EXPECT_THROW_MSG(parse(j), "t.json: stages[1].tie: \"kernel\" is tied, but layer 1 has choices [3,7] and layer 0 has [3,5]");
  // The first layer cannot be skipped, so a skippable stage cannot tie its type.
  EXPECT_THROW_MSG(parse(with("/stages/1/tie", {"type"})),
                   "t.json: stages[1].tie: \"type\" is tied, but layer 1 has choices [\"ibn\",\"skip\"] and layer 0 has [\"ibn\"]");
  EXPECT_THROW_MSG(parse(with("/stages/1/overrides", Json::parse(R"([{"layer": 2, "kernel": 3}])"))),
                   "t.json: stages[1].overrides[0].layer must be a layer index in [0, 1], but got 2");
  EXPECT_THROW_MSG(parse(with("/stages/1/overrides", Json::parse(R"([{"layer": 1}, {"layer": 1}])"))),
                   "t.json: stages[1].overrides[1].layer must be a layer not overridden before, but got 1");
  EXPECT_THROW_MSG(parse(with("/stages/1/overrides", Json::parse(R"([{"kernel": 3}])"))),
                   "t.json: stages[1].overrides[0].layer is required but missing");
}

TEST(SpaceParse, RejectsGroupsThatDoNotDivideTheChannels) {
  Json j = with("/stages/1/type", {"ibn", "group_ibn"});
  j["stages"][1]["groups"] = 4;
  EXPECT_NO_THROW(parse(j));  // 8 in, 16/32/64 expanded, 8 or 16 out: all divisible by 4
  j["stages"][1]["groups"] = 3;
  EXPECT_THROW_MSG(parse(j), "t.json: stages[1] layer 0 (group_ibn) can have 8 channels, which groups 3 "
                             "(set by t.json: stages[1].groups) does not divide");
}

}  // namespace
}  // namespace nasctl::space
