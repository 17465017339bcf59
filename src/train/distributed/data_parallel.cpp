#include "xcodec/train/distributed/data_parallel.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

namespace xcodec::train {
namespace {

using Ms = std::chrono::milliseconds;

int64_t now_ms() {
  return std::chrono::duration_cast<Ms>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
std::string string_of(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

// Restart attempts of an elastic agent share its store: keys of attempt N never meet N-1's.
std::string key_prefix(const DistributedEnv& env) {
  return "xcodec/attempt" + std::to_string(env.restart_count);
}

}  // namespace

struct DataParallel::Impl {
  DistributedEnv env;
  DataParallelOptions options;
  std::string where;  // "127.0.0.1:29500", for messages
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::string backend = "gloo";
  std::mutex works_mutex;  // works are started from autograd hooks too
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  std::atomic<int64_t> sequence{0};  // collectives started by this rank
  int64_t rank0_waits = 0;

  // Heartbeat: every second each rank publishes "<collectives started> <unix ms>" under
  // hb/<rank> (through its own store connection), so a failed collective can name the rank
  // that died (stale heartbeat) or fell behind (fewer collectives started).
  c10::intrusive_ptr<c10d::Store> heartbeat_store;
  std::thread heartbeat;
  std::mutex hb_mutex;
  std::condition_variable hb_cv;
  bool hb_stop = false;

  c10::intrusive_ptr<c10d::Store> connect(bool server, Ms timeout) const {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(env.master_port);
    o.isServer = server;
    o.numWorkers = env.world_size;
    o.waitWorkers = false;
    o.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
    return c10::make_intrusive<c10d::PrefixStore>(key_prefix(env), tcp);
  }

  void publish_heartbeat(c10d::Store& s) {
    s.set("hb/" + std::to_string(env.rank),
          bytes_of(std::to_string(sequence.load()) + " " + std::to_string(now_ms())));
  }

  void heartbeat_loop() {
    std::unique_lock<std::mutex> lock(hb_mutex);
    while (!hb_stop) {
      try {
        publish_heartbeat(*heartbeat_store);
      } catch (const std::exception&) {
        // The store host is gone; the next collective reports it.
      }
      hb_cv.wait_for(lock, Ms(1000), [this] { return hb_stop; });
    }
  }

  size_t start(torch::Tensor& t) {
    std::vector<torch::Tensor> v{t};
    std::lock_guard<std::mutex> lock(works_mutex);
    ++sequence;
    works.push_back(group->allreduce(v));
    return works.size() - 1;
  }
};

DataParallel::DataParallel(const DistributedEnv& env, const DataParallelOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->env = env;
  impl_->options = options;
  impl_->where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    if (env.world_size == 1) {
      impl_->store = c10::make_intrusive<c10d::HashStore>();
    } else {
      // Rank 0 hosts the store unless the launcher's agent does (TORCHELASTIC_USE_AGENT_STORE).
      impl_->store = impl_->connect(env.rank == 0 && !env.agent_store, options.join_timeout);
    }
    bool use_nccl = false;
#if defined(USE_C10D_NCCL)
    use_nccl = options.cuda;
    if (use_nccl) {
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = options.timeout;
      impl_->group =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, env.rank, env.world_size, o);
      impl_->backend = "nccl";
    }
#endif
    if (!use_nccl) {
      auto o = c10d::ProcessGroupGloo::Options::create(options.timeout);
      o->devices.push_back(env.world_size == 1 || env.master_addr == "127.0.0.1" ||
                                   env.master_addr == "localhost"
                               ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                               : c10d::ProcessGroupGloo::createDefaultDevice());
      impl_->group =
          c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world_size, o);
    }
    // The group has joined: from now on a store operation waits no longer than a collective.
    impl_->store->setTimeout(options.timeout);
    if (env.world_size > 1) {
      impl_->heartbeat_store = impl_->connect(false, options.timeout);
      impl_->publish_heartbeat(*impl_->heartbeat_store);
      impl_->heartbeat = std::thread([this] { impl_->heartbeat_loop(); });
    }
  } catch (const std::exception& e) {
    throw Error("data-parallel rank " + std::to_string(env.rank) + " of " +
                std::to_string(env.world_size) + ": cannot join the group at " + impl_->where +
                " (" + env.launcher + " environment): " + e.what());
  }
}

DataParallel::~DataParallel() {
  if (impl_->heartbeat.joinable()) {
    {
      std::lock_guard<std::mutex> lock(impl_->hb_mutex);
      impl_->hb_stop = true;
    }
    impl_->hb_cv.notify_all();
    impl_->heartbeat.join();
  }
}

int DataParallel::rank() const { return impl_->env.rank; }
int DataParallel::world_size() const { return impl_->env.world_size; }
std::string DataParallel::backend() const { return impl_->backend; }

size_t DataParallel::start_allreduce(torch::Tensor& t) { return impl_->start(t); }

