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
  std::vector<int> training_architecture(std::mt19937_64& rng, Json& line);
  StepStats train_step(const std::vector<int>& indices, double lr);
  double evaluate_q(const std::vector<int>& indices);
  void controller_step(const std::vector<int>& indices, const StepStats& own, const StepStats& mean, int64_t step,
                       Json& line);
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
  std::unique_ptr<Controller> controller_;
  RewardBaseline baseline_;
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
  space_ = std::make_unique<space::SearchSpace>(space::SearchSpace::load(o_.space));
  // The data: a held-out split of the training data gives Q; the test split is never read.
  std::shared_ptr<data::Dataset> base = data::open_dataset(o_.data, data::Split::kTrain);
  auto split = data::split_train_val(base, o_.val_fraction, o_.seed);
  train_data_ = split.first;
  val_data_ = split.second;
  graph::Shape input = space_->input();
  int size = o_.input_size > 0 ? o_.input_size : input.h;
  space_->set_input({size, size, input.c}, base->classes());

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

  auto loader_options = [&](int batch, bool train, uint64_t seed) {
    data::LoaderOptions l;
    l.batch_size = batch;
    l.workers = o_.workers;
    l.seed = seed;
    l.drop_last = true;  // equal batches on every rank and step
    l.rank = dist_.rank();
    l.world_size = dist_.world_size();
    l.transform = data::default_transform(*base, size, train && o_.supernet.augment);
    l.transform.channels = input.c;
    return l;
  };
  train_loader_ = std::make_unique<data::Loader>(train_data_, loader_options(o_.batch_size, true, o_.seed));
  int val_batch = o_.val_batch_size > 0 ? o_.val_batch_size : o_.batch_size;
  val_loader_ = std::make_unique<data::Loader>(val_data_, loader_options(val_batch, false, o_.seed + 1));
  rl_start_ = static_cast<int64_t>(std::ceil(o_.controller.start * o_.steps));
}

void SearchRun::setup_controller() {
  std::vector<int> counts;
  for (const auto& d : space_->decisions()) counts.push_back(static_cast<int>(d.choices.size()));
  ControllerOptions copts;
  copts.adam_beta1 = o_.controller.adam_beta1;
  copts.adam_beta2 = o_.controller.adam_beta2;
  controller_ = std::make_unique<Controller>(counts, copts);
  baseline_ = RewardBaseline(o_.controller.baseline_momentum);

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
      controller_->mask(m.decision, m.choice);
      spdlog::info("edgetpu-only: masked {}", m.reason);
    }
  }
  ChoiceMask allowed;
  for (int d = 0; d < controller_->num_decisions(); ++d) {
    allowed.emplace_back();
    for (int c = 0; c < controller_->num_choices(d); ++c) allowed.back().push_back(controller_->allowed(d, c));
  }
  range_ = latency_range(*latency_, allowed);
  std::ostringstream range_text;
  range_text << std::fixed << std::setprecision(3) << range_.min_ms << " .. " << range_.max_ms << " ms";
  if (!(o_.target_ms >= range_.min_ms)) {
    std::ostringstream s;
    s << std::setprecision(4) << "search.target_ms " << o_.target_ms << " is below the fastest architecture of space '"
      << space_->name() << "' on " << hardware_name_ << (masking_ ? " (Edge TPU-only)" : "")
      << ": the minimum reachable latency is " << range_.min_ms << " ms; choose a target >= " << range_.min_ms << " ms";
    throw Error(s.str());
  }
  if (o_.target_ms > range_.max_ms) {
    spdlog::warn("target {} ms is above the slowest architecture of the space ({} ms): latency will not constrain "
                 "the search", o_.target_ms, range_.max_ms);
  }
  spdlog::info("space '{}': {} decisions, 10^{:.1f} architectures, latency {} on {}", space_->name(),
               space_->decisions().size(), space_->log10_size(), range_text.str(), hardware_name_);
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
                  {"controller", controller_->state()},
                  {"baseline", baseline_.state()},
                  {"train_loader", pos(train_loader_->position())},
                  {"val_loader", pos(val_loader_->position())}};
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
  controller_->load_state(meta.at("controller"), path);
  baseline_.load_state(meta.at("baseline"), path);
  step_ = meta.at("step").get<int64_t>();
  auto pos = [](const Json& j) { return data::LoaderPosition{j.at("epoch").get<int64_t>(), j.at("batch").get<int64_t>()}; };
  train_loader_->seek(pos(meta.at("train_loader")));
  val_loader_->seek(pos(meta.at("val_loader")));
  last_checkpoint_ = step_;
  spdlog::info("resuming {} at step {} of {}", run_dir_, step_, o_.steps);
}

