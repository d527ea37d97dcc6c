#pragma once
/// Lowering an ArchSpec to a Graph of primitive ops.

#include "nasctl/graph/graph.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::space {

/// Stem conv-bn-act, the blocks (residual add where stride 1 and channels match; skip = identity,
/// or a 1x1 conv-bn when the channels change), head 1x1 conv-bn-act, global pool, classifier.
/// The result is finalized.
graph::Graph lower(const ArchSpec& arch);

}  // namespace nasctl::space
