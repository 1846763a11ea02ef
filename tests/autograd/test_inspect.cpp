// Saved-tensor accounting, graph walking and the DOT options (autograd/inspect.hpp, dot.hpp),
// and summary()'s saved-bytes column.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "tapegrad/autograd/inspect.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

// x [3, 4] float32 requires grad, w [3, 4] float32 a constant:
//   y = tanh(x)   saves its output y            48 bytes
//   z = mul(y, w) saves y (again) and w         48 + 48 bytes
//   s = sum(z)    saves nothing
struct SmallGraph {
  Tensor x = ones({3, 4}).requires_grad_();
  Tensor w = full({3, 4}, 2.0);
  Tensor y = tanh(x);
  Tensor z = mul(y, w);
  Tensor s = sum(z);
};

}  // namespace

TEST_CASE("saved_tensors lists what each entry saved, with bytes and sharing",
          "[autograd][inspect]") {
  tape().clear();
  SmallGraph g;
  const std::vector<SavedTensorInfo> v = saved_tensors();
  REQUIRE(v.size() == 3);

  CHECK(std::string(v[0].op) == "tanh");
  CHECK(v[0].entry == 0);
  CHECK(v[0].input == -1);
  CHECK(v[0].tensor_id == g.y.id());
  CHECK(v[0].shape == Shape{3, 4});
  CHECK(v[0].dtype == DType::Float32);
  CHECK(v[0].bytes == 48);
  CHECK(v[0].shared);  // mul saved y as well
  CHECK_FALSE(v[0].modified);

  CHECK(std::string(v[1].op) == "mul");
  CHECK(v[1].entry == 1);
  CHECK(v[1].input == 0);
  CHECK(v[1].tensor_id == g.y.id());
  CHECK(v[1].bytes == 48);
  CHECK(v[1].shared);

  CHECK(v[2].input == 1);
  CHECK(v[2].tensor_id == g.w.id());
  CHECK(v[2].bytes == 48);
  CHECK_FALSE(v[2].shared);

  // Rows sum to 144; y's storage counts once.
  CHECK(saved_bytes() == 96);

  const std::string table = saved_tensors_table();
  CHECK_THAT(table, Catch::Contains("tanh"));
  CHECK_THAT(table, Catch::Contains("input 1"));
  CHECK_THAT(table, Catch::Contains("[3, 4]"));
  CHECK_THAT(table, Catch::Contains("shared"));
  CHECK_THAT(table,
             Catch::Contains(
                 "total: 3 saved tensors in 2 entries, 144 bytes; distinct storages: 96 bytes"));
  tape().clear();
}

TEST_CASE("saved_bytes counts a storage saved several times once", "[autograd][inspect]") {
  tape().clear();
  Tensor x = ones({3, 4}).requires_grad_();
  Tensor sq = mul(x, x);  // saves x twice in one entry
  REQUIRE(saved_tensors().size() == 2);
  CHECK_FALSE(saved_tensors()[0].shared);  // only this entry holds it
  CHECK(saved_bytes() == 48);

  Tensor h = tanh(x);     // saves h: 48 more
  Tensor hh = mul(h, h);  // saves h twice: nothing more
  CHECK(saved_bytes() == 96);
  // Three savings of h's storage across two entries, one storage.
  int of_h = 0;
  for (const auto& s : saved_tensors())
    if (s.tensor_id == h.id()) {
      ++of_h;
      CHECK(s.shared);
    }
  CHECK(of_h == 3);
  // A view saved by an op keeps its whole storage: 48 bytes, not 16.
  Tensor row = h.slice(0, 0, 1);  // [1, 4] view of h
  Tensor r2 = mul(row, row);
  CHECK(saved_bytes() == 96);
  bool found_view = false;
  for (const auto& s : saved_tensors())
    if (s.tensor_id == row.id()) {
      found_view = true;
      CHECK(s.shape == Shape{1, 4});
      CHECK(s.bytes == 48);
    }
  CHECK(found_view);
  tape().clear();
}

