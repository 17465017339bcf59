// `xcodec download librispeech|hf|urls`: public corpora with resume, checksums, safe extraction
// (see docs/data.md, "Downloading corpora").
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "xcodec/data/download/download.h"
#include "xcodec/data/prepare/prepare.h"

namespace xcodec::cli {
namespace {

// The flags every source shares, bound to the common config (defaults from the struct).
struct Common {
  data::DownloadConfig config;
  std::string then_prepare;  // dataset name for `xcodec prepare`, "" = none
  bool no_extract = false;   // --no-extract (config.extract is its negation)
};

void add_common(CLI::App* cmd, Common& c) {
  data::DownloadConfig& d = c.config;
  cmd->add_option("--output-dir", d.output_dir, "Folder the files go to (created)")->required();
  cmd->add_option("--data-dir", d.data_dir,
                  "Data folder: holds data_dl.json (the record of every file) and, with "
                  "--then-prepare, datasets.json and processed/ (default: parent of --output-dir)");
  cmd->add_option("--jobs", d.jobs, "Files downloaded at once (1-64)")->capture_default_str();
  cmd->add_option("--retries", d.retries,
                  "Further tries of a failed transfer (resumed where it stopped; tries that "
                  "brought new bytes do not count) or of a file with a wrong checksum")
      ->capture_default_str();
  cmd->add_option("--retry-delay", d.retry_delay_s,
                  "Seconds before the first retry; doubles per try, at most 60")
      ->capture_default_str();
  cmd->add_option("--stall-timeout", d.stall_timeout_s,
                  "Seconds without a byte after which a transfer is retried")
      ->capture_default_str();
  cmd->add_flag("--skip-checksum", d.skip_checksum,
                "Accept files whatever their published checksum (a repacked private mirror); "
                "their MD5 is still recorded");
  cmd->add_flag("--no-extract", c.no_extract, "Keep archives packed");
  cmd->add_option("--progress", d.progress,
                  "auto (a line per active file plus a total, redrawn on a terminal; else "
                  "periodic lines), bar, lines or none")
      ->capture_default_str();
  cmd->add_option("--then-prepare", c.then_prepare,
                  "Afterwards run `xcodec prepare --dataset NAME` on the result (LibriSpeech: "
                  "OUTPUT/LibriSpeech; hf: OUTPUT/audio when tar shards were unpacked) into the "
                  "data folder");
}

void report(const data::DownloadResult& r, const Common& c) {
  std::cout << std::fixed << std::setprecision(1);
  if (r.nothing_to_do()) {
    std::cout << "nothing to do: all " << r.files << " files already downloaded and verified"
              << (c.no_extract ? "" : ", archives unpacked") << " (recorded in " << r.state_path
              << ")\n";
  } else {
    const double mb = static_cast<double>(r.bytes) / 1e6;
    std::cout << "downloaded " << r.downloaded << " of " << r.files << " files (" << mb << " MB in "
              << r.wall_s << " s, " << (r.wall_s > 0 ? mb / r.wall_s : 0.0) << " MB/s), "
              << r.already_done << " already present, " << r.extracted << " archives unpacked -> "
              << r.output_dir << " (recorded in " << r.state_path << ")\n";
  }
  if (c.then_prepare.empty()) return;
  data::PrepareConfig p;
  p.dataset = c.then_prepare;
  p.input_dir = r.prepare_input_dir;
  p.output_dir = c.config.resolved_data_dir();
  p.progress = c.config.progress;
  p.handle_signals = true;
  const data::PrepareResult pr = data::prepare_dataset(p);
  std::cout << std::setprecision(3) << "prepared " << p.dataset << ": " << pr.usable() << " files, "
            << pr.hours() << " h -> " << pr.dataset_dir << " (registered in " << p.output_dir
            << "/datasets.json); " << pr.skipped.size() << " skipped, " << pr.ignored.size()
            << " ignored\n";
}

void add_download_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "download",
      "Download a public corpus with resume, checksums and safe extraction; the record of every "
      "file is DATA/data_dl.json and a second run only does what is missing");
  cmd->require_subcommand(1);

  auto ls = std::make_shared<data::LibrispeechDownloadConfig>();
  auto ls_common = std::make_shared<Common>();
  auto* l = cmd->add_subcommand(
      "librispeech",
      "LibriSpeech from openslr.org (resource 12): the published .tar.gz archives, checked "
      "against the published MD5 sums and unpacked to OUTPUT/LibriSpeech/<subset>/...");
  l->add_option("--subsets", ls->subsets,
                "Comma-separated: dev-clean, dev-other, test-clean, test-other, train-clean-100, "
                "train-clean-360, train-other-500, or all (about 60 GB)")
      ->capture_default_str();
  l->add_option("--mirror", ls->mirror,
                "Base URL of the archives (their published names are appended)")
      ->capture_default_str();
  add_common(l, *ls_common);
  l->callback([ls, ls_common] {
    ls->common = ls_common->config;
    ls->common.extract = !ls_common->no_extract;
    report(data::download_librispeech(*ls), *ls_common);
  });

  auto hf = std::make_shared<data::HfDownloadConfig>();
  auto hf_common = std::make_shared<Common>();
  auto* h = cmd->add_subcommand(
      "hf",
      "A Hugging Face Hub dataset repository, listed through the Hub API; tar (WebDataset) "
      "shards have their audio members unpacked to OUTPUT/audio/<shard>/<clip id>.<ext>. "
      "HF_TOKEN is sent as a Bearer token, HF_ENDPOINT replaces https://huggingface.co");
  h->add_option("repo", hf->repo, "Dataset repository, owner/name")->required();
  h->add_option("--revision", hf->revision, "Branch, tag or commit")->capture_default_str();
  h->add_option("--include", hf->include,
                "Only repository paths matching this glob ('*' also matches '/'); repeatable");
  h->add_option("--max-files", hf->max_files,
                "Only the first N selected files, in path order (0 = all)")
      ->capture_default_str();
  add_common(h, *hf_common);
  h->callback([hf, hf_common] {
    hf->common = hf_common->config;
    hf->common.extract = !hf_common->no_extract;
    report(data::download_hf(*hf), *hf_common);
  });

  auto urls = std::make_shared<data::UrlListDownloadConfig>();
  auto urls_common = std::make_shared<Common>();
  auto* u = cmd->add_subcommand(
      "urls",
      "Every URL of a text file: 'URL [md5-or-sha256]' per line, '#' comments; files keep the "
      "last segment of their URL path as name, archives are unpacked into the output folder");
  u->add_option("list", urls->list_path, "The URL list")->required()->check(CLI::ExistingFile);
  add_common(u, *urls_common);
  u->callback([urls, urls_common] {
    urls->common = urls_common->config;
    urls->common.extract = !urls_common->no_extract;
    report(data::download_url_list(*urls), *urls_common);
  });
}

}  // namespace

XCODEC_REGISTER_COMMAND(5, add_download_command);

}  // namespace xcodec::cli
