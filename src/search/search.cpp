// The TuNAS search loop (see search.h): set-up, the per-step shared-weights and controller updates,
// checkpoints and the run's files.
#include "nasctl/search/search.h"

#include <ATen/Context.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <sstream>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/random.h"
#include "nasctl/data/dataset.h"
#include "nasctl/data/loader.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/nn/tensor_archive.h"
#include "nasctl/search/arch_latency.h"
#include "nasctl/search/supernet.h"
#include "nasctl/train/distributed.h"
#include "nasctl/train/interrupt.h"
#include "nasctl/train/lr_curve.h"
#include "nasctl/train/optimizer.h"
#include "search/report.h"
#include "search/search_data.h"

namespace nasctl::search {
namespace fs = std::filesystem;

namespace {

constexpr const char* kCheckpointFormat = "nasctl.search_checkpoint";
constexpr const char* kConfigFormat = "nasctl.search_config";

// Options that do not change what a run computes; a resumed run may differ in them.
const char* const kResumeFree[] = {"out", "workers", "checkpoint_every"};

std::string default_run_dir() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::ostringstream s;
  s << "runs/search-" << std::put_time(&tm, "%Y%m%d-%H%M%S");
  return s.str();
}

// base * schedule(t / total), after `warmup` linear warm-up steps. The decay would reach 0 at step
// `total`, one after the last (the trainer's reaches its floor at its last step).
double scheduled(Schedule schedule, double base, int64_t t, int64_t total, int64_t warmup) {
  train::LrCurve curve;
  curve.peak = base;
  curve.warmup_steps = warmup;
  curve.decay = schedule == Schedule::kConstant ? train::LrDecay::kConstant
                : schedule == Schedule::kCosine ? train::LrDecay::kCosine
                                                : train::LrDecay::kLinear;
  curve.decay_steps = total - warmup;
  return curve.at(t);
}

// TuNAS's warm-up probability: 1 at step 0, decaying linearly to 0 at fraction * steps.
double warmup_probability(double fraction, int64_t step, int64_t steps) {
  if (fraction <= 0) return 0.0;
  return std::max(0.0, 1.0 - static_cast<double>(step) / (fraction * static_cast<double>(steps)));
}

// First key (dotted) where two option objects differ, or "".
std::string first_difference(const Json& a, const Json& b, const std::string& prefix = "") {
  for (auto it = a.begin(); it != a.end(); ++it) {
    std::string key = prefix + it.key();
    if (prefix.empty() && std::find(std::begin(kResumeFree), std::end(kResumeFree), it.key()) != std::end(kResumeFree)) {
      continue;
    }
    if (!b.contains(it.key())) return key;
    if (it->is_object() && b[it.key()].is_object()) {
      std::string inner = first_difference(*it, b[it.key()], key + ".");
      if (!inner.empty()) return inner;
    } else if (*it != b[it.key()]) {
      return key;
    }
  }
  return "";
}

// What one rank measured in a step; averaged over ranks.
struct StepStats {
  double loss = 0, train_top1 = 0, q = 0, reward = 0, latency_ms = 0, interrupted = 0;
};

// One latency target of a run: its controller (logits, masks, Adam state) and reward baseline.
struct TargetState {
  double target_ms = 0;
  std::unique_ptr<Controller> controller;
  RewardBaseline baseline;
};

// The per-target part of a metrics line: the line itself for a single target (the format it has
// always had), else the target's entry of "controllers".
Json& target_line(Json& line, size_t k, size_t count) { return count == 1 ? line : line["controllers"][k]; }

class SearchRun {
 public:
  SearchRun(SearchOptions options, const SearchControl& control)
      : o_(std::move(options)), control_(control), dist_(train::DistEnv::from_environment(), torch::kCPU) {}

  SearchResult run();

 private:
  void prepare_run_dir();
  void setup();
  void setup_controller();
  void write_config() const;
  void save_checkpoint();
  void load_checkpoint();
  std::vector<int> training_architecture(const Controller& controller, std::mt19937_64& rng, Json& line);
  StepStats train_step(const std::vector<int>& indices, double lr);
  double evaluate_q(const torch::Tensor& images, const torch::Tensor& labels, const std::vector<int>& indices);
  void controller_step(TargetState& target, const std::vector<int>& indices, const StepStats& own,
                       const StepStats& mean, int64_t step, Json& line);
  void check_target_range() const;
  StepStats average(StepStats s);
  [[noreturn]] void diverged(int64_t step, const std::string& what) const;
  SearchResult finish(double seconds);
  bool is_main() const { return dist_.is_main(); }

