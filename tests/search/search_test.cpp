// The search loop end to end on the tiny space and Fashion-MNIST, with few steps and small batches:
// the run's files, bitwise-identical --resume, a target below the fastest architecture, a
// diverging run, and two processes on c10d.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "nasctl/core/configs.h"
#include "nasctl/core/files.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/nn/tensor_archive.h"
#include "nasctl/search/arch_latency.h"
#include "nasctl/search/score.h"
#include "nasctl/search/search.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/search_space.h"
#include "support.h"

namespace nasctl::search {
namespace {

namespace fs = std::filesystem;

// The embedded default's target (a test keeps it inside the reachable range of every profile).
double default_target_ms() {
  std::string origin;
  return search_options_from_json(load_config("search", "default", &origin), origin).target_ms;
}

SearchOptions small_options(const std::string& out) {
  SearchOptions o;
  o.space = "tiny";
  o.data = "fashion-mnist";
  o.hardware = "coral-usb3";
  o.target_ms = default_target_ms();
  o.steps = 8;
  o.batch_size = 16;
  o.workers = 0;
  o.checkpoint_every = 4;
  o.out = out;
  return o;
}

SearchControl quiet(int64_t stop_after = 0) {
  SearchControl c;
  c.progress = ProgressMode::kDisabled;
  c.stop_after_steps = stop_after;
  return c;
}

std::vector<Json> read_lines(const std::string& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(parse_json(line, path));
  return out;
}

int64_t read_metrics_count(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) n += !line.empty();
  return n;
}

TEST(Search, WritesTheRunFilesAndTheMostLikelyArchitecture) {
  testing::TempDir tmp;
  SearchOptions o = small_options(tmp.file("run"));
  SearchResult r = run_search(o, quiet());
  EXPECT_EQ(r.steps, 8);

  // config.json: the resolved options, the data split (validation carved from the training data).
  Json config = load_json_file(tmp.file("run/config.json"));
  EXPECT_EQ(config["search"]["steps"], 8);
  EXPECT_EQ(config["resolved"]["train_samples"].get<int>() + config["resolved"]["val_samples"].get<int>(), 60000);
  EXPECT_NEAR(config["resolved"]["val_samples"].get<double>(), 6000, 20);

  std::vector<Json> metrics = read_lines(tmp.file("run/metrics.jsonl"));
  ASSERT_EQ(metrics.size(), 8u);
  for (const char* key : {"loss", "q", "reward", "latency_ms", "entropy", "most_likely", "most_likely_latency_ms"}) {
    EXPECT_TRUE(metrics.back().contains(key)) << key;
  }
  EXPECT_FALSE(metrics[1]["rl"].get<bool>());  // RL starts after 25% of 8 steps
  EXPECT_TRUE(metrics[2]["rl"].get<bool>());
  EXPECT_TRUE(metrics[2]["baseline"].is_number());
  EXPECT_DOUBLE_EQ(metrics[0]["op_warmup_p"].get<double>(), 1.0);
  EXPECT_TRUE(metrics[0]["train_uniform"].get<bool>());  // warm-up probability 1 at step 0
  EXPECT_TRUE(metrics[0]["train_largest_filters"].get<bool>());
  EXPECT_DOUBLE_EQ(metrics[2]["op_warmup_p"].get<double>(), 0.0);
  // TuNAS's absolute reward of the logged Q and latency.
  const Json& m = metrics[5];
  EXPECT_NEAR(m["reward"].get<double>(),
              m["q"].get<double>() - 0.1 * std::abs(m["latency_ms"].get<double>() / o.target_ms - 1.0), 1e-9);

  // arch.json is an ArchSpec document of the space; its latency is the latency model's.
  space::ArchSpec arch = space::load_arch_file(tmp.file("run/arch.json"));
  space::SearchSpace space = space::SearchSpace::load("tiny");
  EXPECT_EQ(space.encode(arch), r.first().indices);
  ArchLatency latency(space, latency::load_hardware_profile("coral-usb3"));
  EXPECT_NEAR(latency.latency_ms(r.first().indices), r.first().latency_ms, 1e-12);
  Json result = load_json_file(tmp.file("run/arch.json"));
  EXPECT_EQ(result["decisions"].size(), space.decisions().size());
  EXPECT_TRUE(fs::exists(tmp.file("run/search.svg")));
  EXPECT_TRUE(fs::exists(search_checkpoint_path(tmp.file("run"))));

  // A second search into the same folder is refused; nothing there is touched.
  EXPECT_THROW_MSG(run_search(o, quiet()), "already holds a search; continue it with --resume");
}

TEST(Search, ResumeContinuesBitwiseIdentically) {
  testing::TempDir tmp;
  SearchOptions whole = small_options(tmp.file("whole"));
  run_search(whole, quiet());

  SearchOptions part = small_options(tmp.file("part"));
  try {
    run_search(part, quiet(/*stop_after=*/6));  // killed after step 6; last checkpoint at step 4
    ADD_FAILURE() << "expected the run to stop";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("stopped after 6 steps"), std::string::npos) << e.what();
  }
  part.resume = true;
  run_search(part, quiet());

