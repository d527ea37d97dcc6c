#include "nasctl/train/distributed.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "nasctl/core/error.h"

namespace nasctl::train {
namespace {

int env_int(const char* name, int fallback, int min_value) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < min_value || parsed > 1 << 30) {
    throw Error("environment variable " + std::string(name) + " must be an integer >= " + std::to_string(min_value) +
                ", but got \"" + value + "\"");
  }
  return static_cast<int>(parsed);
}

}  // namespace

DistEnv DistEnv::from_environment() {
  DistEnv env;
  env.world_size = env_int("WORLD_SIZE", 1, 1);
  env.rank = env_int("RANK", 0, 0);
  env.local_rank = env_int("LOCAL_RANK", 0, 0);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) env.master_addr = addr;
  env.master_port = env_int("MASTER_PORT", env.master_port, 1);
  if (env.master_port > 65535) {
    throw Error("environment variable MASTER_PORT must be a port (1..65535), but got " + std::to_string(env.master_port));
  }
  if (env.rank >= env.world_size) {
    throw Error("environment variable RANK must be < WORLD_SIZE (" + std::to_string(env.world_size) + "), but got " +
                std::to_string(env.rank));
  }
  return env;
}

// The backend is held by its concrete type: LibTorch 1.x derives it from c10d::ProcessGroup, 2.x
// from c10d::Backend, and the calls used here exist on both.
struct Distributed::Group {
  c10::intrusive_ptr<c10d::Store> store;
#ifdef USE_C10D_GLOO
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  std::string backend = "none";

  template <typename F>
  void run(F&& f) {
#ifdef USE_C10D_NCCL
    if (nccl) return f(*nccl);
#endif
#ifdef USE_C10D_GLOO
    if (gloo) return f(*gloo);
#endif
    throw runtime_error("distributed: no process group");
  }
};

Distributed::Distributed(const DistEnv& env, torch::Device device, DistOptions options)
    : env_(env), options_(options), device_(device), group_(std::make_unique<Group>()) {
  if (!env_.distributed()) return;
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(env_.master_port);
  store_options.isServer = env_.rank == 0;
  store_options.numWorkers = static_cast<size_t>(env_.world_size);
  store_options.timeout = options_.timeout;
  try {
    group_->store = c10::make_intrusive<c10d::TCPStore>(env_.master_addr, store_options);
    if (device_.is_cuda()) {
#ifdef USE_C10D_NCCL
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = options_.timeout;
      group_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(group_->store, env_.rank, env_.world_size, nccl_options);
      group_->backend = "nccl";
#else
      throw runtime_error("--device cuda with several processes needs a LibTorch built with NCCL (USE_C10D_NCCL)");
#endif
    } else {
#ifdef USE_C10D_GLOO
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(options_.timeout);
      // GLOO_SOCKET_IFNAME picks the network interface, as in torch.distributed; a loopback master
      // means a single machine; otherwise Gloo binds to the address this host's name resolves to.
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
        gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (env_.master_addr == "127.0.0.1" || env_.master_addr == "localhost") {
        gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      group_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, env_.rank, env_.world_size, gloo_options);
      group_->backend = "gloo";
#else
      throw runtime_error("this nasctl was built without c10d's Gloo backend (USE_C10D_GLOO)");
#endif
    }
  } catch (const c10::Error& e) {
    std::string what = e.what();
    throw runtime_error("distributed rendezvous at " + env_.master_addr + ":" + std::to_string(env_.master_port) +
                        " failed (rank " + std::to_string(env_.rank) + " of " + std::to_string(env_.world_size) +
                        "): " + what.substr(0, what.find('\n')));
  }
  spdlog::info("distributed: rank {} of {} ({} via {}:{})", env_.rank, env_.world_size, group_->backend,
               env_.master_addr, env_.master_port);
}

Distributed::~Distributed() = default;

std::string Distributed::backend() const { return group_->backend; }

void Distributed::allreduce_flat(std::vector<torch::Tensor>& flats) {
  if (!active() || flats.empty()) return;
  group_->run([&](auto& pg) { pg.allreduce(flats)->wait(); });
}

void Distributed::sum(const std::vector<torch::Tensor>& tensors) {
  if (!active()) return;
  for (const torch::Tensor& t : tensors) {
    std::vector<torch::Tensor> one = {t};
    allreduce_flat(one);
  }
}

void Distributed::average(const std::vector<torch::Tensor>& tensors) {
  if (!active()) return;
  sum(tensors);
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& t : tensors) t.div_(world_size());
}

void Distributed::allreduce_gradients(const std::vector<torch::Tensor>& parameters) {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : parameters) {
    if (!p.grad().defined()) const_cast<torch::Tensor&>(p).mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  // Buckets of consecutive gradients of one dtype, about bucket_bytes each.
  size_t begin = 0;
  while (begin < grads.size()) {
    size_t end = begin;
    int64_t bytes = 0;
    while (end < grads.size() && grads[end].scalar_type() == grads[begin].scalar_type() &&
           (end == begin || bytes + grads[end].nbytes() <= static_cast<size_t>(options_.bucket_bytes))) {
      bytes += static_cast<int64_t>(grads[end].nbytes());
      ++end;
    }
    std::vector<torch::Tensor> pieces;
    for (size_t i = begin; i < end; ++i) pieces.push_back(grads[i].reshape({-1}));
    std::vector<torch::Tensor> flat = {torch::cat(pieces)};
    allreduce_flat(flat);
    flat[0].div_(world_size());
    int64_t offset = 0;
    for (size_t i = begin; i < end; ++i) {
      int64_t n = grads[i].numel();
      grads[i].copy_(flat[0].narrow(0, offset, n).view_as(grads[i]));
      offset += n;
    }
    begin = end;
  }
}

void Distributed::average_buffers(torch::nn::Module& module) {
  if (!active()) return;
  std::vector<torch::Tensor> floats;
  for (const auto& item : module.named_buffers()) {
    if (item.value().is_floating_point()) floats.push_back(item.value());
  }
  average(floats);
}

void Distributed::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (!active()) return;
  c10d::BroadcastOptions options;
  options.rootRank = root;
  for (const torch::Tensor& t : tensors) {
    std::vector<torch::Tensor> one = {t};
    group_->run([&](auto& pg) { pg.broadcast(one, options)->wait(); });
  }
}

void Distributed::broadcast_module(torch::nn::Module& module) {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p);
  for (const auto& b : module.buffers()) tensors.push_back(b);
  broadcast(tensors);
}

void Distributed::barrier() {
  if (!active()) return;
  group_->run([&](auto& pg) { pg.barrier()->wait(); });
}

}  // namespace nasctl::train