  SearchOptions o_;
  SearchControl control_;
  train::Distributed dist_;
  std::string run_dir_;
  std::unique_ptr<space::SearchSpace> space_;
  std::unique_ptr<ArchLatency> latency_;
  std::string hardware_name_;
  Json hardware_json_;
  std::vector<TargetState> targets_;  // ascending target_ms; one for a single-target search
  std::vector<MaskedChoice> masked_;
  bool masking_ = false;
  LatencyRange range_;
  Supernet supernet_{nullptr};
  std::unique_ptr<train::Optimizer> optimizer_;
  std::vector<torch::Tensor> parameters_;
  std::shared_ptr<data::Dataset> train_data_, val_data_;
  std::unique_ptr<data::Loader> train_loader_, val_loader_;
  int64_t step_ = 0;           // steps completed
  int64_t last_checkpoint_ = -1;
  int64_t rl_start_ = 0;
  std::vector<Json> metrics_;  // rank 0: every line of metrics.jsonl
};

void SearchRun::prepare_run_dir() {
  run_dir_ = o_.out.empty() ? default_run_dir() : o_.out;
  const std::string ckpt = search_checkpoint_path(run_dir_);
  if (o_.resume) {
    if (!fs::exists(ckpt)) {
      throw Error("--resume: " + run_dir_ + " holds no search checkpoint (" + ckpt + ")");
    }
  } else if (fs::exists(ckpt) || fs::exists(run_dir_ + "/config.json")) {
    throw Error("--out " + run_dir_ + " already holds a search; continue it with --resume or choose another folder");
  }
}

void SearchRun::setup() {
  if (o_.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  SearchData d = open_search_data(o_);
  train_data_ = d.train;
  val_data_ = d.val;
  space_ = std::make_unique<space::SearchSpace>(*d.space);
  latency::HardwareProfile profile = latency::load_hardware_profile(o_.hardware);
  hardware_name_ = profile.name;
  hardware_json_ = latency::profile_to_json(profile);
  latency_ = std::make_unique<ArchLatency>(*space_, profile);
  setup_controller();

  supernet_ = Supernet(*space_, o_.seed);
  std::vector<train::NamedParameter> named;
  for (auto& p : supernet_->named_parameters()) {
    named.push_back({p.key(), p.value(), p.value().dim() > 1});
    parameters_.push_back(p.value());
  }
  train::OptimizerOptions opt;
  opt.kind = train::OptimizerKind::kSgd;
  opt.lr = o_.supernet.lr;
  opt.lr_reference_batch = 0;
  opt.momentum = o_.supernet.momentum;
  opt.nesterov = o_.supernet.nesterov;
  opt.weight_decay = o_.supernet.weight_decay;
  optimizer_ = std::make_unique<train::Optimizer>(named, opt);

  train_loader_ = std::make_unique<data::Loader>(
      train_data_, search_loader_options(o_, d, o_.batch_size, true, o_.seed, dist_.rank(), dist_.world_size()));
  val_loader_ = std::make_unique<data::Loader>(
      val_data_, search_loader_options(o_, d, validation_batch_size(o_), false, o_.seed + 1, dist_.rank(),
                                       dist_.world_size()));
  rl_start_ = static_cast<int64_t>(std::ceil(o_.controller.start * o_.steps));
}

void SearchRun::setup_controller() {
  std::vector<int> counts;
  for (const auto& d : space_->decisions()) counts.push_back(static_cast<int>(d.choices.size()));
  ControllerOptions copts;
  copts.adam_beta1 = o_.controller.adam_beta1;
  copts.adam_beta2 = o_.controller.adam_beta2;
  targets_.clear();
  for (double t : o_.targets()) {
    TargetState target;
    target.target_ms = t;
    target.controller = std::make_unique<Controller>(counts, copts);
    target.baseline = RewardBaseline(o_.controller.baseline_momentum);
    targets_.push_back(std::move(target));
  }
  const Controller& first = *targets_.front().controller;

  masking_ = o_.edgetpu_only != EdgeTpuOnly::kOff;
  if (masking_) {
    std::vector<std::string> unavoidable;
    masked_ = edgetpu_masks(*latency_, &unavoidable);
    if (!unavoidable.empty()) {
      std::string what = "space '" + space_->name() + "' has ops no choice keeps on the Edge TPU (" + unavoidable[0] + ")";
      if (o_.edgetpu_only == EdgeTpuOnly::kOn) throw Error("--edgetpu-only: " + what);
      spdlog::warn("{}; searching without --edgetpu-only masks", what);
      masking_ = false;
      masked_.clear();
    }
    for (const MaskedChoice& m : masked_) {
      for (TargetState& target : targets_) target.controller->mask(m.decision, m.choice);
      spdlog::info("edgetpu-only: masked {}", m.reason);
    }
  }
  ChoiceMask allowed;
  for (int d = 0; d < first.num_decisions(); ++d) {
    allowed.emplace_back();
    for (int c = 0; c < first.num_choices(d); ++c) allowed.back().push_back(first.allowed(d, c));
  }
  range_ = latency_range(*latency_, allowed);
  check_target_range();
  std::ostringstream range_text;
  range_text << std::fixed << std::setprecision(3) << range_.min_ms << " .. " << range_.max_ms << " ms";
  spdlog::info("space '{}': {} decisions, 10^{:.1f} architectures, latency {} on {}", space_->name(),
               space_->decisions().size(), space_->log10_size(), range_text.str(), hardware_name_);
}

// A target below the fastest architecture cannot be met; above the slowest, latency does not
// constrain the search. A single target only warns of the second (as it always has); a family,
// whose point is to span latencies, rejects both before any training.
void SearchRun::check_target_range() const {
  const bool family = targets_.size() > 1;
  const std::string key = family ? "search.targets_ms" : "search.target_ms";
  const std::string space = "space '" + space_->name() + "' on " + hardware_name_ + (masking_ ? " (Edge TPU-only)" : "");
  for (const TargetState& target : targets_) {
    std::ostringstream s;
    s << std::setprecision(4);
    if (!(target.target_ms >= range_.min_ms)) {
      s << key << " " << target.target_ms << " is below the fastest architecture of " << space
        << ": the minimum reachable latency is " << range_.min_ms << " ms; choose a target >= " << range_.min_ms
        << " ms";
      throw Error(s.str());
    }
    if (target.target_ms > range_.max_ms && family) {
      s << key << " " << target.target_ms << " is above the slowest architecture of " << space
        << ": the space reaches " << range_.min_ms << " .. " << range_.max_ms
        << " ms, and latency would not constrain that target; choose targets inside that range";
      throw Error(s.str());
    }
    if (target.target_ms > range_.max_ms) {
      spdlog::warn("target {} ms is above the slowest architecture of the space ({} ms): latency will not constrain "
                   "the search", target.target_ms, range_.max_ms);
    }
  }
}

void SearchRun::write_config() const {
  Json masked = Json::array();
  for (const MaskedChoice& m : masked_) masked.push_back(m.reason);
  graph::Shape in = space_->input();
  Json config = {{"format", kConfigFormat},
                 {"version", 1},
                 {"search", o_.to_json()},
                 {"resolved",
                  {{"run_dir", run_dir_},
                   {"world_size", dist_.world_size()},
                   {"input", {in.h, in.w, in.c}},
                   {"classes", space_->classes()},
                   {"train_samples", train_data_->size()},
                   {"val_samples", val_data_->size()},
                   {"rl_start_step", rl_start_},
                   {"reward_beta", o_.controller.effective_beta()},
                   {"edgetpu_only", masking_},
                   {"masked_choices", masked},
                   {"min_latency_ms", range_.min_ms},
                   {"max_latency_ms", range_.max_ms},
                   {"space", space_->json()},
                   {"hardware", hardware_json_}}}};
  write_file_atomic(run_dir_ + "/config.json", config.dump(2) + "\n");
}

void SearchRun::save_checkpoint() {
  nn::TensorArchive archive;
  auto pos = [](const data::LoaderPosition& p) { return Json{{"epoch", p.epoch}, {"batch", p.batch}}; };
  archive.meta = {{"format", kCheckpointFormat},
                  {"version", 1},
                  {"step", step_},
                  {"world_size", dist_.world_size()},
                  {"options", o_.to_json()},
                  {"controller", targets_[0].controller->state()},
                  {"baseline", targets_[0].baseline.state()},
                  {"train_loader", pos(train_loader_->position())},
                  {"val_loader", pos(val_loader_->position())}};
  if (targets_.size() > 1) {
    // A family: every target's controller and baseline (the first also under the single keys).
    Json controllers = Json::array(), baselines = Json::array();
    for (const TargetState& target : targets_) {
      controllers.push_back(target.controller->state());
      baselines.push_back(target.baseline.state());
    }
    archive.meta["controllers"] = std::move(controllers);
    archive.meta["baselines"] = std::move(baselines);
  }
  nn::add_module_state(archive, *supernet_, "supernet.");
  optimizer_->save(archive, "optimizer.");
  nn::save_archive(archive, search_checkpoint_path(run_dir_));
}

void SearchRun::load_checkpoint() {
  const std::string path = search_checkpoint_path(run_dir_);
  nn::TensorArchive archive = nn::load_archive(path);
  const Json& meta = archive.meta;
  if (!meta.is_object() || meta.value("format", "") != kCheckpointFormat) {
    throw Error(path + ": not a search checkpoint (format must be \"" + kCheckpointFormat + "\")");
  }
  std::string diff = first_difference(meta.at("options"), o_.to_json());
  if (!diff.empty()) {
    throw Error(path + ": the run was started with another " + diff + " than given now; a resumed search keeps its config");
  }
  if (meta.at("world_size").get<int>() != dist_.world_size()) {
    throw Error(path + ": the run used " + meta.at("world_size").dump() + " processes; resume it with as many, not " +
                std::to_string(dist_.world_size()));
  }
  nn::load_module_state(archive, *supernet_, path, "supernet.");
  optimizer_->load(archive, path, "optimizer.");
  if (targets_.size() == 1) {
    targets_[0].controller->load_state(meta.at("controller"), path);
    targets_[0].baseline.load_state(meta.at("baseline"), path);
  } else {
    const Json& controllers = meta.at("controllers");
    const Json& baselines = meta.at("baselines");
    if (controllers.size() != targets_.size() || baselines.size() != targets_.size()) {
      throw Error(path + ": the checkpoint holds " + std::to_string(controllers.size()) + " controllers for " +
                  std::to_string(targets_.size()) + " targets");
    }
    for (size_t k = 0; k < targets_.size(); ++k) {
      targets_[k].controller->load_state(controllers[k], path);
      targets_[k].baseline.load_state(baselines[k], path);
    }
  }
  step_ = meta.at("step").get<int64_t>();
  auto pos = [](const Json& j) { return data::LoaderPosition{j.at("epoch").get<int64_t>(), j.at("batch").get<int64_t>()}; };
  train_loader_->seek(pos(meta.at("train_loader")));
  val_loader_->seek(pos(meta.at("val_loader")));
  last_checkpoint_ = step_;
  spdlog::info("resuming {} at step {} of {}", run_dir_, step_, o_.steps);
}

// The architecture of the shared-weights step, with TuNAS's op and filter warm-ups.
std::vector<int> SearchRun::training_architecture(const Controller& controller, std::mt19937_64& rng, Json& line) {
  double p_op = warmup_probability(o_.warmup.op, step_, o_.steps);
  double p_filter = warmup_probability(o_.warmup.filter, step_, o_.steps);
  bool uniform = uniform01(rng) < p_op;
  bool largest = uniform01(rng) < p_filter;
  std::vector<int> indices = uniform ? controller.sample_uniform(rng) : controller.sample(rng);
  if (largest) {
    for (size_t d = 0; d < indices.size(); ++d) {
      const space::Decision& decision = space_->decisions()[d];
      if (decision.kind != space::DecisionKind::kFilterMultiplier) continue;
      double best = -1;
      for (size_t c = 0; c < decision.choices.size(); ++c) {
        double m = decision.choices[c].get<double>();
        if (controller.allowed(static_cast<int>(d), static_cast<int>(c)) && m > best) best = m, indices[d] = static_cast<int>(c);
      }
    }
  }
  line["op_warmup_p"] = p_op;
  line["filter_warmup_p"] = p_filter;
  line["train_uniform"] = uniform;
  line["train_largest_filters"] = largest;
  return indices;
}

StepStats SearchRun::train_step(const std::vector<int>& indices, double lr) {
  data::Batch batch;
  train_loader_->next_cyclic(batch);
  space::ArchSpec arch = space_->decode(indices);
  optimizer_->zero_grad();
  torch::Tensor logits = supernet_->forward(batch.images, arch);
  torch::Tensor loss = torch::nn::functional::cross_entropy(
      logits, batch.labels, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o_.supernet.label_smoothing));
  loss.backward();
  StepStats s;
  s.loss = loss.item<double>();
  s.train_top1 = logits.argmax(1).eq(batch.labels).to(torch::kFloat64).mean().item<double>();
  if (dist_.active()) {
    // Average gradients; a parameter no rank used stays without gradient (the optimizer skips it).
    torch::Tensor used = torch::zeros({static_cast<int64_t>(parameters_.size())}, torch::kFloat32);
    for (size_t i = 0; i < parameters_.size(); ++i) used[i] = parameters_[i].grad().defined() ? 1.0f : 0.0f;
    dist_.sum({used});
    dist_.allreduce_gradients(parameters_);
    for (size_t i = 0; i < parameters_.size(); ++i) {
      if (used[i].item<float>() == 0.0f) parameters_[i].mutable_grad() = torch::Tensor();
    }
  }
  std::vector<torch::Tensor> with_grad;
  for (auto& p : parameters_) {
    if (p.grad().defined()) with_grad.push_back(p);
  }
  if (o_.supernet.grad_clip > 0) {
    double norm = torch::nn::utils::clip_grad_norm_(with_grad, o_.supernet.grad_clip);
    if (!std::isfinite(norm)) s.loss = std::nan("");
  }
  if (std::isfinite(s.loss)) optimizer_->step(lr);
  return s;
}

double SearchRun::evaluate_q(const torch::Tensor& images, const torch::Tensor& labels, const std::vector<int>& indices) {
  c10::InferenceMode guard;
  torch::Tensor logits = supernet_->forward(images, space_->decode(indices));
  return logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

StepStats SearchRun::average(StepStats s) {
  if (!dist_.active()) return s;
  torch::Tensor t = torch::tensor({s.loss, s.train_top1, s.q, s.reward, s.latency_ms, s.interrupted}, torch::kFloat64);
  dist_.average({t});
  auto a = t.accessor<double, 1>();
  int n = dist_.world_size();
  return {a[0], a[1], a[2], a[3], a[4], a[5] * n};
}

void SearchRun::controller_step(TargetState& target, const std::vector<int>& indices, const StepStats& own,
                                const StepStats& mean, int64_t step, Json& line) {
  Controller& controller = *target.controller;
  std::vector<bool> active = space_->active(indices);
  line["entropy"] = controller.entropy(active);
  line["log_prob"] = controller.log_prob(indices, active);
  bool rl = step >= rl_start_;
  line["rl"] = rl;
  if (!rl) {
    line["advantage"] = nullptr;
    line["baseline"] = nullptr;
    line["rl_lr"] = 0.0;
    return;
  }
  double lr = scheduled(o_.controller.schedule, o_.controller.lr, step - rl_start_, o_.steps - rl_start_, 0);
  // This rank's own reward against the shared baseline; gradients averaged over ranks.
  double advantage = target.baseline.advantage(own.reward);
  LogitTable grad = controller.reinforce_gradient(indices, active, advantage);
  if (dist_.active()) {
    std::vector<double> flat;
    for (const auto& row : grad) flat.insert(flat.end(), row.begin(), row.end());
    torch::Tensor t = torch::tensor(flat, torch::kFloat64);
    dist_.average({t});
    auto a = t.accessor<double, 1>();
    size_t k = 0;
    for (auto& row : grad) {
      for (double& g : row) g = a[k++];
    }
  }
  controller.apply_gradient(grad, lr);
  target.baseline.update(mean.reward);
  line["advantage"] = advantage;
  line["baseline"] = target.baseline.value();
  line["rl_lr"] = lr;
}

void SearchRun::diverged(int64_t step, const std::string& what) const {
  std::string kept = last_checkpoint_ >= 0 ? "the last good checkpoint (step " + std::to_string(last_checkpoint_) +
                                                 ") is " + search_checkpoint_path(run_dir_)
                                           : "no checkpoint was written yet";
  throw runtime_error("search diverged at step " + std::to_string(step) + ": " + what +
                      " (try a lower supernet.lr than " + Json(o_.supernet.lr).dump() + "); " + kept);
}

SearchResult SearchRun::run() {
  prepare_run_dir();
  setup();
  dist_.barrier();  // every rank has checked the run folder before rank 0 writes to it
  if (o_.resume) {
    load_checkpoint();
    if (is_main()) metrics_ = read_metrics_lines(run_dir_ + "/metrics.jsonl", step_);
  }
  if (is_main()) {
    make_directories(run_dir_ + "/checkpoints");  // only now: bad input has been rejected
    write_config();
    std::string lines;
    for (const Json& m : metrics_) lines += m.dump() + "\n";
    write_file_atomic(run_dir_ + "/metrics.jsonl", lines);
  }
  const std::string metrics_path = run_dir_ + "/metrics.jsonl";
  const int64_t prob_every = std::max<int64_t>(1, o_.steps / 200);
  train::InterruptGuard interrupt_guard;
  ProgressOptions popts;
  popts.mode = is_main() ? control_.progress : ProgressMode::kDisabled;
  popts.initial = step_;
  popts.unit = "step";
  ProgressBar bar("search", o_.steps, popts);
  auto start = std::chrono::steady_clock::now();

  while (step_ < o_.steps) {
    const int64_t s = step_;
    // Every random choice of a step comes from (seed, rank, step): a resumed run needs no RNG state.
    std::mt19937_64 rng(search_step_seed(o_.seed, dist_.rank(), s));
    Json line = {{"step", s + 1}};
    const size_t count = targets_.size();
    // The shared weights train on each target's samples in turn.
    const size_t trainer = static_cast<size_t>(s % static_cast<int64_t>(count));
    if (count > 1) {
      line["train_controller"] = trainer;
      line["controllers"] = Json::array();
      for (const TargetState& target : targets_) line["controllers"].push_back({{"target_ms", target.target_ms}});
    }
    std::vector<int> train_idx = training_architecture(*targets_[trainer].controller, rng, line);
    double lr = scheduled(o_.supernet.schedule, o_.supernet.lr, s, o_.steps, o_.supernet.warmup_steps);
    StepStats trained = average(train_step(train_idx, lr));
    if (!std::isfinite(trained.loss)) diverged(s + 1, "the training loss is " + Json(trained.loss).dump() + " (not finite)");

    // Every controller samples, and all are scored on one validation batch.
    data::Batch val;
    val_loader_->next_cyclic(val);
    bool interrupted = false;
    for (size_t k = 0; k < count; ++k) {
      TargetState& target = targets_[k];
      std::vector<int> rl_idx = target.controller->sample(rng);
      StepStats own;
      own.q = evaluate_q(val.images, val.labels, rl_idx);
      own.latency_ms = latency_->latency_ms(rl_idx);
      own.reward = reward(o_.controller.reward, o_.controller.effective_beta(), own.q, own.latency_ms, target.target_ms);
      own.interrupted = train::InterruptGuard::requested() ? 1.0 : 0.0;
      StepStats mean = average(own);
      interrupted = interrupted || mean.interrupted > 0;
      Json& tline = target_line(line, k, count);
      controller_step(target, rl_idx, own, mean, s, tline);
      std::vector<int> likely = target.controller->most_likely();
      tline["q"] = mean.q;
      tline["reward"] = mean.reward;
      tline["latency_ms"] = mean.latency_ms;
      tline["most_likely"] = likely;
      tline["most_likely_latency_ms"] = latency_->latency_ms(likely);
    }
    step_ = s + 1;

    line["lr"] = lr;
    line["loss"] = trained.loss;
    line["train_top1"] = trained.train_top1;
    line["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (step_ % prob_every == 0 || step_ == o_.steps || step_ == 1) {
      for (size_t k = 0; k < count; ++k) target_line(line, k, count)["probabilities"] = targets_[k].controller->probabilities();
    }
    if (is_main()) {
      append_metrics_line(metrics_path, line);
      metrics_.push_back(line);
    }
    if (control_.stop_after_steps > 0 && step_ >= control_.stop_after_steps) {
      throw runtime_error("search stopped after " + std::to_string(step_) + " steps (stop_after_steps)");
    }
    bool due = step_ % o_.checkpoint_every == 0 || step_ == o_.steps || interrupted;
    if (due) {
      if (is_main()) save_checkpoint();
      last_checkpoint_ = step_;
    }
    if (interrupted) {
      throw runtime_error("search interrupted at step " + std::to_string(step_) + " (signal " +
                          std::to_string(train::InterruptGuard::signal_number()) + "); continue with: nasctl search --out " +
                          run_dir_ + " --resume");
    }
    std::ostringstream status;
    status << std::fixed << std::setprecision(3) << "loss " << trained.loss;
    for (size_t k = 0; k < count; ++k) {
      const Json& tline = target_line(line, k, count);
      status << (count == 1 ? " Q " : k == 0 ? " | Q " : " / ") << tline["q"].get<double>();
    }
    status << " T";
    for (size_t k = 0; k < count; ++k) status << " " << target_line(line, k, count)["most_likely_latency_ms"].get<double>();
    status << " ms";
    bar.update(step_, status.str());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish();
  return finish(seconds);
}

SearchResult SearchRun::finish(double seconds) {
  SearchResult r;
  r.run_dir = run_dir_;
  r.hardware = hardware_name_;
  r.steps = step_;
  r.seconds = seconds;
  r.min_latency_ms = range_.min_ms;
  r.max_latency_ms = range_.max_ms;
  const bool family = targets_.size() > 1;
  for (const TargetState& target : targets_) {
    TargetResult t;
    t.target_ms = target.target_ms;
    t.indices = target.controller->most_likely();
    t.arch = space_->decode(t.indices);
    t.arch.name = space_->name() + "_search";
    t.latency_ms = latency_->latency_ms(t.indices);
    t.on_edgetpu = latency_->on_edgetpu(t.indices);
    t.probabilities = target.controller->probabilities();
    t.arch_file = family ? family_arch_file(target.target_ms) : "arch.json";
    r.targets.push_back(std::move(t));
  }
  if (is_main()) {
    for (const TargetResult& t : r.targets) {
      write_file_atomic(run_dir_ + "/" + t.arch_file, result_json(r, t, *space_).dump(2) + "\n");
    }
    if (family) write_file_atomic(run_dir_ + "/family.json", family_json(r, *space_).dump(2) + "\n");
    std::vector<double> target_values;
    for (const TargetResult& t : r.targets) target_values.push_back(t.target_ms);
    write_search_svg(run_dir_ + "/search.svg", metrics_, *space_, target_values,
                     "nasctl search: " + space_->name() + " on " + hardware_name_);
  }
  dist_.barrier();
  return r;
}

}  // namespace

std::string family_arch_file(double target_ms) { return "arch-" + Json(target_ms).dump() + ".json"; }

std::string search_checkpoint_path(const std::string& run_dir) { return run_dir + "/checkpoints/last.ckpt"; }

SearchOptions load_run_options(const std::string& run_dir) {
  const std::string path = run_dir + "/config.json";
  if (!fs::exists(path)) throw Error("--resume: " + run_dir + " holds no search (no config.json)");
  Json config = load_json_file(path);
  if (!config.is_object() || config.value("format", "") != kConfigFormat || !config.contains("search")) {
    throw Error(path + ": not a search config (format must be \"" + std::string(kConfigFormat) + "\")");
  }
  return search_options_from_json(config["search"], path + ": search");
}

SearchResult run_search(const SearchOptions& options, const SearchControl& control) {
  options.validate();
  SearchRun run(options, control);
  return run.run();
}

}  // namespace nasctl::search
