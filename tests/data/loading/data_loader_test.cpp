#include <torch/torch.h>

#include <set>

#include "support/test_support.h"
#include "xcodec/core/error.h"
#include "xcodec/data/loading/data_loader.h"
#include "xcodec/data/loading/dataset.h"

namespace xcodec::data {
namespace {

// Item i is a ramp of length 10 + i whose first value identifies the item (i * 1000);
// items listed in `broken` throw like an unreadable file.
class RampDataset final : public Dataset {
 public:
  RampDataset(size_t n, std::set<size_t> broken = {}, float tag = 0)
      : n_(n), broken_(std::move(broken)), tag_(tag) {}
  size_t size() const override { return n_; }
  Example get(size_t i, uint64_t) const override {
    if (broken_.count(i)) throw IoError("ramp item " + std::to_string(i) + " is broken");
    Example ex;
    ex.wav = torch::arange(static_cast<int64_t>(10 + i), torch::kFloat32) +
             static_cast<float>(i) * 1000 + tag_;
    ex.id = "ramp/" + std::to_string(i);
    return ex;
  }

 private:
  size_t n_;
  std::set<size_t> broken_;
  float tag_;
};

TEST(CropPad, PadsShortAndCropsLongToExactLength) {
  auto ds = crop_pad(std::make_shared<RampDataset>(30), 25);
  const Example short_ex = ds->get(2, 1);  // 12 samples -> padded
  ASSERT_EQ(short_ex.wav.size(0), 25);
  EXPECT_EQ(short_ex.wav[11].item<float>(), 2011);
  EXPECT_EQ(short_ex.wav.slice(0, 12).abs().sum().item<float>(), 0);
  const Example long_ex = ds->get(29, 7);  // 39 samples -> cropped
  ASSERT_EQ(long_ex.wav.size(0), 25);
  EXPECT_EQ(long_ex.wav[0].item<float>(), 29000 + long_ex.offset);
  EXPECT_TRUE(ds->get(29, 7).wav.equal(long_ex.wav));  // same seed, same crop
  std::set<int64_t> starts;
  for (uint64_t s = 0; s < 200; ++s) starts.insert(ds->get(29, s).offset);
  EXPECT_EQ(starts.size(), 15u);  // every start in [0, 39 - 25] is reachable
  EXPECT_EQ(*starts.rbegin(), 14);
}

TEST(CropPad, AlignedStartsAndDeterministicFirstCrop) {
  auto aligned = crop_pad(std::make_shared<RampDataset>(100), 20, true, 8);
  for (uint64_t s = 0; s < 50; ++s) EXPECT_EQ(aligned->get(90, s).offset % 8, 0);
  auto fixed = crop_pad(std::make_shared<RampDataset>(100), 20, false);
  EXPECT_EQ(fixed->get(90, 123).offset, 0);
  EXPECT_THROW(crop_pad(std::make_shared<RampDataset>(1), 0), ConfigError);
}

TEST(Combine, ConcatenatesWithoutWeights) {
  auto ds = combine({std::make_shared<RampDataset>(3, std::set<size_t>{}, 0.5f),
                     std::make_shared<RampDataset>(2, std::set<size_t>{}, 0.25f)});
  ASSERT_EQ(ds->size(), 5u);
  EXPECT_EQ(ds->get(1, 0).wav[0].item<float>(), 1000.5f);
  EXPECT_EQ(ds->get(3, 0).wav[0].item<float>(), 0.25f);
  EXPECT_EQ(ds->get(4, 0).wav[0].item<float>(), 1000.25f);
}

TEST(Combine, WeightsSetTheSamplingProportions) {
  auto ds = combine({std::make_shared<RampDataset>(5, std::set<size_t>{}, 0.5f),
                     std::make_shared<RampDataset>(50, std::set<size_t>{}, 0.25f),
                     std::make_shared<RampDataset>(7, std::set<size_t>{}, 0.125f)},
                    {3.0, 1.0, 0.0});
  int first = 0;
  int third = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const float v =
        ds->get(static_cast<size_t>(i % ds->size()), mix_seed(9, i)).wav[0].item<float>();
    const float frac = v - std::floor(v);
    first += frac == 0.5f;
    third += frac == 0.125f;
  }
  EXPECT_NEAR(first / double(n), 0.75, 0.03);  // 3:1 despite the 1:10 sizes
  EXPECT_EQ(third, 0);                         // weight 0 is never drawn
  EXPECT_THROW(combine({std::make_shared<RampDataset>(1)}, {1.0, 2.0}), ConfigError);
  EXPECT_THROW(combine({std::make_shared<RampDataset>(1)}, {-1.0}), ConfigError);
  EXPECT_THROW(combine({std::make_shared<RampDataset>(1)}, {0.0}), ConfigError);
}

TEST(EpochOrder, SeededShuffleAndDisjointRanks) {
  DataLoaderOptions o;
  o.seed = 42;
  const auto a = epoch_order(100, o, 0);
  EXPECT_EQ(a, epoch_order(100, o, 0));
  EXPECT_NE(a, epoch_order(100, o, 1));
  o.seed = 43;
  EXPECT_NE(a, epoch_order(100, o, 0));
  o.world_size = 3;
  std::set<size_t> all;
  size_t total = 0;
  for (int r = 0; r < 3; ++r) {
    o.rank = r;
    const auto mine = epoch_order(100, o, 2);
    total += mine.size();
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(total, 99u);  // equal shares: 33 each, the remainder is dropped this epoch
  EXPECT_EQ(all.size(), 99u);
}

std::vector<torch::Tensor> take(DataLoader& loader, int n) {
  std::vector<torch::Tensor> out;
  for (int i = 0; i < n; ++i) out.push_back(loader.next().wav);
  return out;
}

TEST(DataLoader, SameSeedSameBatchesWhateverTheWorkerCount) {
  auto ds = crop_pad(std::make_shared<RampDataset>(23), 16);
  DataLoaderOptions o;
  o.batch_size = 4;
  o.seed = 7;
  o.num_workers = 0;
  DataLoader serial(ds, o);
  o.num_workers = 3;
  DataLoader threaded(ds, o);
  EXPECT_EQ(serial.batches_per_epoch(), 5);  // 23 / 4, last partial dropped
  const auto a = take(serial, 12);           // crosses two epoch boundaries
  const auto b = take(threaded, 12);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].sizes(), (std::vector<int64_t>{4, 16}));
    EXPECT_TRUE(a[i].equal(b[i])) << "batch " << i;
  }
  EXPECT_FALSE(a[0].equal(a[5]));  // the next epoch is reshuffled
  EXPECT_EQ(threaded.position(), (std::pair<int64_t, int64_t>{2, 2}));
}

