// What the graph keeps alive between forward and backward: an entry holds its inputs' gradient
// slots, and the input tensors themselves only when they are leaves, need no gradient, or are
// outputs that their producer's backward reads. Intermediates that only pass a gradient on are
// freed by the forward pass, and saved-tensor hooks that pack elsewhere free what they packed.
#include <any>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "helpers.hpp"
#include "models/models.hpp"
#include "tapegrad/autograd/inspect.hpp"
#include "tapegrad/autograd/saved.hpp"

using namespace tg;

namespace {

Tensor f64(std::initializer_list<double> v) { return tensor(v, {}, DType::Float64); }

// Pack hooks that write each saved tensor to its own file and read it back in backward: the
// "save on disk" of PyTorch's saved_tensors_hooks documentation.
struct DiskHooks {
  explicit DiskHooks(std::filesystem::path dir) : dir_(std::move(dir)) {}
  autograd::PackHook pack() {
    return [this](const Tensor& t) -> std::any {
      const Tensor c = t.contiguous();
      const auto path = dir_ / fmt::format("saved_{}.bin", files++);
      std::ofstream out(path, std::ios::binary);
      out.write(static_cast<const char*>(c.storage()->data) +
                    c.offset() * static_cast<std::int64_t>(dtype_size(c.dtype())),
                static_cast<std::streamsize>(c.numel() * dtype_size(c.dtype())));
      REQUIRE(out.good());
      bytes += static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype());
      return Packed{path, t.shape(), t.dtype()};
    };
  }
  static autograd::UnpackHook unpack() {
    return [](const std::any& p) {
      const auto& k = std::any_cast<const Packed&>(p);
      Tensor t = Tensor::empty(k.shape, k.dtype);
      std::ifstream in(k.path, std::ios::binary);
      in.read(static_cast<char*>(t.storage()->data),
              static_cast<std::streamsize>(t.numel() * dtype_size(k.dtype)));
      REQUIRE(in.good());
      return t;
    };
  }
  struct Packed {
    std::filesystem::path path;
    Shape shape;
    DType dtype;
  };
  std::filesystem::path dir_;
  int files = 0;
  std::size_t bytes = 0;
};

}  // namespace

TEST_CASE("graph memory: an intermediate that no backward reads is freed by the forward pass",
          "[autograd][graph_memory]") {
  Tensor x = f64({0.5, -1.5, 2.0}).requires_grad_();
  Tensor h = add(x, 1.0);  // add saves nothing, and neither does sum
  const std::weak_ptr<TensorImpl> watch = h.impl_ptr();
  Tensor loss = sum(add(h, h));
  h = Tensor();
  // Before gradient slots, the entry of mul held h, and h stayed alive until backward.
  REQUIRE(watch.expired());
  // The tape still routes the gradient through it.
  const auto n = creator(loss);
  REQUIRE(n);
  const auto up = next(*n);
  REQUIRE(up.size() == 1);
  REQUIRE(up[0]);
  REQUIRE(std::string(up[0]->op) == "add");
  REQUIRE_FALSE(up[0]->inputs[0].tensor.defined());  // freed: only its metadata is left
  CHECK(up[0]->inputs[0].shape == Shape{3});
  CHECK(up[0]->inputs[0].creator_seq != 0);
  loss.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2.0, 2.0, 2.0});
}

TEST_CASE("graph memory: an output its producer's backward reads stays alive until backward",
          "[autograd][graph_memory]") {
  Tensor x = f64({0.5, -1.5, 2.0}).requires_grad_();
  Tensor t = tanh(x);  // tanh' = 1 - y^2 reads the output
  const std::weak_ptr<TensorImpl> watch = t.impl_ptr();
  Tensor loss = sum(mul(t, 2.0));
  t = Tensor();
  REQUIRE_FALSE(watch.expired());
  loss.backward();
  const std::vector<double> g = x.grad().to_vector<double>();
  const double xs[] = {0.5, -1.5, 2.0};
  for (int i = 0; i < 3; ++i) {
    const double y = std::tanh(xs[i]);
    CHECK(g[static_cast<std::size_t>(i)] == Approx(2.0 * (1.0 - y * y)).epsilon(1e-15));
  }
  // Consumed by backward: nothing holds it any more.
  CHECK(watch.expired());
}

TEST_CASE("graph memory: hooks on an intermediate run after its handle is dropped",
          "[autograd][graph_memory]") {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor h = add(x, 0.0);
  int calls = 0;
  h.register_hook([&](const Tensor& g) -> std::optional<Tensor> {
    ++calls;
    return mul(g, 10.0);  // scales the gradient that flows on to x
  });
  Tensor loss = sum(mul(h, 2.0));
  h = Tensor();
  loss.backward();
  CHECK(calls == 1);
  CHECK(x.grad().to_vector<double>() == std::vector<double>{20.0, 20.0});
}

TEST_CASE("graph memory: retain_grad on a tensor the user still holds",
          "[autograd][graph_memory]") {
  Tensor x = f64({1.0, -2.0}).requires_grad_();
  Tensor h = add(x, 1.0);
  h.retain_grad();
  Tensor loss = sum(mul(h, 4.0));
  loss.backward();
  REQUIRE(h.grad().defined());
  CHECK(h.grad().to_vector<double>() == std::vector<double>{4.0, 4.0});
}

TEST_CASE("graph memory: saved-tensor hooks that save on disk free the saved activations",
          "[autograd][graph_memory][saved_hooks]") {
  tgtest::TempDir dir;
  // A three-layer MLP in float64: every activation between the layers is saved (by linear for
  // its backward, by tanh as its output).
  auto run = [&](DiskHooks* disk, std::size_t* held_after_forward) {
    Generator gen(11);
    auto model =
        models::mlp({256, 512, 512, 10},
                    {.activation = "tanh", .image_size = 16, .dtype = DType::Float64}, &gen);
    Generator data(5);
    const Tensor x = randn({128, 256}, DType::Float64, &data);
    const Tensor y = randint(0, 10, {128}, &data);
    const std::size_t before = memory_stats().in_use_bytes;
    Tensor loss;
    {
      std::optional<autograd::SavedTensorHooks> h;
      if (disk) h.emplace(disk->pack(), DiskHooks::unpack());
      loss = cross_entropy((*model)(x), y);
    }
    *held_after_forward = memory_stats().in_use_bytes - before;
    loss.backward();
    std::map<std::string, std::vector<double>> grads;
    for (auto& [name, p] : model->named_parameters()) grads[name] = p.grad().to_vector<double>();
    return grads;
  };
  DiskHooks disk(dir.path);
  std::size_t plain_bytes = 0, disk_bytes = 0;
  const auto plain = run(nullptr, &plain_bytes);
  const auto packed = run(&disk, &disk_bytes);
  // The unpacked copies hold the very values that were saved: the same gradients, bit for bit.
  REQUIRE(plain == packed);
  REQUIRE(disk.files > 0);
  // Without hooks the pass holds the activations (128 x 512 float64 = 512 KiB each, several of
  // them); with them on disk it holds little more than the logits and the tape's metadata.
  INFO("in-use growth after forward: " << plain_bytes << " bytes plain, " << disk_bytes
                                       << " bytes with the saved tensors on disk");
  CHECK(plain_bytes > 3 * (std::size_t{128} * 512 * 8));
  CHECK(disk_bytes * 20 < plain_bytes);
}
