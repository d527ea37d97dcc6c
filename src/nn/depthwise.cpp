#include "nasctl/nn/depthwise.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <algorithm>
#include <vector>

#include "nn/cpu_clones.h"

namespace nasctl::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Shapes of one depthwise convolution. Tensors are NHWC in memory (channels-last), so the inner
// loops run over the channels: contiguous, long, and vectorised by the compiler.
struct Geometry {
  int64_t n, c, h, w, k, s, p, ho, wo;
};

Geometry geometry(const torch::Tensor& x, int64_t k, int64_t s) {
  Geometry g;
  g.n = x.size(0), g.c = x.size(1), g.h = x.size(2), g.w = x.size(3);
  g.k = k, g.s = s, g.p = (k - 1) / 2;
  g.ho = (g.h + 2 * g.p - k) / s + 1;
  g.wo = (g.w + 2 * g.p - k) / s + 1;
  return g;
}

// Channels per register block (one AVX2 register of floats) and output columns per block: each
// weight vector loaded is used for kCols columns, and kCols x kLanes sums stay in registers over
// all taps instead of going through memory once per tap.
constexpr int64_t kLanes = 8;
constexpr int64_t kCols = 4;

// Output maps of at most this many pixels (4x4) run on these kernels; larger ones on oneDNN's
// channels-last depthwise kernels, which are faster there (bench/search_step_eval --depthwise).
// oneDNN's are slow on tiny maps: a 3x3 depthwise on 1x1 inputs of 960 channels costs it about
// 18x ours, because nearly every tap falls in the padding.
constexpr int64_t kDirectMaxOutputPixels = 16;

// Output columns [lo, hi) whose windows lie inside the input: taps need no bounds checks there.
struct Interior {
  int64_t lo, hi;
};

Interior interior_columns(const Geometry& g) {
  // Column q reads input columns q*s - p .. q*s - p + k - 1.
  int64_t lo = (g.p + g.s - 1) / g.s;
  int64_t hi = g.w - g.k + g.p >= 0 ? (g.w - g.k + g.p) / g.s + 1 : 0;
  lo = std::min(lo, g.wo);
  hi = std::max(std::min(hi, g.wo), lo);
  return {lo, hi};
}

// acc[c] += a[c] * b[c] for c in [c0, c1).
NASCTL_INLINE void multiply_add(float* acc, const float* a, const float* b, int64_t c0, int64_t c1) {
  for (int64_t i = c0; i < c1; ++i) acc[i] += a[i] * b[i];
}

// Forward of output column q of row r, channels [c0, c1), with bounds checks (edges, tails).
NASCTL_INLINE void forward_column(const float* xd, const float* wd, const Geometry& g, int64_t n, int64_t r, int64_t q,
                           int64_t c0, int64_t c1, float* yd) {
  float* acc = yd + ((n * g.ho + r) * g.wo + q) * g.c;
  std::fill(acc + c0, acc + c1, 0.0f);
  for (int64_t i = 0; i < g.k; ++i) {
    const int64_t hi = r * g.s + i - g.p;
    if (hi < 0 || hi >= g.h) continue;
    for (int64_t j = 0; j < g.k; ++j) {
      const int64_t wi = q * g.s + j - g.p;
      if (wi < 0 || wi >= g.w) continue;
      multiply_add(acc, wd + (i * g.k + j) * g.c, xd + ((n * g.h + hi) * g.w + wi) * g.c, c0, c1);
    }
  }
}

// Forward of `cols` (<= kCols) interior columns from q, channels [c0, c0 + kLanes): the sums
// stay in registers over the taps; the order of the sum is the same as forward_column's.
template <int64_t cols>
NASCTL_INLINE void forward_block(const float* xd, const float* wd, const Geometry& g, int64_t n, int64_t r, int64_t q,
                          int64_t c0, float* yd) {
  float acc[cols][kLanes] = {};
  for (int64_t i = 0; i < g.k; ++i) {
    const int64_t hi = r * g.s + i - g.p;
    if (hi < 0 || hi >= g.h) continue;
    const float* xrow = xd + (n * g.h + hi) * g.w * g.c + c0;
    for (int64_t j = 0; j < g.k; ++j) {
      const float* wv = wd + (i * g.k + j) * g.c + c0;
      for (int64_t u = 0; u < cols; ++u) {
        const float* xv = xrow + ((q + u) * g.s + j - g.p) * g.c;
        for (int64_t v = 0; v < kLanes; ++v) acc[u][v] += wv[v] * xv[v];
      }
    }
  }
  for (int64_t u = 0; u < cols; ++u) {
    float* out = yd + ((n * g.ho + r) * g.wo + q + u) * g.c + c0;
    for (int64_t v = 0; v < kLanes; ++v) out[v] = acc[u][v];
  }
}

