#pragma once
/// Data parallelism across processes on c10d, the engine under torch.distributed: Gloo on the CPU,
/// NCCL for CUDA tensors when LibTorch was built with it. Rendezvous reads the torchrun variables
/// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), so `torchrun --no-python nasctl ...`,
/// Slurm wrappers and other launchers start it unchanged. Without them (or WORLD_SIZE=1) every
/// operation is a no-op and nothing is initialised.
///
/// BatchNorm: each rank normalises with its own batch statistics (as per-replica BN on TPUs, where
/// TuNAS and EfficientNet were trained), and average_buffers() makes the running statistics equal
/// on every rank before each evaluation and checkpoint. See docs/training.md for why not SyncBN.

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nasctl::train {

/// Where this process sits in the job, from the launcher's environment.
struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;                  ///< picks the GPU (cuda:LOCAL_RANK)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;

  /// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; absent = a single process.
  /// Throws Error naming the variable when one is malformed or inconsistent (RANK >= WORLD_SIZE).
  static DistEnv from_environment();
  bool distributed() const { return world_size > 1; }
};

struct DistOptions {
  /// Gradient bucket size for allreduce in bytes; default 25 MiB (PyTorch DDP's).
  int64_t bucket_bytes = 25 << 20;
  /// Rendezvous and collective timeout; default 10 minutes.
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
};

/// A process group (or nothing, for one process).
class Distributed {
 public:
  /// Joins the job described by `env`. `device` decides the backend: Gloo for the CPU, NCCL for
  /// CUDA (when available in this build). Throws a runtime Error when rendezvous fails.
  Distributed(const DistEnv& env, torch::Device device, DistOptions options = {});
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  bool is_main() const { return env_.rank == 0; }
  bool active() const { return env_.distributed(); }
  /// "gloo", "nccl" or "none".
  std::string backend() const;

  /// Averages the gradients of `parameters` over ranks: they are flattened into buckets of about
  /// bucket_bytes (per dtype), each allreduced (sum) and divided by the world size, then copied
  /// back. Parameters without a gradient get a zero gradient first, so every rank sends the same
  /// layout.
  void allreduce_gradients(const std::vector<torch::Tensor>& parameters);
  /// Averages `tensors` in place over ranks (floating point), e.g. BN running statistics.
  void average(const std::vector<torch::Tensor>& tensors);
  /// Sums `tensors` in place over ranks.
  void sum(const std::vector<torch::Tensor>& tensors);
  /// Averages the floating-point buffers of `module` (BN running mean/var); integer buffers are
  /// left alone (they are equal on every rank).
  void average_buffers(torch::nn::Module& module);
  /// Copies `tensors` from rank `root` to every rank, in place.
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  /// Rank 0's parameters and buffers to every rank (start of training).
  void broadcast_module(torch::nn::Module& module);
  /// Waits for every rank.
  void barrier();

 private:
  void allreduce_flat(std::vector<torch::Tensor>& flats);
  struct Group;
  DistEnv env_;
  DistOptions options_;
  torch::Device device_;
  std::unique_ptr<Group> group_;
};

}  // namespace nasctl::train
