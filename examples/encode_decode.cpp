// Minimal use of the public API: encode a WAV file's samples to tokens and decode them back.
// Links only libxcodec through <xcodec/xcodec.h>; no LibTorch header is needed.
//
//   xcodec_example model.safetensors 16000 < raw_float32_mono.pcm > decoded_float32.pcm
#include <xcodec/xcodec.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " MODEL.safetensors SAMPLE_RATE < in.f32 > out.f32\n";
    return 2;
  }
  try {
    auto codec = xcodec::Codec::load(argv[1]);
    std::vector<float> samples;
    float x = 0;
    while (std::fread(&x, sizeof(float), 1, stdin) == 1) samples.push_back(x);
    const xcodec::Codes codes = codec->encode(samples, std::atoi(argv[2]));
    std::cerr << codes.frames << " frames at " << codes.frame_rate << " tokens/s, first code "
              << (codes.frames > 0 ? codes.at(0, 0) : -1) << "\n";
    const std::vector<float> audio = codec->decode(codes);
    std::fwrite(audio.data(), sizeof(float), audio.size(), stdout);
    return 0;
  } catch (const xcodec::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