NASCTL_CPU_CLONES void forward_row(const float* xd, const float* wd, const Geometry& g, int64_t n, int64_t r, float* yd) {
  const Interior in = interior_columns(g);
  const int64_t full = g.c - g.c % kLanes;
  for (int64_t q = 0; q < in.lo; ++q) forward_column(xd, wd, g, n, r, q, 0, g.c, yd);
  for (int64_t q = in.hi; q < g.wo; ++q) forward_column(xd, wd, g, n, r, q, 0, g.c, yd);
  for (int64_t c0 = 0; c0 < full; c0 += kLanes) {
    int64_t q = in.lo;
    for (; q + kCols <= in.hi; q += kCols) forward_block<kCols>(xd, wd, g, n, r, q, c0, yd);
    for (; q < in.hi; ++q) forward_block<1>(xd, wd, g, n, r, q, c0, yd);
  }
  if (full < g.c) {
    for (int64_t q = in.lo; q < in.hi; ++q) forward_column(xd, wd, g, n, r, q, full, g.c, yd);
  }
}

// dx at (n, h, w), channels [c0, c1): sum over the taps (i, j) whose window covers (h, w) of
// w[i, j, :] * dy[...] (a gather, so rows are independent and the order of the sum is fixed).
NASCTL_INLINE void grad_input_column(const float* dd, const float* wd, const Geometry& g, int64_t n, int64_t h, int64_t w,
                              int64_t c0, int64_t c1, float* xd) {
  float* acc = xd + ((n * g.h + h) * g.w + w) * g.c;
  std::fill(acc + c0, acc + c1, 0.0f);
  for (int64_t i = 0; i < g.k; ++i) {
    const int64_t t = h + g.p - i;
    if (t < 0 || t % g.s != 0 || t / g.s >= g.ho) continue;
    const int64_t r = t / g.s;
    for (int64_t j = 0; j < g.k; ++j) {
      const int64_t u = w + g.p - j;
      if (u < 0 || u % g.s != 0 || u / g.s >= g.wo) continue;
      multiply_add(acc, wd + (i * g.k + j) * g.c, dd + ((n * g.ho + r) * g.wo + u / g.s) * g.c, c0, c1);
    }
  }
}

// Stride 1: `cols` columns from w whose taps all land inside dy, channels [c0, c0 + kLanes).
template <int64_t cols>
NASCTL_INLINE void grad_input_block(const float* dd, const float* wd, const Geometry& g, int64_t n, int64_t h, int64_t w,
                             int64_t c0, float* xd) {
  float acc[cols][kLanes] = {};
  for (int64_t i = 0; i < g.k; ++i) {
    const int64_t r = h + g.p - i;
    if (r < 0 || r >= g.ho) continue;
    const float* drow = dd + (n * g.ho + r) * g.wo * g.c + c0;
    for (int64_t j = 0; j < g.k; ++j) {
      const float* wv = wd + (i * g.k + j) * g.c + c0;
      for (int64_t u = 0; u < cols; ++u) {
        const float* dv = drow + (w + u + g.p - j) * g.c;
        for (int64_t v = 0; v < kLanes; ++v) acc[u][v] += wv[v] * dv[v];
      }
    }
  }
  for (int64_t u = 0; u < cols; ++u) {
    float* out = xd + ((n * g.h + h) * g.w + w + u) * g.c + c0;
    for (int64_t v = 0; v < kLanes; ++v) out[v] = acc[u][v];
  }
}

NASCTL_CPU_CLONES void grad_input_row(const float* dd, const float* wd, const Geometry& g, int64_t n, int64_t h,
                                      float* xd) {
  // Stride 1: input column w reads dy columns w + p - j for j in [0, k): inside for w in [lo, hi).
  int64_t lo = g.w, hi = g.w;
  if (g.s == 1) {
    lo = std::min(g.k - 1 - g.p, g.w);
    hi = std::max(lo, std::min(g.wo - g.p, g.w));
  }
  const int64_t full = g.c - g.c % kLanes;
  for (int64_t w = 0; w < lo; ++w) grad_input_column(dd, wd, g, n, h, w, 0, g.c, xd);
  for (int64_t w = hi; w < g.w; ++w) grad_input_column(dd, wd, g, n, h, w, 0, g.c, xd);
  for (int64_t c0 = 0; c0 < full; c0 += kLanes) {
    int64_t w = lo;
    for (; w + kCols <= hi; w += kCols) grad_input_block<kCols>(dd, wd, g, n, h, w, c0, xd);
    for (; w < hi; ++w) grad_input_block<1>(dd, wd, g, n, h, w, c0, xd);
  }
  if (full < g.c) {
    for (int64_t w = lo; w < hi; ++w) grad_input_column(dd, wd, g, n, h, w, full, g.c, xd);
  }
}