// The architecture of the shared-weights step, with TuNAS's op and filter warm-ups.
std::vector<int> SearchRun::training_architecture(std::mt19937_64& rng, Json& line) {
  double p_op = warmup_probability(o_.warmup.op, step_, o_.steps);
  double p_filter = warmup_probability(o_.warmup.filter, step_, o_.steps);
  bool uniform = uniform01(rng) < p_op;
  bool largest = uniform01(rng) < p_filter;
  std::vector<int> indices = uniform ? controller_->sample_uniform(rng) : controller_->sample(rng);
  if (largest) {
    for (size_t d = 0; d < indices.size(); ++d) {
      const space::Decision& decision = space_->decisions()[d];
      if (decision.kind != space::DecisionKind::kFilterMultiplier) continue;
      double best = -1;
      for (size_t c = 0; c < decision.choices.size(); ++c) {
        double m = decision.choices[c].get<double>();
        if (controller_->allowed(static_cast<int>(d), static_cast<int>(c)) && m > best) best = m, indices[d] = static_cast<int>(c);
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

double SearchRun::evaluate_q(const std::vector<int>& indices) {
  data::Batch batch;
  val_loader_->next_cyclic(batch);
  c10::InferenceMode guard;
  torch::Tensor logits = supernet_->forward(batch.images, space_->decode(indices));
  return logits.argmax(1).eq(batch.labels).to(torch::kFloat64).mean().item<double>();
}

StepStats SearchRun::average(StepStats s) {
  if (!dist_.active()) return s;
  torch::Tensor t = torch::tensor({s.loss, s.train_top1, s.q, s.reward, s.latency_ms, s.interrupted}, torch::kFloat64);
  dist_.average({t});
  auto a = t.accessor<double, 1>();
  int n = dist_.world_size();
  return {a[0], a[1], a[2], a[3], a[4], a[5] * n};
}

void SearchRun::controller_step(const std::vector<int>& indices, const StepStats& own, const StepStats& mean,
                                int64_t step, Json& line) {
  std::vector<bool> active = space_->active(indices);
  line["entropy"] = controller_->entropy(active);
  line["log_prob"] = controller_->log_prob(indices, active);
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
  double advantage = baseline_.advantage(own.reward);
  LogitTable grad = controller_->reinforce_gradient(indices, active, advantage);
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
  controller_->apply_gradient(grad, lr);
  baseline_.update(mean.reward);
  line["advantage"] = advantage;
  line["baseline"] = baseline_.value();
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
    std::vector<int> train_idx = training_architecture(rng, line);
    double lr = scheduled(o_.supernet.schedule, o_.supernet.lr, s, o_.steps, o_.supernet.warmup_steps);
    StepStats own = train_step(train_idx, lr);

    std::vector<int> rl_idx = controller_->sample(rng);
    own.q = evaluate_q(rl_idx);
    own.latency_ms = latency_->latency_ms(rl_idx);
    own.reward = reward(o_.controller.reward, o_.controller.effective_beta(), own.q, own.latency_ms, o_.target_ms);
    own.interrupted = train::InterruptGuard::requested() ? 1.0 : 0.0;
    StepStats mean = average(own);
    if (!std::isfinite(mean.loss)) diverged(s + 1, "the training loss is " + Json(mean.loss).dump() + " (not finite)");
    controller_step(rl_idx, own, mean, s, line);
    step_ = s + 1;

    std::vector<int> likely = controller_->most_likely();
    line["lr"] = lr;
    line["loss"] = mean.loss;
    line["train_top1"] = mean.train_top1;
    line["q"] = mean.q;
    line["reward"] = mean.reward;
    line["latency_ms"] = mean.latency_ms;
    line["most_likely"] = likely;
    line["most_likely_latency_ms"] = latency_->latency_ms(likely);
    line["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (step_ % prob_every == 0 || step_ == o_.steps || step_ == 1) line["probabilities"] = controller_->probabilities();
    if (is_main()) {
      append_metrics_line(metrics_path, line);
      metrics_.push_back(line);
    }
    if (control_.stop_after_steps > 0 && step_ >= control_.stop_after_steps) {
      throw runtime_error("search stopped after " + std::to_string(step_) + " steps (stop_after_steps)");
    }
    bool due = step_ % o_.checkpoint_every == 0 || step_ == o_.steps || mean.interrupted > 0;
    if (due) {
      if (is_main()) save_checkpoint();
      last_checkpoint_ = step_;
    }
    if (mean.interrupted > 0) {
      throw runtime_error("search interrupted at step " + std::to_string(step_) + " (signal " +
                          std::to_string(train::InterruptGuard::signal_number()) + "); continue with: nasctl search --out " +
                          run_dir_ + " --resume");
    }
    std::ostringstream status;
    status << std::fixed << std::setprecision(3) << "loss " << mean.loss << " Q " << mean.q << " T "
           << line["most_likely_latency_ms"].get<double>() << " ms";
    bar.update(step_, status.str());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish();
  return finish(seconds);
}

SearchResult SearchRun::finish(double seconds) {
  SearchResult r;
  r.run_dir = run_dir_;
  r.indices = controller_->most_likely();
  r.arch = space_->decode(r.indices);
  r.arch.name = space_->name() + "_search";
  r.latency_ms = latency_->latency_ms(r.indices);
  r.on_edgetpu = latency_->on_edgetpu(r.indices);
  r.target_ms = o_.target_ms;
  r.hardware = hardware_name_;
  r.probabilities = controller_->probabilities();
  r.steps = step_;
  r.seconds = seconds;
  r.min_latency_ms = range_.min_ms;
  r.max_latency_ms = range_.max_ms;
  if (is_main()) {
    write_file_atomic(run_dir_ + "/arch.json", result_json(r, *space_).dump(2) + "\n");
    write_search_svg(run_dir_ + "/search.svg", metrics_, *space_, o_.target_ms,
                     "nasctl search: " + space_->name() + " on " + hardware_name_);
  }
  dist_.barrier();
  return r;
}

}  // namespace

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
