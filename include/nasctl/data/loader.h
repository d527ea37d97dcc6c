#pragma once
/// The threaded data loader: worker threads decode and transform samples into a bounded queue of
/// prefetched batches, handed out in order. The samples of every batch, and their augmentation, are
/// a function of (seed, epoch, batch index) only, whatever the number of workers, so runs repeat
/// and a resumed run continues on the same samples.
///
///   data::LoaderOptions options;
///   options.batch_size = 128;
///   options.transform = data::default_transform(*train, 32, /*train=*/true);
///   data::Loader loader(train, options);
///   for (int64_t epoch = 0; epoch < epochs; ++epoch) {
///     loader.start_epoch(epoch);
///     data::Batch batch;
///     while (loader.next(batch)) step(batch.images, batch.labels);
///   }
///
/// Data parallel: with world_size w, one step consumes a global batch of w * batch_size samples of
/// the epoch's permutation; rank r takes the r-th slice of it. The union over ranks of one epoch
/// covers every sample exactly once (drop_last = false) and the samples of a global batch are those
/// one process with batch_size * w would see, with identical augmentation.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "nasctl/data/dataset.h"
#include "nasctl/data/transform.h"

namespace nasctl::data {

/// One batch of this rank.
struct Batch {
  torch::Tensor images;          ///< [N, C, H, W] float32, normalised
  torch::Tensor labels;          ///< [N] int64
  std::vector<int64_t> indices;  ///< dataset index of each row (after substituting unreadable samples)
  int64_t epoch = 0;             ///< the epoch it belongs to
  int64_t batch = 0;             ///< its index within the epoch
  int64_t size() const { return static_cast<int64_t>(indices.size()); }
};

/// Where the loader stands: the next batch next() returns. Saved in checkpoints.
struct LoaderPosition {
  int64_t epoch = 0;
  int64_t batch = 0;
};

struct LoaderOptions {
  /// Samples per batch on this rank (the global batch is batch_size * world_size); default 64.
  int batch_size = 64;
  /// Decoding threads; 0 = decode in the thread calling next(); default 2.
  int workers = 2;
  /// Batches decoded ahead of the consumer (bounds memory); 0 = 2 * max(workers, 1); default 0.
  int prefetch = 0;
  /// Reshuffle the samples every epoch from (seed, epoch); default true. False = dataset order.
  bool shuffle = true;
  /// Drop the last global batch when it is incomplete; default false. Training with several ranks
  /// should set it, so every rank gets a batch of the same size at every step.
  bool drop_last = false;
  /// Seed of the shuffle and of every augmentation choice; default 0.
  uint64_t seed = 0;
  /// The per-sample transform (resolved against the dataset by the loader).
  TransformOptions transform;
  /// This process's rank and the number of ranks (data parallel); default 0 of 1.
  int rank = 0;
  int world_size = 1;

  /// Throws nasctl::Error naming the field and value ("loader.batch_size must be > 0, but got 0").
  void validate() const;
};

/// Reads the optional keys batch_size, workers, prefetch, shuffle, drop_last, seed of `view` (absent
/// keys keep their value); the transform keys are read by read_transform_json.
void read_loader_json(const JsonView& view, LoaderOptions* options);

class Loader {
 public:
  /// Validates the options and resolves the transform against `dataset`. Starts no thread yet.
  Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  ~Loader();  ///< stops and joins the workers
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  /// Starts (or restarts) `epoch` at batch `first_batch` (to resume: the saved position). Batches
  /// still queued from before are discarded.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  /// Resumes at a saved position; same as start_epoch(position.epoch, position.batch).
  void seek(const LoaderPosition& position) { start_epoch(position.epoch, position.batch); }
  /// The next batch of the current epoch; false at the end of the epoch (batch left untouched).
  /// Batches have batch_size rows, except (drop_last = false) the epoch's last: the incomplete
  /// global batch is split evenly over the ranks, so it is smaller, and empty on a rank when it has
  /// fewer samples than there are ranks.
  /// An unreadable sample is replaced by the next readable one in dataset index order (wrapping
  /// around), with that sample's label and the original's augmentation seed. Throws when every
  /// sample is unreadable, or what a worker threw otherwise.
  bool next(Batch& batch);
  /// next(), but at the end of an epoch starts the following one; for step-based loops (search,
  /// calibration). Starts epoch 0 if no epoch was started.
  void next_cyclic(Batch& batch);

  /// Batches this rank gets per epoch (the same on every rank).
  int64_t batches_per_epoch() const;
  /// Samples this rank gets per epoch.
  int64_t samples_per_epoch() const;
  /// The next batch next() will return; after an epoch's last batch, {epoch + 1, 0}.
  LoaderPosition position() const;
  /// Dataset indices of this rank's batch `batch` of `epoch`, before unreadable samples are
  /// substituted. Pure function of the options; used by tests and for resuming.
  std::vector<int64_t> batch_indices(int64_t epoch, int64_t batch) const;

  const Dataset& dataset() const { return *dataset_; }
  const LoaderOptions& options() const { return options_; }
  /// The resolved transform (channels, mean and std filled in).
  const TransformOptions& transform() const { return options_.transform; }
  /// The dataset's summary (unreadable files so far).
  DataSummary summary() const { return dataset_->summary(); }
  /// Samples this loader replaced because they were unreadable, since construction.
  int64_t substituted() const;

 private:
  void worker();
  Batch build(const std::vector<int64_t>& order, int64_t epoch, int64_t batch_index);

  struct State;
  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace nasctl::data