  nn::TensorArchive a = nn::load_archive(search_checkpoint_path(tmp.file("whole")));
  nn::TensorArchive b = nn::load_archive(search_checkpoint_path(tmp.file("part")));
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    ASSERT_EQ(a.tensors[i].first, b.tensors[i].first);
    EXPECT_TRUE(torch::equal(a.tensors[i].second, b.tensors[i].second)) << a.tensors[i].first;
  }
  EXPECT_EQ(a.meta["controller"], b.meta["controller"]);
  EXPECT_EQ(a.meta["baseline"], b.meta["baseline"]);
  EXPECT_EQ(a.meta["step"], 8);
  std::vector<Json> ma = read_lines(tmp.file("whole/metrics.jsonl")), mb = read_lines(tmp.file("part/metrics.jsonl"));
  ASSERT_EQ(ma.size(), mb.size());  // the steps after the checkpoint are not logged twice
  for (size_t i = 0; i < ma.size(); ++i) {
    ma[i].erase("elapsed_s");
    mb[i].erase("elapsed_s");
    EXPECT_EQ(ma[i], mb[i]) << "step " << i + 1;
  }
  EXPECT_EQ(read_file(tmp.file("whole/arch.json")), read_file(tmp.file("part/arch.json")));

  // Resuming with another config is refused, naming the key.
  SearchOptions changed = part;
  changed.batch_size = 32;
  EXPECT_THROW_MSG(run_search(changed, quiet()), "the run was started with another batch_size");
  SearchOptions missing = small_options(tmp.file("nothing"));
  missing.resume = true;
  EXPECT_THROW_MSG(run_search(missing, quiet()), "holds no search checkpoint");
}

TEST(Search, TargetBelowTheFastestArchitectureFailsBeforeTraining) {
  testing::TempDir tmp;
  SearchOptions o = small_options(tmp.file("run"));
  o.target_ms = 0.01;
  EXPECT_THROW_MSG(run_search(o, quiet()), "is below the fastest architecture of space 'tiny' on coral-usb3");
  // The minimum is the fastest architecture's latency (the tiny space has no Edge TPU masks).
  space::SearchSpace space = space::SearchSpace::load("tiny");
  ArchLatency latency(space, latency::load_hardware_profile("coral-usb3"));
  ChoiceMask all;
  for (const auto& d : space.decisions()) all.emplace_back(d.choices.size(), true);
  std::ostringstream expected;
  expected << std::setprecision(4) << "the minimum reachable latency is " << latency_range(latency, all).min_ms << " ms";
  EXPECT_THROW_MSG(run_search(o, quiet()), expected.str());
  EXPECT_FALSE(fs::exists(tmp.file("run")));  // nothing written
}

TEST(Search, DivergingRunStopsAndKeepsTheLastGoodCheckpoint) {
  testing::TempDir tmp;
  SearchOptions o = small_options(tmp.file("run"));
  o.supernet.lr = 1e30;
  o.supernet.grad_clip = 0;
  o.checkpoint_every = 1;
  std::string message;
  try {
    run_search(o, quiet());
  } catch (const Error& e) {
    message = e.what();
    EXPECT_EQ(e.kind(), Error::Kind::kRuntime);
  }
  ASSERT_NE(message.find("search diverged at step"), std::string::npos) << message;
  EXPECT_NE(message.find("not finite"), std::string::npos) << message;
  // The checkpoint holds the last finite state.
  nn::TensorArchive ckpt = nn::load_archive(search_checkpoint_path(tmp.file("run")));
  int64_t step = ckpt.meta["step"].get<int64_t>();
  EXPECT_NE(message.find("last good checkpoint (step " + std::to_string(step) + ")"), std::string::npos) << message;
  for (const auto& [name, t] : ckpt.tensors) {
    if (t.is_floating_point()) EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << name;
  }
}