void DataParallel::wait_allreduce(size_t handle) {
  c10::intrusive_ptr<c10d::Work> work;
  {
    std::lock_guard<std::mutex> lock(impl_->works_mutex);
    work = impl_->works.at(handle);
  }
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw Error("data-parallel rank " + std::to_string(rank()) + ": a collective failed (" +
                e.what() + "); " + diagnose_peers());
  }
  std::lock_guard<std::mutex> lock(impl_->works_mutex);
  impl_->works[handle].reset();
  // All finished: forget them, so handles stay small numbers.
  bool all_done = true;
  for (const auto& w : impl_->works) all_done = all_done && !w;
  if (all_done) impl_->works.clear();
}

std::string DataParallel::diagnose_peers() {
  if (world_size() == 1) return "no other rank";
  // A fresh connection: the shared one may be mid-operation or broken.
  c10::intrusive_ptr<c10d::Store> s;
  try {
    s = impl_->connect(false, Ms(5000));
  } catch (const std::exception&) {
    return impl_->env.agent_store
               ? "the launcher's store at " + impl_->where + " is gone"
               : "lost rank 0 (it hosts the store at " + impl_->where + ", which is gone)";
  }
  std::this_thread::sleep_for(Ms(2500));  // let a dead rank's heartbeat go stale
  const int64_t mine = impl_->sequence.load();
  std::ostringstream lost;
  std::ostringstream behind;
  for (int r = 0; r < world_size(); ++r) {
    if (r == rank()) continue;
    int64_t seq = 0;
    int64_t at = 0;
    try {
      std::istringstream(string_of(s->get("hb/" + std::to_string(r)))) >> seq >> at;
    } catch (const std::exception&) {
      lost << " " << r;
      continue;
    }
    const double age = static_cast<double>(now_ms() - at) / 1000.0;
    if (age > 2.0) {
      lost << " " << r << " (no sign of life for " << static_cast<int>(age) << " s)";
    } else if (seq < mine) {
      behind << " " << r << " (at collective " << seq << ", this rank at " << mine << ")";
    }
  }
  std::string out;
  if (!lost.str().empty()) out += "lost rank(s)" + lost.str();
  if (!behind.str().empty())
    out += (out.empty() ? "" : "; ") +
           std::string("rank(s) alive but not reaching the collective") + behind.str();
  return out.empty() ? "every other rank is alive; see their logs" : out;
}

bool DataParallel::any(bool local) {
  torch::Tensor t = torch::tensor({local ? 1.0f : 0.0f});
  wait_allreduce(start_allreduce(t));
  return t.item<float>() > 0;
}

double DataParallel::mean(double local) {
  torch::Tensor t = torch::tensor({local}, torch::kFloat64);
  wait_allreduce(start_allreduce(t));
  return t.item<double>() / world_size();
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (world_size() == 1) return;
  // Through one flat buffer per dtype/device; a broadcast is a sum with zeros elsewhere, so the
  // same all-reduce path (and its diagnostics) serves.
  std::vector<torch::Tensor> todo;
  for (const auto& t : tensors)
    if (t.defined() && t.numel() > 0) todo.push_back(t);
  for (size_t i = 0; i < todo.size();) {
    size_t j = i;
    std::vector<torch::Tensor> parts;
    while (j < todo.size() && todo[j].scalar_type() == todo[i].scalar_type() &&
           todo[j].device() == todo[i].device()) {
      parts.push_back(todo[j].detach().reshape({-1}));
      ++j;
    }
    torch::Tensor flat = torch::cat(parts);
    if (rank() != 0) flat.zero_();
    wait_allreduce(start_allreduce(flat));
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (size_t k = i; k < j; ++k) {
      todo[k].copy_(flat.narrow(0, offset, todo[k].numel()).view_as(todo[k]));
      offset += todo[k].numel();
    }
    i = j;
  }
}

void DataParallel::broadcast_bytes(std::string& bytes) {
  if (world_size() == 1) return;
  torch::Tensor n = torch::tensor({rank() == 0 ? static_cast<int64_t>(bytes.size()) : 0});
  wait_allreduce(start_allreduce(n));
  const int64_t size = n.item<int64_t>();
  if (size == 0) {
    bytes.clear();
    return;
  }
  torch::Tensor buf = torch::zeros({size}, torch::kUInt8);
  if (rank() == 0) std::memcpy(buf.data_ptr(), bytes.data(), static_cast<size_t>(size));
  // A sum with zeros on the other ranks: exact for bytes too.
  wait_allreduce(start_allreduce(buf));
  if (rank() != 0)
    bytes.assign(static_cast<const char*>(buf.data_ptr()), static_cast<size_t>(size));
}

void DataParallel::wait_for_rank0(const std::string& what) {
  if (world_size() == 1) return;
  const std::string key = "rank0_done/" + std::to_string(impl_->rank0_waits++);
  if (rank() == 0) {
    impl_->store->set(key, bytes_of(what));
    return;
  }
  try {
    // Hours: validation of a full model may take long. A dead rank 0 closes the store (or its
    // launcher ends this process) long before.
    impl_->store->wait({key}, std::chrono::hours(6));
  } catch (const std::exception& e) {
    throw Error("data-parallel rank " + std::to_string(rank()) + ": waiting for rank 0 (" + what +
                ") failed: " + e.what() + "; " + diagnose_peers());
  }
}

}  // namespace xcodec::train
