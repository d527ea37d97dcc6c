#include "nasctl/nn/batch_norm_act.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/cpu_clones.h"
#include "nasctl/nn/activation.h"
#include "nn/graph_ops.h"

namespace nasctl::nn {
namespace {

using graph::Activation;
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Rows (pixels of all images) per reduction block: a block's sums are accumulated in float, the
// blocks' sums in double, in block order.
constexpr int64_t kBlockRows = 128;

// Sums over rows [begin, end) of (x - pivot) and (x - pivot)^2 per channel.
NASCTL_CPU_CLONES void moment_block(const float* __restrict x, const float* __restrict pivot, int64_t c,
                                    int64_t begin, int64_t end, float* __restrict sum, float* __restrict squares) {
  std::fill(sum, sum + c, 0.0f);
  std::fill(squares, squares + c, 0.0f);
  for (int64_t r = begin; r < end; ++r) {
    for (int64_t i = 0; i < c; ++i) {
      const float d = x[r * c + i] - pivot[i];
      sum[i] += d;
      squares[i] += d * d;
    }
  }
}

// The activation's derivative as a 0/1 mask of the pre-activation value.
template <Activation A>
NASCTL_INLINE float pass(float pre) {
  if constexpr (A == Activation::kRelu) return pre > 0.0f ? 1.0f : 0.0f;
  if constexpr (A == Activation::kRelu6) return (pre > 0.0f) & (pre < 6.0f) ? 1.0f : 0.0f;  // no branch
  return 1.0f;
}

template <Activation A>
NASCTL_INLINE float apply(float pre) {
  if constexpr (A == Activation::kRelu) return std::max(pre, 0.0f);
  if constexpr (A == Activation::kRelu6) return std::min(std::max(pre, 0.0f), 6.0f);
  return pre;
}

// The row loops, one instantiation per activation so that each vectorises without branches.
// Rows are [begin, end) of the channels-last tensors, `c` channels each. Pointers are restrict:
// outputs never overlap inputs, which lets the compiler vectorise over the channels.
struct RowArgs {
  const float* x;
  const float* dy;
  const float* scale;
  const float* shift;
  const float* mean;
  int64_t c, begin, end;
};

template <Activation A>
NASCTL_INLINE void normalise(const float* __restrict x, const float* __restrict scale, const float* __restrict shift,
                             int64_t c, int64_t begin, int64_t end, float* __restrict y) {
  for (int64_t r = begin; r < end; ++r) {
    for (int64_t i = 0; i < c; ++i) y[r * c + i] = apply<A>(x[r * c + i] * scale[i] + shift[i]);
  }
}

template <Activation A>
NASCTL_INLINE void normalise_in_place(float* x, const float* __restrict scale, const float* __restrict shift, int64_t c,
                                      int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) {
    float* row = x + r * c;
    for (int64_t i = 0; i < c; ++i) row[i] = apply<A>(row[i] * scale[i] + shift[i]);
  }
}

// Sums of g = dy * act'(pre) and g * (x - mean) per channel.
template <Activation A>
NASCTL_INLINE void gradient_sums(const float* __restrict x, const float* __restrict dy, const float* __restrict scale,
                                 const float* __restrict shift, const float* __restrict mean, int64_t c, int64_t begin,
                                 int64_t end, float* __restrict sum_g, float* __restrict sum_gx) {
  std::fill(sum_g, sum_g + c, 0.0f);
  std::fill(sum_gx, sum_gx + c, 0.0f);
  for (int64_t r = begin; r < end; ++r) {
    for (int64_t i = 0; i < c; ++i) {
      const float xv = x[r * c + i];
      const float g = dy[r * c + i] * pass<A>(xv * scale[i] + shift[i]);
      sum_g[i] += g;
      sum_gx[i] += g * (xv - mean[i]);
    }
  }
}

// dx = scale * (g - mean(g)) - (x - mean) * k, with k = scale * invstd^2 * mean(g * (x - mean)).
template <Activation A>
NASCTL_INLINE void input_gradient(const float* __restrict x, const float* __restrict dy, const float* __restrict scale,
                                  const float* __restrict shift, const float* __restrict mean,
                                  const float* __restrict mean_g, const float* __restrict k, int64_t c, int64_t begin,
                                  int64_t end, float* __restrict dx) {
  for (int64_t r = begin; r < end; ++r) {
    for (int64_t i = 0; i < c; ++i) {
      const float xv = x[r * c + i];
      const float g = dy[r * c + i] * pass<A>(xv * scale[i] + shift[i]);
      dx[r * c + i] = scale[i] * (g - mean_g[i]) - (xv - mean[i]) * k[i];
    }
  }
}

NASCTL_CPU_CLONES void normalise_rows(const RowArgs& a, Activation act, float* y) {
  if (act == Activation::kRelu) return normalise<Activation::kRelu>(a.x, a.scale, a.shift, a.c, a.begin, a.end, y);
  if (act == Activation::kRelu6) return normalise<Activation::kRelu6>(a.x, a.scale, a.shift, a.c, a.begin, a.end, y);
  normalise<Activation::kNone>(a.x, a.scale, a.shift, a.c, a.begin, a.end, y);
}

NASCTL_CPU_CLONES void normalise_rows_in_place(float* x, const float* scale, const float* shift, int64_t c,
                                               int64_t begin, int64_t end, Activation act) {
  if (act == Activation::kRelu) return normalise_in_place<Activation::kRelu>(x, scale, shift, c, begin, end);
  if (act == Activation::kRelu6) return normalise_in_place<Activation::kRelu6>(x, scale, shift, c, begin, end);
  normalise_in_place<Activation::kNone>(x, scale, shift, c, begin, end);
}

NASCTL_CPU_CLONES void gradient_block(const RowArgs& a, Activation act, float* sum_g, float* sum_gx) {
  if (act == Activation::kRelu) {
    return gradient_sums<Activation::kRelu>(a.x, a.dy, a.scale, a.shift, a.mean, a.c, a.begin, a.end, sum_g, sum_gx);
  }
  if (act == Activation::kRelu6) {
    return gradient_sums<Activation::kRelu6>(a.x, a.dy, a.scale, a.shift, a.mean, a.c, a.begin, a.end, sum_g, sum_gx);
  }
  gradient_sums<Activation::kNone>(a.x, a.dy, a.scale, a.shift, a.mean, a.c, a.begin, a.end, sum_g, sum_gx);
}

NASCTL_CPU_CLONES void input_gradient_rows(const RowArgs& a, Activation act, const float* mean_g, const float* k,
                                           float* dx) {
  if (act == Activation::kRelu) {
    return input_gradient<Activation::kRelu>(a.x, a.dy, a.scale, a.shift, a.mean, mean_g, k, a.c, a.begin, a.end, dx);
  }
  if (act == Activation::kRelu6) {
    return input_gradient<Activation::kRelu6>(a.x, a.dy, a.scale, a.shift, a.mean, mean_g, k, a.c, a.begin, a.end, dx);
  }
  input_gradient<Activation::kNone>(a.x, a.dy, a.scale, a.shift, a.mean, mean_g, k, a.c, a.begin, a.end, dx);
}

int64_t block_count(int64_t rows) { return (rows + kBlockRows - 1) / kBlockRows; }

// Per-channel sums of two quantities over all rows: `block(b, first, second)` fills block b's
// float sums; the blocks are added in order in double.
template <typename Block>
void reduce_blocks(int64_t rows, int64_t c, Block block, std::vector<double>& first, std::vector<double>& second) {
  const int64_t blocks = block_count(rows);
  std::vector<float> partial(static_cast<size_t>(blocks * 2 * c));
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) block(b, partial.data() + b * 2 * c, partial.data() + (b * 2 + 1) * c);
  });
  first.assign(static_cast<size_t>(c), 0.0);
  second.assign(static_cast<size_t>(c), 0.0);
  for (int64_t b = 0; b < blocks; ++b) {
    const float* f = partial.data() + b * 2 * c;
    const float* s = f + c;
    for (int64_t i = 0; i < c; ++i) first[i] += f[i], second[i] += s[i];
  }
}