// part[i, j, c] += dy[n, r, q, c] * x[n, r*s+i-p, q*s+j-p, c] for one output position, all taps,
// channels [c0, c1), with bounds checks.
NASCTL_INLINE void grad_weight_position(const float* xd, const float* d, const Geometry& g, int64_t n, int64_t r, int64_t q,
                                 int64_t c0, int64_t c1, float* part) {
  for (int64_t i = 0; i < g.k; ++i) {
    const int64_t hi = r * g.s + i - g.p;
    if (hi < 0 || hi >= g.h) continue;
    for (int64_t j = 0; j < g.k; ++j) {
      const int64_t wi = q * g.s + j - g.p;
      if (wi < 0 || wi >= g.w) continue;
      multiply_add(part + (i * g.k + j) * g.c, d, xd + ((n * g.h + hi) * g.w + wi) * g.c, c0, c1);
    }
  }
}

// Weight gradient of one image, all taps of kernel row i, channels [c0, c0 + kLanes), over the
// interior columns: one register of sums per tap (k <= kMaxTaps), added to `part` at the end.
constexpr int64_t kMaxTaps = 7;
NASCTL_INLINE void grad_weight_row_block(const float* xd, const float* dd, const Geometry& g, int64_t n, int64_t i,
                                  const Interior& in, int64_t c0, float* part) {
  float acc[kMaxTaps][kLanes] = {};
  for (int64_t r = 0; r < g.ho; ++r) {
    const int64_t hi = r * g.s + i - g.p;
    if (hi < 0 || hi >= g.h) continue;
    const float* xrow = xd + (n * g.h + hi) * g.w * g.c + c0;
    const float* drow = dd + (n * g.ho + r) * g.wo * g.c + c0;
    for (int64_t q = in.lo; q < in.hi; ++q) {
      const float* dv = drow + q * g.c;
      const float* xq = xrow + (q * g.s - g.p) * g.c;
      for (int64_t j = 0; j < g.k; ++j) {
        for (int64_t v = 0; v < kLanes; ++v) acc[j][v] += dv[v] * xq[j * g.c + v];
      }
    }
  }
  for (int64_t j = 0; j < g.k; ++j) {
    float* out = part + (i * g.k + j) * g.c + c0;
    for (int64_t v = 0; v < kLanes; ++v) out[v] += acc[j][v];
  }
}

NASCTL_CPU_CLONES void grad_weight_image(const float* xd, const float* dd, const Geometry& g, int64_t n, float* part) {
  const Interior in = interior_columns(g);
  const bool blocked = g.k <= kMaxTaps;
  const int64_t full = blocked ? g.c - g.c % kLanes : 0;
  for (int64_t c0 = 0; c0 < full; c0 += kLanes) {
    for (int64_t i = 0; i < g.k; ++i) grad_weight_row_block(xd, dd, g, n, i, in, c0, part);
  }
  for (int64_t r = 0; r < g.ho; ++r) {
    for (int64_t q = 0; q < g.wo; ++q) {
      const float* d = dd + ((n * g.ho + r) * g.wo + q) * g.c;
      const bool inside = q >= in.lo && q < in.hi;
      // Blocked channels of interior columns are done; the rest here.
      grad_weight_position(xd, d, g, n, r, q, inside ? full : 0, g.c, part);
    }
  }
}

// Weights [C, 1, k, k] -> taps x channels [k * k, C].
torch::Tensor taps_by_channel(const torch::Tensor& w) { return w.reshape({w.size(0), -1}).t().contiguous(); }

// A new channels-last [n, c, rows, cols] result, each of its n * rows image rows written by
// `write_row(image, row, out)`, rows spread over the threads.
template <typename WriteRow>
torch::Tensor row_parallel(const torch::Tensor& like, const Geometry& g, int64_t rows, int64_t cols,
                           WriteRow write_row) {
  torch::Tensor out =
      torch::empty({g.n, g.c, rows, cols}, like.options().memory_format(at::MemoryFormat::ChannelsLast));
  float* od = out.data_ptr<float>();
  at::parallel_for(0, g.n * rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) write_row(row / rows, row % rows, od);
  });
  return out;
}

