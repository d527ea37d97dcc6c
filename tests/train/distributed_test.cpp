// Data parallelism: two processes on 127.0.0.1 (Gloo) training 3 steps end with the weights of one
// process trained on the combined batch. The network has no BatchNorm (per-rank batch statistics
// are, by design, not those of the combined batch) and no dropout; with those, the averaged
// gradient of two half batches equals the gradient of the whole batch, so the runs agree up to
// floating-point summation order.
#include "nasctl/train/distributed.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "nasctl/train/checkpoint.h"
#include "nasctl/train/trainer.h"
#include "support.h"
#include "train/train_fixture.h"

extern char** environ;

namespace nasctl::train {
namespace {
using nasctl::testing::TempDir;

constexpr const char* kWorkerVariable = "NASCTL_TEST_DIST_WORKER";

TrainOptions dist_options(const std::string& root, const std::string& out, int batch) {
  TrainOptions o = testing::tiny_options(root + "/data", root + "/plain.json", out);
  o.epochs = 1;
  o.batch_size = batch;
  o.dropout = 0;
  o.ema_decay = 0;
  o.schedule.warmup_epochs = 0;
  o.optimizer.weight_decay = 1e-3;
  return o;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

pid_t spawn_worker(const std::string& root, int rank, int port) {
  std::vector<std::string> env = {std::string(kWorkerVariable) + "=" + root, "RANK=" + std::to_string(rank),
                                  "LOCAL_RANK=" + std::to_string(rank), "WORLD_SIZE=2",
                                  "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port),
                                  "OMP_NUM_THREADS=1"};
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  std::vector<char*> envp;
  for (std::string& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe", filter = "--gtest_filter=DistributedWorker.*";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, envp.data()) != 0) return -1;
  return pid;
}

// Waits up to `seconds` for `pid`; kills it after that. Returns its exit status, or -1.
int wait_for(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

TEST(Distributed, TwoProcessesMatchOneProcessOnTheCombinedBatch) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/data");
  testing::write_idx_data(dir.path() + "/data", 24, 6);  // 3 steps of a global batch of 8
  testing::write_tiny_graph(dir.path() + "/plain.json", 3, 1, 12, /*batch_norm=*/false);

  TrainSummary single = run_training(dist_options(dir.path(), dir.path() + "/single", 8));
  ASSERT_EQ(single.steps, 3);

  int port = free_port();
  pid_t rank0 = spawn_worker(dir.path(), 0, port), rank1 = spawn_worker(dir.path(), 1, port);
  ASSERT_GT(rank0, 0);
  ASSERT_GT(rank1, 0);
  EXPECT_EQ(wait_for(rank0, 180), 0);
  EXPECT_EQ(wait_for(rank1, 180), 0);

  Checkpoint one = load_checkpoint(single.last_checkpoint);
  Checkpoint two = load_checkpoint(last_checkpoint_path(dir.path() + "/dual"));
  EXPECT_EQ(two.info.step, 3);
  EXPECT_EQ(two.info.state["world_size"], 2);
  int compared = 0;
  for (const auto& [name, tensor] : one.archive.tensors) {
    if (name.rfind("model.", 0) != 0) continue;
    double diff = (tensor - two.archive.get(name)).abs().max().item<double>();
    EXPECT_LE(diff, 1e-5) << name;
    ++compared;
  }
  EXPECT_EQ(compared, 6);  // two convs and the classifier, weight and bias each
  // The runs really moved away from the initial weights.
  nn::GraphNet init(one.info.graph);
  EXPECT_GT((init->named_parameters()["fc.weight"] - one.archive.get("model.fc.weight")).abs().max().item<double>(),
            1e-4);
}

// Runs only as a child of the test above (it sets the launcher's variables).
TEST(DistributedWorker, TrainsOneRankWhenSpawned) {
  const char* root = std::getenv(kWorkerVariable);
  if (!root) GTEST_SKIP() << "runs only as a worker process spawned by Distributed.*";
  TrainSummary s = run_training(dist_options(root, std::string(root) + "/dual", 4));
  EXPECT_EQ(s.world_size, 2);
  EXPECT_EQ(s.steps, 3);
}

TEST(DistEnv, ReadsTheLauncherVariablesAndRejectsBadOnes) {
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "2", 1);
  ::setenv("LOCAL_RANK", "0", 1);
  ::setenv("MASTER_ADDR", "10.0.0.1", 1);
  ::setenv("MASTER_PORT", "1234", 1);
  DistEnv env = DistEnv::from_environment();
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.rank, 2);
  EXPECT_EQ(env.master_addr, "10.0.0.1");
  EXPECT_EQ(env.master_port, 1234);
  ::setenv("RANK", "4", 1);
  EXPECT_THROW_MSG(DistEnv::from_environment(), "RANK must be < WORLD_SIZE (4), but got 4");
  ::setenv("RANK", "x", 1);
  EXPECT_THROW_MSG(DistEnv::from_environment(), "RANK must be an integer >= 0, but got \"x\"");
  for (const char* name : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(name);
  EXPECT_FALSE(DistEnv::from_environment().distributed());
  // One process: every collective is a no-op.
  Distributed single(DistEnv{}, torch::kCPU);
  torch::Tensor t = torch::ones({3});
  single.average({t});
  single.sum({t});
  EXPECT_TRUE(torch::equal(t, torch::ones({3})));
  EXPECT_EQ(single.backend(), "none");
}

TEST(Distributed, OneProcessTrainsOnTheGpu_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/data");
  testing::write_idx_data(dir.path() + "/data", 24, 6);
  testing::write_tiny_graph(dir.path() + "/plain.json", 3, 1, 12, false);
  TrainOptions o = dist_options(dir.path(), dir.path() + "/gpu", 8);
  o.device = "cuda";
  TrainSummary s = run_training(o);
  EXPECT_EQ(s.steps, 3);
}

}  // namespace
}  // namespace nasctl::train