template <typename Rows>
void for_rows(int64_t rows, Rows body) {
  at::parallel_for(0, block_count(rows), 1, [&](int64_t begin, int64_t end) {
    body(begin * kBlockRows, std::min(end * kBlockRows, rows));
  });
}

// A batch's per-channel statistics and the affine map y = x * scale + shift they give.
struct BatchStats {
  torch::Tensor mean, invstd, unbiased;  // [C] each, separate tensors (they may reach autograd)
  std::vector<float> scale, shift;
};

// Statistics of x (channels-last, contiguous) over all rows. Shifted sums (by the first row) keep
// E[d^2] - E[d]^2 free of cancellation.
BatchStats batch_stats(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  const int64_t c = x.size(1), rows = x.numel() / c;
  const float* xd = x.data_ptr<float>();
  std::vector<float> pivot(xd, xd + c);
  std::vector<double> sum, squares;
  reduce_blocks(
      rows, c,
      [&](int64_t b, float* s, float* q) {
        moment_block(xd, pivot.data(), c, b * kBlockRows, std::min((b + 1) * kBlockRows, rows), s, q);
      },
      sum, squares);
  torch::Tensor w = weight.contiguous(), bi = bias.contiguous();
  const float* wd = w.data_ptr<float>();
  const float* bd = bi.data_ptr<float>();
  BatchStats st{torch::empty({c}, x.options()), torch::empty({c}, x.options()), torch::empty({c}, x.options()),
                std::vector<float>(c), std::vector<float>(c)};
  float* mean = st.mean.data_ptr<float>();
  float* invstd = st.invstd.data_ptr<float>();
  float* unbiased = st.unbiased.data_ptr<float>();
  for (int64_t i = 0; i < c; ++i) {
    const double m = sum[i] / rows;
    const double var = std::max(squares[i] / rows - m * m, 0.0);
    mean[i] = static_cast<float>(pivot[i] + m);
    invstd[i] = static_cast<float>(1.0 / std::sqrt(var + eps));
    st.scale[i] = wd[i] * invstd[i];
    st.shift[i] = bd[i] - mean[i] * st.scale[i];
    unbiased[i] = static_cast<float>(rows > 1 ? var * rows / (rows - 1) : var);
  }
  return st;
}

