#pragma once
/// The weight-sharing supernet of a search space (TuNAS, Bender et al. 2020).
///
/// Every searchable layer holds the largest weights its choices need; a sampled architecture uses
/// slices of them:
///   - kernels share their centre taps (a 3x3 choice uses the middle of the 7x7 weights);
///   - expansion ratios and filter multipliers share leading channels (input and output);
///   - layer types that differ in structure keep separate weights: ibn, fused_ibn with an
///     expansion conv, fused_ibn without (a single kxk conv) and group_ibn (grouped 1x1 convs,
///     sliced per group) each have their own set, with their own squeeze-excite weights;
///   - skip bypasses the layer (no weights).
/// The forward pass of one architecture mirrors space::lower() op for op (same convs, paddings,
/// activations, residual adds and squeeze-excite), so a child network lowered from the same
/// ArchSpec and given the sliced weights computes the same function (tests check this).
///
/// BatchNorm: every BN keeps affine parameters at the largest width and uses the leading slice;
/// normalisation always uses the statistics of the current batch (training mode), also when the
/// controller's accuracy Q is measured on a validation batch, as TuNAS does. Running statistics
/// would average over the many different sub-networks sharing a BN, and describe none of them;
/// batch statistics describe exactly the sampled path. The found architecture is retrained from
/// scratch, so the supernet never needs inference-mode BN.
///
/// Only the sampled path runs: activations and autograd state are those of one child network;
/// the extra memory is the shared weights and their gradients (docs/search.md has measurements).

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/space/arch_spec.h"
#include "nasctl/space/search_space.h"

namespace nasctl::search {

/// Largest sizes of one searchable layer, from its choices (see SearchSpace::layer_choices).
struct LayerBounds {
  std::vector<space::BlockType> types;  ///< the layer's type choices
  int max_in = 0;        ///< largest input channels
  int max_out = 0;       ///< largest output channels (filters)
  int max_expanded = 0;  ///< largest expanded channels (over inputs and expansion ratios)
  int max_kernel = 0;    ///< largest kernel
  int max_se = 0;        ///< largest squeeze-excite width (of the expanded channels)
  bool any_se = false;   ///< squeeze-excite possible
  bool expands = false;         ///< an expansion ratio != 1 possible (ibn's 1x1 expansion conv)
  bool fused_plain = false;     ///< fused_ibn with expansion 1 possible (a single kxk conv)
  bool fused_expanded = false;  ///< fused_ibn with expansion != 1 possible
  int groups = 1;        ///< group_ibn's groups
};

/// Bounds of every layer of `space`, in layer order. Throws Error when a layer has no choices.
std::vector<LayerBounds> layer_bounds(const space::SearchSpace& space);

class SupernetImpl : public torch::nn::Module {
 public:
  /// Builds the shared weights for `space` (its input and classes as set) and initialises them
  /// deterministically from `seed` as GraphNet does: convs Kaiming-normal (fan_out of the largest
  /// weights), BN gamma 1 / beta 0, linear layers N(0, 0.01), biases 0.
  SupernetImpl(const space::SearchSpace& space, uint64_t seed);

  /// Logits [N, classes] of architecture `arch` (decoded from this supernet's space) for x:
  /// [N, C, H, W]. Only the sampled path runs. Throws Error when `arch` does not fit the space.
  torch::Tensor forward(const torch::Tensor& x, const space::ArchSpec& arch);

  /// The sliced weights `arch` uses, named by the node ids of space::lower(arch) as GraphNet
  /// registers them ("b3_expand.weight", "b3_dw_bn.bias", "classifier.weight", ...), as views.
  /// For tests, and to start a child network from the supernet's weights.
  std::vector<std::pair<std::string, torch::Tensor>> child_weights(const space::ArchSpec& arch);

  /// Parameters that take weight decay (conv and linear weights; not BN, not biases).
  std::vector<torch::Tensor> decayed_parameters() const { return decayed_; }
  /// The other parameters (BN gamma/beta, biases).
  std::vector<torch::Tensor> undecayed_parameters() const { return undecayed_; }

  const std::vector<LayerBounds>& bounds() const { return bounds_; }

  /// How the supernet hands out sliced conv weights: views of the shared weights (child_weights),
  /// or copies in the convolutions' layout whose backward is one node per weight (forward).
  enum class SliceMode { kView, kCompute };

 private:
  struct Conv {
    torch::Tensor weight;  ///< [out, in, k, k] (grouped: [groups, out/g, in/g, 1, 1])
    torch::Tensor bias;    ///< undefined unless the conv has a bias
  };
  struct Norm {
    torch::Tensor weight, bias;
  };
  struct Variant {  // the weights of one layer type
    Conv expand, dw, conv, project, se_reduce, se_expand;
    Norm expand_bn, dw_bn, conv_bn, project_bn;
  };

  struct Layer {
    Variant ibn, fused, fused_plain, group;
  };
  /// The sliced weights one block uses (undefined where the block has no such op).
  struct BlockWeights {
    torch::Tensor expand, expand_bn_w, expand_bn_b, dw, dw_bn_w, dw_bn_b, conv, conv_bn_w, conv_bn_b;
    torch::Tensor se_reduce_w, se_reduce_b, se_expand_w, se_expand_b, project, project_bn_w, project_bn_b;
  };
  using Named = std::vector<std::pair<std::string, torch::Tensor>>;

  Conv make_conv(const std::string& name, const std::vector<int64_t>& shape, bool bias, at::Generator& gen);
  Norm make_norm(const std::string& name, int64_t channels);
  void make_variant(const std::string& name, space::BlockType type, bool plain, const LayerBounds& b,
                    at::Generator& gen, Variant* v);
  void check_arch(const space::ArchSpec& arch) const;
  BlockWeights slice_block(int index, const space::BlockSpec& blk, int in, SliceMode mode) const;
  torch::Tensor run_block(const torch::Tensor& x, const space::BlockSpec& blk, const BlockWeights& w) const;

  std::string space_name_;
  std::vector<LayerBounds> bounds_;
  space::StemSpec stem_spec_;
  space::HeadSpec head_spec_;
  int in_channels_ = 3;
  int classes_ = 10;
  Conv stem_;
  Norm stem_bn_;
  std::vector<Layer> layers_;
  Conv head_;
  Norm head_bn_;
  torch::Tensor hidden_w_, hidden_b_, classifier_w_, classifier_b_;
  std::vector<torch::Tensor> decayed_, undecayed_;
};
TORCH_MODULE(Supernet);

}  // namespace nasctl::search
