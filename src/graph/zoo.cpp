// The zoo's registry: names, descriptions, default and minimum input sizes, option checks.

#include "nasctl/graph/zoo.h"

#include <cmath>

#include "graph/zoo_registry.h"
#include "nasctl/core/error.h"

namespace nasctl::graph {
namespace zoo {

const std::vector<ZooSpec>& zoo_specs() {
  // Minimum sizes are where the graph itself stops building (a valid conv or pool running out of
  // input); networks with only "same" padding accept any size. tests/graph/zoo_test.cpp checks
  // each against the graph at the minimum and one below.
  static const std::vector<ZooSpec> kSpecs = {
      {{"mobilenet_v1", "MobileNet v1 (Howard et al. 2017), Keras applications / TF-slim", 224, 1}, true, mobilenet_v1},
      {{"mobilenet_v2", "MobileNetV2 (Sandler et al. 2018), torchvision", 224, 1}, true, mobilenet_v2},
      {{"mobilenet_v3_large", "MobileNetV3-Large (Howard et al. 2019), torchvision", 224, 1}, true, mobilenet_v3_large},
      {{"mobilenet_v3_small", "MobileNetV3-Small (Howard et al. 2019), torchvision", 224, 1}, true, mobilenet_v3_small},
      {{"mobilenet_edgetpu", "MobileNet-EdgeTPU (Google 2019), TF-slim mobilenet_v3.py V3_EDGETPU", 224, 1}, true,
       mobilenet_edgetpu},
      {{"efficientnet_edgetpu_s", "EfficientNet-EdgeTPU-S (Gupta & Tan 2019), TPU repository", 224, 1}, true,
       efficientnet_edgetpu_s},
      {{"efficientnet_edgetpu_m", "EfficientNet-EdgeTPU-M (Gupta & Tan 2019), TPU repository", 240, 1}, true,
       efficientnet_edgetpu_m},
      {{"efficientnet_edgetpu_l", "EfficientNet-EdgeTPU-L (Gupta & Tan 2019), TPU repository", 300, 1}, true,
       efficientnet_edgetpu_l},
      {{"mnasnet_a1", "MnasNet-A1 (Tan et al. 2019), TPU repository", 224, 1}, true, mnasnet_a1},
      {{"proxylessnas_mobile", "ProxylessNAS-Mobile (Cai et al. 2019), released net config", 224, 1}, true,
       proxylessnas_mobile},
      {{"resnet50_v1", "ResNet-50 v1.5 (He et al. 2016), torchvision resnet50", 299, 1}, false, resnet50_v1},
      {{"resnet50_v2", "ResNet-50 v2, pre-activation (He et al. 2016), Keras applications", 299, 1}, false,
       resnet50_v2},
      {{"resnet152_v2", "ResNet-152 v2, pre-activation (He et al. 2016), Keras applications", 299, 1}, false,
       resnet152_v2},
      {{"inception_v1", "Inception v1 / GoogLeNet (Szegedy et al. 2015), torchvision, no aux heads", 224, 15}, false,
       inception_v1},
      {{"inception_v4", "Inception-v4 (Szegedy et al. 2017), TF-slim, no aux head", 299, 75}, false, inception_v4},
      {{"inception_resnet_v2", "Inception-ResNet-v2 (Szegedy et al. 2017), Keras applications", 299, 75}, false,
       inception_resnet_v2},
      {{"squeezenet", "SqueezeNet 1.0 (Iandola et al. 2016), torchvision squeezenet1_0", 224, 21}, false, squeezenet},
      {{"vgg16", "VGG-16 (Simonyan & Zisserman 2015), torchvision", 224, 32}, false, vgg16},
      {{"vgg19", "VGG-19 (Simonyan & Zisserman 2015), torchvision", 224, 32}, false, vgg19},
      {{"densenet121", "DenseNet-121 (Huang et al. 2017), torchvision", 224, 29}, false, densenet121},
  };
  return kSpecs;
}

}  // namespace zoo

namespace {

const zoo::ZooSpec* find_spec(const std::string& name) {
  for (const zoo::ZooSpec& spec : zoo::zoo_specs()) {
    if (spec.entry.name == name) return &spec;
  }
  return nullptr;
}

std::string known_models() {
  std::string names;
  for (const zoo::ZooSpec& spec : zoo::zoo_specs()) names += (names.empty() ? "" : ", ") + spec.entry.name;
  return names;
}

}  // namespace

const std::vector<ZooEntry>& zoo_entries() {
  static const std::vector<ZooEntry> kEntries = [] {
    std::vector<ZooEntry> entries;
    for (const zoo::ZooSpec& spec : zoo::zoo_specs()) entries.push_back(spec.entry);
    return entries;
  }();
  return kEntries;
}

bool is_zoo_model(const std::string& name) { return find_spec(name) != nullptr; }

void check_zoo_request(int input_size, int classes, const std::string& input_name, const std::string& classes_name) {
  if (input_size < 0) {
    throw Error(input_name + " must be > 0 (or 0 for the default), but got " + std::to_string(input_size));
  }
  if (classes <= 0) throw Error(classes_name + " must be > 0, but got " + std::to_string(classes));
}

Graph zoo_model(const std::string& name, const ZooOptions& options) {
  const zoo::ZooSpec* spec = find_spec(name);
  if (spec == nullptr) throw Error("unknown zoo model \"" + name + "\"; the zoo has: " + known_models());
  const std::string where = "zoo model '" + name + "': ";
  ZooOptions o = options;
  check_zoo_request(o.input_size, o.classes, where + "input_size", where + "classes");
  if (o.input_size == 0) o.input_size = spec->entry.default_input_size;
  if (o.input_size < spec->entry.min_input_size) {
    throw Error(where + "input_size must be >= " + std::to_string(spec->entry.min_input_size) +
                " (smaller inputs run out of pixels in its valid convolutions / pools), but got " +
                std::to_string(o.input_size));
  }
  if (o.channels <= 0) throw Error(where + "channels must be > 0, but got " + std::to_string(o.channels));
  if (!(o.width > 0) || !std::isfinite(o.width)) {
    throw Error(where + "width must be > 0, but got " + std::to_string(o.width));
  }
  if (!spec->has_width && o.width != 1.0) {
    throw Error(where + "has no width multiplier, so width must be 1, but got " + std::to_string(o.width));
  }
  try {
    return spec->build(o);
  } catch (const Error& e) {
    // Not expected once the checks above pass; keep the network's name on whatever went wrong.
    throw Error(where + e.what(), e.kind());
  }
}

}  // namespace nasctl::graph
