#pragma once
// Shape inference and counting for one node whose input_shapes are set.

#include "nasctl/graph/graph.h"

namespace nasctl::graph {

/// Validates `node` against its input shapes, fills output and the counts; may normalise a
/// conv2d with groups == channels to depthwise_conv2d. Throws Error naming the node.
void infer_node(Node& node);

/// Spatial output size of a window op along one axis.
int64_t window_output(int64_t in, int64_t kernel, int64_t stride, Padding padding);

}  // namespace nasctl::graph
