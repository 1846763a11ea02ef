// DataLoader: batching, shuffling, determinism with and without the prefetch thread, transforms,
// errors raised while building a batch; TensorDataset and Subset.
#include <algorithm>
#include <atomic>
#include <set>

#include "helpers.hpp"
#include "tapegrad/data/dataset.hpp"
#include "tapegrad/data/loader.hpp"

using namespace tg;
using tg::data::DataLoader;
using tg::data::Example;

namespace {

// 10 examples: input i is the 2-vector (i, 10 i), target i.
std::shared_ptr<data::TensorDataset> numbered(std::int64_t n = 10) {
  std::vector<double> x;
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<double>(i));
    x.push_back(static_cast<double>(10 * i));
    y.push_back(i);
  }
  return std::make_shared<data::TensorDataset>(tensor(x, {n, 2}), int64_tensor(y, {n}));
}

std::vector<std::vector<std::int64_t>> targets_of(const DataLoader& loader, std::int64_t epoch) {
  std::vector<std::vector<std::int64_t>> out;
  for (const Example& b : loader.epoch(epoch)) out.push_back(b.target.to_vector<std::int64_t>());
  return out;
}

// A dataset whose get() fails for one index.
class Failing : public data::Dataset {
 public:
  std::int64_t size() const override { return 8; }
  Example get(std::int64_t i) const override {
    if (i == 5) fail("Failing: example {} is unreadable", i);
    return {full({2}, static_cast<double>(i)), scalar_tensor(static_cast<double>(i), DType::Int64)};
  }
};

}  // namespace

TEST_CASE("loader: sequential batches cover the data in order, last batch short", "[data]") {
  DataLoader loader(numbered(), {.batch_size = 4});
  REQUIRE(loader.num_batches() == 3);
  const auto t = targets_of(loader, 0);
  REQUIRE(t == std::vector<std::vector<std::int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});
  // Inputs travel with their targets: row of example 9 is (9, 90).
  auto run = loader.epoch(0);
  run->next();
  run->next();
  const Example last = *run->next();
  tgtest::require_values(last.input, {8, 80, 9, 90});
  REQUIRE_FALSE(run->next().has_value());
}

TEST_CASE("loader: drop_last drops the short batch", "[data]") {
  DataLoader loader(numbered(), {.batch_size = 4, .drop_last = true});
  REQUIRE(loader.num_batches() == 2);
  REQUIRE(loader.num_examples() == 8);
  REQUIRE(targets_of(loader, 0).size() == 2);
}

TEST_CASE("loader: shuffling is a permutation per epoch, fixed by (seed, epoch)", "[data]") {
  DataLoader a(numbered(50), {.batch_size = 7, .shuffle = true, .seed = 3});
  DataLoader b(numbered(50), {.batch_size = 7, .shuffle = true, .seed = 3});
  DataLoader c(numbered(50), {.batch_size = 7, .shuffle = true, .seed = 4});
  for (std::int64_t e = 0; e < 3; ++e) {
    std::vector<std::int64_t> all;
    for (const auto& batch : targets_of(a, e)) all.insert(all.end(), batch.begin(), batch.end());
    std::vector<std::int64_t> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    for (std::int64_t i = 0; i < 50; ++i) REQUIRE(sorted[static_cast<std::size_t>(i)] == i);
    REQUIRE(targets_of(a, e) == targets_of(b, e));
    REQUIRE(targets_of(a, e) != targets_of(c, e));
  }
  REQUIRE(a.order(0) != a.order(1));
  // Not the identity (the chance of a 50-element shuffle being sorted is 1/50!).
  std::vector<std::int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  REQUIRE(a.order(0) != identity);
}

TEST_CASE("loader: prefetching gives exactly the batches built on demand", "[data]") {
  // A random transform: adds a draw of the generator the loader hands to each example.
  const data::Transform noisy = [](const Tensor& x, Generator& gen) {
    return add(x, gen.uniform_double());
  };
  DataLoader eager(
      numbered(33),
      {.batch_size = 5, .shuffle = true, .seed = 9, .transform = noisy, .prefetch = 0});
  DataLoader ahead(
      numbered(33),
      {.batch_size = 5, .shuffle = true, .seed = 9, .transform = noisy, .prefetch = 3});
  for (std::int64_t e = 0; e < 2; ++e) {
    auto r1 = eager.epoch(e);
    auto r2 = ahead.epoch(e);
    std::int64_t batches = 0;
    while (auto b1 = r1->next()) {
      auto b2 = r2->next();
      REQUIRE(b2.has_value());
      REQUIRE(b1->input.to_vector<double>() == b2->input.to_vector<double>());
      REQUIRE(b1->target.to_vector<std::int64_t>() == b2->target.to_vector<std::int64_t>());
      ++batches;
    }
    REQUIRE_FALSE(r2->next().has_value());
    REQUIRE(batches == 7);
  }
  // The transform really ran: example inputs moved by a value in [0, 1).
  auto first = *eager.epoch(0)->next();
  const double moved =
      first.input.at<double>({0, 0}) - static_cast<double>(first.target.at<std::int64_t>({0}));
  REQUIRE(moved >= 0.0);
  REQUIRE(moved < 1.0);
  REQUIRE(moved != 0.0);
}

