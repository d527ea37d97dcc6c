// The threaded loader: an epoch plan (permutation + rank slices), workers building whole batches
// in any order, and a consumer taking them strictly in order.

#include "nasctl/data/loader.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "nasctl/core/error.h"
#include "nasctl/core/random.h"

namespace nasctl::data {

namespace {

template <typename T>
[[noreturn]] void fail(const std::string& field, const std::string& requirement, const T& value) {
  throw Error("loader." + field + " must be " + requirement + ", but got " + std::to_string(value));
}

}  // namespace

void LoaderOptions::validate() const {
  if (batch_size <= 0) fail("batch_size", "> 0", batch_size);
  if (workers < 0 || workers > 256) fail("workers", "in 0..256", workers);
  if (prefetch < 0) fail("prefetch", ">= 0", prefetch);
  if (world_size <= 0) fail("world_size", "> 0", world_size);
  if (rank < 0 || rank >= world_size) fail("rank", "in 0.." + std::to_string(world_size - 1), rank);
  transform.validate();
}

void read_loader_json(const JsonView& view, LoaderOptions* options) {
  options->batch_size = view.get_int("batch_size", options->batch_size);
  options->workers = view.get_int("workers", options->workers);
  options->prefetch = view.get_int("prefetch", options->prefetch);
  options->shuffle = view.get_bool("shuffle", options->shuffle);
  options->drop_last = view.get_bool("drop_last", options->drop_last);
  if (view.has("seed")) {
    const int seed = view.get_int("seed");
    if (seed < 0) view.fail("seed", ">= 0");
    options->seed = static_cast<uint64_t>(seed);
  }
}

struct Loader::State {
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };

  std::mutex mutex;
  std::condition_variable work_ready;   // workers wait for claimable batches
  std::condition_variable batch_ready;  // the consumer waits for the next batch
  std::vector<std::thread> threads;
  bool stop = false;
  bool started = false;
  uint64_t generation = 0;  // bumped by start_epoch; work of an older generation is dropped
  int64_t epoch = 0;
  int64_t next_claim = 0;    // next batch a worker takes
  int64_t next_deliver = 0;  // next batch next() returns
  int64_t end_batch = 0;
  std::shared_ptr<const std::vector<int64_t>> order;  // the epoch's permutation
  std::map<int64_t, Slot> done;
  std::atomic<int64_t> substituted{0};

  // Image tensors of earlier batches, reused once nothing else references them: a batch of 64 at
  // 224 px is 38 MB, and fresh allocations cost page faults and zeroing on every batch.
  std::mutex pool_mutex;
  std::vector<torch::Tensor> pool;
  size_t pool_capacity = 0;

  torch::Tensor acquire(const std::vector<int64_t>& shape) {
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      for (auto it = pool.begin(); it != pool.end(); ++it) {
        // Only the pool holds it (no batch, view or autograd graph does): safe to overwrite.
        if (it->use_count() == 1 && it->storage().use_count() == 1 && it->sizes() == shape) {
          torch::Tensor tensor = std::move(*it);
          pool.erase(it);
          return tensor;
        }
      }
    }
    return torch::empty(shape, torch::kFloat32);
  }

  void remember(const torch::Tensor& tensor) {
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(tensor);
    if (pool.size() > pool_capacity) pool.erase(pool.begin());
  }
};

Loader::Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)), state_(std::make_unique<State>()) {
  options_.validate();
  options_.transform = resolve_transform(options_.transform, *dataset_);
  if (options_.prefetch == 0) options_.prefetch = 2 * std::max(options_.workers, 1);
  state_->pool_capacity = static_cast<size_t>(options_.prefetch + options_.workers + 2);
  if (dataset_->size() == 0) throw Error("loader: " + dataset_->describe() + " has no samples");
  if (batches_per_epoch() == 0)
    throw Error("loader: " + dataset_->describe() + " has " + std::to_string(dataset_->size()) +
                " samples, fewer than one global batch of " + std::to_string(options_.batch_size) + " x " +
                std::to_string(options_.world_size) + " ranks (drop_last is set)");
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->work_ready.notify_all();
  for (auto& thread : state_->threads) thread.join();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t global = int64_t{options_.batch_size} * options_.world_size;
  const int64_t n = dataset_->size();
  return n / global + (!options_.drop_last && n % global != 0 ? 1 : 0);
}

int64_t Loader::samples_per_epoch() const {
  const int64_t global = int64_t{options_.batch_size} * options_.world_size;
  const int64_t n = dataset_->size();
  int64_t samples = (n / global) * options_.batch_size;
  const int64_t rest = n % global;
  if (!options_.drop_last && rest != 0)
    samples += rest * (options_.rank + 1) / options_.world_size - rest * options_.rank / options_.world_size;
  return samples;
}

namespace {

std::vector<int64_t> epoch_order(int64_t n, bool shuffle, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  if (shuffle) {
    SplitMix rng(epoch_order_seed(seed, epoch));
    for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);  // Fisher-Yates
  }
  return order;
}

// This rank's slice [begin, end) of the epoch order for batch `batch`.
std::pair<int64_t, int64_t> rank_slice(const LoaderOptions& options, int64_t n, int64_t batch) {
  const int64_t global = int64_t{options.batch_size} * options.world_size;
  const int64_t start = batch * global;
  const int64_t size = std::min(global, n - start);
  if (size == global) return {start + int64_t{options.rank} * options.batch_size, start + int64_t{options.rank + 1} * options.batch_size};
  // The incomplete last global batch: split as evenly as possible (ranks differ by at most one).
  return {start + size * options.rank / options.world_size, start + size * (options.rank + 1) / options.world_size};
}

}  // namespace

