// The supernet against an independent reference: GraphNet running space::lower(arch), given the
// supernet's sliced weights, must compute the same logits. Plus the sharing rules (centre taps,
// leading channels, separate weights per structure) and the sizing of the shared weights.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "nasctl/nn/graph_net.h"
#include "nasctl/search/supernet.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"
#include "support.h"

namespace nasctl::search {
namespace {

using space::BlockType;

// Every layer type, expansion 1 (no expansion conv / a single fused conv), SE, hard_swish, stride 2,
// filter multipliers (shared leading channels across stages) and skips.
space::SearchSpace test_space() {
  Json json = parse_json(R"({
    "name": "supernet_test", "input": [16, 16, 3], "classes": 5,
    "stem": {"filters": 8, "kernel": 3, "stride": 1},
    "defaults": {"type": ["ibn", "fused_ibn", "group_ibn"], "kernel": [3, 5], "expansion": [1, 2, 4],
                 "activation": ["relu", "hard_swish"], "se": [false, true], "groups": 2},
    "stages": [
      {"filters": 16, "stride": 2, "layers": 2, "filter_multiplier": [0.5, 1.0], "skippable": true},
      {"filters": 24, "stride": 2, "layers": 2, "filter_multiplier": [0.5, 1.0], "skippable": true}
    ],
    "head": {"filters": 32, "hidden": 12}
  })", "test");
  return space::SearchSpace::from_json(json, "supernet_test.json");
}

// Copies the supernet's slices for `arch` into a GraphNet of lower(arch).
nn::GraphNet child_with_supernet_weights(Supernet& supernet, const space::ArchSpec& arch) {
  nn::GraphNet child(space::lower(arch));
  auto params = child->named_parameters();
  torch::NoGradGuard no_grad;
  int copied = 0;
  for (auto& [name, tensor] : supernet->child_weights(arch)) {
    torch::Tensor* target = params.find(name);
    EXPECT_NE(target, nullptr) << "the child has no parameter " << name;
    if (!target) continue;
    EXPECT_EQ(target->sizes(), tensor.sizes()) << name;
    target->copy_(tensor);
    ++copied;
  }
  EXPECT_EQ(copied, static_cast<int>(params.size())) << "every child parameter comes from the supernet";
  return child;
}

TEST(Supernet, SampledPathEqualsTheLoweredChildNetwork) {
  space::SearchSpace space = test_space();
  Supernet supernet(space, 3);
  std::mt19937_64 rng(11);
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({4, 3, 16, 16});
  std::set<std::string> types_seen;
  for (int trial = 0; trial < 12; ++trial) {
    space::ArchSpec arch = space.decode(space.sample(rng));
    for (const auto& b : arch.blocks) {
      types_seen.insert(space::block_type_name(b.type) + std::string(b.expansion == 1.0 ? "/e1" : ""));
    }
    nn::GraphNet child = child_with_supernet_weights(supernet, arch);
    child->train();  // batch statistics, as the supernet
    torch::Tensor expected = child->forward(x);
    torch::Tensor got = supernet->forward(x, arch);
    ASSERT_EQ(got.sizes(), expected.sizes());
    // The logits are small (classifier initialised N(0, 0.01)): compare relative to their scale.
    double scale = expected.abs().max().item<double>();
    double diff = (got - expected).abs().max().item<double>();
    EXPECT_LE(diff, 1e-4 * scale) << "trial " << trial << " max diff " << diff << " scale " << scale;
  }
  EXPECT_GE(types_seen.size(), 5u) << "the samples should cover most block structures";
}

TEST(Supernet, GradientsEqualTheChildNetworksGradients) {
  space::SearchSpace space = test_space();
  Supernet supernet(space, 4);
  std::mt19937_64 rng(23);
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({4, 3, 16, 16});
  torch::Tensor labels = torch::tensor({0, 1, 2, 3}, torch::kLong);
  for (int trial = 0; trial < 4; ++trial) {
    space::ArchSpec arch = space.decode(space.sample(rng));
    nn::GraphNet child = child_with_supernet_weights(supernet, arch);
    child->train();
    supernet->zero_grad();
    torch::nn::functional::cross_entropy(child->forward(x), labels).backward();
    torch::nn::functional::cross_entropy(supernet->forward(x, arch), labels).backward();
    auto params = child->named_parameters();
    auto shared = supernet->named_parameters();
    int compared = 0, total = 0;
    for (auto& [name, slice] : supernet->child_weights(arch)) {
      ++total;
      // The supernet's gradient, read through the same view as the weight (grouped weights are
      // reshaped copies, not views: those are covered by the forward test).
      for (auto& p : shared) {
        if (!slice.is_alias_of(p.value())) continue;
        ASSERT_TRUE(p.value().grad().defined()) << name;
        torch::Tensor got = p.value().grad().as_strided(slice.sizes(), slice.strides(), slice.storage_offset());
        torch::Tensor expected = params[name].grad();
        double scale = expected.abs().max().item<double>() + 1e-12;
        EXPECT_LE((got - expected).abs().max().item<double>(), 1e-3 * scale + 1e-7) << "trial " << trial << " " << name;
        ++compared;
      }
    }
    EXPECT_GE(compared, total * 3 / 4);
  }
}

TEST(Supernet, KernelsShareCentreTapsAndChannelsShareLeadingSlices) {
  space::SearchSpace space = test_space();
  Supernet supernet(space, 0);
  std::vector<int> idx(space.decisions().size(), 0);  // ibn, kernel 3, expansion 1, ...
  space::ArchSpec arch = space.decode(idx);
  arch.blocks[0].type = BlockType::kInvertedBottleneck;
  arch.blocks[0].kernel = 3;
  arch.blocks[0].expansion = 2;
  arch.blocks[0].filters = 8;
  arch.blocks[1].type = BlockType::kSkip;
  arch.blocks[1].filters = 8;
  auto params = supernet->named_parameters();
  torch::Tensor dw_big = params["b0_ibn_dw_weight"];
  ASSERT_EQ(dw_big.sizes(), (std::vector<int64_t>{32, 1, 5, 5}));  // 8 input channels x 4, 5x5

  torch::Tensor x = torch::randn({2, 3, 16, 16});
  supernet->forward(x, arch).sum().backward();
  torch::Tensor g = dw_big.grad();
  ASSERT_TRUE(g.defined());
  // 3x3 of the 5x5 taps, 16 of the 32 channels (8 inputs x expansion 2).
  EXPECT_GT(g.narrow(0, 0, 16).narrow(2, 1, 3).narrow(3, 1, 3).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(g.narrow(0, 16, 16).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(g.narrow(2, 0, 1).abs().sum().item<double>(), 0.0);  // outer ring untouched
  EXPECT_EQ(g.narrow(3, 4, 1).abs().sum().item<double>(), 0.0);
  // Layer types of another structure keep their own weights and were not on the path.
  torch::Tensor fused = params["b0_fused_expand_weight"];
  EXPECT_TRUE(!fused.grad().defined() || fused.grad().abs().sum().item<double>() == 0.0);
  torch::Tensor skipped = params["b1_ibn_dw_weight"];
  EXPECT_TRUE(!skipped.grad().defined() || skipped.grad().abs().sum().item<double>() == 0.0);

  // The child's weights are views into the shared weights.
  for (auto& [name, t] : supernet->child_weights(arch)) {
    if (name == "b0_dw.weight") {
      EXPECT_EQ(t.sizes(), (std::vector<int64_t>{16, 1, 3, 3}));
      EXPECT_EQ(t.data_ptr<float>(), dw_big.data_ptr<float>() + 1 * 5 + 1);  // centre of channel 0
    }
  }
}

TEST(Supernet, BoundsAreTheLargestChoices) {
  space::SearchSpace space = test_space();
  std::vector<LayerBounds> b = layer_bounds(space);
  ASSERT_EQ(b.size(), 4u);
  // Layer 0: input = stem (8); filters {8, 16}; expansion up to 4 -> 32; kernel 5.
  EXPECT_EQ(b[0].max_in, 8);
  EXPECT_EQ(b[0].max_out, 16);
  EXPECT_EQ(b[0].max_expanded, 32);
  EXPECT_EQ(b[0].max_kernel, 5);
  EXPECT_TRUE(b[0].any_se && b[0].fused_plain && b[0].fused_expanded && b[0].expands);
  // Layer 2 (first of stage 2): input up to 16, filters round_filters(24 x {0.5, 1}) = {16, 24}.
  EXPECT_EQ(b[2].max_in, 16);
  EXPECT_EQ(b[2].max_out, 24);
  EXPECT_EQ(b[2].max_expanded, 64);
  EXPECT_EQ(b[2].max_se, space::se_channels(64));
  EXPECT_EQ(b[3].types.size(), 4u);  // + skip
}

TEST(Supernet, RejectsArchitecturesOfAnotherSpace) {
  space::SearchSpace space = test_space();
  Supernet supernet(space, 0);
  space::ArchSpec arch = space.decode(std::vector<int>(space.decisions().size(), 0));
  arch.blocks.pop_back();
  EXPECT_THROW_MSG(supernet->forward(torch::randn({2, 3, 16, 16}), arch), "has 3 blocks, but the space has 4 layers");
  arch = space.decode(std::vector<int>(space.decisions().size(), 0));
  arch.blocks[0].filters = 40;
  EXPECT_THROW_MSG(supernet->forward(torch::randn({2, 3, 16, 16}), arch), "more than the supernet holds");
}

TEST(Supernet, InitialisationIsDeterministic) {
  space::SearchSpace space = test_space();
  Supernet a(space, 5), b(space, 5), c(space, 6);
  auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  bool all_equal = true, any_differs = false;
  for (size_t i = 0; i < pa.size(); ++i) {
    all_equal = all_equal && torch::equal(pa[i], pb[i]);
    any_differs = any_differs || !torch::equal(pa[i], pc[i]);
  }
  EXPECT_TRUE(all_equal);
  EXPECT_TRUE(any_differs);
  EXPECT_EQ(a->decayed_parameters().size() + a->undecayed_parameters().size(), pa.size());
}

}  // namespace
}  // namespace nasctl::search
