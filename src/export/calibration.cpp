// Calibration: batches from the data loader through the reference interpreter, min/max per tensor.
#include "nasctl/export/calibration.h"

#include <spdlog/spdlog.h>

#include "nasctl/core/error.h"
#include "nasctl/core/limits.h"
#include "nasctl/data/loader.h"
#include "nasctl/export/reference.h"

namespace nasctl::exporter {

void CalibrationOptions::validate() const {
  if (data.empty()) throw Error("--calibration must name the data (a folder or \"fashion-mnist\") for int8 export");
  if (batches <= 0) throw Error("--calibration-batches must be > 0, but got " + std::to_string(batches));
  if (batch_size <= 0) throw Error("--calibration-batch-size must be > 0, but got " + std::to_string(batch_size));
  if (workers < 0 || workers > kMaxThreads)
    throw Error("--workers must be in [0, " + std::to_string(kMaxThreads) + "], but got " + std::to_string(workers));
}

std::vector<TensorRange> observe_ranges(const Model& model, const std::vector<torch::Tensor>& batches_nchw) {
  std::vector<TensorRange> ranges(model.tensors.size());
  const std::vector<int>& shape = model.tensors.at(model.inputs.at(0)).shape;
  for (size_t b = 0; b < batches_nchw.size(); ++b) {
    const torch::Tensor& x = batches_nchw[b];
    if (x.dim() != 4 || x.size(1) != shape[3] || x.size(2) != shape[1] || x.size(3) != shape[2]) {
      throw Error("calibration batch " + std::to_string(b) + " has shape " + c10::str(x.sizes()) +
                  ", but the network takes [N, " + std::to_string(shape[3]) + ", " + std::to_string(shape[1]) + ", " +
                  std::to_string(shape[2]) + "]");
    }
    torch::NoGradGuard no_grad;
    run_reference(model, x.permute({0, 2, 3, 1}).contiguous(), [&](int t, const torch::Tensor& v) {
      auto [lo, hi] = torch::aminmax(v);
      ranges[t].update(lo.item<float>(), hi.item<float>());
    });
  }
  return ranges;
}

std::vector<TensorRange> calibrate(const Model& float_model, const CalibrationOptions& options) {
  options.validate();
  const std::vector<int>& shape = float_model.tensors.at(float_model.inputs.at(0)).shape;
  const int h = shape[1], w = shape[2], c = shape[3];
  std::shared_ptr<data::Dataset> dataset = data::open_dataset(options.data, options.split);
  data::TransformOptions transform = options.has_transform ? options.transform
                                                           : data::default_transform(*dataset, h, /*train=*/false);
  transform.train = false;
  if (!options.has_transform || transform.channels == 0) transform.channels = c;
  if (h != w || transform.input_size != h || transform.channels != c) {
    throw Error("--calibration " + options.data + ": the preprocessing makes " + std::to_string(transform.input_size) +
                "x" + std::to_string(transform.input_size) + "x" + std::to_string(transform.channels) +
                " images, but the network takes " + std::to_string(h) + "x" + std::to_string(w) + "x" +
                std::to_string(c));
  }
  int64_t needed = int64_t(options.batches) * options.batch_size;
  if (dataset->size() < needed) {
    throw Error("--calibration " + options.data + ": " + std::to_string(dataset->size()) + " images in " +
                data::split_name(options.split) + ", but --calibration-batches " + std::to_string(options.batches) +
                " x " + std::to_string(options.batch_size) + " need " + std::to_string(needed));
  }
  data::LoaderOptions lo;
  lo.batch_size = options.batch_size;
  lo.workers = options.workers;
  lo.seed = options.seed;
  lo.shuffle = true;
  lo.transform = transform;
  data::Loader loader(dataset, lo);
  loader.start_epoch(0);
  std::vector<torch::Tensor> batches;
  data::Batch batch;
  for (int b = 0; b < options.batches && loader.next(batch); ++b) batches.push_back(batch.images);
  spdlog::info("calibrating on {} batches of {} images from {}", batches.size(), options.batch_size,
               dataset->describe());
  return observe_ranges(float_model, batches);
}

}  // namespace nasctl::exporter