TEST(Search, BadInputNamesTheKey) {
  testing::TempDir tmp;
  SearchOptions o = small_options(tmp.file("run"));
  o.space = tmp.file("missing_space.json");
  EXPECT_THROW_MSG(run_search(o, quiet()), "missing_space.json");
  o = small_options(tmp.file("run"));
  o.steps = 0;
  EXPECT_THROW_MSG(run_search(o, quiet()), "search.steps (--steps) must be > 0, but got 0");
  o = small_options(tmp.file("run"));
  o.hardware = "coral-usb9";
  EXPECT_THROW_MSG(run_search(o, quiet()), "coral-usb9");
}

// Three targets over the tiny space, inside its reachable range (0.45 .. 0.76 ms on coral-usb3).
SearchOptions family_options(const std::string& out) {
  SearchOptions o = small_options(out);
  o.target_ms = 0;
  o.targets_ms = {0.5, 0.55, 0.6};
  return o;
}

TEST(SearchFamily, OneControllerPerTargetOverOneSupernet) {
  testing::TempDir tmp;
  SearchOptions o = family_options(tmp.file("run"));
  SearchResult r = run_search(o, quiet());
  ASSERT_EQ(r.targets.size(), 3u);
  space::SearchSpace space = space::SearchSpace::load("tiny");
  ArchLatency latency(space, latency::load_hardware_profile("coral-usb3"));

  // One arch-<T0>.json per target, each its own controller's most likely architecture.
  const char* files[] = {"arch-0.5.json", "arch-0.55.json", "arch-0.6.json"};
  Json family = load_json_file(tmp.file("run/family.json"));
  EXPECT_EQ(family["format"], "nasctl.search_family");
  ASSERT_EQ(family["targets"].size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const TargetResult& t = r.targets[k];
    EXPECT_EQ(t.arch_file, files[k]);
    EXPECT_DOUBLE_EQ(t.target_ms, o.targets_ms[k]);
    Json doc = load_json_file(tmp.file("run/" + std::string(files[k])));
    EXPECT_DOUBLE_EQ(doc["target_ms"].get<double>(), o.targets_ms[k]);
    // (encode reads a skipped layer's decisions as 0, the controller's most likely choice need not)
    EXPECT_EQ(space.encode(space::load_arch_file(tmp.file("run/" + std::string(files[k])))),
              space.encode(space.decode(t.indices)));
    EXPECT_NEAR(latency.latency_ms(t.indices), t.latency_ms, 1e-12);
    EXPECT_EQ(family["targets"][k]["arch"], files[k]);
    EXPECT_EQ(family["targets"][k]["indices"], Json(t.indices));
    EXPECT_DOUBLE_EQ(family["targets"][k]["latency_ms"].get<double>(), t.latency_ms);
  }
  EXPECT_FALSE(fs::exists(tmp.file("run/arch.json")));
  EXPECT_TRUE(fs::exists(tmp.file("run/search.svg")));

  // metrics.jsonl: shared weights trained on each controller's samples in turn; every controller
  // logs its own Q, latency and reward against its own target.
  std::vector<Json> metrics = read_lines(tmp.file("run/metrics.jsonl"));
  ASSERT_EQ(metrics.size(), 8u);
  for (size_t i = 0; i < metrics.size(); ++i) {
    const Json& m = metrics[i];
    EXPECT_EQ(m["train_controller"], i % 3);
    ASSERT_EQ(m["controllers"].size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      const Json& c = m["controllers"][k];
      EXPECT_DOUBLE_EQ(c["target_ms"].get<double>(), o.targets_ms[k]);
      if (i < 5) continue;
      EXPECT_NEAR(c["reward"].get<double>(),
                  c["q"].get<double>() - 0.1 * std::abs(c["latency_ms"].get<double>() / o.targets_ms[k] - 1.0), 1e-9);
      EXPECT_TRUE(c["baseline"].is_number());
    }
  }
  // The config keeps the family's targets, and no single target.
  Json config = load_json_file(tmp.file("run/config.json"));
  EXPECT_EQ(config["search"]["targets_ms"], Json({0.5, 0.55, 0.6}));
  EXPECT_FALSE(config["search"].contains("target_ms"));
}

