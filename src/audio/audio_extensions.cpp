#include "xcodec/audio/audio_extensions.h"

#include <cctype>
#include <set>

namespace xcodec::audio {

bool has_audio_extension(const std::string& name) {
  static const std::set<std::string> kExtensions = {
      "wav",  "wave", "flac", "mp3", "ogg",  "oga", "opus", "spx",  "m4a", "mp4",
      "aac",  "alac", "caf",  "ac3", "eac3", "aif", "aiff", "aifc", "au",  "snd",
      "webm", "mka",  "mkv",  "wma", "wv",   "ape", "amr",  "3gp",  "w64", "rf64",
      "sph",  "nist", "mpc",  "tta", "voc",  "mp2", "g722"};
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot + 1 >= name.size()) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kExtensions.count(ext) != 0;
}

}  // namespace xcodec::audio
