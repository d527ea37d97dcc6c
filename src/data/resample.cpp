#include "resample.h"

#include <algorithm>
#include <cmath>

namespace nasctl::data {

namespace {

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Horizontal pass over source rows [row_begin, row_end): uint8 -> float, C channels.
template <int C>
void horizontal(const Image& image, const AxisFilter& fx, int row_begin, int row_end, std::vector<float>* tmp) {
  const int out_w = fx.out_size;
  const int taps = fx.taps;
  tmp->assign(static_cast<size_t>(row_end - row_begin) * out_w * C, 0.0f);
  for (int y = row_begin; y < row_end; ++y) {
    const uint8_t* src = image.row(y);
    float* dst = tmp->data() + static_cast<size_t>(y - row_begin) * out_w * C;
    for (int ox = 0; ox < out_w; ++ox) {
      const uint8_t* s = src + static_cast<size_t>(fx.first[ox]) * C;
      const float* w = fx.weights.data() + static_cast<size_t>(ox) * taps;
      float acc[C] = {};
      for (int t = 0; t < taps; ++t)
        for (int c = 0; c < C; ++c) acc[c] += w[t] * static_cast<float>(s[t * C + c]);
      for (int c = 0; c < C; ++c) dst[ox * C + c] = acc[c];
    }
  }
}

}  // namespace

AxisFilter make_axis_filter(int in_size, double start, double length, int out_size) {
  AxisFilter f;
  f.out_size = out_size;
  const double scale = length / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle's support is 1 source pixel, widened when shrinking
  f.taps = std::min(static_cast<int>(std::ceil(support)) * 2 + 1, in_size);
  f.first.resize(out_size);
  f.weights.assign(static_cast<size_t>(out_size) * f.taps, 0.0f);
  std::vector<double> w(f.taps);
  for (int i = 0; i < out_size; ++i) {
    const double center = start + (i + 0.5) * scale;
    int lo = std::max(static_cast<int>(std::floor(center - support + 0.5)), 0);
    int hi = std::min(static_cast<int>(std::floor(center + support + 0.5)), in_size);
    // Keep the window inside [0, in_size) with the common tap count (extra taps get weight 0).
    lo = std::min(lo, in_size - f.taps);
    hi = std::min(hi, lo + f.taps);
    double total = 0.0;
    for (int t = 0; t < f.taps; ++t) {
      const int x = lo + t;
      w[t] = x < hi ? triangle((x - center + 0.5) / filter_scale) : 0.0;
      total += w[t];
    }
    if (total <= 0.0) {  // a region entirely outside the image: take the nearest edge pixel
      std::fill(w.begin(), w.end(), 0.0);
      const int nearest = std::clamp(static_cast<int>(std::floor(center)), 0, in_size - 1) - lo;
      w[std::clamp(nearest, 0, f.taps - 1)] = 1.0;
      total = 1.0;
    }
    f.first[i] = lo;
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
  if (C == 3) {
    horizontal<3>(image, fx, row_begin, row_end, &tmp);
  } else {
    horizontal<1>(image, fx, row_begin, row_end, &tmp);
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