std::vector<int64_t> Loader::batch_indices(int64_t epoch, int64_t batch) const {
  if (batch < 0 || batch >= batches_per_epoch())
    throw Error("loader: batch " + std::to_string(batch) + " is out of range (0.." +
                std::to_string(batches_per_epoch() - 1) + ")");
  const std::vector<int64_t> order = epoch_order(dataset_->size(), options_.shuffle, options_.seed, epoch);
  const auto [begin, end] = rank_slice(options_, dataset_->size(), batch);
  return std::vector<int64_t>(order.begin() + begin, order.begin() + end);
}

// Decodes and transforms one batch. An unreadable sample is replaced by the next readable one in
// dataset order, keeping the original's augmentation seed.
Batch Loader::build(const std::vector<int64_t>& order, int64_t epoch, int64_t batch_index) {
  const Dataset& dataset = *dataset_;
  const LoaderOptions& options = options_;
  State* state = state_.get();
  const auto [begin, end] = rank_slice(options, dataset.size(), batch_index);
  const int64_t n = end - begin;
  const TransformOptions& transform = options.transform;
  const int64_t sample_floats = int64_t{transform.channels} * transform.input_size * transform.input_size;
  Batch batch;
  batch.epoch = epoch;
  batch.batch = batch_index;
  batch.images = state->acquire({n, transform.channels, transform.input_size, transform.input_size});
  batch.labels = torch::empty({n}, torch::kInt64);
  batch.indices.resize(n);
  float* images = batch.images.data_ptr<float>();
  int64_t* labels = batch.labels.data_ptr<int64_t>();
  for (int64_t k = 0; k < n; ++k) {
    const int64_t index = order[begin + k];
    const uint64_t seed = sample_seed(options.seed, epoch, index);
    int64_t used = index;
    for (int64_t tries = 0;; ++tries) {
      try {
        transform_sample(dataset, used, transform, seed, images + k * sample_floats);
        break;
      } catch (const Error&) {
        if (tries + 1 >= dataset.size())
          throw runtime_error("every image of " + dataset.describe() + " is unreadable (first: " +
                              dataset.sample_name(index) + ")");
        if (tries == 0) state->substituted.fetch_add(1);
        used = (used + 1) % dataset.size();
      }
    }
    labels[k] = dataset.label(used);
    batch.indices[k] = used;
  }
  state->remember(batch.images);
  return batch;
}

void Loader::start_epoch(int64_t epoch, int64_t first_batch) {
  if (epoch < 0) throw Error("loader: epoch must be >= 0, but got " + std::to_string(epoch));
  if (first_batch < 0 || first_batch > batches_per_epoch())
    throw Error("loader: batch " + std::to_string(first_batch) + " is out of range for an epoch of " +
                std::to_string(batches_per_epoch()) + " batches");
  auto order = std::make_shared<const std::vector<int64_t>>(
      epoch_order(dataset_->size(), options_.shuffle, options_.seed, epoch));
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    ++s.generation;
    s.started = true;
    s.epoch = epoch;
    s.order = std::move(order);
    s.next_claim = s.next_deliver = first_batch;
    s.end_batch = batches_per_epoch();
    s.done.clear();
  }
  if (options_.workers > 0 && s.threads.empty()) {
    for (int w = 0; w < options_.workers; ++w) s.threads.emplace_back([this] { worker(); });
  }
  s.work_ready.notify_all();
}

void Loader::worker() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  for (;;) {
    s.work_ready.wait(lock, [&] {
      return s.stop || (s.next_claim < s.end_batch && s.next_claim < s.next_deliver + options_.prefetch);
    });
    if (s.stop) return;
    const int64_t batch_index = s.next_claim++;
    const uint64_t generation = s.generation;
    const int64_t epoch = s.epoch;
    const auto order = s.order;
    lock.unlock();
    State::Slot slot;
    try {
      slot.batch = build(*order, epoch, batch_index);
    } catch (...) {
      slot.error = std::current_exception();
    }
    lock.lock();
    if (generation == s.generation) {
      s.done.emplace(batch_index, std::move(slot));
      s.batch_ready.notify_all();
    }
  }
}

bool Loader::next(Batch& batch) {
  State& s = *state_;
  if (!s.started) start_epoch(0);
  if (options_.workers == 0) {
    if (s.next_deliver >= s.end_batch) return false;
    batch = build(*s.order, s.epoch, s.next_deliver);
    ++s.next_deliver;
    return true;
  }
  State::Slot slot;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    if (s.next_deliver >= s.end_batch) return false;
    s.batch_ready.wait(lock, [&] { return s.done.count(s.next_deliver) > 0; });
    auto it = s.done.find(s.next_deliver);
    slot = std::move(it->second);
    s.done.erase(it);
    ++s.next_deliver;
  }
  s.work_ready.notify_all();  // a prefetch slot is free
  if (slot.error) std::rethrow_exception(slot.error);
  batch = std::move(slot.batch);
  return true;
}

void Loader::next_cyclic(Batch& batch) {
  if (!state_->started) start_epoch(0);
  while (!next(batch)) start_epoch(state_->epoch + 1);
}

LoaderPosition Loader::position() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->started && state_->next_deliver >= state_->end_batch) return {state_->epoch + 1, 0};
  return {state_->epoch, state_->next_deliver};
}

int64_t Loader::substituted() const { return state_->substituted.load(); }

}  // namespace nasctl::data
