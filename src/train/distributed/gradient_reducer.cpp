#include "xcodec/train/distributed/gradient_reducer.h"

#include <torch/torch.h>

#include <chrono>
#include <mutex>

#include "xcodec/core/error.h"
#include "xcodec/train/distributed/data_parallel.h"

namespace xcodec::train {

// Layout of a bucket: the flattened gradients of its parameters, then one flag per parameter
// (1 where this rank has a gradient), so one all-reduce also counts the ranks with a gradient.
struct GradientReducer::Impl {
  struct Bucket {
    std::vector<size_t> params;  // indices into `params`, in bucket order
    std::vector<int64_t> offsets;
    int64_t numel = 0;
    torch::Tensor flat;  // [numel + params.size()]
    int pending = 0;     // parameters whose hook has not fired this step
    bool launched = false;
    size_t handle = 0;
  };

  DataParallel* group = nullptr;
  std::vector<torch::Tensor> params;
  std::vector<size_t> bucket_of;  // parameter -> bucket
  std::vector<size_t> slot_of;    // parameter -> position in its bucket
  std::vector<char> ready;        // parameter's gradient is in its bucket this step
  std::vector<Bucket> buckets;
  size_t next_to_launch = 0;
  bool armed = false;
  std::mutex mutex;  // hooks may run on autograd's device threads (CUDA)
  double wait_seconds = 0;
  int during_backward = 0;       // this step so far
  int last_during_backward = 0;  // the last finished step

  void reset_step() {
    std::fill(ready.begin(), ready.end(), 0);
    for (auto& b : buckets) {
      b.pending = static_cast<int>(b.params.size());
      b.launched = false;
      // finish() has waited for every work on it, so the buffer can be reused.
      if (b.flat.defined()) {
        b.flat.zero_();
      } else {
        b.flat = torch::zeros({b.numel + static_cast<int64_t>(b.params.size())},
                              params[b.params.front()].options().requires_grad(false));
      }
    }
    next_to_launch = 0;
    during_backward = 0;
  }

  void write_slot(size_t p, const torch::Tensor& grad) {
    Bucket& b = buckets[bucket_of[p]];
    const size_t slot = slot_of[p];
    const torch::Tensor& param = params[p];
    torch::Tensor dst = b.flat.narrow(0, b.offsets[slot], param.numel());
    if (grad.defined()) {
      dst.copy_(grad.reshape({-1}));
      b.flat[b.numel + static_cast<int64_t>(slot)] = 1;
    }
  }

  // Buckets go out strictly in index order, so every rank starts the same collectives in the
  // same order (Gloo/NCCL match them by order) whatever order its hooks fire in.
  void launch_ready(bool from_hook) {
    while (next_to_launch < buckets.size() && buckets[next_to_launch].pending == 0) {
      Bucket& b = buckets[next_to_launch++];
      b.handle = group->start_allreduce(b.flat);
      b.launched = true;
      if (from_hook) ++during_backward;
    }
  }

  // Runs when autograd has computed the gradient `incoming` of parameter p in this backward,
  // before it is added to p.grad (a leaf's hooks see the sum over all its uses).
  void on_grad(size_t p, const torch::Tensor& incoming) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || ready[p]) return;
    torch::NoGradGuard no_grad;
    const torch::Tensor& param = params[p];
    // Earlier micro-batches' gradients are already in p.grad; this backward adds `incoming`.
    write_slot(p, param.grad().defined() ? param.grad() + incoming : incoming);
    ready[p] = 1;
    --buckets[bucket_of[p]].pending;
    launch_ready(true);
  }
};

