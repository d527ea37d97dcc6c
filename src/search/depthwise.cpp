#include "search/depthwise.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace nasctl::search {
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

// The per-row loops are compiled twice on x86-64 with GCC, for AVX2 + FMA (Haswell and later) and
// for the baseline ISA, and the loader picks one for the machine (function multi-versioning).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NASCTL_CPU_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define NASCTL_CPU_CLONES
#endif

inline void multiply_add(float* acc, const float* a, const float* b, int64_t c) {
  for (int64_t i = 0; i < c; ++i) acc[i] += a[i] * b[i];
}

NASCTL_CPU_CLONES void forward_row(const float* xd, const float* wd, const Geometry& g, int64_t n, int64_t r, float* yd) {
  for (int64_t q = 0; q < g.wo; ++q) {
    float* acc = yd + ((n * g.ho + r) * g.wo + q) * g.c;
    std::fill(acc, acc + g.c, 0.0f);
    for (int64_t i = 0; i < g.k; ++i) {
      const int64_t hi = r * g.s + i - g.p;
      if (hi < 0 || hi >= g.h) continue;
      for (int64_t j = 0; j < g.k; ++j) {
        const int64_t wi = q * g.s + j - g.p;
        if (wi < 0 || wi >= g.w) continue;
        multiply_add(acc, wd + (i * g.k + j) * g.c, xd + ((n * g.h + hi) * g.w + wi) * g.c, g.c);
      }
    }
  }
}

NASCTL_CPU_CLONES void grad_input_row(const float* dd, const float* wd, const Geometry& g, int64_t n, int64_t h,
                                      float* xd) {
  for (int64_t w = 0; w < g.w; ++w) {
    float* acc = xd + ((n * g.h + h) * g.w + w) * g.c;
    std::fill(acc, acc + g.c, 0.0f);
    for (int64_t i = 0; i < g.k; ++i) {
      const int64_t t = h + g.p - i;
      if (t < 0 || t % g.s != 0 || t / g.s >= g.ho) continue;
      const int64_t r = t / g.s;
      for (int64_t j = 0; j < g.k; ++j) {
        const int64_t u = w + g.p - j;
        if (u < 0 || u % g.s != 0 || u / g.s >= g.wo) continue;
        multiply_add(acc, wd + (i * g.k + j) * g.c, dd + ((n * g.ho + r) * g.wo + u / g.s) * g.c, g.c);
      }
    }
  }
}

NASCTL_CPU_CLONES void grad_weight_image(const float* xd, const float* dd, const Geometry& g, int64_t n, float* part) {
  for (int64_t r = 0; r < g.ho; ++r) {
    for (int64_t q = 0; q < g.wo; ++q) {
      const float* d = dd + ((n * g.ho + r) * g.wo + q) * g.c;
      for (int64_t i = 0; i < g.k; ++i) {
        const int64_t hi = r * g.s + i - g.p;
        if (hi < 0 || hi >= g.h) continue;
        for (int64_t j = 0; j < g.k; ++j) {
          const int64_t wi = q * g.s + j - g.p;
          if (wi < 0 || wi >= g.w) continue;
          multiply_add(part + (i * g.k + j) * g.c, d, xd + ((n * g.h + hi) * g.w + wi) * g.c, g.c);
        }
      }
    }
  }
}

// Weights [C, 1, k, k] -> taps x channels [k * k, C].
torch::Tensor taps_by_channel(const torch::Tensor& w) { return w.reshape({w.size(0), -1}).t().contiguous(); }

// y[n, r, q, :] = sum over valid taps (i, j), in row-major order, of w[i, j, :] * x[n, r*s+i-p, q*s+j-p, :].
torch::Tensor forward_kernel(const torch::Tensor& x, const torch::Tensor& wt, const Geometry& g) {
  torch::Tensor y = torch::empty({g.n, g.c, g.ho, g.wo}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
  const float* xd = x.data_ptr<float>();
  const float* wd = wt.data_ptr<float>();
  float* yd = y.data_ptr<float>();
  at::parallel_for(0, g.n * g.ho, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) forward_row(xd, wd, g, row / g.ho, row % g.ho, yd);
  });
  return y;
}

// dx[n, h, w, :] = sum over the taps (i, j) whose window covers (h, w) of w[i, j, :] * dy[...]
// (a gather, so rows are independent and the order of the sum is fixed).
torch::Tensor grad_input_kernel(const torch::Tensor& dy, const torch::Tensor& wt, const Geometry& g) {
  torch::Tensor dx = torch::empty({g.n, g.c, g.h, g.w}, dy.options().memory_format(at::MemoryFormat::ChannelsLast));
  const float* dd = dy.data_ptr<float>();
  const float* wd = wt.data_ptr<float>();
  float* xd = dx.data_ptr<float>();
  at::parallel_for(0, g.n * g.h, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) grad_input_row(dd, wd, g, row / g.h, row % g.h, xd);
  });
  return dx;
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

torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& w, int stride) {
  const int64_t k = w.size(2);
  if (!x.is_cpu() || x.scalar_type() != torch::kFloat || w.scalar_type() != torch::kFloat || x.dim() != 4 ||
      w.size(3) != k || k % 2 == 0 || w.size(0) != x.size(1) || w.size(1) != 1) {
    int64_t pad = (k - 1) / 2;
    return torch::conv2d(x, w, {}, {stride, stride}, {pad, pad}, {1, 1}, x.size(1));
  }
  return DepthwiseConv::apply(x, w, static_cast<int64_t>(stride));
}

}  // namespace nasctl::search
