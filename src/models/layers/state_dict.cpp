#include "xcodec/models/layers/state_dict.h"

#include <torch/torch.h>

#include <set>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/models/layers/foldable.h"

namespace xcodec::models {

namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

bool has_prefix(const std::string& key, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (starts_with(key, p)) return true;
  return false;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Non-persistent buffers of the Python modules that a re-saved file may still contain
// (vector-quantize-pytorch FSQ/ResidualFSQ, torchtune RoPE).
bool is_python_non_persistent(const std::string& key) {
  static const char* kSuffixes[] = {"._levels",
                                    "._basis",
                                    ".implicit_codebook",
                                    "quantizer.scales",
                                    ".rotary_embed.theta",
                                    ".rotary_embed.cache"};
  for (const char* s : kSuffixes)
    if (ends_with(key, s)) return true;
  return is_non_persistent_key(key);
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> persistent_state(
    const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    if (!is_non_persistent_key(p.key())) out.emplace_back(p.key(), p.value());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    if (!is_non_persistent_key(b.key())) out.emplace_back(b.key(), b.value());
  }
  return out;
}

std::vector<std::string> MapSource::keys() const {
  std::vector<std::string> k;
  for (const auto& kv : tensors_) k.push_back(kv.first);
  return k;
}

std::vector<int64_t> MapSource::shape(const std::string& key) const {
  const auto s = tensors_.at(key).sizes();
  return {s.begin(), s.end()};
}

std::string LoadStateReport::summary() const {
  std::ostringstream os;
  os << loaded.size() << " loaded, " << missing.size() << " missing, " << unexpected.size()
     << " unexpected, " << mismatched.size() << " mis-shaped, " << foreign.size() << " foreign, "
     << missing_optional.size() << " optional missing, " << ignored.size() << " ignored";
  for (const auto& k : missing) os << "\n  missing: " << k;
  for (const auto& k : unexpected) os << "\n  unexpected: " << k;
  for (const auto& k : mismatched) os << "\n  mis-shaped: " << k;
  return os.str();
}

LoadStateReport load_state(torch::nn::Module& module, const TensorSource& source,
                           const LoadStateOptions& options) {
  LoadStateReport report;
  const auto targets = persistent_state(module);
  std::set<std::string> target_names;
  for (const auto& t : targets) target_names.insert(t.first);
  std::set<std::string> file_keys;
  for (const auto& key : source.keys()) {
    file_keys.insert(key);
    if (target_names.count(key)) continue;
    if (has_prefix(key, options.foreign_prefixes)) {
      report.foreign.push_back(key);
    } else if (is_python_non_persistent(key)) {
      report.ignored.push_back(key);
    } else {
      report.unexpected.push_back(key);
    }
  }
  std::vector<std::pair<torch::Tensor, std::string>> to_copy;
  for (const auto& [name, dst] : targets) {
    if (!file_keys.count(name)) {
      (has_prefix(name, options.optional_prefixes) ? report.missing_optional : report.missing)
          .push_back(name);
      continue;
    }
    const auto file_shape = source.shape(name);
    const auto model_shape = std::vector<int64_t>(dst.sizes().begin(), dst.sizes().end());
    if (file_shape != model_shape) {
      report.mismatched.push_back(name + ": file " + shape_str(file_shape) + " vs model " +
                                  shape_str(model_shape));
      continue;
    }
    to_copy.emplace_back(dst, name);
  }
  if (options.strict && !report.ok()) {
    throw CheckpointError(source.describe() +
                          ": state dict does not match the model: " + report.summary());
  }
  torch::NoGradGuard no_grad;
  for (auto& [dst, name] : to_copy) {
    const bool map = options.map_weights && dst.device().is_cpu();
    const torch::Tensor t = map ? source.mapped(name) : source.tensor(name);
    if (map && t.scalar_type() == dst.scalar_type()) {
      dst.set_data(t);  // the module's own tensor, now over the source's memory
    } else {
      dst.copy_(t.to(dst.device(), dst.scalar_type()));
    }
    report.loaded.push_back(name);
  }
  return report;
}

void save_state(const std::string& path, const torch::nn::Module& module,
                const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto& [name, t] : persistent_state(module))
    tensors.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
  io::save_safetensors(path, tensors, metadata);
}

}  // namespace xcodec::models
