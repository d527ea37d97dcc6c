// .tflite flatbuffer -> Model (verified first), and facts about the file layout.
#include <set>

#include "nasctl/core/error.h"
#include "nasctl/export/tflite_model.h"
#include "tflite_subset_generated.h"

namespace nasctl::exporter {
namespace {

const tflite::Model* verified_model(const std::string& bytes, const std::string& origin) {
  auto data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() < 8 || !flatbuffers::BufferHasIdentifier(data, tflite::ModelIdentifier())) {
    throw Error(origin + ": not a TFLite model (no \"TFL3\" file identifier)");
  }
  flatbuffers::Verifier verifier(data, bytes.size(), 64, 100000000);
  if (!tflite::VerifyModelBuffer(verifier)) throw Error(origin + ": TFLite flatbuffer fails verification");
  const tflite::Model* model = tflite::GetModel(data);
  if (!model->subgraphs() || model->subgraphs()->size() != 1) {
    throw Error(origin + ": expected exactly one subgraph");
  }
  return model;
}

template <typename T>
std::vector<T> to_vector(const flatbuffers::Vector<T>* v) {
  return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>();
}

const std::set<int32_t>& known_ops() {
  static const std::set<int32_t> kOps = {0, 1, 2, 3, 4, 6, 9, 14, 17, 18, 19, 21, 22, 25, 34, 39, 40, 49, 60, 114, 117};
  return kOps;
}

int32_t builtin_code(const tflite::OperatorCode* code) {
  // Files from old writers only set the deprecated byte.
  return std::max<int32_t>(static_cast<int32_t>(code->builtin_code()), code->deprecated_builtin_code());
}

OpOptions read_options(const tflite::Operator* op) {
  OpOptions o;
  if (auto c = op->builtin_options_as_Conv2DOptions()) {
    o.padding = static_cast<TflitePadding>(c->padding());
    o.stride_w = c->stride_w();
    o.stride_h = c->stride_h();
    o.activation = static_cast<FusedActivation>(c->fused_activation_function());
  } else if (auto d = op->builtin_options_as_DepthwiseConv2DOptions()) {
    o.padding = static_cast<TflitePadding>(d->padding());
    o.stride_w = d->stride_w();
    o.stride_h = d->stride_h();
    o.depth_multiplier = d->depth_multiplier();
    o.activation = static_cast<FusedActivation>(d->fused_activation_function());
  } else if (auto p = op->builtin_options_as_Pool2DOptions()) {
    o.padding = static_cast<TflitePadding>(p->padding());
    o.stride_w = p->stride_w();
    o.stride_h = p->stride_h();
    o.filter_w = p->filter_width();
    o.filter_h = p->filter_height();
    o.activation = static_cast<FusedActivation>(p->fused_activation_function());
  } else if (auto f = op->builtin_options_as_FullyConnectedOptions()) {
    o.activation = static_cast<FusedActivation>(f->fused_activation_function());
  } else if (auto s = op->builtin_options_as_SoftmaxOptions()) {
    o.beta = s->beta();
  } else if (auto c = op->builtin_options_as_ConcatenationOptions()) {
    o.axis = c->axis();
    o.activation = static_cast<FusedActivation>(c->fused_activation_function());
  } else if (auto a = op->builtin_options_as_AddOptions()) {
    o.activation = static_cast<FusedActivation>(a->fused_activation_function());
  } else if (auto m = op->builtin_options_as_MulOptions()) {
    o.activation = static_cast<FusedActivation>(m->fused_activation_function());
  } else if (auto r = op->builtin_options_as_ReshapeOptions()) {
    o.new_shape = to_vector(r->new_shape());
  } else if (auto r = op->builtin_options_as_ReducerOptions()) {
    o.keep_dims = r->keep_dims();
  } else if (auto s = op->builtin_options_as_SplitOptions()) {
    o.num_splits = s->num_splits();
  }
  return o;
}

// What the rest of nasctl indexes by without further checks: tensor indices, types and shapes.
void check_model(const Model& model, const std::string& origin) {
  const int64_t tensors = int64_t(model.tensors.size());
  auto check_index = [&](int32_t index, const std::string& what) {
    if (index < -1 || index >= tensors) {  // -1: an omitted optional input
      throw Error(origin + ": " + what + " refers to tensor " + std::to_string(index) + ", but the model has " +
                  std::to_string(tensors));
    }
  };
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    const Tensor& t = model.tensors[i];
    const int type = int(t.type);
    if (type != 0 && type != 2 && type != 3 && type != 9) {
      throw Error(origin + ": tensor " + std::to_string(i) + " has type " + std::to_string(type) +
                  ", not one nasctl reads (float32, int32, uint8, int8)");
    }
    for (int32_t d : t.shape) {
      if (d < 0) throw Error(origin + ": tensor " + std::to_string(i) + " has a negative dimension " + std::to_string(d));
    }
  }
  for (int32_t i : model.inputs) check_index(i, "a model input");
  for (int32_t o : model.outputs) check_index(o, "a model output");
  for (size_t k = 0; k < model.operators.size(); ++k) {
    for (int32_t i : model.operators[k].inputs) check_index(i, "operator " + std::to_string(k) + "'s input");
    for (int32_t o : model.operators[k].outputs) check_index(o, "operator " + std::to_string(k) + "'s output");
  }
}

}  // namespace

