#include "nasctl/nn/runtime.h"

#include <torch/torch.h>

namespace nasctl {

void set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  // Denormal floats (|x| < 1.2e-38), which trained weights and gradients do produce, cost up to
  // 100x per operation on x86; flushed to zero they change nothing a float32 network can resolve.
  at::globalContext().setFlushDenormal(true);
  // Inter-op parallelism can only be set once per process, before any parallel work.
  static bool inter_op_set = false;
  if (!inter_op_set) {
    torch::set_num_interop_threads(1);
    inter_op_set = true;
  }
}

}  // namespace nasctl
