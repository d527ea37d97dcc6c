#pragma once
/// Lowering an ArchSpec to a Graph of primitive ops.
///
/// Node ids depend only on the block index, the block type and the role, never on the other
/// choices, so that weights addressed by node id (the supernet, checkpoints, the exporter) line up
/// across architectures; block types that differ in structure get different ids, so they never
/// share weights. With P = block_prefix(i, type): "b<i>" (ibn), "b<i>f" (fused_ibn), "b<i>g"
/// (group_ibn), where <i> is the block's index in ArchSpec::blocks (skip blocks add no node):
///   stem, stem_bn                   stem conv (kxk, stride) and its BatchNorm + activation
///   P_expand, P_expand_bn           expansion: 1x1 (ibn; omitted at expansion 1), 1x1 group conv
///                                   (group_ibn), kxk with the block's stride (fused_ibn)
///   P_shuffle                       channel shuffle (group_ibn)
///   P_dw, P_dw_bn                   kxk depthwise with the block's stride (ibn, group_ibn)
///   P_conv, P_conv_bn               the single kxk conv of a fused_ibn with expansion 1
///   P_se_pool, P_se_reduce,         squeeze-excite: global pool, 1x1 reduce (bias, relu),
///   P_se_expand, P_se_mul           1x1 expand (bias, hard_sigmoid), scaling
///   P_project, P_project_bn         1x1 projection (group conv for group_ibn), no activation
///   P_add                           residual add (stride 1 and equal channels)
///   head, head_bn, pool, head_hidden, classifier

#include <string>

#include "nasctl/graph/graph.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::space {

/// Stem conv-bn-act, the blocks (residual add where stride 1 and channels match; skip = identity),
/// head 1x1 conv-bn-act (if head.filters > 0), global pool, optional hidden fully connected layer,
/// classifier. Throws Error naming the block when the ArchSpec cannot be built (a skip that would
/// change channels or stride, groups that do not divide the channels). The result is finalized.
graph::Graph lower(const ArchSpec& arch);

/// The parts of lower(arch), each as a graph of its own whose input is the part's input: the stem
/// (input arch.input), block `index` (not a skip) on `input`, and the head (head conv, pool, hidden
/// and classifier layers) on `input`. Same nodes, ids and attributes as in lower(arch), so that
/// costs computed per part add up to the whole (search/arch_latency.h caches them per block).
graph::Graph lower_stem(const ArchSpec& arch);
graph::Graph lower_block(const ArchSpec& arch, int index, graph::Shape input);
graph::Graph lower_head(const ArchSpec& arch, graph::Shape input);

/// The node id prefix of block `index` of type `type`: "b3", "b3f", "b3g" ("" for skip).
std::string block_prefix(int index, BlockType type);

}  // namespace nasctl::space
