#include "nasctl/nn/activation.h"

namespace nasctl::nn {

torch::Tensor activate(torch::Tensor x, graph::Activation a, bool in_place) {
  using graph::Activation;
  switch (a) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return in_place ? torch::relu_(x) : torch::relu(x);
    case Activation::kRelu6:
      return in_place ? torch::hardtanh_(x, 0.0, 6.0) : torch::hardtanh(x, 0.0, 6.0);
    case Activation::kHardSwish:
      return torch::hardswish(x);
    case Activation::kHardSigmoid:
      return torch::hardsigmoid(x);
    case Activation::kSigmoid:
      return torch::sigmoid(x);
    case Activation::kSwish:
      return torch::silu(x);
  }
  return x;
}

}  // namespace nasctl::nn
