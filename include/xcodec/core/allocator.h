#pragma once
/// Process-wide allocator tuning for inference on CPU.
///
/// LibTorch's CPU allocator uses malloc. With glibc's defaults every large tensor (above the
/// dynamic mmap threshold, at most 32 MiB) is a fresh mmap whose pages fault in on first touch
/// and are unmapped on free, so a forward pass that creates many large temporaries (the
/// anti-aliased activations of the X-Codec-2.0 encoder) spends most of its time in page faults.
/// Keeping freed memory in the heap removes that cost (measured: ~4x faster activations).
namespace xcodec {

/// On glibc: serve all allocations from the heap (no per-tensor mmap) and never trim it, so
/// freed tensor memory is reused. Call once at program start; no-op elsewhere. Returns true if
/// the settings were applied. Trade-off: the process keeps its peak heap size.
bool tune_allocator_for_inference();

}  // namespace xcodec