TEST_CASE("saved bytes go to 0 when backward consumes the tape, and stay with retain_graph",
          "[autograd][inspect]") {
  tape().clear();
  {
    SmallGraph g;
    g.s.backward({.retain_graph = true});
    CHECK(saved_bytes() == 96);
    CHECK(saved_tensors().size() == 3);
    g.s.backward();
    CHECK(saved_bytes() == 0);
    CHECK(saved_tensors().empty());
    CHECK_THAT(saved_tensors_table(),
               Catch::Contains("total: 0 saved tensors in 0 entries, 0 bytes; distinct "
                               "storages: 0 bytes"));
  }
  tape().clear();
}

TEST_CASE("a saved tensor changed in place is reported as modified", "[autograd][inspect]") {
  tape().clear();
  Tensor x = ones({2}).requires_grad_();
  Tensor c = ones({2});
  Tensor y = mul(x, c);
  // The in-place methods refuse to write a saved storage; move its version as a write would,
  // which is what the engine's check at backward time looks at.
  ++c.storage()->version;
  bool seen = false;
  for (const auto& s : saved_tensors())
    if (s.tensor_id == c.id()) {
      seen = true;
      CHECK(s.modified);
    }
  CHECK(seen);
  CHECK_THAT(saved_tensors_table(), Catch::Contains("modified"));
  tape().clear();
}

TEST_CASE("creator and next walk from a tensor to the entries that made it",
          "[autograd][inspect]") {
  tape().clear();
  SmallGraph g;
  CHECK_FALSE(creator(g.x).has_value());  // a leaf
  CHECK_FALSE(creator(g.w).has_value());  // a constant leaf

  const std::optional<NodeRef> n = creator(g.s);
  REQUIRE(n);
  CHECK(std::string(n->op) == "sum");
  CHECK(n->index == 2);
  CHECK(n->seq == g.s.impl()->creator_seq);
  CHECK(n->output_id == g.s.id());
  CHECK(n->output.same(g.s));
  CHECK(n->output_shape == Shape{});
  CHECK(n->output_dtype == DType::Float32);
  CHECK(n->saved.empty());
  REQUIRE(n->inputs.size() == 1);
  CHECK(n->inputs[0].tensor.same(g.z));

  const auto up = next(*n);
  REQUIRE(up.size() == 1);
  REQUIRE(up[0]);
  const NodeRef& m = *up[0];
  CHECK(std::string(m.op) == "mul");
  REQUIRE(m.inputs.size() == 2);
  CHECK(m.inputs[0].tensor.same(g.y));
  CHECK(m.inputs[1].tensor.same(g.w));
  CHECK(m.needs_grad == std::vector<bool>{true, false});
  REQUIRE(m.saved.size() == 2);
  CHECK(m.saved[0].bytes + m.saved[1].bytes == 96);

  const auto up2 = next(m);
  REQUIRE(up2.size() == 2);
  REQUIRE(up2[0]);
  CHECK(std::string(up2[0]->op) == "tanh");
  CHECK_FALSE(up2[1]);  // w is a leaf
  const auto up3 = next(*up2[0]);
  REQUIRE(up3.size() == 1);
  CHECK_FALSE(up3[0]);  // x is a leaf

  // graph_of: topological (tape) order; for_each_ancestor: the reverse.
  const std::vector<NodeRef> all = graph_of(g.s);
  REQUIRE(all.size() == 3);
  CHECK(std::string(all[0].op) == "tanh");
  CHECK(std::string(all[1].op) == "mul");
  CHECK(std::string(all[2].op) == "sum");
  std::vector<std::string> rev;
  for_each_ancestor(g.s, [&](const NodeRef& r) { rev.emplace_back(r.op); });
  CHECK(rev == std::vector<std::string>{"sum", "mul", "tanh"});
  CHECK(graph_of(g.x).empty());

  // After backward consumed the tape, a non-leaf has no creator any more.
  g.s.backward();
  CHECK_FALSE(g.s.is_leaf());
  CHECK_FALSE(creator(g.s).has_value());
  CHECK(graph_of(g.s).empty());
  tape().clear();
}

