// A tour of tapegrad's autograd: build a small expression, read the tape, export it as a
// Graphviz graph, backpropagate, check the gradient against finite differences, take a
// second derivative, use hooks, account for what the tape saved for backward, and step through
// a backward pass one tape entry at a time.
//
//   ./build/release/examples/autograd_tour [--dot tour.dot] [--dot-saved tour_saved.dot] [--step]
//   dot -Tsvg tour.dot -o tour.svg
#include <CLI/CLI.hpp>

#include <cmath>
#include <fstream>

#include <unistd.h>

#include "common/guarded_main.hpp"
#include "tapegrad/autograd/inspect.hpp"
#include "tapegrad/autograd/stepper.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

int run(int argc, char** argv) {
  CLI::App app{"A guided tour of the tape"};
  std::string dot_path = "tour.dot";
  std::string dot_saved_path = "tour_saved.dot";
  app.add_option("--dot", dot_path, "where to write the Graphviz DOT of the graph");
  app.add_option("--dot-saved", dot_saved_path,
                 "where to write part 9's DOT: the gradient's path with the saved tensors");
  bool step = false;
  app.add_flag("--step", step,
               "part 11: wait for Enter after each backward step (when stdin is a terminal)");
  CLI11_PARSE(app, argc, argv);

  fmt::print("== 1. Leaves: tensors we want gradients for\n");
  Tensor x = tensor({0.5, -1.0, 2.0}, {}, DType::Float64).requires_grad_();
  Tensor w = tensor({1.5, 0.25, -0.75}, {}, DType::Float64).requires_grad_();
  fmt::print("x = {}\nw = {}\n\n", x, w);

  fmt::print("== 2. Each op appends one entry to the tape\n");
  Tensor h = tanh(mul(w, x));
  Tensor y = sum(mul(h, h));
  fmt::print("y = sum(tanh(w * x)^2) = {}\n", y);
  fmt::print("{}\n", tape().to_string());

  {
    std::ofstream out(dot_path);
    out << to_dot(y);
    if (!out) {
      fmt::print(stderr, "could not write {}\n", dot_path);
      return 1;
    }
  }
  fmt::print("wrote {} (render it with: dot -Tsvg {} -o tour.svg)\n\n", dot_path, dot_path);

  fmt::print("== 3. backward() walks the tape in reverse and fills the leaves' .grad()\n");
  y.backward();
  fmt::print("dy/dx = {}\ndy/dw = {}\n", x.grad(), w.grad());
  // By hand: dy/dx_i = 2 tanh(w_i x_i) (1 - tanh^2(w_i x_i)) w_i
  const auto xs = x.to_vector<double>(), ws = w.to_vector<double>();
  std::vector<double> by_hand;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double t = std::tanh(ws[i] * xs[i]);
    by_hand.push_back(2 * t * (1 - t * t) * ws[i]);
  }
  fmt::print("by hand: [{:.4f}, {:.4f}, {:.4f}]\n", by_hand[0], by_hand[1], by_hand[2]);
  fmt::print("the tape after backward: {} entries (it was consumed)\n\n", tape().size());

  fmt::print("== 4. Backward again through the consumed graph is a clear error\n");
  try {
    y.backward();
  } catch (const Error& e) {
    fmt::print("tg::Error: {}\n\n", e.what());
  }

  fmt::print("== 5. gradcheck compares with central finite differences\n");
  const GradcheckResult r = gradcheck(
      [](const TensorList& in) {
        return sum(mul(tanh(mul(in[1], in[0])), tanh(mul(in[1], in[0]))));
      },
      {x, w});
  fmt::print("gradcheck: {}\n\n", r.ok ? "passed" : r.message);

  fmt::print("== 6. create_graph records the backward too: a second derivative\n");
  Tensor z = tensor({0.3}, {}, DType::Float64).requires_grad_();
  Tensor f = sum(pow(z, 3.0));
  Tensor df = grad(f, z, {.create_graph = true});
  Tensor d2f = grad(sum(df), z);
  fmt::print("f = z^3 at z = 0.3: f' = {:.4f} (3z^2 = {:.4f}), f'' = {:.4f} (6z = {:.4f})\n\n",
             df.item(), 3 * 0.09, d2f.item(), 6 * 0.3);

  fmt::print("== 7. In-place changes to a tensor the tape saved are refused\n");
  Tensor a = tensor({1.0, 2.0}, {}, DType::Float64);
  Tensor b = tensor({3.0, 4.0}, {}, DType::Float64).requires_grad_();
  Tensor c = sum(mul(a, b));
  try {
    a.mul_(2.0);
  } catch (const Error& e) {
    fmt::print("tg::Error: {}\n", e.what());
  }
  c.backward();
  fmt::print("after backward the change is allowed: a.mul_(2) -> {}\n\n", a.mul_(2.0));

  fmt::print("== 8. Hooks see gradients as backward goes, and may replace them\n");
  Tensor p = tensor({0.5, -1.0}, {}, DType::Float64).requires_grad_();
  Tensor t = tanh(p);
  HookHandle watch = t.register_hook([](const Tensor& g) -> std::optional<Tensor> {
    fmt::print("hook on t = tanh(p): dL/dt = {}\n", g);
    return std::nullopt;  // observe only
  });
  HookHandle halve = p.register_hook([](const Tensor& g) -> std::optional<Tensor> {
    fmt::print("hook on p: dL/dp = {}, replaced by half of it\n", g);
    return g * 0.5;
  });
  p.register_post_accumulate_grad_hook(
      [](const Tensor& leaf) { fmt::print("p.grad() is complete: {}\n", leaf.grad()); });
  sum(mul(t, t)).backward();
  watch.remove();
  halve.remove();
  fmt::print("\n");

  fmt::print("== 9. What the tape keeps for backward, and the graph behind a loss\n");
  Tensor u = tensor({0.5, -1.0, 2.0}, {}, DType::Float64).requires_grad_();
  Tensor k = tensor({2.0, 2.0, 2.0}, {}, DType::Float64);  // a constant
  Tensor loss = sum(mul(tanh(u), k));
  // Part 6's f = z^3 is still recorded: grad() with create_graph retains what it walked.
  fmt::print("{}", saved_tensors_table());
  fmt::print("walking back from the loss (#{}):\n", loss.id());
  for_each_ancestor(loss, [](const NodeRef& n) {
    std::string ins;
    for (std::size_t j = 0; j < n.inputs.size(); ++j)
      ins +=
          fmt::format("{}#{}{}", j ? ", " : "", n.inputs[j].id, n.needs_grad[j] ? "" : " (const)");
    std::size_t bytes = 0;
    for (const SavedTensorInfo& s : n.saved) bytes += s.bytes;
    fmt::print("  [{}] {:<4} ({}) -> #{}{}, saved {} tensor(s), {} bytes\n", n.index, n.op, ins,
               n.output_id, shape_str(n.output_shape), n.saved.size(), bytes);
  });
  fmt::print("u is a leaf: creator(u) {}\n", creator(u) ? "exists" : "is empty");
  {
    std::ofstream out(dot_saved_path);
    out << to_dot(loss, {.show_saved = true, .backward_only = true});
    if (!out) {
      fmt::print(stderr, "could not write {}\n", dot_saved_path);
      return 1;
    }
  }
  fmt::print("wrote {} (the gradient's path only, with the saved tensors as notes)\n",
             dot_saved_path);
  loss.backward();
  fmt::print("after loss.backward(): {} bytes saved, {} entries left (part 6's)\n\n", saved_bytes(),
             tape().size());

  fmt::print("== 10. Per layer: what one batch of a model saves for backward\n");
  nn::Sequential mlp{std::make_shared<nn::Linear>(2, 16), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Linear>(16, 2)};
  fmt::print("{}\n", nn::summary(mlp, {32, 2}, nn::SummaryOptions{.saved_bytes = true}));

  fmt::print("== 11. Stepping through a backward pass, one tape entry at a time\n");
  {
    // With --step the stepper waits for Enter after each step (when stdin is a terminal).
    autograd::BackwardStepper stepper({.wait = step && isatty(0) != 0});
    Tensor a = tensor({0.5, -1.0}, {}, DType::Float64).requires_grad_();
    Tensor b = tensor({2.0, 3.0}, {}, DType::Float64).requires_grad_();
    stepper.name(a, "a");
    stepper.name(b, "b");
    Tensor ab = mul(a, b);
    stepper.name(ab, "ab");
    Tensor e = exp(a);
    stepper.name(e, "e");
    Tensor s = add(ab, e);
    stepper.name(s, "s");
    Tensor l = sum(s);
    stepper.name(l, "L");
    fmt::print("L = sum(a * b + exp(a)); by hand dL/da = b + exp(a), dL/db = a\n");
    l.backward();
    fmt::print("a.grad() = {}\nb.grad() = {}\n", a.grad(), b.grad());
  }
  return r.ok ? 0 : 1;
}

int main(int argc, char** argv) {
  return tg::examples::guarded_main("autograd_tour", [&] { return run(argc, argv); });
}
