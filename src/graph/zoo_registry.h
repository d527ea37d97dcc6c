#pragma once
// The zoo's registry and the per-family builders (implementation-only; tests use it to check each
// network's minimum input size against the graph itself).

#include <vector>

#include "nasctl/graph/zoo.h"

namespace nasctl::graph::zoo {

/// Builds one network; `options` is validated and its input_size resolved.
using BuildFn = Graph (*)(const ZooOptions& options);

/// A registered network.
struct ZooSpec {
  ZooEntry entry;  ///< includes min_input_size
  bool has_width;      ///< whether ZooOptions::width applies
  BuildFn build;
};

/// Every network, in listing order.
const std::vector<ZooSpec>& zoo_specs();

// zoo_mobilenet.cpp
Graph mobilenet_v1(const ZooOptions& options);
Graph mobilenet_v2(const ZooOptions& options);
Graph mobilenet_v3_large(const ZooOptions& options);
Graph mobilenet_v3_small(const ZooOptions& options);
Graph mobilenet_edgetpu(const ZooOptions& options);
// zoo_nas.cpp
Graph efficientnet_edgetpu_s(const ZooOptions& options);
Graph efficientnet_edgetpu_m(const ZooOptions& options);
Graph efficientnet_edgetpu_l(const ZooOptions& options);
Graph mnasnet_a1(const ZooOptions& options);
Graph proxylessnas_mobile(const ZooOptions& options);
// zoo_resnet.cpp
Graph resnet50_v1(const ZooOptions& options);
Graph resnet50_v2(const ZooOptions& options);
Graph resnet152_v2(const ZooOptions& options);
// zoo_inception.cpp
Graph inception_v1(const ZooOptions& options);
Graph inception_v4(const ZooOptions& options);
Graph inception_resnet_v2(const ZooOptions& options);
// zoo_classic.cpp
Graph squeezenet(const ZooOptions& options);
Graph vgg16(const ZooOptions& options);
Graph vgg19(const ZooOptions& options);
Graph densenet121(const ZooOptions& options);

}  // namespace nasctl::graph::zoo