TEST(DataLoader, SeekResumesTheExactSequence) {
  auto ds = crop_pad(std::make_shared<RampDataset>(40), 8);
  DataLoaderOptions o;
  o.batch_size = 3;
  o.seed = 5;
  o.num_workers = 2;
  DataLoader straight(ds, o);
  const auto all = take(straight, 20);
  DataLoader resumed(ds, o);
  take(resumed, 3);
  resumed.seek(1, 4);  // epoch 1, batch 4 = overall batch 13 + 4 = 17
  const auto tail = take(resumed, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(tail[i].equal(all[17 + i])) << i;
}

TEST(DataLoader, BrokenItemsAreReplacedNotFatal) {
  auto ds = crop_pad(std::make_shared<RampDataset>(12, std::set<size_t>{1, 4, 7}), 8);
  DataLoaderOptions o;
  o.batch_size = 12;
  o.shuffle = false;
  o.num_workers = 1;
  DataLoader loader(ds, o);
  const Batch b = loader.next();
  EXPECT_EQ(b.wav.size(0), 12);
  for (const auto& id : b.ids) {
    EXPECT_NE(id, "ramp/1");
    EXPECT_NE(id, "ramp/4");
  }
}

TEST(DataLoader, AllBrokenGivesUpWithAClearError) {
  std::set<size_t> all;
  for (size_t i = 0; i < 4; ++i) all.insert(i);
  DataLoaderOptions o;
  o.batch_size = 2;
  o.num_workers = 1;
  o.max_replacements = 3;
  DataLoader loader(crop_pad(std::make_shared<RampDataset>(4, all), 8), o);
  EXPECT_THROW(loader.next(), IoError);
}

TEST(DataLoader, RejectsImpossibleOptions) {
  auto ds = std::make_shared<RampDataset>(3);
  DataLoaderOptions o;
  o.batch_size = 4;
  EXPECT_THROW(DataLoader(ds, o), ConfigError);
  o.batch_size = 1;
  o.rank = 2;
  o.world_size = 2;
  EXPECT_THROW(DataLoader(ds, o), ConfigError);
}

TEST(Collate, RejectsRaggedExamples) {
  Example a;
  a.wav = torch::zeros({4});
  Example b;
  b.wav = torch::zeros({5});
  EXPECT_THROW(collate({a, b}), ShapeError);
  b.wav = torch::zeros({4});
  b.semantic = torch::zeros({2, 3});
  EXPECT_FALSE(collate({a, b}).semantic.defined());  // partial cache: the teacher runs instead
  a.semantic = torch::ones({2, 3});
  EXPECT_EQ(collate({a, b}).semantic.sizes(), (std::vector<int64_t>{2, 2, 3}));
}

}  // namespace
}  // namespace xcodec::data
