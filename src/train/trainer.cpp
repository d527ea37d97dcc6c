// The training loop of `nasctl train`: steps, evaluation, metrics, checkpoints, resume.
#include "nasctl/train/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "nasctl/core/error.h"
#include "nasctl/core/random.h"
#include "nasctl/core/files.h"
#include "nasctl/core/progress.h"
#include "nasctl/data/loader.h"
#include "nasctl/train/checkpoint.h"
#include "nasctl/train/distributed.h"
#include "nasctl/train/evaluate.h"
#include "nasctl/train/interrupt.h"
#include "nasctl/train/optimizer.h"
#include "train/run_files.h"

namespace nasctl::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

torch::Device resolve_device(const std::string& name, int local_rank) {
  if (name == "cpu") return torch::kCPU;
  if (!torch::cuda::is_available()) {
    throw Error("--device " + name + ": CUDA is not available (a CPU-only LibTorch, or no GPU); use --device cpu");
  }
  int count = static_cast<int>(torch::cuda::device_count());
  int index = name == "cuda" ? local_rank % count : std::stoi(name.substr(5));
  if (index < 0 || index >= count) {
    throw Error("--device " + name + ": there are " + std::to_string(count) + " CUDA devices");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

// Running sums of the current epoch (kept in checkpoints so a mid-epoch resume reports the same).
struct EpochSums {
  double loss = 0;      // sum of per-sample losses, all ranks
  double correct = 0;   // top-1 hits, all ranks
  double samples = 0;
  double seconds = 0;   // training time (excluding evaluation)
};

class Run {
 public:
  explicit Run(const TrainOptions& options) : o_(options) {}
  TrainSummary execute();

 private:
  void setup();
  void restore();
  bool train_epoch(int64_t epoch, int64_t first_batch);
  void end_epoch(int64_t epoch);
  void save_checkpoint(const data::LoaderPosition& position, const std::string& path);
  void synchronise_buffers();
  void write_config() const;

  TrainOptions o_;
  DistEnv env_;
  std::unique_ptr<Distributed> dist_;
  torch::Device device_ = torch::kCPU;
  TrainSetup setup_;
  nn::GraphNet net_{nullptr};
  nn::GraphNet ema_net_{nullptr};
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
  std::unique_ptr<ModelEma> ema_;
  std::unique_ptr<data::Loader> train_loader_;
  std::unique_ptr<data::Loader> val_loader_;
  std::vector<torch::Tensor> parameters_;
  int64_t steps_per_epoch_ = 0;
  int64_t global_batch_ = 0;
  double peak_lr_ = 0;
  int64_t step_ = 0;
  int64_t start_epoch_ = 0;
  int64_t start_batch_ = 0;
  EpochSums sums_;
  double last_lr_ = 0;
  Clock::time_point last_checkpoint_ = Clock::now();
  TrainSummary summary_;
};

void Run::setup() {
  o_.validate();
  env_ = DistEnv::from_environment();
  device_ = resolve_device(o_.device, env_.local_rank);
  if (o_.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  setup_ = resolve_setup(o_);
  dist_ = std::make_unique<Distributed>(env_, device_);

  data::LoaderOptions train_options;
  train_options.batch_size = o_.batch_size;
  train_options.workers = o_.workers;
  train_options.seed = o_.seed;
  train_options.rank = env_.rank;
  train_options.world_size = env_.world_size;
  train_options.drop_last = true;  // equal batches on every rank; no 1-sample batch for BN
  train_options.transform = setup_.train_transform;
  train_loader_ = std::make_unique<data::Loader>(setup_.train_data, train_options);
  data::LoaderOptions val_options = train_options;
  val_options.shuffle = false;
  val_options.drop_last = false;
  val_options.transform = setup_.eval_transform;
  val_loader_ = std::make_unique<data::Loader>(setup_.val_data, val_options);

  steps_per_epoch_ = train_loader_->batches_per_epoch();
  global_batch_ = static_cast<int64_t>(o_.batch_size) * env_.world_size;
  if (steps_per_epoch_ == 0) {
    throw Error(setup_.train_data->describe() + " has " + std::to_string(setup_.train_data->size()) +
                " training images, fewer than one global batch of " + std::to_string(global_batch_) +
                " (lower --batch-size)");
  }
  peak_lr_ = scaled_lr(o_.optimizer, global_batch_);
  schedule_ = std::make_unique<LrSchedule>(o_.schedule, peak_lr_, steps_per_epoch_, steps_per_epoch_ * o_.epochs);

  nn::GraphNetOptions net_options;
  net_options.dropout = o_.dropout;
  net_options.seed = o_.seed;
  net_options.bn_momentum = o_.bn_momentum;
  net_options.channels_last = o_.channels_last;
  net_ = nn::GraphNet(setup_.graph, net_options);
  net_->to(device_);
  dist_->broadcast_module(*net_);
  for (const auto& p : net_->parameters()) parameters_.push_back(p);
  optimizer_ = std::make_unique<Optimizer>(decay_groups(*net_), o_.optimizer);
  if (o_.ema_decay > 0) {
    ema_ = std::make_unique<ModelEma>(*net_, o_.ema_decay);
    nn::GraphNetOptions ema_options;
    ema_options.channels_last = o_.channels_last;
    ema_net_ = nn::GraphNet(setup_.graph, ema_options);
    ema_net_->to(device_);
  }
  summary_.run_dir = o_.out;
  summary_.last_checkpoint = last_checkpoint_path(o_.out);
  summary_.weights = ema_ ? "ema" : "model";
  summary_.world_size = env_.world_size;
  summary_.rank = env_.rank;
}

void Run::restore() {
  const std::string path = last_checkpoint_path(o_.out);
  if (!o_.resume) {
    if (std::filesystem::exists(path)) {
      throw Error(o_.out + " already holds a run (" + path + "): pass --resume to continue it, or another --out");
    }
    return;
  }
  if (!std::filesystem::exists(path)) throw Error("--resume: " + path + " does not exist (nothing to resume)");
  Checkpoint c = load_checkpoint(path);
  nn::load_module_state(c.archive, *net_, path, "model.");
  optimizer_->load(c.archive, path);
  if (ema_) {
    if (!c.has_ema()) throw Error("--resume: " + path + " has no EMA weights, but ema_decay is " + std::to_string(o_.ema_decay));
    ema_->load(c.archive, path);
  }
  JsonView state(c.info.state, path + ": state");
  int64_t saved_batch = state.raw().value("global_batch", int64_t(0));
  if (saved_batch != global_batch_) {
    throw Error("--resume: " + path + " was trained with a global batch of " + std::to_string(saved_batch) +
                ", but this run has " + std::to_string(global_batch_) + " (batch size x processes)");
  }
  warn_recipe_changes(c.info.recipe, train_options_to_json(o_), path);
  step_ = c.info.step;
  start_epoch_ = state.raw().at("position").value("epoch", int64_t(0));
  start_batch_ = state.raw().at("position").value("batch", int64_t(0));
  const Json& sums = state.raw().at("sums");
  sums_ = {sums.value("loss", 0.0), sums.value("correct", 0.0), sums.value("samples", 0.0), sums.value("seconds", 0.0)};
  const Json& best = state.raw().contains("best_top1") ? state.raw().at("best_top1") : Json(nullptr);
  summary_.best_top1 = best.is_number() ? best.get<double>() : kNaN;  // null before any evaluation
  summary_.metrics = read_metrics_until(o_.out, c.info.epoch);
  spdlog::info("resuming {} at epoch {}, batch {} (step {})", path, start_epoch_ + 1, start_batch_, step_);
}

void Run::synchronise_buffers() {
  dist_->average_buffers(*net_);
  if (ema_) dist_->average(ema_->float_buffers());
}

void Run::save_checkpoint(const data::LoaderPosition& position, const std::string& path) {
  synchronise_buffers();
  last_checkpoint_ = Clock::now();
  if (!dist_->is_main()) return;
  CheckpointInfo info;
  info.graph = setup_.graph;
  info.arch = setup_.arch;
  info.transform = setup_.eval_transform;
  info.classes = setup_.classes;
  info.class_names = setup_.class_names;
  info.epoch = position.epoch;  // completed epochs (mid-epoch: epoch position.epoch + 1 is under way)
  info.step = step_;
  info.recipe = train_options_to_json(o_);
  info.state = {{"position", {{"epoch", position.epoch}, {"batch", position.batch}}},
                {"sums", {{"loss", sums_.loss}, {"correct", sums_.correct}, {"samples", sums_.samples},
                          {"seconds", sums_.seconds}}},
                {"global_batch", global_batch_},
                {"world_size", env_.world_size},
                {"best_top1", std::isfinite(summary_.best_top1) ? Json(summary_.best_top1) : Json(nullptr)}};
  nn::TensorArchive archive;
  archive.meta = checkpoint_meta(info);
  nn::add_module_state(archive, *net_, "model.");
  if (ema_) ema_->save(archive);
  optimizer_->save(archive);
  nn::save_archive(archive, path);
}

bool Run::train_epoch(int64_t epoch, int64_t first_batch) {
  net_->train();
  train_loader_->start_epoch(epoch, first_batch);
  ProgressOptions progress;
  progress.mode = dist_->is_main() ? ProgressMode::kAuto : ProgressMode::kDisabled;
  progress.unit = "img";
  progress.items_per_step = static_cast<double>(global_batch_);
  progress.initial = first_batch;
  ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o_.epochs), steps_per_epoch_, progress);
  const int64_t checkpoint_every = o_.checkpoint_every_steps;
  data::Batch batch;
  auto started = Clock::now();
  double seconds_before = sums_.seconds;
  while (train_loader_->next(batch)) {
    const double lr = schedule_->at(step_);
    torch::manual_seed(train_step_seed(o_.seed, env_.rank, step_));
    torch::Tensor images = batch.images.to(device_), labels = batch.labels.to(device_);
    torch::Tensor logits = net_->forward(images);
    torch::Tensor loss = smoothed_cross_entropy(logits, labels, o_.label_smoothing);
    optimizer_->zero_grad();
    loss.backward();
    dist_->allreduce_gradients(parameters_);
    double loss_value = loss.item<double>();
    bool due = dist_->is_main() && seconds_since(last_checkpoint_) > 60.0 * o_.checkpoint_minutes;
    // One collective for the step's bookkeeping: every rank stops, diverges or checkpoints together.
    torch::Tensor stats = torch::tensor(
        {std::isfinite(loss_value) ? loss_value * batch.size() : 0.0,
         static_cast<double>(count_top_k(logits.detach(), labels, 1)), static_cast<double>(batch.size()),
         InterruptGuard::requested() ? 1.0 : 0.0, std::isfinite(loss_value) ? 0.0 : 1.0, due ? 1.0 : 0.0},
        torch::kFloat64);
    dist_->sum({stats});
    auto s = stats.accessor<double, 1>();
    if (s[4] > 0) {
      throw runtime_error("training diverged: the loss is " + std::string(std::isnan(loss_value) ? "NaN" : "not finite") +
                          " at epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(step_ + 1) +
                          " (lr " + std::to_string(lr) + "); the last good checkpoint is " +
                          summary_.last_checkpoint + " — lower --lr or check the data");
    }
    optimizer_->step(lr);
    if (ema_) ema_->update(*net_);
    ++step_;
    last_lr_ = lr;
    sums_.loss += s[0];
    sums_.correct += s[1];
    sums_.samples += s[2];
    sums_.seconds = seconds_before + seconds_since(started);
    char status[96];
    std::snprintf(status, sizeof status, "loss %.4f lr %.4g", sums_.loss / std::max(sums_.samples, 1.0), lr);
    bar.update(batch.batch + 1, status);
    if (o_.stop_after_steps > 0 && step_ >= o_.stop_after_steps) {
      summary_.stopped_early = true;  // as if killed: no checkpoint
      return false;
    }
    data::LoaderPosition position = train_loader_->position();
    if (s[3] > 0) {
      save_checkpoint(position, summary_.last_checkpoint);
      throw runtime_error("interrupted by signal " + std::to_string(InterruptGuard::signal_number()) + " at step " +
                          std::to_string(step_) + "; checkpoint " + summary_.last_checkpoint +
                          " written: continue with --resume");
    }
    bool periodic = checkpoint_every > 0 && step_ % checkpoint_every == 0;
    if ((periodic || s[5] > 0) && position.batch != 0) save_checkpoint(position, summary_.last_checkpoint);
  }
  bar.finish();
  return true;
}

void Run::end_epoch(int64_t epoch) {
  auto started = Clock::now();
  EpochMetrics m;
  m.epoch = epoch + 1;
  m.step = step_;
  m.lr = last_lr_;
  m.train_loss = sums_.loss / std::max(sums_.samples, 1.0);
  m.train_top1 = sums_.correct / std::max(sums_.samples, 1.0);
  m.images_per_s = sums_.samples / std::max(sums_.seconds, 1e-9);
  synchronise_buffers();
  bool evaluate_now = (epoch + 1) % o_.eval_every_epochs == 0 || epoch + 1 == o_.epochs;
  double top1 = kNaN;
  if (evaluate_now) {
    EvalResult r = evaluate(net_, *val_loader_, device_, setup_.classes, dist_.get());
    m.val_loss = r.loss;
    m.val_top1 = r.top1;
    m.val_top5 = r.top5;
    top1 = r.top1;
    if (ema_) {
      ema_->copy_to(*ema_net_);
      EvalResult e = evaluate(ema_net_, *val_loader_, device_, setup_.classes, dist_.get());
      m.ema_val_top1 = e.top1;
      m.ema_val_top5 = e.top5;
      top1 = e.top1;
    }
  }
  torch::Tensor unreadable = torch::tensor(
      {static_cast<double>(train_loader_->summary().unreadable_files + val_loader_->summary().unreadable_files)},
      torch::kFloat64);
  dist_->sum({unreadable});
  m.unreadable_files = static_cast<int64_t>(unreadable.item<double>());
  m.epoch_s = sums_.seconds + seconds_since(started);
  summary_.metrics.push_back(m);
  summary_.epochs_done = epoch + 1;
  summary_.unreadable_files = m.unreadable_files;
  bool best = std::isfinite(top1) && !(top1 <= summary_.best_top1);
  if (best) summary_.best_top1 = top1;
  sums_ = EpochSums{};
  save_checkpoint({epoch + 1, 0}, summary_.last_checkpoint);
  if (dist_->is_main()) {
    if (best) {
      std::filesystem::path best_path = o_.out + "/checkpoints/best.ckpt";
      write_file_atomic(best_path.string(), read_file(summary_.last_checkpoint));
      summary_.best_checkpoint = best_path.string();
    }
    write_run_metrics(o_.out, summary_.metrics, setup_.graph.name);
    log_epoch(m, o_.epochs, ema_ != nullptr);
  }
}

void Run::write_config() const {
  if (!dist_->is_main()) return;
  Json config = train_options_to_json(o_);
  config["resolved"] = {
      {"network", {{"name", setup_.graph.name},
                   {"input", {setup_.graph.input.h, setup_.graph.input.w, setup_.graph.input.c}},
                   {"params", setup_.graph.stats().params},
                   {"macs", setup_.graph.stats().macs}}},
      {"classes", setup_.classes},
      {"class_names", setup_.class_names},
      {"train_data", {{"source", setup_.train_data->describe()}, {"samples", setup_.train_data->size()}}},
      {"val_data", {{"source", setup_.val_data->describe()}, {"samples", setup_.val_data->size()}}},
      {"train_transform", data::transform_to_json(setup_.train_transform)},
      {"eval_transform", data::transform_to_json(setup_.eval_transform)},
      {"world_size", env_.world_size},
      {"global_batch", global_batch_},
      {"peak_lr", peak_lr_},
      {"steps_per_epoch", steps_per_epoch_},
      {"total_steps", steps_per_epoch_ * o_.epochs},
      {"device", device_.str()},
      {"threads", torch::get_num_threads()}};
  if (!setup_.arch.is_null()) config["resolved"]["arch"] = setup_.arch;
  write_file_atomic(o_.out + "/config.json", config.dump(2) + "\n");
}

TrainSummary Run::execute() {
  auto started = Clock::now();
  setup();
  if (dist_->is_main()) make_directories(o_.out + "/checkpoints");
  restore();
  write_config();
  spdlog::info("training {} ({} params) on {}: {} epochs x {} steps, global batch {}, peak lr {:.4g}, {} process(es)",
               setup_.graph.name, setup_.graph.stats().params, setup_.train_data->describe(), o_.epochs,
               steps_per_epoch_, global_batch_, peak_lr_, env_.world_size);
  InterruptGuard interrupt_guard;
  for (int64_t epoch = start_epoch_; epoch < o_.epochs; ++epoch) {
    int64_t first = epoch == start_epoch_ ? start_batch_ : 0;
    if (!train_epoch(epoch, first)) break;
    end_epoch(epoch);
  }
  summary_.steps = step_;
  summary_.seconds = seconds_since(started);
  if (!summary_.best_checkpoint.empty() || std::filesystem::exists(o_.out + "/checkpoints/best.ckpt")) {
    summary_.best_checkpoint = o_.out + "/checkpoints/best.ckpt";
  }
  return summary_;
}

}  // namespace

TrainSummary run_training(const TrainOptions& options) { return Run(options).execute(); }

}  // namespace nasctl::train