TEST_CASE("graph_of leaves out entries the root does not depend on", "[autograd][inspect]") {
  tape().clear();
  Tensor a = ones({2}).requires_grad_();
  Tensor b = ones({2}).requires_grad_();
  Tensor ea = exp(a);
  Tensor other = tanh(b);  // not an ancestor of r
  Tensor r = sum(mul(ea, ea));
  std::vector<std::string> ops;
  for (const NodeRef& n : graph_of(r)) ops.emplace_back(n.op);
  CHECK(ops == std::vector<std::string>{"exp", "mul", "sum"});
  CHECK(tape().size() == 4);
  tape().clear();
}

TEST_CASE("walking a chain of 100,000 ops uses loops, not recursion", "[autograd][inspect]") {
  tape().clear();
  constexpr std::size_t n = 100000;
  Tensor x = ones({1}).requires_grad_();
  Tensor t = x;
  for (std::size_t i = 0; i < n; ++i) t = mul(t, 1.0);
  const std::vector<NodeRef> all = graph_of(t);
  REQUIRE(all.size() == n);
  for (std::size_t i = 0; i < n; ++i) REQUIRE(all[i].index == i);  // topological = tape order
  CHECK(all.front().inputs[0].tensor.same(x));
  CHECK(all.back().output.same(t));
  std::size_t visited = 0;
  std::size_t expect = n;
  bool ordered = true;
  for_each_ancestor(t, [&](const NodeRef& r) {
    ordered = ordered && r.index == --expect;
    ++visited;
  });
  CHECK(visited == n);
  CHECK(ordered);
  const std::string dot = to_dot(t, {.backward_only = true});
  CHECK_THAT(dot, Catch::Contains(fmt::format("t{} -> op", x.id())));
  tape().clear();
}

TEST_CASE("to_dot options: saved-tensor notes and the backward-only view", "[autograd][inspect]") {
  tape().clear();
  SmallGraph g;
  const std::string plain = to_dot(g.s);
  CHECK_THAT(plain, Catch::Contains(fmt::format("  t{} [label", g.w.id())));  // the constant
  CHECK_THAT(plain, Catch::Contains(fmt::format("t{} -> op", g.w.id())));
  CHECK_THAT(plain, !Catch::Contains("shape=note"));
  CHECK(plain == to_dot(g.s, DotOptions{}));

  const std::string saved = to_dot(g.s, {.show_saved = true});
  // Two saved storages: y (saved by mul, drawn first, and by tanh) and w.
  CHECK_THAT(saved, Catch::Contains(fmt::format(
                        "s0 [label=\"saved #{}\\n[3, 4] float32\\n48 bytes\"", g.y.id())));
  CHECK_THAT(saved, Catch::Contains(fmt::format(
                        "s1 [label=\"saved #{}\\n[3, 4] float32\\n48 bytes\"", g.w.id())));
  CHECK_THAT(saved, !Catch::Contains("s2 [label"));
  const std::uint64_t tanh_seq = g.y.impl()->creator_seq, mul_seq = g.z.impl()->creator_seq;
  CHECK_THAT(saved, Catch::Contains(fmt::format("s0 -> op{} [style=dotted", tanh_seq)));
  CHECK_THAT(saved, Catch::Contains(fmt::format("s0 -> op{} [style=dotted", mul_seq)));
  CHECK_THAT(saved, Catch::Contains(fmt::format("s1 -> op{} [style=dotted", mul_seq)));
  CHECK_THAT(saved, Catch::Contains("label=\"output\""));
  CHECK_THAT(saved, Catch::Contains("label=\"input 1\""));

  const std::string bw = to_dot(g.s, {.backward_only = true});
  CHECK_THAT(bw, !Catch::Contains(fmt::format("  t{} [label", g.w.id())));
  CHECK_THAT(bw, !Catch::Contains(fmt::format("t{} -> op", g.w.id())));
  CHECK_THAT(bw, !Catch::Contains("style=dashed"));
  CHECK_THAT(bw, Catch::Contains(fmt::format("t{} -> op{}", g.x.id(), tanh_seq)));
  CHECK_THAT(bw, Catch::Contains(fmt::format("t{} -> op{}", g.y.id(), mul_seq)));
  tape().clear();
}