TEST(SearchFamily, ResumeContinuesBitwiseAndRefusesChangedTargets) {
  testing::TempDir tmp;
  run_search(family_options(tmp.file("whole")), quiet());
  SearchOptions part = family_options(tmp.file("part"));
  EXPECT_THROW(run_search(part, quiet(/*stop_after=*/6)), Error);
  part.resume = true;
  run_search(part, quiet());
  nn::TensorArchive a = nn::load_archive(search_checkpoint_path(tmp.file("whole")));
  nn::TensorArchive b = nn::load_archive(search_checkpoint_path(tmp.file("part")));
  EXPECT_EQ(a.meta["controllers"], b.meta["controllers"]);
  EXPECT_EQ(a.meta["baselines"], b.meta["baselines"]);
  EXPECT_EQ(read_file(tmp.file("whole/family.json")), read_file(tmp.file("part/family.json")));

  SearchOptions changed = part;
  changed.targets_ms = {0.5, 0.55, 0.65};
  EXPECT_THROW_MSG(run_search(changed, quiet()), "the run was started with another targets_ms");
}

// A family of one target is the single search, bit for bit.
TEST(SearchFamily, OneTargetListIsTheSingleSearch) {
  testing::TempDir tmp;
  run_search(small_options(tmp.file("single")), quiet());
  Json as_list = {{"targets_ms", {default_target_ms()}}};
  SearchOptions listed = search_options_from_json(as_list, "test", small_options(tmp.file("listed")));
  EXPECT_TRUE(listed.targets_ms.empty());
  run_search(listed, quiet());
  std::vector<Json> a = read_lines(tmp.file("single/metrics.jsonl")), b = read_lines(tmp.file("listed/metrics.jsonl"));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    a[i].erase("elapsed_s");
    b[i].erase("elapsed_s");
    EXPECT_EQ(a[i], b[i]);
  }
  EXPECT_EQ(read_file(tmp.file("single/arch.json")), read_file(tmp.file("listed/arch.json")));
}

TEST(SearchFamily, BadTargetsAreRejectedBeforeTraining) {
  // Unsorted targets are sorted; a target given twice is refused.
  SearchOptions o = search_options_from_json(Json{{"targets_ms", {0.6, 0.5, 0.55}}}, "family.json");
  EXPECT_EQ(o.targets_ms, (std::vector<double>{0.5, 0.55, 0.6}));
  EXPECT_EQ(o.target_ms, 0.0);
  EXPECT_THROW_MSG(search_options_from_json(Json{{"targets_ms", {0.6, 0.5, 0.6}}}, "family.json"),
                   "family.json: targets_ms lists the target 0.6 ms twice");
  EXPECT_THROW_MSG(search_options_from_json(Json{{"targets_ms", {0.6, -1}}}, "family.json"),
                   "family.json: targets_ms must be a list of latencies > 0 in ms");
  EXPECT_THROW_MSG(search_options_from_json(Json{{"target_ms", 0.5}, {"targets_ms", {0.6, 0.7}}}, "family.json"),
                   "give target_ms (one target) or targets_ms (several), not both");
  // The later source wins: a single target over a family's config, and back.
  SearchOptions family = search_options_from_json(Json{{"targets_ms", {0.5, 0.6}}}, "config");
  SearchOptions single = search_options_from_json(Json{{"target_ms", 0.7}}, "flags", family);
  EXPECT_TRUE(single.targets_ms.empty());
  EXPECT_EQ(single.targets(), std::vector<double>{0.7});

  // Outside the space's reachable range: named with the range, and nothing is written.
  testing::TempDir tmp;
  SearchOptions low = family_options(tmp.file("run"));
  low.targets_ms = {0.01, 0.5};
  EXPECT_THROW_MSG(run_search(low, quiet()), "search.targets_ms 0.01 is below the fastest architecture of space 'tiny'");
  SearchOptions high = family_options(tmp.file("run"));
  high.targets_ms = {0.5, 50};
  EXPECT_THROW_MSG(run_search(high, quiet()), "search.targets_ms 50 is above the slowest architecture of space 'tiny'");
  EXPECT_FALSE(fs::exists(tmp.file("run")));
}

