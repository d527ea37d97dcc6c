#include "nasctl/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>

#include "nasctl/core/error.h"
#include "nasctl/graph/graph_json.h"

namespace nasctl::train {

Json preprocess_json(const data::TransformOptions& t) {
  return {{"input_size", t.input_size},
          {"channels", t.channels},
          {"mean", t.mean},
          {"std", t.std},
          {"crop_ratio", t.crop_ratio},
          {"resize", static_cast<int>(std::lround(t.input_size / t.crop_ratio))}};
}

Json checkpoint_meta(const CheckpointInfo& info) {
  Json meta = Json::object();
  meta["format"] = kCheckpointFormat;
  meta["version"] = kCheckpointVersion;
  meta["graph"] = graph::graph_to_json(info.graph);
  meta["arch"] = info.arch;
  meta["preprocess"] = preprocess_json(info.transform);
  data::TransformOptions eval = info.transform;
  eval.train = false;
  meta["transform"] = data::transform_to_json(eval);
  meta["classes"] = info.classes;
  meta["class_names"] = info.class_names;
  meta["epoch"] = info.epoch;
  meta["step"] = info.step;
  meta["recipe"] = info.recipe;
  meta["state"] = info.state;
  return meta;
}

bool Checkpoint::has_ema() const {
  for (const auto& entry : archive.tensors) {
    if (entry.first.rfind("ema.", 0) == 0) return true;
  }
  return false;
}

Checkpoint load_checkpoint(const std::string& path) {
  Checkpoint c;
  c.path = path;
  c.archive = nn::load_archive(path);
  const Json& meta = c.archive.meta;
  JsonView v(meta, path);
  if (v.get_string("format", "") != kCheckpointFormat) {
    v.fail("format", std::string("\"") + kCheckpointFormat + "\" (a nasctl checkpoint)");
  }
  if (v.get_int("version") != kCheckpointVersion) v.fail("version", std::to_string(kCheckpointVersion));
  if (!meta.contains("graph")) v.fail("graph", "the network's graph v1 JSON");
  c.info.graph = graph::graph_from_json(meta.at("graph"), path + ": graph");
  c.info.arch = meta.value("arch", Json());
  if (!meta.contains("transform")) v.fail("transform", "the evaluation transform");
  JsonView transform = v.child("transform");
  data::read_transform_json(transform, &c.info.transform);
  c.info.transform.train = false;
  c.info.transform.validate();
  c.info.classes = v.get_int_in("classes", 1, std::numeric_limits<int>::max());
  c.info.class_names = v.get_strict_string_list("class_names");
  if (!c.info.class_names.empty() && c.info.class_names.size() != size_t(c.info.classes)) {
    v.fail("class_names", "one name per class (" + std::to_string(c.info.classes) + ")");
  }
  c.info.epoch = v.get_int_in("epoch", 0, std::numeric_limits<int>::max(), 0);
  if (meta.contains("step")) {
    const Json& step = meta.at("step");
    if (!step.is_number_integer() || (!step.is_number_unsigned() && step.get<int64_t>() < 0)) v.fail("step", "an integer >= 0");
    c.info.step = step.get<int64_t>();
  }
  if (meta.contains("arch") && !meta.at("arch").is_null() && !meta.at("arch").is_object()) v.fail("arch", "an object or null");
  c.info.arch = meta.value("arch", Json());
  c.info.recipe = v.has("recipe") ? v.child("recipe").raw() : Json::object();
  c.info.state = v.has("state") ? v.child("state").raw() : Json::object();
  return c;
}

Weights parse_weights(const std::string& name, const std::string& where) {
  if (name == "auto") return Weights::kAuto;
  if (name == "model") return Weights::kModel;
  if (name == "ema") return Weights::kEma;
  throw Error(where + " must be one of auto, model, ema, but got \"" + name + "\"");
}

void load_weights(const Checkpoint& checkpoint, nn::GraphNet& net, Weights weights) {
  bool ema = weights == Weights::kEma || (weights == Weights::kAuto && checkpoint.has_ema());
  if (ema && !checkpoint.has_ema()) throw Error(checkpoint.path + ": has no EMA weights (trained with ema_decay 0)");
  nn::load_module_state(checkpoint.archive, *net, checkpoint.path, ema ? "ema." : "model.");
}

nn::GraphNet network_from_checkpoint(const Checkpoint& checkpoint, Weights weights) {
  nn::GraphNet net(checkpoint.info.graph);
  load_weights(checkpoint, net, weights);
  net->eval();
  return net;
}

void save_rng_state(nn::TensorArchive& archive) {
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  archive.add("rng.torch_cpu", gen.get_state());
}

void load_rng_state(const nn::TensorArchive& archive, const std::string& origin) {
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(archive.get("rng.torch_cpu", origin));
}

}  // namespace nasctl::train
