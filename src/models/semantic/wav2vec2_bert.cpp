#include "xcodec/models/semantic/wav2vec2_bert.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "xcodec/core/error.h"
#include "xcodec/models/layers/compute_precision.h"
#include "xcodec/models/layers/parameter_init.h"

namespace xcodec::models {
namespace F = torch::nn::functional;

namespace {

torch::Tensor activation(const std::string& name, const torch::Tensor& x) {
  if (name == "swish" || name == "silu") return torch::silu(x);
  if (name == "gelu") return torch::gelu(x);
  if (name == "relu") return torch::relu(x);
  throw ConfigError("wav2vec2-bert: unsupported hidden_act '" + name + "'");
}

torch::nn::LayerNorm layer_norm(const Wav2Vec2BertConfig& c, int64_t size) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(c.layer_norm_eps));
}

std::string shape_str(torch::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

void check_rank3(const torch::Tensor& x, int64_t channels, const char* where) {
  if (x.dim() != 3 || x.size(2) != channels)
    throw ShapeError(std::string("wav2vec2-bert ") + where + ": expected [B, T, " +
                     std::to_string(channels) + "], got " + shape_str(x.sizes()));
}

}  // namespace

// ---- feed-forward ---------------------------------------------------------------------------

Wav2Vec2BertFeedForwardImpl::Wav2Vec2BertFeedForwardImpl(Wav2Vec2BertConfig c)
    : config(std::move(c)) {
  reset();
}

void Wav2Vec2BertFeedForwardImpl::reset() {
  intermediate_dense = register_module(
      "intermediate_dense",
      make_linear(torch::nn::LinearOptions(config.hidden_size, config.intermediate_size)));
  output_dense = register_module(
      "output_dense",
      make_linear(torch::nn::LinearOptions(config.intermediate_size, config.hidden_size)));
}

void Wav2Vec2BertFeedForwardImpl::pretty_print(std::ostream& s) const {
  s << "Wav2Vec2BertFeedForward(" << config.hidden_size << " -> " << config.intermediate_size
    << ", " << config.hidden_act << ")";
}

torch::Tensor Wav2Vec2BertFeedForwardImpl::forward(const torch::Tensor& x) {
  return linear_forward(*output_dense,
                        activation(config.hidden_act, linear_forward(*intermediate_dense, x)));
}

// ---- self-attention ---------------------------------------------------------------------------

Wav2Vec2BertSelfAttentionImpl::Wav2Vec2BertSelfAttentionImpl(Wav2Vec2BertConfig c)
    : config(std::move(c)) {
  reset();
}

void Wav2Vec2BertSelfAttentionImpl::reset() {
  const int64_t h = config.hidden_size;
  linear_q = register_module("linear_q", make_linear(torch::nn::LinearOptions(h, h)));
  linear_k = register_module("linear_k", make_linear(torch::nn::LinearOptions(h, h)));
  linear_v = register_module("linear_v", make_linear(torch::nn::LinearOptions(h, h)));
  linear_out = register_module("linear_out", make_linear(torch::nn::LinearOptions(h, h)));
  distance_embedding =
      register_module("distance_embedding",
                      torch::nn::Embedding(config.num_relative_positions(), config.head_size()));
}

void Wav2Vec2BertSelfAttentionImpl::pretty_print(std::ostream& s) const {
  s << "Wav2Vec2BertSelfAttention(hidden=" << config.hidden_size
    << ", heads=" << config.num_attention_heads << ", relative_key=[-"
    << config.left_max_position_embeddings << ", +" << config.right_max_position_embeddings << "])";
}

torch::Tensor Wav2Vec2BertSelfAttentionImpl::forward(const torch::Tensor& x,
                                                     const torch::Tensor& attention_bias) {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t heads = config.num_attention_heads, d = config.head_size();
  auto split = [&](const torch::Tensor& y) { return y.view({b, t, heads, d}).transpose(1, 2); };
  // Scaling q once scales both the content and the positional term, as the reference does.
  const torch::Tensor q =
      split(linear_forward(*linear_q, x)) * (1.0 / std::sqrt(static_cast<double>(d)));
  const torch::Tensor k = split(linear_forward(*linear_k, x));
  const torch::Tensor v = split(linear_forward(*linear_v, x));
  torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2));  // [B, h, T, T]

  // Relative positions take only left + right + 1 values, so q·E is computed once per table row
  // ([B, h, T, R]) and gathered by distance instead of materialising [T, T, d] embeddings.
  const torch::Tensor table = distance_embedding->weight.to(q.dtype());  // [R, d]
  const torch::Tensor q_pos = torch::matmul(q, table.t());               // [B, h, T, R]
  const auto idx_opts = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  const torch::Tensor pos = torch::arange(t, idx_opts);
  const torch::Tensor distance =
      torch::clamp(pos.unsqueeze(0) - pos.unsqueeze(1), -config.left_max_position_embeddings,
                   config.right_max_position_embeddings) +
      config.left_max_position_embeddings;  // [T(query), T(key)]: key index - query index
  scores = scores + q_pos.gather(3, distance.expand({b, heads, t, t}));
  if (attention_bias.defined()) scores = scores + attention_bias;
  const torch::Tensor probs = torch::softmax(scores, -1);
  const torch::Tensor out = torch::matmul(probs, v).transpose(1, 2).reshape({b, t, heads * d});
  return linear_forward(*linear_out, out);
}

