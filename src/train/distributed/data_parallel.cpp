#include "xcodec/train/distributed/data_parallel.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

extern char** environ;

namespace xcodec::train {

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv env;
  const char* rank = std::getenv("XCODEC_RANK");
  const char* world = std::getenv("XCODEC_WORLD_SIZE");
  const char* store = std::getenv("XCODEC_DIST_STORE");
  if (rank == nullptr || world == nullptr) return env;
  env.rank = std::atoi(rank);
  env.world_size = std::atoi(world);
  env.store_path = store != nullptr ? store : "";
  if (env.world_size < 1 || env.rank < 0 || env.rank >= env.world_size || env.store_path.empty()) {
    throw ConfigError("bad data-parallel environment: XCODEC_RANK=" + std::string(rank) +
                      " XCODEC_WORLD_SIZE=" + world + " XCODEC_DIST_STORE=" + env.store_path);
  }
  return env;
}

struct DataParallel::Impl {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  int rank = 0;
  int world = 1;

  void allreduce(torch::Tensor& t) {
    std::vector<torch::Tensor> v{t};
    group->allreduce(v)->wait();
  }
};

DataParallel::DataParallel(const DistributedEnv& env) : impl_(std::make_unique<Impl>()) {
  impl_->rank = env.rank;
  impl_->world = env.world_size;
  try {
    auto store = c10::make_intrusive<c10d::FileStore>(env.store_path, env.world_size);
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    impl_->group =
        c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
  } catch (const std::exception& e) {
    throw Error("data-parallel rank " + std::to_string(env.rank) +
                ": cannot join the group: " + e.what());
  }
}

DataParallel::~DataParallel() = default;
int DataParallel::rank() const { return impl_->rank; }
int DataParallel::world_size() const { return impl_->world; }

void DataParallel::average_gradients(const std::vector<torch::Tensor>& params) {
  if (params.empty()) return;
  // One flat buffer: a single collective per optimiser step instead of one per tensor. It ends
  // with one flag per parameter (1 where this rank has a gradient), summed with the rest.
  std::vector<torch::Tensor> grads;
  grads.reserve(params.size() + 1);
  std::vector<float> has_grad;
  has_grad.reserve(params.size());
  for (const auto& p : params) {
    has_grad.push_back(p.grad().defined() ? 1.0f : 0.0f);
    grads.push_back(p.grad().defined() ? p.grad().detach().flatten()
                                       : torch::zeros({p.numel()}, p.options()));
  }
  grads.push_back(torch::tensor(has_grad).to(params.front().options()));
  torch::Tensor flat = torch::cat(grads);
  impl_->allreduce(flat);
  const torch::Tensor ranks_with_grad =
      flat.narrow(0, flat.numel() - static_cast<int64_t>(params.size()), params.size())
          .to(torch::kCPU, torch::kFloat32)
          .clone();  // a copy: the division below must not touch the counts
  const auto with_grad = ranks_with_grad.accessor<float, 1>();
  flat.div_(impl_->world);
  int64_t offset = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    torch::Tensor p = params[i];
    const torch::Tensor g = flat.narrow(0, offset, p.numel()).view_as(p);
    offset += p.numel();
    // No gradient on any rank (a parameter off the loss path): it stays undefined, so AdamW
    // skips it (no weight decay, no moment update), as PyTorch DDP leaves such a .grad None.
    if (with_grad[static_cast<int64_t>(i)] == 0.0f) continue;
    if (p.grad().defined()) {
      p.mutable_grad().copy_(g);
    } else {
      p.mutable_grad() = g.clone();  // missing on this rank only: counts as 0 in the mean
    }
  }
}

bool DataParallel::any(bool local) {
  torch::Tensor t = torch::tensor({local ? 1.0f : 0.0f});
  impl_->allreduce(t);
  return t.item<float>() > 0;
}

double DataParallel::mean(double local) {
  torch::Tensor t = torch::tensor({local}, torch::kFloat64);
  impl_->allreduce(t);
  return t.item<double>() / impl_->world;
}

namespace {
std::atomic<int> g_forward_signal{0};
void remember_signal(int sig) { g_forward_signal.store(sig); }
}  // namespace

int launch_data_parallel(const std::vector<std::string>& argv, int world_size) {
  if (world_size < 2) throw ConfigError("launch_data_parallel: world size must be >= 2");
  const std::string store = (std::filesystem::temp_directory_path() /
                             ("xcodec-dist-" + std::to_string(::getpid()) + ".store"))
                                .string();
  std::filesystem::remove(store);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<pid_t> pids;
  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  for (int r = 0; r < world_size; ++r) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "XCODEC_RANK=", 12) && std::strncmp(*e, "XCODEC_WORLD_SIZE=", 18) &&
          std::strncmp(*e, "XCODEC_DIST_STORE=", 18)) {
        env_strings.emplace_back(*e);
      }
    }
    env_strings.push_back("XCODEC_RANK=" + std::to_string(r));
    env_strings.push_back("XCODEC_WORLD_SIZE=" + std::to_string(world_size));
    env_strings.push_back("XCODEC_DIST_STORE=" + store);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, args.data(), envp.data());
    if (rc != 0) {
      for (pid_t p : pids) ::kill(p, SIGTERM);
      throw Error("cannot start data-parallel rank " + std::to_string(r) + ": " +
                  std::strerror(rc));
    }
    pids.push_back(pid);
  }
  XCODEC_LOG_INFO("[dist] started " << world_size << " ranks (Gloo, rendezvous " << store << ")");
  int result = 0;
  size_t alive = pids.size();
  std::vector<bool> done(pids.size(), false);
  bool forwarded = false;
  while (alive > 0) {
    if (!forwarded && g_forward_signal.load() != 0) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (!done[i]) ::kill(pids[i], g_forward_signal.load());
      forwarded = true;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      ::usleep(100000);
      continue;
    }
    for (size_t i = 0; i < pids.size(); ++i) {
      if (pids[i] != pid) continue;
      done[i] = true;
      --alive;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (code != 0 && result == 0) {
        result = code;
        // One rank failed: the others would wait for it forever.
        for (size_t j = 0; j < pids.size(); ++j)
          if (!done[j]) ::kill(pids[j], SIGTERM);
      }
    }
  }
  std::filesystem::remove(store);
  return result;
}

}  // namespace xcodec::train
