#include "resample.h"

#include <algorithm>
#include <cmath>

namespace nasctl::data {

namespace {

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Horizontal pass over source rows [row_begin, row_end): uint8 -> float, C channels, T taps (T = 0:
// taps known only at run time). Fixed C and T let the compiler unroll the inner loops.
template <int C, int T>
void horizontal(const Image& image, const AxisFilter& fx, int row_begin, int row_end, float* tmp) {
  const int out_w = fx.out_size;
  const int taps = T > 0 ? T : fx.taps;
  // Source columns the filter reads, converted to float once per row (a loop the compiler vectorises).
  const int col_begin = fx.first.front();
  const int col_end = fx.first.back() + taps;
  thread_local std::vector<float> row;
  row.resize(static_cast<size_t>(col_end - col_begin) * C);
  for (int y = row_begin; y < row_end; ++y) {
    const uint8_t* src = image.row(y) + static_cast<size_t>(col_begin) * C;
    for (size_t i = 0; i < row.size(); ++i) row[i] = static_cast<float>(src[i]);
    float* dst = tmp + static_cast<size_t>(y - row_begin) * out_w * C;
    for (int ox = 0; ox < out_w; ++ox) {
      const float* s = row.data() + static_cast<size_t>(fx.first[ox] - col_begin) * C;
      const float* w = fx.weights.data() + static_cast<size_t>(ox) * taps;
      float acc[C] = {};
      for (int t = 0; t < taps; ++t)
        for (int c = 0; c < C; ++c) acc[c] += w[t] * s[t * C + c];
      for (int c = 0; c < C; ++c) dst[ox * C + c] = acc[c];
    }
  }
}

template <int C>
void horizontal_dispatch(const Image& image, const AxisFilter& fx, int row_begin, int row_end, float* tmp) {
  switch (fx.taps) {
    case 1: return horizontal<C, 1>(image, fx, row_begin, row_end, tmp);
    case 2: return horizontal<C, 2>(image, fx, row_begin, row_end, tmp);
    case 3: return horizontal<C, 3>(image, fx, row_begin, row_end, tmp);
    case 4: return horizontal<C, 4>(image, fx, row_begin, row_end, tmp);
    case 5: return horizontal<C, 5>(image, fx, row_begin, row_end, tmp);
    case 6: return horizontal<C, 6>(image, fx, row_begin, row_end, tmp);
    default: return horizontal<C, 0>(image, fx, row_begin, row_end, tmp);
  }
}

}  // namespace

AxisFilter make_axis_filter(int in_size, double start, double length, int out_size) {
  AxisFilter f;
  f.out_size = out_size;
  const double scale = length / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle's support is 1 source pixel, widened when shrinking
  // Each output's window of source pixels with non-zero weight, as PIL computes it.
  std::vector<int> lo(out_size), hi(out_size);
  std::vector<double> centers(out_size);
  f.taps = 1;
  for (int i = 0; i < out_size; ++i) {
    centers[i] = start + (i + 0.5) * scale;
    lo[i] = std::clamp(static_cast<int>(std::floor(centers[i] - support + 0.5)), 0, in_size - 1);
    hi[i] = std::clamp(static_cast<int>(std::floor(centers[i] + support + 0.5)), lo[i] + 1, in_size);
    f.taps = std::max(f.taps, hi[i] - lo[i]);
  }
  f.first.resize(out_size);
  f.weights.assign(static_cast<size_t>(out_size) * f.taps, 0.0f);
  std::vector<double> w(f.taps);
  for (int i = 0; i < out_size; ++i) {
    // A common tap count for all outputs: shift windows near the right edge left (extra taps get 0).
    const int first = std::min(lo[i], in_size - f.taps);
    double total = 0.0;
    for (int t = 0; t < f.taps; ++t) {
      const int x = first + t;
      w[t] = x >= lo[i] && x < hi[i] ? triangle((x - centers[i] + 0.5) / filter_scale) : 0.0;
      total += w[t];
    }
    if (total <= 0.0) {  // a region entirely outside the image: take the nearest edge pixel
      std::fill(w.begin(), w.end(), 0.0);
      w[std::clamp(lo[i] - first, 0, f.taps - 1)] = 1.0;
      total = 1.0;
    }
    f.first[i] = first;
    for (int t = 0; t < f.taps; ++t) f.weights[static_cast<size_t>(i) * f.taps + t] = static_cast<float>(w[t] / total);
  }
  return f;
}

void resample_region(const Image& image, double x, double y, double width, double height, int out_height,
                     int out_width, std::vector<float>* out) {
  const AxisFilter fx = make_axis_filter(image.width, x, width, out_width);
  const AxisFilter fy = make_axis_filter(image.height, y, height, out_height);
  const int row_begin = fy.first.front();
  const int row_end = fy.first.back() + fy.taps;
  const int C = image.channels;
  thread_local std::vector<float> tmp;
  tmp.resize(static_cast<size_t>(row_end - row_begin) * out_width * C);
  if (C == 3) {
    horizontal_dispatch<3>(image, fx, row_begin, row_end, tmp.data());
  } else {
    horizontal_dispatch<1>(image, fx, row_begin, row_end, tmp.data());
  }
  const size_t row_len = static_cast<size_t>(out_width) * C;
  out->assign(static_cast<size_t>(out_height) * row_len, 0.0f);
  for (int oy = 0; oy < out_height; ++oy) {
    float* dst = out->data() + oy * row_len;
    const float* w = fy.weights.data() + static_cast<size_t>(oy) * fy.taps;
    for (int t = 0; t < fy.taps; ++t) {
      if (w[t] == 0.0f) continue;
      const float* src = tmp.data() + static_cast<size_t>(fy.first[oy] + t - row_begin) * row_len;
      const float wt = w[t];
      for (size_t i = 0; i < row_len; ++i) dst[i] += wt * src[i];
    }
  }
}

}  // namespace nasctl::data
