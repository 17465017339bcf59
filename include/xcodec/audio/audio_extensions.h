#pragma once
#include <string>

namespace xcodec::audio {

/// True when the extension of `name` (case-insensitive) is one of the audio extensions the
/// tools look at (prepare, encode, reconstruct, eval): wav, wave, flac, mp3, ogg, oga, opus, spx,
/// m4a, mp4, aac, alac, caf, ac3, eac3, aif, aiff, aifc, au, snd, webm, mka, mkv, wma, wv, ape,
/// amr, 3gp, w64, rf64, sph, nist, mpc, tta, voc, mp2.
bool has_audio_extension(const std::string& name);

}  // namespace xcodec::audio
