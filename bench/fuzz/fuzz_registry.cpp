// libFuzzer harness: the data registry readers (src/data/registry/): DATA/datasets.json
// (registry.cpp), processed/NAME/metadata.json (metadata.cpp) and the split lists
// train/val/test.tsv (split_tsv.cpp), through the public functions of
// include/xcodec/data/registry/. The first input byte picks the reader (modulo 3), the rest is
// the file. What a reader accepts must also survive our writer: a registry that loads takes an
// update and keeps its entries; metadata and split lists read back equal after writing.
#include <filesystem>
#include <fstream>

#include "fuzz_util.h"
#include "xcodec/data/registry/metadata.h"
#include "xcodec/data/registry/registry.h"
#include "xcodec/data/registry/split_tsv.h"
#include "xcodec/io/atomic_file.h"

namespace {

namespace fs = std::filesystem;
using namespace xcodec::data;
using xcodec::fuzz::die;

const std::string& work_dir() {
  static xcodec::fuzz::TempDir dir("registry");
  return dir.path();
}

void fuzz_registry(const uint8_t* data, size_t size) {
  const fs::path dir = fs::path(work_dir()) / "data";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream out(dir / DatasetRegistry::kFileName, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  xcodec::fuzz::run_reader([&] {
    const DatasetRegistry reg = DatasetRegistry::load(dir.string());
    for (const std::string& name : reg.names()) {
      (void)reg.entry(name);
      (void)reg.audio_dir(name);
      (void)reg.metadata_path(name);
      for (int s = 0; s < kNumSplits; ++s) (void)reg.split_path(name, static_cast<Split>(s));
    }
    DatasetEntry added;
    added.name = "fuzz-added";
    added.path = "processed/fuzz-added";
    added.sample_rate = 16000;
    added.audio_format = "wav";
    try {
      DatasetRegistry::update(dir.string(), added);
    } catch (const xcodec::Error& e) {
      die("a registry that loads refuses an update", e.what());
    }
    const DatasetRegistry after = DatasetRegistry::load(dir.string());
    if (!after.contains(added.name)) die("registry update", "the new entry is missing");
    for (const std::string& name : reg.names()) {
      if (!after.contains(name)) die("registry update", "entry '" + name + "' was lost");
    }
  });
}

void fuzz_metadata(const uint8_t* data, size_t size) {
  const xcodec::fuzz::MemFile input(data, size);
  xcodec::fuzz::run_reader([&] {
    // Field-agnostic: writing what was read, reading it back and writing again must give the
    // same bytes (the metadata layout is still evolving).
    const DatasetMetadata m = read_metadata(input.path());
    const std::string first = (fs::path(work_dir()) / "metadata.json").string();
    const std::string second = (fs::path(work_dir()) / "metadata2.json").string();
    write_metadata(first, m);
    try {
      write_metadata(second, read_metadata(first));
    } catch (const xcodec::Error& e) {
      die("metadata that loads does not load after writing", e.what());
    }
    if (xcodec::io::read_file(first) != xcodec::io::read_file(second))
      die("metadata round trip", "write → read → write changed the file");
  });
}

void fuzz_split_tsv(const uint8_t* data, size_t size) {
  const xcodec::fuzz::MemFile input(data, size);
  xcodec::fuzz::run_reader([&] {
    const std::vector<SplitEntry> entries = read_split_tsv(input.path());
    const std::string copy = (fs::path(work_dir()) / "train.tsv").string();
    write_split_tsv(copy, entries);  // may refuse a path with '\r' (xcodec::IoError)
    std::vector<SplitEntry> again;
    try {
      again = read_split_tsv(copy);
    } catch (const xcodec::Error& e) {
      die("a split list we wrote does not load", e.what());
    }
    if (again.size() != entries.size()) die("split round trip", "line count differs");
    for (size_t i = 0; i < entries.size(); ++i) {
      if (again[i].relative_path != entries[i].relative_path ||
          again[i].num_samples != entries[i].num_samples) {
        die("split round trip", "line " + std::to_string(i + 1) + " differs");
      }
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  switch (data[0] % 3) {
    case 0:
      fuzz_registry(data + 1, size - 1);
      break;
    case 1:
      fuzz_metadata(data + 1, size - 1);
      break;
    default:
      fuzz_split_tsv(data + 1, size - 1);
      break;
  }
  return 0;
}
