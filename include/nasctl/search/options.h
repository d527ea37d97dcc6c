#pragma once
/// SearchOptions: everything a `nasctl search` run needs. A config file (configs/search/*.json) and
/// the command-line flags fill this one struct (flags win); validate() checks it once before any
/// work. The JSON form is what RUN_DIR/config.json stores (see docs/search.md).

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/core/option_schema.h"
#include "nasctl/search/reward.h"

namespace nasctl::search {

/// Whether the controller may pick choices that put an op off the Edge TPU.
enum class EdgeTpuOnly {
  kAuto,  ///< "auto": on for Edge TPU hardware profiles
  kOn,    ///< "on": mask every choice that lowers to an op the Edge TPU compiler would not map
  kOff,   ///< "off": allow everything (off-TPU ops then run on the host, and cost latency)
};
const char* edgetpu_only_name(EdgeTpuOnly value);

/// Learning-rate schedules (over the steps where the optimiser runs).
enum class Schedule {
  kConstant,  ///< "constant"
  kCosine,    ///< "cosine": from the base rate to 0 (after an optional linear warm-up)
  kLinear,    ///< "linear": linear decay from the base rate to 0
};
const char* schedule_name(Schedule schedule);

/// The shared-weights (supernet) optimiser: SGD with Nesterov momentum, as TuNAS's CPU/GPU ports.
struct SupernetOptions {
  double lr = 0.1;              ///< peak learning rate; default 0.1
  double momentum = 0.9;        ///< default 0.9
  bool nesterov = true;         ///< default true
  double weight_decay = 4e-5;   ///< L2 on conv/linear weights only (not BN, not biases); default 4e-5
  Schedule schedule = Schedule::kCosine;  ///< default cosine
  int warmup_steps = 0;         ///< linear LR warm-up steps; default 0
  double grad_clip = 5.0;       ///< global gradient-norm clip; 0 = none; default 5
  double label_smoothing = 0.0; ///< default 0
  bool augment = true;          ///< training augmentation (flip + pad-and-crop for small images); default true
};

/// The REINFORCE controller.
struct ControllerSettings {
  double lr = 0.05;             ///< Adam learning rate on the logits; default 0.05
  Schedule schedule = Schedule::kConstant;  ///< over the RL steps; default constant
  double start = 0.25;          ///< fraction of the steps before RL starts; default 0.25 (TuNAS)
  double baseline_momentum = 0.95;  ///< EMA momentum of the reward baseline; default 0.95
  double adam_beta1 = 0.0;      ///< default 0
  double adam_beta2 = 0.999;    ///< default 0.999
  RewardKind reward = RewardKind::kAbsolute;  ///< default absolute (TuNAS)
  /// Latency exponent / weight; default NaN = the reward's usual value (default_reward_beta):
  /// -0.10 absolute, -0.07 mnas_soft, -1.0 mnas_hard. A config or flag patch that names a reward
  /// without a beta resets it to NaN, so a beta tuned for one reward never carries to another.
  double beta = std::numeric_limits<double>::quiet_NaN();
  /// The beta in effect.
  double effective_beta() const;
};

/// TuNAS's warm-ups: fractions of the steps over which a probability decays linearly 1 -> 0.
struct WarmupOptions {
  /// Op warm-up: with that probability the training architecture is sampled uniformly over all
  /// allowed choices instead of from the controller; default 0.25.
  double op = 0.25;
  /// Filter warm-up: with that probability the training architecture uses the largest filter
  /// multiplier of every stage, so that all channels get trained; default 0.25.
  double filter = 0.25;
};

struct SearchOptions {
  std::string space = "tiny";           ///< built-in space name or a file; default "tiny"
  std::string data = "fashion-mnist";   ///< data folder or "fashion-mnist"; default "fashion-mnist"
  std::string hardware = "coral-usb3";  ///< hardware profile name or file; default "coral-usb3"
  double target_ms = 0.0;               ///< target latency T0 in ms (> 0); required (the embedded default sets it)
  /// Several targets searched at once (a family: one controller per target over one supernet),
  /// ascending and distinct; default empty = the single target_ms. Reading `targets_ms` sets
  /// target_ms to 0 and reading `target_ms` clears this list, so the later source wins; a list of
  /// one target becomes target_ms.
  std::vector<double> targets_ms;
  EdgeTpuOnly edgetpu_only = EdgeTpuOnly::kAuto;  ///< default auto (on for Edge TPU profiles)
  int steps = 1000;                     ///< search steps; default 1000
  int batch_size = 64;                  ///< training batch per rank; default 64
  int val_batch_size = 0;               ///< validation batch for Q per rank; default 0 = batch_size
  double val_fraction = 0.1;            ///< share of the training data held out for Q; default 0.1
  int input_size = 0;                   ///< image size; default 0 = the space's input size
  int workers = 1;                      ///< data decoding threads; default 1
  std::string out;                      ///< run folder; default "" = runs/search-<date>-<time>
  bool resume = false;                  ///< continue the run in `out` from its checkpoint; default false
  uint64_t seed = 0;                    ///< seed of everything random; default 0
  bool deterministic = true;            ///< LibTorch deterministic algorithms; default true
  int checkpoint_every = 100;           ///< steps between checkpoints; default 100 (and at the end)
  SupernetOptions supernet;
  ControllerSettings controller;
  WarmupOptions warmup;

  /// The targets in force: targets_ms, or {target_ms} for a single-target search.
  std::vector<double> targets() const;
  /// Throws Error naming the field and value ("search.steps must be > 0, but got 0").
  void validate() const;
  /// The resolved options as JSON (every key, for config.json).
  Json to_json() const;
};

/// The table of the search options: JSON keys, flags, checks, help (core/option_schema.h).
const OptionSchema<SearchOptions>& search_option_schema();

/// Reads a search config: keys absent in `json` keep the values of `base`. Unknown keys, wrong
/// types and bad values throw Error naming `origin` and the key.
SearchOptions search_options_from_json(const Json& json, const std::string& origin, SearchOptions base = {});

/// Applies `patch` (a JSON object of the same shape, e.g. from flags) over `base` (objects merged
/// key by key, the patch wins).
Json merge_json(Json base, const Json& patch);

}  // namespace nasctl::search