TEST_CASE("summary with saved_bytes: bytes per layer for one batch", "[autograd][inspect][nn]") {
  tape().clear();
  auto net = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 3)});
  Tensor before = tanh(ones({5}).requires_grad_());  // an unrelated graph the user holds
  REQUIRE(tape().size() == 1);
  // Batch 2, float32:
  //   0 Linear(4, 8) saves its input [2, 4] (32) and weight [8, 4] (128)      = 160
  //   1 ReLU saves its output [2, 8]                                           =  64
  //   2 Linear(8, 3) saves its input, the ReLU's output (64), and [3, 8] (96)  = 160
  //   total, each storage once: 32 + 128 + 64 + 96 = 320, parameters 128 + 96 = 224
  const std::string s = nn::summary(*net, {2, 4}, nn::SummaryOptions{.saved_bytes = true});
  INFO(s);
  CHECK_THAT(s, Catch::Contains("Saved (bytes)"));
  CHECK_THAT(s, Catch::Matches("[\\s\\S]*0 \\(Linear\\) +\\[2, 8\\] +40 +160\n[\\s\\S]*"));
  CHECK_THAT(s, Catch::Matches("[\\s\\S]*1 \\(ReLU\\) +\\[2, 8\\] +0 +64\n[\\s\\S]*"));
  CHECK_THAT(s, Catch::Matches("[\\s\\S]*2 \\(Linear\\) +\\[2, 3\\] +27 +160\n[\\s\\S]*"));
  CHECK_THAT(
      s, Catch::Contains("Saved for backward: 320 bytes per batch, each storage once (224 of them "
                         "parameters)"));
  CHECK_THAT(s, Catch::Contains("Total params: 67"));
  // The entries it recorded are gone; the user's are not.
  REQUIRE(tape().size() == 1);
  CHECK(creator(before).has_value());
  CHECK(net->is_training());
  // Without the option the table is as before.
  const std::string plain = nn::summary(*net, {2, 4});
  CHECK_THAT(plain, !Catch::Contains("Saved"));
  CHECK(plain == nn::summary(*net, {2, 4}, nn::SummaryOptions{}));
  tape().clear();
}

TEST_CASE("summary with saved_bytes: the innermost module gets the entries",
          "[autograd][inspect][nn]") {
  tape().clear();
  // An outer Sequential holding an inner one: the inner Linear's entries are the Linear's, not
  // the Sequentials'.
  auto inner = std::make_shared<nn::Sequential>(
      std::initializer_list<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(3, 2)});
  auto outer = std::make_shared<nn::Sequential>(
      std::initializer_list<std::shared_ptr<nn::Module>>{inner, std::make_shared<nn::Tanh>()});
  // Batch 1: Linear saves x [1, 3] (12) and W [2, 3] (24) = 36; Tanh saves its output [1, 2] (8).
  const std::string s = nn::summary(*outer, {1, 3}, nn::SummaryOptions{.saved_bytes = true});
  INFO(s);
  CHECK_THAT(s, Catch::Matches("[\\s\\S]*0\\.0 \\(Linear\\) +\\[1, 2\\] +8 +36\n[\\s\\S]*"));
  CHECK_THAT(s, Catch::Matches("[\\s\\S]*\n0 \\(Sequential\\) +\\[1, 2\\] +0 +0\n[\\s\\S]*"));
  CHECK_THAT(s, Catch::Matches("[\\s\\S]*1 \\(Tanh\\) +\\[1, 2\\] +0 +8\n[\\s\\S]*"));
  CHECK_THAT(s, Catch::Contains("Saved for backward: 44 bytes per batch"));
  CHECK(tape().size() == 0);
}