// ---- convolution module -----------------------------------------------------------------------

Wav2Vec2BertConvolutionModuleImpl::Wav2Vec2BertConvolutionModuleImpl(Wav2Vec2BertConfig c)
    : config(std::move(c)) {
  reset();
}

void Wav2Vec2BertConvolutionModuleImpl::reset() {
  const int64_t h = config.hidden_size;
  layer_norm = register_module("layer_norm", models::layer_norm(config, h));
  pointwise_conv1 = register_module("pointwise_conv1",
                                    make_conv1d(torch::nn::Conv1dOptions(h, 2 * h, 1).bias(false)));
  depthwise_conv = register_module(
      "depthwise_conv",
      torch::nn::Conv1d(
          torch::nn::Conv1dOptions(h, h, config.conv_depthwise_kernel_size).groups(h).bias(false)));
  depthwise_layer_norm = register_module("depthwise_layer_norm", models::layer_norm(config, h));
  pointwise_conv2 = register_module("pointwise_conv2",
                                    make_conv1d(torch::nn::Conv1dOptions(h, h, 1).bias(false)));
}

void Wav2Vec2BertConvolutionModuleImpl::pretty_print(std::ostream& s) const {
  s << "Wav2Vec2BertConvolutionModule(hidden=" << config.hidden_size
    << ", causal depthwise kernel=" << config.conv_depthwise_kernel_size << ")";
}

torch::Tensor Wav2Vec2BertConvolutionModuleImpl::forward(const torch::Tensor& x,
                                                         const torch::Tensor& mask) {
  torch::Tensor y = layer_norm(x);  // [B, T, H]
  if (mask.defined()) y = y.masked_fill(mask.unsqueeze(-1) == 0, 0.0);
  // The 1x1 convolutions are matrix products in [B, T, C] layout (no transposes needed).
  y = F::linear(y, pointwise_conv1->weight.squeeze(-1));  // [B, T, 2H]
  y = F::glu(y, F::GLUFuncOptions(-1));                   // first half * sigmoid(second half)
  y = y.transpose(1, 2);                                  // [B, H, T]
  y = F::pad(y, F::PadFuncOptions({config.conv_depthwise_kernel_size - 1, 0}));  // causal
  y = depthwise_conv(y).transpose(1, 2);                                         // [B, T, H]
  y = activation(config.hidden_act, depthwise_layer_norm(y));
  return F::linear(y, pointwise_conv2->weight.squeeze(-1));
}

// ---- encoder layer ---------------------------------------------------------------------------

Wav2Vec2BertEncoderLayerImpl::Wav2Vec2BertEncoderLayerImpl(Wav2Vec2BertConfig c)
    : config(std::move(c)) {
  reset();
}

void Wav2Vec2BertEncoderLayerImpl::reset() {
  const int64_t h = config.hidden_size;
  ffn1_layer_norm = register_module("ffn1_layer_norm", models::layer_norm(config, h));
  ffn1 = register_module("ffn1", Wav2Vec2BertFeedForward(config));
  self_attn_layer_norm = register_module("self_attn_layer_norm", models::layer_norm(config, h));
  self_attn = register_module("self_attn", Wav2Vec2BertSelfAttention(config));
  conv_module = register_module("conv_module", Wav2Vec2BertConvolutionModule(config));
  ffn2_layer_norm = register_module("ffn2_layer_norm", models::layer_norm(config, h));
  ffn2 = register_module("ffn2", Wav2Vec2BertFeedForward(config));
  final_layer_norm = register_module("final_layer_norm", models::layer_norm(config, h));
}