TEST(SearchScore, ScoresArchitecturesWithTheSharedWeights) {
  testing::TempDir tmp;
  SearchOptions o = small_options(tmp.file("run"));
  SearchResult r = run_search(o, quiet());
  space::SearchSpace space = space::SearchSpace::load("tiny");
  std::mt19937_64 rng(3);
  std::vector<NamedArch> archs = {{"found", r.first().arch}, {"random", space.decode(space.sample(rng))}};
  ScoreOptions options;
  options.batches = 3;
  options.workers = 0;
  std::vector<ArchScore> scores = score_architectures(tmp.file("run"), archs, options);
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(scores[0].images, 3 * 16);  // the search's validation batch
  EXPECT_EQ(scores[0].indices, space.encode(r.first().arch));
  EXPECT_NEAR(scores[0].latency_ms, r.first().latency_ms, 1e-12);
  for (const ArchScore& s : scores) EXPECT_TRUE(s.accuracy >= 0 && s.accuracy <= 1);
  // Each architecture's score depends on it alone, not on what else is scored.
  std::vector<ArchScore> alone = score_architectures(tmp.file("run"), {archs[1]}, options);
  EXPECT_DOUBLE_EQ(alone[0].accuracy, scores[1].accuracy);
  // The whole validation split by default: every full batch.
  options.batches = 0;
  Json config = load_json_file(tmp.file("run/config.json"));
  EXPECT_EQ(score_architectures(tmp.file("run"), {archs[0]}, options)[0].images,
            config["resolved"]["val_samples"].get<int64_t>() / 16 * 16);
}

TEST(SearchScore, AnArchitectureOutsideTheSpaceIsNamed) {
  testing::TempDir tmp;
  SearchOptions o = small_options(tmp.file("run"));
  o.steps = 1;
  SearchResult r = run_search(o, quiet());
  space::ArchSpec arch = r.first().arch;
  arch.blocks[0].kernel = 7;  // the tiny space's kernels are 3 and 5
  EXPECT_THROW_MSG(score_architectures(tmp.file("run"), {{"wide.json", arch}}), "wide.json: not in the search's space");
  EXPECT_THROW_MSG(score_architectures(tmp.file("nothing"), {{"a", r.first().arch}}), "holds no search");
}

// SIGTERM during a run: the step finishes, a checkpoint is written, the run stops with a message
// saying how to continue, and --resume then completes it.
TEST(Search, InterruptedRunCheckpointsAndResumes) {
  testing::TempDir tmp;
  SearchOptions o = small_options(tmp.file("run"));
  o.steps = 400;  // far more than it gets to run
  o.checkpoint_every = 1000;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int code = 3;
    try {
      run_search(o, quiet());
      code = 0;
    } catch (const Error& e) {
      code = std::string(e.what()).find("search interrupted at step") != std::string::npos ? 7 : 1;
    }
    ::_exit(code);
  }
  // Wait until the child has done a few steps, then ask it to stop.
  for (int i = 0; i < 600 && read_metrics_count(tmp.file("run/metrics.jsonl")) < 3; ++i) ::usleep(100000);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  nn::TensorArchive ckpt = nn::load_archive(search_checkpoint_path(tmp.file("run")));
  int64_t step = ckpt.meta["step"].get<int64_t>();
  EXPECT_GE(step, 3);
  EXPECT_EQ(read_metrics_count(tmp.file("run/metrics.jsonl")), step);
  o.resume = true;
  o.steps = static_cast<int>(step) + 2;  // a changed step count is refused
  EXPECT_THROW_MSG(run_search(o, quiet()), "another steps");
}

// Two processes on c10d (Gloo on 127.0.0.1): each samples its own architectures; the run finishes
// on both, and rank 0 writes the results.
TEST(Search, TwoProcessesOnGloo) {
  testing::TempDir tmp;
  int port = 29650 + static_cast<int>(::getpid() % 200);
  pid_t pids[2];
  for (int rank = 0; rank < 2; ++rank) {
    pids[rank] = ::fork();
    ASSERT_GE(pids[rank], 0);
    if (pids[rank] == 0) {
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", "2", 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      int code = 0;
      try {
        SearchOptions o = small_options(tmp.file("run"));
        o.steps = 4;
        run_search(o, quiet());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
        code = 1;
      }
      ::_exit(code);
    }
  }
  for (int rank = 0; rank < 2; ++rank) {
    int status = 0;
    ::waitpid(pids[rank], &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "rank " << rank;
  }
  std::vector<Json> metrics = read_lines(tmp.file("run/metrics.jsonl"));
  EXPECT_EQ(metrics.size(), 4u);
  Json config = load_json_file(tmp.file("run/config.json"));
  EXPECT_EQ(config["resolved"]["world_size"], 2);
  EXPECT_TRUE(fs::exists(tmp.file("run/arch.json")));
}

}  // namespace
}  // namespace nasctl::search