GradientReducer::GradientReducer(DataParallel& group, std::vector<torch::Tensor> params,
                                 const GradientReducerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.group = &group;
  for (auto& p : params)
    if (p.requires_grad()) m.params.push_back(p);
  const size_t n = m.params.size();
  m.bucket_of.assign(n, 0);
  m.slot_of.assign(n, 0);
  m.ready.assign(n, 0);
  // Reverse registration order (the output side first, as backward reaches it first); a new
  // bucket when the cap is reached or the dtype/device changes.
  int64_t cap = options.first_bucket_bytes;
  for (size_t k = n; k-- > 0;) {
    const torch::Tensor& p = m.params[k];
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    bool fresh = m.buckets.empty();
    if (!fresh) {
      const Impl::Bucket& b = m.buckets.back();
      const torch::Tensor& first = m.params[b.params.front()];
      fresh = b.numel * static_cast<int64_t>(first.element_size()) + bytes > cap ||
              first.scalar_type() != p.scalar_type() || first.device() != p.device();
      if (fresh) cap = options.bucket_cap_bytes;
    }
    if (fresh) m.buckets.emplace_back();
    Impl::Bucket& b = m.buckets.back();
    m.bucket_of[k] = m.buckets.size() - 1;
    m.slot_of[k] = b.params.size();
    b.params.push_back(k);
    b.offsets.push_back(b.numel);
    b.numel += p.numel();
  }
  for (size_t k = 0; k < n; ++k) {
    Impl* raw = impl_.get();
    // A hook that returns nothing leaves the gradient unchanged.
    m.params[k].register_hook([raw, k](const torch::Tensor& g) { raw->on_grad(k, g); });
  }
  if (!m.buckets.empty()) m.reset_step();
}

// Hooks hold a raw pointer to Impl: the parameters must not run backward after the reducer is
// gone (the trainer owns both and destroys them together).
GradientReducer::~GradientReducer() = default;

void GradientReducer::prepare_for_backward() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->buckets.empty()) return;
  if (impl_->next_to_launch > 0 || impl_->armed) {
    throw Error("GradientReducer: prepare_for_backward() twice without finish()");
  }
  impl_->armed = true;
}

void GradientReducer::finish() {
  Impl& m = *impl_;
  if (m.buckets.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    torch::NoGradGuard no_grad;
    // Parameters whose hook did not fire (not on this backward's path, or this rank skipped
    // backward): their accumulated gradient if any, else zeros with flag 0.
    for (size_t p = 0; p < m.params.size(); ++p) {
      if (m.ready[p]) continue;
      Impl::Bucket& b = m.buckets[m.bucket_of[p]];
      if (b.launched) {
        throw Error("GradientReducer: a bucket went out before all its gradients were ready");
      }
      m.write_slot(p, m.params[p].grad());
      m.ready[p] = 1;
      --b.pending;
    }
    m.launch_ready(false);
    m.armed = false;
  }
  for (auto& b : m.buckets) m.group->wait_allreduce(b.handle);
  m.wait_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  torch::NoGradGuard no_grad;
  const double world = static_cast<double>(m.group->world_size());
  for (auto& b : m.buckets) {
    const torch::Tensor flags = b.flat.narrow(0, b.numel, static_cast<int64_t>(b.params.size()))
                                    .to(torch::kCPU, torch::kFloat64);
    const auto with_grad = flags.accessor<double, 1>();
    b.flat.narrow(0, 0, b.numel).div_(world);
    for (size_t slot = 0; slot < b.params.size(); ++slot) {
      // No gradient on any rank: stays undefined, so AdamW skips it (no weight decay, no moment
      // update), as DDP with find_unused_parameters leaves such a .grad None.
      if (with_grad[static_cast<int64_t>(slot)] == 0.0) continue;
      torch::Tensor& param = m.params[b.params[slot]];
      const torch::Tensor mean = b.flat.narrow(0, b.offsets[slot], param.numel()).view_as(param);
      if (param.grad().defined()) {
        param.mutable_grad().copy_(mean);
      } else {
        param.mutable_grad() = mean.clone();  // missing on this rank only: counted as 0
      }
    }
  }
  m.last_during_backward = m.during_backward;
  m.reset_step();
}

double GradientReducer::last_wait_seconds() const { return impl_->wait_seconds; }
int GradientReducer::last_buckets_during_backward() const { return impl_->last_during_backward; }
int GradientReducer::num_buckets() const { return static_cast<int>(impl_->buckets.size()); }

}  // namespace xcodec::train
