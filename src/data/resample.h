#pragma once
// Separable antialiased bilinear resampling (PIL's Image.resize(BILINEAR) filter), from a possibly
// fractional source rectangle to float output, the inner loop of every transform.

#include <vector>

#include "nasctl/data/image.h"

namespace nasctl::data {

/// Taps for resampling one axis: output i reads source first[i] .. first[i] + taps - 1 with
/// weights[i * taps ...] (zero-padded to a common tap count, so loops have a fixed trip count).
struct AxisFilter {
  int out_size = 0;
  int taps = 0;
  std::vector<int> first;
  std::vector<float> weights;
};

/// Filter mapping the source interval [start, start + length) of an axis of `in_size` pixels onto
/// `out_size` pixels. Taps outside [0, in_size) are dropped and the rest renormalised (edge pixels
/// extend, as in PIL).
AxisFilter make_axis_filter(int in_size, double start, double length, int out_size);

/// Resamples the rectangle (x, y, width, height) of `image` (in its own pixel coordinates) to
/// out_height x out_width, channels as the image, HWC floats on the 0..255 scale.
void resample_region(const Image& image, double x, double y, double width, double height, int out_height,
                     int out_width, std::vector<float>* out);

}  // namespace nasctl::data
