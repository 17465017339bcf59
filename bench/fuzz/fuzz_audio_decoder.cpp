// libFuzzer harness: the FFmpeg audio decoder (src/audio/ffmpeg_decoder.cpp, reader.cpp) on
// arbitrary bytes, through the public path API: read_audio → decode, down-mix, resample to
// 16 kHz, as `xcodec prepare` does. The bytes sit in a memfd, so the file has no extension and
// FFmpeg must detect the format from the content.
//
// Limits: 60 s of audio instead of the 4 h default (at FFmpeg's highest sample rate 4 h of
// decoded audio is far beyond the fuzzer's 2 GB RSS limit by design), 5 s wall clock per file.
// FFmpeg itself is Debian's uninstrumented build: only crashes inside it show, not silent
// out-of-bounds reads; our code around it is instrumented.
#include "fuzz_util.h"
#include "xcodec/audio/audio.h"
#include "xcodec/core/logging.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  xcodec::set_log_level(xcodec::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const xcodec::fuzz::MemFile input(data, size);
  xcodec::audio::ReadOptions options;
  options.target_rate = 16000;
  options.max_duration_s = 60.0;
  options.time_limit_s = 5.0;
  xcodec::fuzz::run_reader([&] {
    const xcodec::audio::Audio audio = xcodec::audio::read_audio(input.path(), options);
    if (audio.sample_rate != 16000) xcodec::fuzz::die("read_audio", "wrong output rate");
  });
  return 0;
}
