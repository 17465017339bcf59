#include "xcodec/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <regex>
#include <sstream>
#include <type_traits>

#include "xcodec/core/error.h"
#include "xcodec/io/safetensors.h"

namespace xcodec::train {
namespace {

// The optimizer's state map is keyed by the parameter's TensorImpl: as a string in LibTorch
// 1.x, as a pointer in 2.x. Deduce the key type instead of testing versions.
template <typename Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    // What LibTorch 1.x itself writes (c10::guts::to_string, gone in 2.x): the streamed pointer.
    std::ostringstream key;
    key << p.unsafeGetTensorImpl();
    return key.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace

void CheckpointWriter::add_module(const std::string& prefix, const torch::nn::Module& module) {
  for (const auto& p : module.named_parameters(true))
    tensors_.emplace_back(prefix + p.key(), p.value());
  for (const auto& b : module.named_buffers(true))
    tensors_.emplace_back(prefix + b.key(), b.value());
}

void CheckpointWriter::add_optimizer(const std::string& prefix, torch::optim::AdamW& optimizer,
                                     const torch::nn::Module& module) {
  auto& state = optimizer.state();
  for (const auto& p : module.named_parameters(true)) {
    auto it = state.find(state_key(state, p.value()));
    if (it == state.end()) continue;  // never stepped (e.g. frozen)
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    tensors_.emplace_back(prefix + p.key() + ".exp_avg", s.exp_avg());
    tensors_.emplace_back(prefix + p.key() + ".exp_avg_sq", s.exp_avg_sq());
    tensors_.emplace_back(prefix + p.key() + ".step", torch::tensor(s.step(), torch::kInt64));
  }
}

void CheckpointWriter::add_rng_state(const std::string& prefix) {
  tensors_.emplace_back(prefix + "cpu", at::detail::getDefaultCPUGenerator().get_state());
  if (torch::cuda::is_available()) {
    for (int64_t d = 0; d < static_cast<int64_t>(torch::cuda::device_count()); ++d) {
      tensors_.emplace_back(
          prefix + "cuda" + std::to_string(d),
          at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, d)).get_state());
    }
  }
}

void CheckpointWriter::add_tensor(const std::string& name, const torch::Tensor& tensor) {
  tensors_.emplace_back(name, tensor);
}

void CheckpointWriter::save(const std::string& path) const {
  io::save_safetensors(path, tensors_, metadata_);
}

CheckpointReader::CheckpointReader(const std::string& path) : path_(path) {
  try {
    file_ = io::SafetensorsFile::open(path);
  } catch (const IoError& e) {
    throw CheckpointError(std::string("damaged checkpoint: ") + e.what());
  }
}

CheckpointReader::~CheckpointReader() = default;

void CheckpointReader::load_module(const std::string& prefix, torch::nn::Module& module) const {
  std::vector<std::string> problems;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    const std::string key = prefix + name;
    if (!file_->contains(key)) {
      problems.push_back("missing '" + key + "'");
      return;
    }
    const auto& e = file_->entry(key);
    if (c10::IntArrayRef(e.shape) != target.sizes()) {
      std::ostringstream os;
      os << "'" << key << "' has shape " << c10::IntArrayRef(e.shape) << ", the model expects "
         << target.sizes();
      problems.push_back(os.str());
      return;
    }
    target.copy_(file_->tensor(key));
  };
  for (auto& p : module.named_parameters(true)) copy(p.key(), p.value());
  for (auto& b : module.named_buffers(true)) copy(b.key(), b.value());
  if (!problems.empty()) {
    std::string msg = path_ + ": cannot load '" + prefix + "*': " + problems[0];
    for (size_t i = 1; i < std::min<size_t>(problems.size(), 8); ++i) msg += "; " + problems[i];
    if (problems.size() > 8) msg += "; and " + std::to_string(problems.size() - 8) + " more";
    throw CheckpointError(msg);
  }
}

