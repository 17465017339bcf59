#include "train/validation.h"

#include <torch/torch.h>

namespace xcodec::train {

ValidationResult run_validation(models::CodecModel& codec, data::DataLoader& loader,
                                int64_t batches, const losses::MultiResolutionMelLoss& mel,
                                const torch::Device& device, int64_t max_examples) {
  torch::NoGradGuard no_grad;
  codec.module().eval();
  ValidationResult r;
  eval::CodeHistogram histogram(1, codec.info().codebook_size);  // every quantizer's codes pooled
  double mel_sum = 0.0;
  double distinct_sum = 0.0;
  for (int64_t bi = 0; bi < batches; ++bi) {
    const data::Batch b = loader.next();
    const torch::Tensor y = b.wav.to(device).unsqueeze(1);
    const torch::Tensor features = b.semantic.defined() ? b.semantic.to(device) : torch::Tensor();
    const auto out = codec.forward_train(y, features);
    mel_sum += mel(out.recon.squeeze(1), out.target.squeeze(1)).total.item<double>() * y.size(0);
    r.items += y.size(0);
    const torch::Tensor codes = out.codes.to(torch::kCPU);
    for (int64_t i = 0; i < codes.size(0); ++i) {
      histogram.add(codes[i].reshape({-1}));
      distinct_sum += eval::distinct_codes_per_quantizer(codes[i]);
    }
    for (int64_t i = 0; i < y.size(0) && static_cast<int64_t>(r.examples.size()) < max_examples;
         ++i) {
      const torch::Tensor rec = out.recon[i][0].to(torch::kCPU, torch::kFloat32).contiguous();
      r.examples.emplace_back(rec.data_ptr<float>(), rec.data_ptr<float>() + rec.numel());
    }
  }
  codec.module().train();
  const double items = static_cast<double>(std::max<int64_t>(1, r.items));
  r.mel_loss = mel_sum / items;
  r.codes_per_utt = distinct_sum / items;
  r.usage = histogram.pooled_usage();
  return r;
}

}  // namespace xcodec::train
