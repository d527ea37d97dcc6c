#include "nasctl/nn/graph_net.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "nasctl/core/error.h"
#include "nasctl/nn/batch_norm_act.h"
#include "nasctl/nn/activation.h"
#include "nn/graph_ops.h"

namespace nasctl::nn {
using graph::Node;
using graph::Op;

namespace {

// Initialises a node's module on the CPU from the private generator (see GraphNetImpl's doc).
void init_module(torch::nn::Module& module, const Node& n, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  if (auto* conv = module.as<torch::nn::Conv2d>()) {
    // Kaiming normal, mode fan_out, gain sqrt(2): torchvision's init for MobileNets and ResNets.
    double fan_out = static_cast<double>(conv->weight.size(0) * conv->weight.size(2) * conv->weight.size(3));
    conv->weight.normal_(0.0, std::sqrt(2.0 / fan_out), gen);
    if (conv->options.bias()) conv->bias.zero_();
  } else if (auto* bn = module.as<torch::nn::BatchNorm2d>()) {
    bn->weight.fill_(1.0);
    bn->bias.zero_();
  } else if (auto* linear = module.as<torch::nn::Linear>()) {
    linear->weight.normal_(0.0, 0.01, gen);
    if (linear->options.bias()) linear->bias.zero_();
  } else {
    throw Error("GraphNet: no initialiser for the module of node '" + n.id + "'", Error::Kind::kRuntime);
  }
}

std::shared_ptr<torch::nn::Module> make_module(const Node& n, double bn_momentum) {
  switch (n.op) {
    case Op::kConv2d:
    case Op::kDepthwiseConv2d: {
      auto options = torch::nn::Conv2dOptions(n.input_shapes[0].c, n.filters, {n.kernel_h, n.kernel_w})
                         .stride({n.stride_h, n.stride_w})
                         .groups(n.groups)
                         .bias(n.bias);
      return torch::nn::Conv2d(options).ptr();
    }
    case Op::kBatchNorm:
      return torch::nn::BatchNorm2d(
                 torch::nn::BatchNorm2dOptions(n.output.c).eps(n.epsilon).momentum(bn_momentum))
          .ptr();
    case Op::kFullyConnected:
      return torch::nn::Linear(torch::nn::LinearOptions(n.input_shapes[0].elements(), n.units).bias(n.bias)).ptr();
    default:
      return nullptr;
  }
}

}  // namespace

std::string GraphNetImpl::module_name(const std::string& node_id) {
  std::string name = node_id;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

GraphNetImpl::GraphNetImpl(graph::Graph graph, GraphNetOptions options)
    : graph_(std::move(graph)), options_(options) {
  if (!graph_.finalized()) graph_.finalize();
  if (options_.dropout < 0 || options_.dropout >= 1) {
    throw Error("dropout must be in [0, 1), but got " + std::to_string(options_.dropout));
  }
  at::Generator gen = at::detail::createCPUGenerator(options_.seed);
  const size_t count = graph_.nodes.size();
  modules_.resize(count);
  last_use_.assign(count, -1);
  for (size_t i = 0; i < count; ++i) {
    const Node& n = graph_.nodes[i];
    for (int input : n.input_index) {
      if (input != graph::kGraphInput) last_use_[input] = static_cast<int>(i);
    }
    if (n.op == Op::kFullyConnected) last_fc_ = static_cast<int>(i);
    auto module = make_module(n, options_.bn_momentum);
    if (!module) continue;
    init_module(*module, n, gen);
    if (options_.channels_last && module->as<torch::nn::Conv2d>()) {
      torch::NoGradGuard no_grad;
      torch::Tensor& w = module->as<torch::nn::Conv2d>()->weight;
      w.set_data(w.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    modules_[i] = register_module(module_name(n.id), module);
  }
  for (int out : graph_.output_indices()) last_use_[out] = static_cast<int>(count);
  if (options_.dropout > 0) dropout_ = register_module("dropout", torch::nn::Dropout(options_.dropout));
}

std::shared_ptr<torch::nn::Module> GraphNetImpl::node_module(const std::string& id) const {
  int index = graph_.find(id);
  if (index < 0) throw Error("GraphNet '" + graph_.name + "' has no node '" + id + "'");
  return modules_[index];
}

torch::Tensor GraphNetImpl::run_node(size_t index, const std::vector<torch::Tensor>& in) {
  const Node& n = graph_.nodes[index];
  torch::nn::Module* module = modules_[index].get();
  switch (n.op) {
    case Op::kConv2d:
    case Op::kDepthwiseConv2d: {
      torch::Tensor y = ops::conv(n, *module->as<torch::nn::Conv2d>(), in[0], options_.channels_last);
      // A one-channel input is both contiguous and channels-last, and LibTorch then picks NCHW for
      // the output: keep the whole network channels-last (NCHW here costs up to 2x per step).
      if (options_.channels_last) y = y.contiguous(torch::MemoryFormat::ChannelsLast);
      return activate(y, n.activation);
    }
    case Op::kBatchNorm: {
      auto* bn = module->as<torch::nn::BatchNorm2d>();
      if (!is_training() || !options_.channels_last || !batch_norm_act_fused(in[0], n.activation)) {
        return activate(bn->forward(in[0]), n.activation);
      }
      // Training: BN + ReLU/ReLU6 in one kernel pair, updating the running statistics as bn would.
      {
        torch::NoGradGuard no_grad;
        bn->num_batches_tracked.add_(1);
      }
      return batch_norm_act(in[0], bn->weight, bn->bias, n.activation, bn->options.eps(), bn->running_mean,
                            bn->running_var, bn->options.momentum().value());
    }
    case Op::kActivation:
      return activate(in[0], n.activation);
    case Op::kAdd: {
      torch::Tensor sum = in[0] + in[1];
      for (size_t i = 2; i < in.size(); ++i) sum = sum + in[i];
      return activate(sum, n.activation);
    }
    case Op::kMul:
      return in[0] * in[1];  // a 1x1xC scale is [N, C, 1, 1]: broadcasts over H and W
    case Op::kConcat:
      return in.size() == 1 ? in[0] : torch::cat(in, 1);
    case Op::kMaxPool2d:
    case Op::kAvgPool2d:
      return ops::pool(n, in[0]);
    case Op::kGlobalAvgPool:
      return in[0].mean({2, 3}, /*keepdim=*/true);
    case Op::kFullyConnected: {
      torch::Tensor x = ops::flatten_nhwc(in[0]);
      if (dropout_ && static_cast<int>(index) == last_fc_) x = dropout_->forward(x);
      x = module->as<torch::nn::Linear>()->forward(x);
      return activate(x, n.activation).view({x.size(0), n.units, 1, 1});
    }
    case Op::kReshape:
      return ops::reshape_nhwc(in[0], n.output);
    case Op::kPad:
      return torch::nn::functional::pad(
          in[0], torch::nn::functional::PadFuncOptions({n.pad_left, n.pad_right, n.pad_top, n.pad_bottom}));
    case Op::kSoftmax:
      return torch::softmax(in[0], 1);
    case Op::kChannelShuffle:
      return ops::channel_shuffle(in[0], n.groups);
  }
  throw Error("GraphNet: node '" + n.id + "' has an op it cannot run", Error::Kind::kRuntime);
}

std::vector<torch::Tensor> GraphNetImpl::run(torch::Tensor x, bool keep_all) {
  const graph::Shape& s = graph_.input;
  if (x.dim() != 4 || x.size(1) != s.c || x.size(2) != s.h || x.size(3) != s.w) {
    throw Error("GraphNet '" + graph_.name + "' expects input [N, " + std::to_string(s.c) + ", " +
                std::to_string(s.h) + ", " + std::to_string(s.w) + "], but got " + c10::str(x.sizes()));
  }
  if (options_.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  std::vector<torch::Tensor> values(graph_.nodes.size());
  std::vector<torch::Tensor> inputs;
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const Node& n = graph_.nodes[i];
    inputs.clear();
    for (int input : n.input_index) inputs.push_back(input == graph::kGraphInput ? x : values[input]);
    values[i] = run_node(i, inputs);
    if (keep_all) continue;
    // Drop activations nobody reads any more (autograd keeps what backward needs).
    for (int input : n.input_index) {
      if (input != graph::kGraphInput && last_use_[input] == static_cast<int>(i)) values[input] = torch::Tensor();
    }
  }
  return values;
}

std::vector<torch::Tensor> GraphNetImpl::forward_all(torch::Tensor x) {
  std::vector<torch::Tensor> values = run(std::move(x), /*keep_all=*/false);
  std::vector<torch::Tensor> outputs;
  for (int index : graph_.output_indices()) {
    const graph::Shape& shape = graph_.nodes[index].output;
    torch::Tensor y = values[index];
    outputs.push_back(shape.h == 1 && shape.w == 1 ? y.flatten(1) : y);
  }
  return outputs;
}

torch::Tensor GraphNetImpl::forward(torch::Tensor x) { return forward_all(std::move(x)).front(); }

std::vector<torch::Tensor> GraphNetImpl::forward_every_node(torch::Tensor x) {
  return run(std::move(x), /*keep_all=*/true);
}

void GraphNetImpl::pretty_print(std::ostream& stream) const {
  int64_t params = 0;
  for (const auto& p : parameters()) params += p.numel();
  stream << "nasctl::nn::GraphNet(name=" << graph_.name << ", input=" << graph_.input.str()
         << ", nodes=" << graph_.nodes.size() << ", params=" << params;
  if (options_.dropout > 0) stream << ", dropout=" << options_.dropout;
  if (options_.channels_last) stream << ", channels_last";
  stream << ")";
}

int64_t count_parameters(torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) {
    if (p.requires_grad()) total += p.numel();
  }
  return total;
}

}  // namespace nasctl::nn
