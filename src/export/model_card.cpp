#include "export/model_card.h"

#include <map>

namespace nasctl::exporter::detail {
namespace {

Json tensor_json(const Tensor& t) {
  Json j = {{"name", t.name}, {"shape", t.shape}, {"dtype", tensor_type_name(t.type)}};
  if (t.quant.empty()) {
    j["quantization"] = nullptr;
  } else {
    j["quantization"] = {{"scale", t.quant.scale[0]}, {"zero_point", t.quant.zero_point[0]}};
  }
  return j;
}

// How an application turns an image into this model's input.
Json feeding_instructions(const Tensor& input, const Json& preprocess) {
  std::string steps = preprocess.is_null()
                          ? "The checkpoint records no preprocessing: feed what the network was trained on. "
                          : "Resize the shorter side to input_size / crop_ratio, center-crop input_size x input_size, "
                            "x = (pixel / 255 - mean) / std per channel (NHWC). ";
  if (input.type == TensorType::kFloat32) return steps + "Feed x as float32.";
  std::string zp = input.type == TensorType::kUInt8 ? "uint8 in [0, 255]" : "int8 in [-128, 127]";
  return steps + "Quantize: q = round(x / scale) + zero_point, clamped to " + zp + ".";
}

Json output_meaning(const graph::Graph& g, const Tensor& output) {
  const graph::Node& last = g.node(g.outputs.at(0));
  std::string what = last.op == graph::Op::kSoftmax ? "probabilities (softmax)" : "logits (argmax is the class)";
  if (output.quant.empty()) return what;
  return what + "; real value = scale * (q - zero_point)";
}

}  // namespace

Json build_model_card(const CardInputs& in) {
  const Model& m = *in.model;
  const graph::Graph& g = *in.graph;
  std::map<std::string, int> counts;
  for (const Operator& op : m.operators) ++counts[builtin_op_name(op.op)];
  Json ops = Json::object();
  for (const auto& [name, count] : counts) ops[name] = count;
  graph::GraphStats stats = g.stats();

  Json card = {{"format", "nasctl.model_card"}, {"version", 1}, {"model", in.model_file}, {"name", g.name},
               {"precision", in.precision}};
  Json inputs = Json::array(), outputs = Json::array();
  for (int t : m.inputs) inputs.push_back(tensor_json(m.tensors[t]));
  for (int t : m.outputs) outputs.push_back(tensor_json(m.tensors[t]));
  const Tensor& input = m.tensors[m.inputs.at(0)];
  card["input"] = {{"height", g.input.h}, {"width", g.input.w}, {"channels", g.input.c}, {"layout", "NHWC"},
                   {"tensors", inputs}};
  card["preprocessing"] = in.preprocess;
  card["feeding"] = feeding_instructions(input, in.preprocess);
  card["output"] = {{"meaning", output_meaning(g, m.tensors[m.outputs.at(0)])}, {"tensors", outputs}};
  card["classes"] = in.classes;
  card["class_names"] = in.class_names;
  card["latency"] = {{"hardware", in.hardware},
                     {"predicted_ms", in.latency_ms},
                     {"predicted_lo_ms", in.latency_lo_ms},
                     {"predicted_hi_ms", in.latency_hi_ms},
                     {"interval_coverage", in.latency_coverage},
                     {"model", "nasctl analytical Edge TPU model (nasctl latency), full-integer network"}};
  card["edgetpu"] = in.edgetpu ? in.edgetpu->to_json() : Json(nullptr);
  card["source"] = in.source;
  card["network"] = {{"macs", stats.macs}, {"params", stats.params}, {"nodes", g.nodes.size()}};
  card["tflite"] = {{"operators", ops}, {"tensors", m.tensors.size()}};
  return card;
}

}  // namespace nasctl::exporter::detail