torch::Tensor Wav2Vec2BertEncoderLayerImpl::forward(const torch::Tensor& x,
                                                    const torch::Tensor& attention_bias,
                                                    const torch::Tensor& mask,
                                                    Wav2Vec2BertLayerTrace* trace) {
  const torch::Tensor f1 = ffn1(ffn1_layer_norm(x));
  torch::Tensor h = x + 0.5 * f1;
  const torch::Tensor att = self_attn(self_attn_layer_norm(h), attention_bias);
  h = h + att;
  const torch::Tensor conv = conv_module(h, mask);
  h = h + conv;
  const torch::Tensor f2 = ffn2(ffn2_layer_norm(h));
  h = h + 0.5 * f2;
  if (trace != nullptr) *trace = {f1, att, conv, f2};
  return final_layer_norm(h);
}

// ---- feature projection, encoder, model -------------------------------------------------------

Wav2Vec2BertFeatureProjectionImpl::Wav2Vec2BertFeatureProjectionImpl(Wav2Vec2BertConfig c)
    : config(std::move(c)) {
  reset();
}

void Wav2Vec2BertFeatureProjectionImpl::reset() {
  layer_norm = register_module("layer_norm",
                               models::layer_norm(config, config.feature_projection_input_dim));
  projection =
      register_module("projection", make_linear(torch::nn::LinearOptions(
                                        config.feature_projection_input_dim, config.hidden_size)));
}

torch::Tensor Wav2Vec2BertFeatureProjectionImpl::forward(const torch::Tensor& features) {
  return linear_forward(*projection, layer_norm(features));
}

void Wav2Vec2BertOptions::validate() const {
  config.validate();
  if (num_layers < 0 || num_layers > config.num_hidden_layers)
    throw ConfigError("wav2vec2-bert: requested hidden state " + std::to_string(num_layers) +
                      " is outside 0.." + std::to_string(config.num_hidden_layers) +
                      " (num_hidden_layers)");
}

Wav2Vec2BertEncoderImpl::Wav2Vec2BertEncoderImpl(Wav2Vec2BertConfig c, int64_t n)
    : config(std::move(c)), num_layers(n) {
  reset();
}

void Wav2Vec2BertEncoderImpl::reset() {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(Wav2Vec2BertEncoderLayer(config));
}

Wav2Vec2BertModelImpl::Wav2Vec2BertModelImpl(Wav2Vec2BertOptions o) : options(std::move(o)) {
  options.validate();
  reset();
}

void Wav2Vec2BertModelImpl::reset() {
  feature_projection =
      register_module("feature_projection", Wav2Vec2BertFeatureProjection(options.config));
  encoder = register_module("encoder", Wav2Vec2BertEncoder(options.config, options.num_layers));
}

void Wav2Vec2BertModelImpl::pretty_print(std::ostream& s) const {
  s << "Wav2Vec2BertModel(hidden=" << options.config.hidden_size << ", layers built "
    << options.num_layers << " of " << options.config.num_hidden_layers << ")";
}

std::vector<torch::Tensor> Wav2Vec2BertModelImpl::hidden_states(
    const torch::Tensor& input_features, const torch::Tensor& attention_mask,
    std::vector<Wav2Vec2BertLayerTrace>* traces) {
  check_rank3(input_features, options.config.feature_projection_input_dim, "input_features");
  torch::Tensor h = feature_projection(input_features);
  torch::Tensor bias, mask;
  if (attention_mask.defined()) {
    if (attention_mask.dim() != 2 || attention_mask.size(0) != h.size(0) ||
        attention_mask.size(1) != h.size(1))
      throw ShapeError(
          "wav2vec2-bert: attention_mask must be [B, T] = " + shape_str({h.size(0), h.size(1)}) +
          ", got " + shape_str(attention_mask.sizes()));
    mask = attention_mask.to(h.device());
    h = h.masked_fill(mask.unsqueeze(-1) == 0, 0.0);
    // Additive key mask as in the reference: (1 - mask) * lowest finite value of the dtype.
    const double lowest = h.scalar_type() == torch::kDouble
                              ? std::numeric_limits<double>::lowest()
                              : (h.scalar_type() == torch::kFloat
                                     ? static_cast<double>(std::numeric_limits<float>::lowest())
                                     : -65504.0);
    bias = ((1 - mask.to(h.scalar_type())) * lowest).view({h.size(0), 1, 1, h.size(1)});
  }
  std::vector<torch::Tensor> states;
  states.reserve(static_cast<size_t>(options.num_layers) + 1);
  states.push_back(h);
  if (traces != nullptr) traces->assign(static_cast<size_t>(options.num_layers), {});
  for (int64_t i = 0; i < options.num_layers; ++i) {
    auto layer = encoder->layers->ptr<Wav2Vec2BertEncoderLayerImpl>(static_cast<size_t>(i));
    h = layer->forward(h, bias, mask,
                       traces != nullptr ? &(*traces)[static_cast<size_t>(i)] : nullptr);
    states.push_back(h);
  }
  return states;
}