void CheckpointReader::load_optimizer(const std::string& prefix, torch::optim::AdamW& optimizer,
                                      const torch::nn::Module& module) const {
  auto& state = optimizer.state();
  for (const auto& p : module.named_parameters(true)) {
    const std::string base = prefix + p.key();
    if (!file_->contains(base + ".exp_avg")) continue;
    // Everything is checked before the state is installed: AdamW itself would only fail (or
    // broadcast silently) at the next step, far from the file at fault.
    auto stored = [&](const std::string& key) {
      if (!file_->contains(key))
        throw CheckpointError(path_ + ": optimizer state '" + key + "' is missing");
      return file_->tensor(key);
    };
    const auto opts = p.value().options();
    auto moment = [&](const std::string& key) {
      torch::Tensor t = stored(key);
      if (t.sizes() != p.value().sizes()) {
        std::ostringstream os;
        os << path_ << ": optimizer state '" << key << "' has shape " << t.sizes()
           << ", the parameter " << p.value().sizes();
        throw CheckpointError(os.str());
      }
      return t.to(opts);
    };
    const torch::Tensor step = stored(base + ".step");
    if (step.numel() != 1 || step.scalar_type() != torch::kInt64 || step.item<int64_t>() < 0) {
      throw CheckpointError(path_ + ": optimizer state '" + base +
                            ".step' is not one non-negative int64");
    }
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->exp_avg(moment(base + ".exp_avg"));
    s->exp_avg_sq(moment(base + ".exp_avg_sq"));
    s->step(step.item<int64_t>());
    state[state_key(state, p.value())] = std::move(s);
  }
}

namespace {

// Installs a saved generator state; a tensor LibTorch refuses (wrong size or dtype, invalid
// Mersenne Twister fields) is a CheckpointError naming the key, and the generator keeps its
// previous state.
void restore_generator(at::Generator gen, const torch::Tensor& saved, const std::string& where) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  const torch::Tensor previous = gen.get_state();
  try {
    gen.set_state(saved);
  } catch (const c10::Error& e) {
    throw CheckpointError(where + " is not a generator state: " + e.what_without_backtrace());
  }
  if (gen.device().is_cpu()) {
    // LibTorch 1.13 checks left <= 624 and next <= 624 separately; the next 'left - 1' draws
    // read state[next ...], so next + left beyond 625 would read past the 624-word state.
    const at::mt19937_data_pod d = gen.get<at::CPUGeneratorImpl>()->engine().data();
    if (static_cast<int64_t>(d.next_) + d.left_ > 625) {
      gen.set_state(previous);
      throw CheckpointError(where + " is not a generator state: position " +
                            std::to_string(d.next_) + " with " + std::to_string(d.left_) +
                            " words left runs past the Mersenne Twister state");
    }
  }
}

}  // namespace

void CheckpointReader::load_rng_state(const std::string& prefix) const {
  if (file_->contains(prefix + "cpu")) {
    restore_generator(at::detail::getDefaultCPUGenerator(), file_->tensor(prefix + "cpu"),
                      path_ + ": tensor '" + prefix + "cpu'");
  }
  if (torch::cuda::is_available()) {
    for (int64_t d = 0; d < static_cast<int64_t>(torch::cuda::device_count()); ++d) {
      const std::string key = prefix + "cuda" + std::to_string(d);
      if (file_->contains(key)) {
        restore_generator(at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, d)),
                          file_->tensor(key), path_ + ": tensor '" + key + "'");
      }
    }
  }
}

bool CheckpointReader::has_tensor(const std::string& name) const { return file_->contains(name); }

torch::Tensor CheckpointReader::tensor(const std::string& name) const {
  if (!file_->contains(name)) throw CheckpointError(path_ + ": no tensor '" + name + "'");
  return file_->tensor(name);
}

std::optional<std::string> CheckpointReader::find_metadata(const std::string& key) const {
  auto it = file_->metadata().find(key);
  if (it == file_->metadata().end()) return std::nullopt;
  return it->second;
}

std::string CheckpointReader::metadata(const std::string& key) const {
  auto v = find_metadata(key);
  if (!v) throw CheckpointError(path_ + ": metadata has no '" + key + "'");
  return *v;
}

std::vector<std::string> CheckpointReader::keys_with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const auto& k : file_->keys()) {
    if (k.rfind(prefix, 0) == 0) out.push_back(k);
  }
  return out;
}

bool is_training_checkpoint(const std::string& path) {
  const auto file = io::SafetensorsFile::open(path);
  return file->metadata().count("xcodec.checkpoint_version") > 0;
}

std::vector<std::string> resume_candidates(const std::string& log_dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(log_dir, ec)) return out;
  const fs::path last = fs::path(log_dir) / "last.ckpt";
  if (fs::is_regular_file(last, ec)) out.push_back(last.string());
  static const std::regex step_re(R"(step=(\d+)\.ckpt)");
  std::vector<std::pair<int64_t, std::string>> steps;
  for (const auto& entry : fs::directory_iterator(log_dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && std::regex_match(name, m, step_re)) {
      steps.emplace_back(std::stoll(m[1]), entry.path().string());
    }
  }
  std::sort(steps.begin(), steps.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& s : steps) out.push_back(s.second);
  return out;
}

}  // namespace xcodec::train
