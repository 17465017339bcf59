#pragma once
/// Which files are audio: by name (the extension list the folder tools use to pick inputs) and by
/// content (the error the readers throw when a file is not audio at all).
#include <string>

#include "xcodec/core/error.h"

namespace xcodec::audio {

/// True when the extension of `name` (case-insensitive) is one of the audio extensions the
/// tools look at (encode, reconstruct, eval; `prepare` probes every file's content instead):
/// wav, wave, flac, mp3, ogg, oga, opus, spx, m4a, mp4, aac, alac, caf, ac3, eac3, aif, aiff,
/// aifc, au, snd, webm, mka, mkv, wma, wv, ape, amr, 3gp, w64, rf64, sph, nist, mpc, tta, voc, mp2,
/// g722 (raw G.722, e.g. Asterisk's sound files).
bool has_audio_extension(const std::string& name);

/// Thrown by read_audio, probe_audio and measure_levels (xcodec/audio/audio.h) when the content
/// of a file is not audio at all, whatever its name: FFmpeg's probe recognises no format in its
/// bytes, recognises a format that is not an audio container (an image, subtitles, a playlist,
/// text), or the container holds no audio stream (a PNG opens as a one-frame video). Damaged
/// audio (empty, truncated, corrupt packets, NaN samples) throws a plain IoError instead.
class NotAudioError : public IoError {
 public:
  using IoError::IoError;
};

}  // namespace xcodec::audio
