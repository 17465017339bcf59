#pragma once
/// The sample-buffer view the metric functions take: a non-owning (pointer, length) view of
/// mono float samples. Builds implicitly from std::vector<float>, a braced list or
/// {data, size}; for a contiguous 1-D float CPU tensor use {t.data_ptr<float>(), t.numel()}.
#include <c10/util/ArrayRef.h>

namespace xcodec::eval {

/// Mono samples, nominally in [-1, 1] (the metrics do not require it).
using SampleSpan = c10::ArrayRef<float>;

}  // namespace xcodec::eval