torch::Tensor Wav2Vec2BertModelImpl::forward(const torch::Tensor& input_features,
                                             const torch::Tensor& attention_mask) {
  check_rank3(input_features, options.config.feature_projection_input_dim, "input_features");
  torch::Tensor h = input_features;
  if (attention_mask.defined()) return hidden_states(input_features, attention_mask).back();
  // Unmasked fast path: no list of intermediate states is kept alive.
  h = feature_projection(h);
  for (int64_t i = 0; i < options.num_layers; ++i)
    h = encoder->layers->ptr<Wav2Vec2BertEncoderLayerImpl>(static_cast<size_t>(i))->forward(h);
  return h;
}

// ---- weights ----------------------------------------------------------------------------------

namespace {

// Parameter names inside one encoder layer ("ffn1.intermediate_dense.weight", ...). They do not
// depend on the sizes, so a minimal layer is built to list them.
const std::set<std::string>& layer_parameter_names() {
  static const std::set<std::string> names = [] {
    Wav2Vec2BertConfig tiny;
    tiny.hidden_size = 2;
    tiny.num_attention_heads = 1;
    tiny.intermediate_size = 2;
    tiny.conv_depthwise_kernel_size = 1;
    tiny.left_max_position_embeddings = 0;
    tiny.right_max_position_embeddings = 0;
    std::set<std::string> out;
    for (const auto& p : Wav2Vec2BertEncoderLayer(tiny)->named_parameters()) out.insert(p.key());
    return out;
  }();
  return names;
}

}  // namespace

int64_t load_wav2vec2_bert_weights(Wav2Vec2BertModel& model, const io::SafetensorsFile& file,
                                   const std::string& prefix) {
  torch::NoGradGuard no_grad;
  std::vector<std::string> problems;
  std::set<std::string> expected;
  int64_t loaded = 0;
  auto load_one = [&](const std::string& name, torch::Tensor& target) {
    const std::string key = prefix + name;
    expected.insert(key);
    if (!file.contains(key)) {
      problems.push_back("missing '" + key + "' (expected shape " + shape_str(target.sizes()) +
                         ")");
      return;
    }
    const auto& entry = file.entry(key);
    if (torch::IntArrayRef(entry.shape) != target.sizes()) {
      problems.push_back("'" + key + "' has shape " + shape_str(entry.shape) + ", expected " +
                         shape_str(target.sizes()));
      return;
    }
    target.copy_(file.tensor(key).to(target.device(), target.scalar_type()));
    ++loaded;
  };
  for (auto& p : model->named_parameters(/*recurse=*/true)) load_one(p.key(), p.value());
  for (auto& b : model->named_buffers(/*recurse=*/true)) load_one(b.key(), b.value());

  // Keys the truncated inference model legitimately leaves unused.
  const int64_t built = model->options.num_layers;
  auto allowed_unused = [&](const std::string& rest) {
    if (rest == "masked_spec_embed") return true;
    if (rest.rfind("adapter.", 0) == 0 || rest.rfind("intermediate_ffn.", 0) == 0) return true;
    const std::string layers = "encoder.layers.";
    if (rest.rfind(layers, 0) == 0) {
      const size_t dot = rest.find('.', layers.size());
      if (dot == std::string::npos) return false;
      const std::string index = rest.substr(layers.size(), dot - layers.size());
      if (!index.empty() && index.size() < 10 &&
          index.find_first_not_of("0123456789") == std::string::npos) {
        const int64_t i = std::stoll(index);
        // A layer that is not built, but still one of the checkpoint's and a known tensor name.
        return i >= built && i < model->options.config.num_hidden_layers &&
               layer_parameter_names().count(rest.substr(dot + 1)) != 0;
      }
    }
    return false;
  };
  for (const auto& key : file.keys()) {
    if (key.rfind(prefix, 0) != 0 || expected.count(key) != 0) continue;
    if (!allowed_unused(key.substr(prefix.size())))
      problems.push_back("unexpected '" + key + "' (shape " + shape_str(file.entry(key).shape) +
                         ")");
  }
  if (!problems.empty()) {
    std::string msg = file.path() + ": " + std::to_string(problems.size()) +
                      " problem(s) loading Wav2Vec2-BERT weights" +
                      (prefix.empty() ? "" : " under prefix '" + prefix + "'") + ":";
    const size_t shown = std::min<size_t>(problems.size(), 20);
    for (size_t i = 0; i < shown; ++i) msg += "\n  " + problems[i];
    if (shown < problems.size())
      msg += "\n  ... and " + std::to_string(problems.size() - shown) + " more";
    throw CheckpointError(msg);
  }
  return loaded;
}

}  // namespace xcodec::models