TEST_CASE("loader: an error while building a batch reaches the caller", "[data]") {
  for (int prefetch : {0, 2}) {
    DataLoader loader(std::make_shared<Failing>(), {.batch_size = 2, .prefetch = prefetch});
    auto run = loader.epoch(0);
    REQUIRE(run->next().has_value());  // 0, 1
    REQUIRE(run->next().has_value());  // 2, 3
    REQUIRE_THROWS_WITH(run->next(), Catch::Contains("example 5 is unreadable"));
  }
}

TEST_CASE("loader: leaving an epoch early stops the prefetch thread", "[data]") {
  DataLoader loader(numbered(1000), {.batch_size = 1, .prefetch = 4});
  for (int i = 0; i < 20; ++i) {
    auto run = loader.epoch(i);
    REQUIRE(run->next().has_value());
  }  // each run is destroyed with batches still pending; the test finishing is the check
  std::int64_t n = 0;
  for (const Example& b : loader.epoch(0)) n += b.target.size(0);
  REQUIRE(n == 1000);
}

TEST_CASE("loader and datasets: bad arguments are errors", "[data]") {
  REQUIRE_THROWS_WITH(DataLoader(numbered(), {.batch_size = 0}),
                      Catch::Contains("batch_size must be positive"));
  REQUIRE_THROWS_WITH(DataLoader(nullptr), Catch::Contains("no dataset"));
  REQUIRE_THROWS_WITH(data::TensorDataset(zeros({3, 2}), int64_tensor({0, 1}, {2})),
                      Catch::Contains("same first dimension"));
  auto ds = numbered();
  REQUIRE_THROWS_WITH(ds->get(10), Catch::Contains("index 10 out of range for 10"));
  const std::vector<std::int64_t> bad{1, -1};
  REQUIRE_THROWS_WITH(ds->get_batch(bad), Catch::Contains("index -1 out of range"));
}

TEST_CASE("datasets: Subset and the default get_batch", "[data]") {
  auto sub = std::make_shared<data::Subset>(numbered(), 3);
  REQUIRE(sub->size() == 3);
  REQUIRE_THROWS_WITH(sub->get(3), Catch::Contains("out of range for 3"));
  DataLoader loader(sub, {.batch_size = 2});
  REQUIRE(targets_of(loader, 0) == std::vector<std::vector<std::int64_t>>{{0, 1}, {2}});
  // Failing has no get_batch of its own: the default stacks get().
  Failing f;
  const std::vector<std::int64_t> idx{3, 1};
  const Example b = f.get_batch(idx);
  REQUIRE(b.input.shape() == Shape{2, 2});
  tgtest::require_values(b.input, {3, 3, 1, 1});
  REQUIRE(b.target.shape() == Shape{2});
  tgtest::require_values(b.target, {3, 1});
}

TEST_CASE("datasets: Subset of chosen indices and random_split", "[data]") {
  const std::vector<std::int64_t> pick{7, 2, 9};
  auto sub = std::make_shared<data::Subset>(numbered(), pick);
  REQUIRE(sub->size() == 3);
  REQUIRE(sub->indices() == pick);
  REQUIRE(sub->get(0).target.item<std::int64_t>() == 7);
  const std::vector<std::int64_t> idx{2, 0};
  const Example b = sub->get_batch(idx);
  tgtest::require_values(b.target, {9, 7});
  tgtest::require_values(b.input, {9, 90, 7, 70});  // inputs travel with their targets
  REQUIRE_THROWS_WITH(data::Subset(numbered(), std::vector<std::int64_t>{3, 10}),
                      Catch::Contains("index 10 (position 1) is out of range"));

  // A partition of the ten examples; the same seed gives the same split, another seed another.
  const std::int64_t sizes[] = {7, 3};
  const auto parts = data::random_split(numbered(), sizes, 42);
  REQUIRE(parts.size() == 2);
  REQUIRE(parts[0]->size() == 7);
  REQUIRE(parts[1]->size() == 3);
  std::vector<std::int64_t> all = parts[0]->indices();
  all.insert(all.end(), parts[1]->indices().begin(), parts[1]->indices().end());
  std::sort(all.begin(), all.end());
  REQUIRE(all == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  REQUIRE(data::random_split(numbered(), sizes, 42)[1]->indices() == parts[1]->indices());
  REQUIRE(data::random_split(numbered(), sizes, 43)[0]->indices() != parts[0]->indices());
  // The held-out examples are what a loader over the subset yields.
  DataLoader loader(parts[1], {.batch_size = 3});
  REQUIRE(targets_of(loader, 0) == std::vector<std::vector<std::int64_t>>{parts[1]->indices()});
  const std::int64_t bad[] = {7, 4};
  REQUIRE_THROWS_WITH(data::random_split(numbered(), bad, 1),
                      Catch::Contains("add up to 11, expected the dataset's size 10"));
}
