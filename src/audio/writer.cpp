// write_audio with libsndfile, through a temporary file renamed into place.
#include <fcntl.h>
#include <sndfile.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "xcodec/audio/audio.h"
#include "xcodec/core/error.h"
#include "xcodec/io/atomic_file.h"

namespace xcodec::audio {

std::string file_extension(AudioFileFormat format) {
  return format == AudioFileFormat::kFlac16 ? ".flac" : ".wav";
}

AudioFileFormat parse_audio_file_format(const std::string& name) {
  if (name == "wav" || name == "wav16") return AudioFileFormat::kWav16;
  if (name == "wav-float" || name == "float") return AudioFileFormat::kWavFloat;
  if (name == "flac") return AudioFileFormat::kFlac16;
  throw ConfigError("unknown audio format '" + name + "' (expected wav, wav-float or flac)");
}

std::string audio_file_format_name(AudioFileFormat format) {
  switch (format) {
    case AudioFileFormat::kWav16:
      return "wav";
    case AudioFileFormat::kWavFloat:
      return "wav-float";
    case AudioFileFormat::kFlac16:
      return "flac";
  }
  return "wav";
}

void write_audio(const std::string& path, const Audio& audio, AudioFileFormat format) {
  if (audio.sample_rate <= 0) {
    throw IoError("cannot write '" + path + "': sample rate " + std::to_string(audio.sample_rate));
  }
  for (size_t i = 0; i < audio.samples.size(); ++i) {
    if (!std::isfinite(audio.samples[i])) {
      throw IoError("cannot write '" + path + "': NaN/Inf sample at " + std::to_string(i));
    }
  }
  SF_INFO sfinfo{};
  sfinfo.samplerate = audio.sample_rate;
  sfinfo.channels = 1;
  switch (format) {
    case AudioFileFormat::kWav16:
      sfinfo.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
      break;
    case AudioFileFormat::kWavFloat:
      sfinfo.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
      break;
    case AudioFileFormat::kFlac16:
      sfinfo.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
      break;
  }
  const std::string tmp = io::temp_path_for(path);
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot write '" + tmp + "': " + std::strerror(errno));
  auto abandon = [&](const std::string& reason) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw IoError("cannot write '" + path + "': " + reason);
  };
  SNDFILE* sf = sf_open_fd(fd, SFM_WRITE, &sfinfo, /*close_desc=*/SF_FALSE);
  if (sf == nullptr) abandon(sf_strerror(nullptr));
  // Clip instead of wrapping around when a float sample exceeds full scale.
  sf_command(sf, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const auto n = static_cast<sf_count_t>(audio.samples.size());
  const sf_count_t written = n > 0 ? sf_writef_float(sf, audio.samples.data(), n) : 0;
  if (written != n) {
    const std::string reason = sf_strerror(sf);
    sf_close(sf);
    abandon("short write (" + reason + ")");
  }
  if (sf_close(sf) != 0) abandon("cannot finish the file");
  if (::fsync(fd) != 0) abandon(std::string("fsync: ") + std::strerror(errno));
  ::close(fd);
  io::commit_file(tmp, path);
}

}  // namespace xcodec::audio
