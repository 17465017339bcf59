// `xcodec encode|decode|reconstruct`: the Codec facade over files and folders.
#include <iostream>

#include "cli/command.h"
#include "cli/model_argument.h"
#include "xcodec/core/logging.h"
#include "xcodec/core/signals.h"
#include "xcodec/infer/default_model.h"
#include "xcodec/infer/file_jobs.h"
#include "xcodec/xcodec.h"

namespace xcodec::cli {
namespace {

struct CodecArgs {
  std::string model;
  CodecOptions codec;
  infer::FileJobOptions job;
};

void add_codec_command(CLI::App& root, const char* name, const char* help, infer::FileJobKind kind,
                       const char* in_help, const char* out_help) {
  auto* cmd = root.add_subcommand(name, help);
  auto args = std::make_shared<CodecArgs>();
  args->job.kind = kind;
  cmd->add_option("input", args->job.input, in_help)->required();
  cmd->add_option("-o,--output", args->job.output, out_help)->required();
  cmd->add_option("-m,--model", args->model,
                  "weights (.safetensors from `xcodec export`, or the released model); default: "
                  "$XCODEC_MODEL, else the shipped models/dwan-cpu.safetensors");
  if (kind != infer::FileJobKind::kDecode) {
    cmd->add_option(
        "--teacher", args->codec.teacher,
        "w2v-BERT 2.0 folder (config.json + model.safetensors) when the weights do not include it");
  }
  cmd->add_option("--device", args->codec.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", args->codec.precision,
                  "fp32; bf16: convolutions and matrix products in bfloat16, about 2x faster "
                  "on CPUs with AVX512-BF16/AMX and on GPUs, tokens can differ from fp32's (a "
                  "CPU without them runs fp32 and warns); auto: bf16 where native and measured "
                  "faster, else fp32")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  cmd->add_option("-j,--jobs", args->job.jobs, "files processed in parallel")
      ->capture_default_str();
  cmd->add_option(
         "--threads", args->codec.num_threads,
         "intra-op threads per job (0 = the CPUs this process may use, shared among the jobs)")
      ->capture_default_str();
  cmd->add_flag(
      "--overwrite", args->job.overwrite,
      "in a folder run, recompute outputs that already exist (default: skip them); a single "
      "input file's output is always replaced");
  cmd->add_option("--progress", args->job.progress, "auto, lines or none")->capture_default_str();
  cmd->callback([args, name] {
    install_stop_handlers();
    const std::string model = model_argument(args->model);
    // Decoding needs no encoder and encoding no decoder: load only the half a command uses.
    args->codec.decode_only = std::string(name) == "decode";
    args->codec.encode_only = std::string(name) == "encode";
    if (args->codec.num_threads <= 0)
      args->codec.num_threads = infer::default_threads_per_job(args->job.jobs);
    const auto codec = Codec::load(model, args->codec);
    XCODEC_LOG_INFO("[model] " << infer::describe_model(*codec, model));
    const auto r = infer::run_file_jobs(*codec, args->job);
    std::cout << name << ": " << r.done << " written, " << r.existing << " already present, "
              << r.failed.size() << " failed; " << r.audio_seconds << " s of audio in "
              << r.wall_seconds << " s\n";
    for (const auto& [path, reason] : r.failed)
      std::cerr << "  failed: " << path << ": " << reason << "\n";
    if (!r.failed.empty() && r.done + r.existing == 0) {
      throw Error(std::string(name) + ": every input failed; first: " + r.failed[0].second);
    }
  });
}

void add_commands(CLI::App& root) {
  add_codec_command(
      root, "encode",
      "Audio file or folder -> codes (.npy, int32 [quantizers, frames]; mirrored tree)",
      infer::FileJobKind::kEncode, "audio file or folder", "output .npy file or folder");
  add_codec_command(root, "decode", "Codes (.npy) file or folder -> 16-bit WAV at the model's rate",
                    infer::FileJobKind::kDecode, ".npy file or folder",
                    "output .wav file or folder");
  add_codec_command(
      root, "reconstruct",
      "Audio -> codes -> audio, with exactly the input's length and sample rate (WAV)",
      infer::FileJobKind::kReconstruct, "audio file or folder", "output .wav file or folder");
}

}  // namespace

XCODEC_REGISTER_COMMAND(60, add_commands);

}  // namespace xcodec::cli