Model parse_tflite(const std::string& bytes, const std::string& origin) {
  const tflite::Model* fm = verified_model(bytes, origin);
  const tflite::SubGraph* g = fm->subgraphs()->Get(0);
  Model model;
  if (fm->description()) model.description = fm->description()->str();
  if (g->tensors()) {
    for (const tflite::Tensor* ft : *g->tensors()) {
      Tensor t;
      if (ft->name()) t.name = ft->name()->str();
      t.shape = to_vector(ft->shape());
      t.type = static_cast<TensorType>(ft->type());
      if (ft->buffer() != 0 && fm->buffers() && ft->buffer() < fm->buffers()->size()) {
        t.data = to_vector(fm->buffers()->Get(ft->buffer())->data());
      }
      if (auto q = ft->quantization(); q && q->scale()) {
        t.quant.scale = to_vector(q->scale());
        t.quant.zero_point = to_vector(q->zero_point());
        t.quant.dimension = q->quantized_dimension();
      }
      model.tensors.push_back(std::move(t));
    }
  }
  model.inputs = to_vector(g->inputs());
  model.outputs = to_vector(g->outputs());
  if (g->operators()) {
    for (const tflite::Operator* fo : *g->operators()) {
      if (!fm->operator_codes() || fo->opcode_index() >= fm->operator_codes()->size()) {
        throw Error(origin + ": operator refers to a missing operator code");
      }
      int32_t code = builtin_code(fm->operator_codes()->Get(fo->opcode_index()));
      if (!known_ops().count(code)) {
        throw Error(origin + ": builtin operator " + std::to_string(code) + " is not one nasctl reads");
      }
      Operator op;
      op.op = static_cast<BuiltinOp>(code);
      op.inputs = to_vector(fo->inputs());
      op.outputs = to_vector(fo->outputs());
      op.options = read_options(fo);
      model.operators.push_back(std::move(op));
    }
  }
  check_model(model, origin);
  return model;
}

TfliteFileInfo inspect_tflite(const std::string& bytes, const std::string& origin) {
  const tflite::Model* fm = verified_model(bytes, origin);
  TfliteFileInfo info;
  info.version = fm->version();
  info.identifier = bytes.substr(4, 4);
  if (fm->operator_codes()) {
    for (const tflite::OperatorCode* c : *fm->operator_codes()) {
      info.operator_codes.push_back({static_cast<int32_t>(c->builtin_code()), c->deprecated_builtin_code(), c->version()});
    }
  }
  info.buffers = fm->buffers() ? fm->buffers()->size() : 0;
  info.buffer0_empty = info.buffers > 0 && (!fm->buffers()->Get(0)->data() || fm->buffers()->Get(0)->data()->size() == 0);
  info.buffers_aligned = true;
  for (size_t i = 0; i < info.buffers; ++i) {
    auto data = fm->buffers()->Get(static_cast<flatbuffers::uoffset_t>(i))->data();
    if (!data || data->size() == 0) continue;
    auto offset = reinterpret_cast<const char*>(data->data()) - bytes.data();
    if (offset % 16 != 0) info.buffers_aligned = false;
  }
  return info;
}

}  // namespace nasctl::exporter