// The fused kernels' conditions on all three arguments (the parameters read as float arrays).
bool fused_arguments(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, Activation act) {
  return batch_norm_act_fused(x, act) && weight.scalar_type() == torch::kFloat && bias.scalar_type() == torch::kFloat;
}

class BatchNormAct : public torch::autograd::Function<BatchNormAct> {
 public:
  // Returns {y, batch mean, unbiased batch variance}; the statistics are not differentiable.
  static tensor_list forward(AutogradContext* ctx, const torch::Tensor& x_in, const torch::Tensor& weight,
                             const torch::Tensor& bias, int64_t act_code, double eps) {
    RECORD_FUNCTION("nasctl::batch_norm_act", std::vector<c10::IValue>({x_in}));
    const auto act = static_cast<Activation>(act_code);
    ctx->set_materialize_grads(false);  // the statistics' gradients are never used: no zero tensors for them
    torch::Tensor x = x_in.contiguous(at::MemoryFormat::ChannelsLast);
    const int64_t c = x.size(1), rows = x.numel() / c;
    const float* xd = x.data_ptr<float>();
    BatchStats st = batch_stats(x, weight, bias, eps);
    const float* mean = st.mean.data_ptr<float>();
    torch::Tensor y = torch::empty_like(x, x.options().memory_format(at::MemoryFormat::ChannelsLast));
    float* yd = y.data_ptr<float>();
    for_rows(rows, [&](int64_t begin, int64_t end) {
      normalise_rows({xd, nullptr, st.scale.data(), st.shift.data(), mean, c, begin, end}, act, yd);
    });
    ctx->save_for_backward({x, weight.contiguous(), bias.contiguous()});
    ctx->saved_data["mean"] = st.mean;
    ctx->saved_data["invstd"] = st.invstd;
    ctx->saved_data["act"] = act_code;
    ctx->mark_non_differentiable({st.mean, st.unbiased});
    return {y, st.mean, st.unbiased};
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    tensor_list saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& w = saved[1];
    const torch::Tensor& bi = saved[2];
    const auto act = static_cast<Activation>(ctx->saved_data["act"].toInt());
    if (!grads[0].defined()) return {torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
    torch::Tensor mean_t = ctx->saved_data["mean"].toTensor();
    torch::Tensor invstd_t = ctx->saved_data["invstd"].toTensor();
    torch::Tensor dy = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    const int64_t c = x.size(1), rows = x.numel() / c;
    const float* xd = x.data_ptr<float>();
    const float* dd = dy.data_ptr<float>();
    const float* mean = mean_t.data_ptr<float>();
    const float* invstd = invstd_t.data_ptr<float>();
    const float* wd = w.data_ptr<float>();
    const float* bd = bi.data_ptr<float>();
    std::vector<float> scale(c), shift(c);
    for (int64_t i = 0; i < c; ++i) {
      scale[i] = wd[i] * invstd[i];
      shift[i] = bd[i] - mean[i] * scale[i];
    }
    std::vector<double> sum_g, sum_gx;
    reduce_blocks(
        rows, c,
        [&](int64_t b, float* g, float* gx) {
          gradient_block({xd, dd, scale.data(), shift.data(), mean, c, b * kBlockRows,
                          std::min((b + 1) * kBlockRows, rows)},
                         act, g, gx);
        },
        sum_g, sum_gx);
    std::vector<float> mean_g(c), k(c);
    // Separate tensors, not views of one: the autograd engine may take them over as .grad.
    torch::Tensor dw = torch::empty({c}, x.options()), db = torch::empty({c}, x.options());
    float* dweight = dw.data_ptr<float>();
    float* dbias = db.data_ptr<float>();
    for (int64_t i = 0; i < c; ++i) {
      mean_g[i] = static_cast<float>(sum_g[i] / rows);
      k[i] = static_cast<float>(scale[i] * static_cast<double>(invstd[i]) * invstd[i] * sum_gx[i] / rows);
      dweight[i] = static_cast<float>(sum_gx[i] * invstd[i]);
      dbias[i] = static_cast<float>(sum_g[i]);
    }
    torch::Tensor dx;
    if (ctx->needs_input_grad(0)) {
      dx = torch::empty_like(x, x.options().memory_format(at::MemoryFormat::ChannelsLast));
      float* out = dx.data_ptr<float>();
      for_rows(rows, [&](int64_t begin, int64_t end) {
        input_gradient_rows({xd, dd, scale.data(), shift.data(), mean, c, begin, end}, act, mean_g.data(), k.data(),
                            out);
      });
    }
    if (!ctx->needs_input_grad(1)) dw = torch::Tensor();
    if (!ctx->needs_input_grad(2)) db = torch::Tensor();
    return {dx, dw, db, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool batch_norm_act_fused(const torch::Tensor& x, Activation act) {
  return x.is_cpu() && x.scalar_type() == torch::kFloat && x.dim() == 4 && x.numel() > 0 &&
         (act == Activation::kNone || act == Activation::kRelu || act == Activation::kRelu6);
}

torch::Tensor batch_norm_act(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             Activation act, double eps, torch::Tensor running_mean, torch::Tensor running_var,
                             double momentum) {
  if (!fused_arguments(x, weight, bias, act)) {
    return activate(torch::batch_norm(x, weight, bias, running_mean, running_var, /*training=*/true, momentum, eps,
                                           /*cudnn_enabled=*/true),
                         act);
  }
  tensor_list out = BatchNormAct::apply(x, weight, bias, static_cast<int64_t>(act), eps);
  if (running_mean.defined() && running_var.defined()) {
    torch::NoGradGuard no_grad;
    running_mean.mul_(1.0 - momentum).add_(out[1].to(running_mean.dtype()), momentum);
    running_var.mul_(1.0 - momentum).add_(out[2].to(running_var.dtype()), momentum);
  }
  return out[0];
}

torch::Tensor batch_norm_act_(torch::Tensor x, const torch::Tensor& weight, const torch::Tensor& bias, Activation act,
                              double eps) {
  if (at::GradMode::is_enabled() || !fused_arguments(x, weight, bias, act) ||
      !x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    return batch_norm_act(x, weight, bias, act, eps);
  }
  RECORD_FUNCTION("nasctl::batch_norm_act_", std::vector<c10::IValue>({x}));
  const int64_t c = x.size(1), rows = x.numel() / c;
  BatchStats st = batch_stats(x, weight, bias, eps);
  float* xd = x.data_ptr<float>();
  for_rows(rows, [&](int64_t begin, int64_t end) {
    normalise_rows_in_place(xd, st.scale.data(), st.shift.data(), c, begin, end, act);
  });
  return x;
}

}  // namespace nasctl::nn