// y[n, r, q, :] = sum over valid taps (i, j), in row-major order, of w[i, j, :] * x[n, r*s+i-p, q*s+j-p, :].
torch::Tensor forward_kernel(const torch::Tensor& x, const torch::Tensor& wt, const Geometry& g) {
  const float* xd = x.data_ptr<float>();
  const float* wd = wt.data_ptr<float>();
  return row_parallel(x, g, g.ho, g.wo, [&](int64_t n, int64_t r, float* yd) { forward_row(xd, wd, g, n, r, yd); });
}

torch::Tensor grad_input_kernel(const torch::Tensor& dy, const torch::Tensor& wt, const Geometry& g) {
  const float* dd = dy.data_ptr<float>();
  const float* wd = wt.data_ptr<float>();
  return row_parallel(dy, g, g.h, g.w, [&](int64_t n, int64_t r, float* xd) { grad_input_row(dd, wd, g, n, r, xd); });
}

// dw[i, j, :] = sum over n, r, q of dy[n, r, q, :] * x[n, r*s+i-p, q*s+j-p, :]: one partial sum per
// image (computed by one thread), then the partials are added in image order, so the result does
// not depend on the number of threads.
torch::Tensor grad_weight_kernel(const torch::Tensor& x, const torch::Tensor& dy, const Geometry& g) {
  const int64_t taps = g.k * g.k;
  std::vector<float> partial(static_cast<size_t>(g.n * taps * g.c), 0.0f);
  const float* xd = x.data_ptr<float>();
  const float* dd = dy.data_ptr<float>();
  at::parallel_for(0, g.n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) grad_weight_image(xd, dd, g, n, partial.data() + n * taps * g.c);
  });
  torch::Tensor gwt = torch::zeros({taps, g.c}, x.options());
  float* out = gwt.data_ptr<float>();
  at::parallel_for(0, taps, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      for (int64_t n = 0; n < g.n; ++n) {
        const float* part = partial.data() + (n * taps + t) * g.c;
        for (int64_t c = 0; c < g.c; ++c) out[t * g.c + c] += part[c];
      }
    }
  });
  return gwt.t().reshape({g.c, 1, g.k, g.k});
}

class DepthwiseConv : public torch::autograd::Function<DepthwiseConv> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in, const torch::Tensor& w,
                               int64_t stride) {
    torch::Tensor x = x_in.contiguous(at::MemoryFormat::ChannelsLast);
    torch::Tensor wt = taps_by_channel(w);
    ctx->save_for_backward({x, wt});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["k"] = w.size(2);
    return forward_kernel(x, wt, geometry(x, w.size(2), stride));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    tensor_list saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& wt = saved[1];
    Geometry g = geometry(x, ctx->saved_data["k"].toInt(), ctx->saved_data["stride"].toInt());
    torch::Tensor dy = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    torch::Tensor dx = ctx->needs_input_grad(0) ? grad_input_kernel(dy, wt, g) : torch::Tensor();
    torch::Tensor dw = ctx->needs_input_grad(1) ? grad_weight_kernel(x, dy, g) : torch::Tensor();
    return {dx, dw, torch::Tensor()};
  }
};

}  // namespace

bool depthwise_kernels_apply(const torch::Tensor& x, const torch::Tensor& w) {
  return x.is_cpu() && x.scalar_type() == torch::kFloat && w.scalar_type() == torch::kFloat && x.dim() == 4 &&
         w.dim() == 4 && w.size(2) == w.size(3) && w.size(2) % 2 == 1 && w.size(0) == x.size(1) && w.size(1) == 1;
}

torch::Tensor depthwise_conv2d_direct(const torch::Tensor& x, const torch::Tensor& w, int stride) {
  if (!depthwise_kernels_apply(x, w)) {
    int64_t pad = (w.size(2) - 1) / 2;
    return torch::conv2d(x, w, {}, {stride, stride}, {pad, pad}, {1, 1}, x.size(1));
  }
  return DepthwiseConv::apply(x, w, static_cast<int64_t>(stride));
}

torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& w, int stride) {
  RECORD_FUNCTION("nasctl::depthwise_conv2d", std::vector<c10::IValue>({x}));
  const int64_t pad = (w.size(2) - 1) / 2;
  if (depthwise_kernels_apply(x, w)) {
    const Geometry g = geometry(x, w.size(2), stride);
    if (g.ho * g.wo <= kDirectMaxOutputPixels) return DepthwiseConv::apply(x, w, static_cast<int64_t>(stride));
  }
  // oneDNN's channels-last depthwise kernels (the output keeps the input's channels-last format).
  return torch::conv2d(x.contiguous(at::MemoryFormat::ChannelsLast), w, {}, {stride, stride}, {pad, pad}, {1, 1},
                       x.size(1));
}

}  // namespace nasctl::nn
