// The profiler: per-op forward and backward slices, FLOPs, modules, and a Chrome trace whose
// slices match the tape and whose per-op totals agree with the table.
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <tuple>

#include "helpers.hpp"

using namespace tg;
using Catch::Matchers::Contains;
using profiler::Kind;

namespace {

std::shared_ptr<nn::Sequential> mlp() {
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(8, 16));
  m->push_back(std::make_shared<nn::Tanh>());
  m->push_back(std::make_shared<nn::Linear>(16, 4));
  return m;
}

const profiler::OpStats* find(const std::vector<profiler::OpStats>& rows, const std::string& name,
                              Kind kind) {
  for (const auto& r : rows)
    if (r.name == name && r.kind == kind) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("profiler: forward and backward slices per op, with calls and FLOPs",
          "[autograd][profiler]") {
  auto model = mlp();
  Tensor x = uniform({5, 8}, -1, 1);
  Tensor y = tensor({0.0, 1.0, 2.0, 3.0, 0.0}, {5}).to(DType::Int64);
  tape().clear();
  profiler::Profile prof;
  Tensor loss = cross_entropy((*model)(x), y);
  loss.backward();
  prof.stop();
  const auto rows = prof.key_averages();
  const auto* lin = find(rows, "linear", Kind::Op);
  REQUIRE(lin);
  REQUIRE(lin->calls == 2);
  // 2 x multiply-adds: 5x8 @ 8x16 and 5x16 @ 16x4.
  REQUIRE(lin->flops == 2.0 * 5 * (8 * 16 + 16 * 4));
  const auto* lin_bw = find(rows, "linear", Kind::Backward);
  REQUIRE(lin_bw);
  REQUIRE(lin_bw->calls == 2);
  // The first layer's input needs no gradient: its backward computes dW only (one GEMM), the
  // second layer's dX and dW (two).
  REQUIRE(lin_bw->flops == 2.0 * 5 * (8 * 16 + 2 * 16 * 4));
  REQUIRE(find(rows, "tanh", Kind::Op)->calls == 1);
  REQUIRE(find(rows, "tanh", Kind::Backward)->calls == 1);
  REQUIRE(find(rows, "cross_entropy", Kind::Op)->calls == 1);
  for (const auto& r : rows) {
    INFO(r.name);
    REQUIRE(r.self_us >= 0);
    REQUIRE(r.total_us + 1e-9 >= r.self_us);
  }
  // Output allocations are charged: tanh's output is 5 x 16 floats.
  REQUIRE(find(rows, "tanh", Kind::Op)->bytes == 5 * 16 * 4);

  const std::string table = prof.table();
  REQUIRE_THAT(table, Contains("linear"));
  REQUIRE_THAT(table, Contains("backward"));
  REQUIRE_THAT(table, Contains("GFLOP/s"));
}

TEST_CASE("profiler: self times add up: each slice's total is its self plus its children",
          "[autograd][profiler]") {
  auto model = mlp();
  Tensor x = uniform({64, 8}, -1, 1);
  profiler::Profile prof;
  for (int i = 0; i < 3; ++i) {
    profiler::Range step(fmt::format("step {}", i));
    Tensor loss = sum(tanh((*model)(x)));
    loss.backward();
  }
  prof.stop();
  const auto& ev = prof.events();
  REQUIRE(prof.dropped_events() == 0);
  // Children of slice i are the slices that follow it on the same track at depth + 1 until the
  // depth falls back, and for a forward-track slice, the outermost backward-track slices that
  // start inside it and inside none of its forward children (a backward pass within a step).
  auto track = [](const profiler::Event& e) {
    return e.kind == Kind::Backward || e.kind == Kind::BackwardOp ? 2 : 1;
  };
  auto inside = [](const profiler::Event& outer, double t) {
    return t >= outer.start_us && t <= outer.start_us + outer.dur_us;
  };
  double self_sum = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    self_sum += ev[i].self_us;
    double children = 0;
    std::vector<std::size_t> fwd_children;
    for (std::size_t j = i + 1; j < ev.size(); ++j) {
      if (track(ev[j]) != track(ev[i])) continue;
      if (ev[j].depth <= ev[i].depth) break;
      if (ev[j].depth == ev[i].depth + 1) {
        children += ev[j].dur_us;
        fwd_children.push_back(j);
      }
    }
    if (track(ev[i]) == 1)
      for (const auto& b : ev) {
        if (track(b) != 2 || b.depth != 0 || !inside(ev[i], b.start_us)) continue;
        bool deeper = false;
        for (std::size_t c : fwd_children) deeper = deeper || inside(ev[c], b.start_us);
        if (!deeper) children += b.dur_us;
      }
    INFO(ev[i].name << " depth " << ev[i].depth);
    REQUIRE(ev[i].self_us == Approx(std::max(0.0, ev[i].dur_us - children)).margin(1e-6));
  }
  // Self times never count a moment twice.
  REQUIRE(self_sum <= prof.wall_us() + 1e-6);
  // The ranges and the modules appear.
  int steps = 0;
  for (const auto& e : ev) steps += e.kind == Kind::Range;
  REQUIRE(steps == 3);
  const auto mods = prof.module_averages();
  REQUIRE(mods.size() == 4);  // the Sequential and its three children
  REQUIRE(mods[0].path.empty());
  REQUIRE(mods[0].type == "Sequential");
  REQUIRE(mods[0].calls == 3);
  REQUIRE(mods[1].path == "0");
  REQUIRE(mods[1].type == "Linear");
  REQUIRE(mods[1].calls == 3);
  REQUIRE(mods[1].backward_us > 0);
  // The outermost module's backward includes every step recorded inside it.
  REQUIRE(mods[0].backward_us >= mods[1].backward_us + mods[3].backward_us);
  REQUIRE_THAT(prof.module_table(), Contains("(outermost)"));
}

TEST_CASE("profiler: the Chrome trace parses, its slices match the tape and the table",
          "[autograd][profiler]") {
  auto model = mlp();
  Tensor x = uniform({6, 8}, -1, 1);
  Tensor y = tensor({0.0, 1.0, 2.0, 3.0, 0.0, 1.0}, {6}).to(DType::Int64);
  tape().clear();
  std::vector<std::string> tape_names;
  profiler::Profile prof;
  Tensor loss = cross_entropy((*model)(x), y);
  for (const auto& e : tape().entries()) tape_names.emplace_back(e.name);
  loss.backward();
  prof.stop();

  tgtest::TempDir dir;
  const std::string path = dir.file("trace.json");
  prof.export_chrome_trace(path);
  std::ifstream f(path);
  const nlohmann::json j = nlohmann::json::parse(f);
  REQUIRE(j.contains("traceEvents"));
  std::vector<std::string> bw_names;
  std::map<std::string, double> dur_by_name;  // forward ops only
  std::map<std::uint64_t, int> flow_s, flow_f;
  int counters = 0;
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e["ph"];
    if (ph == "X") {
      REQUIRE(e["ts"].is_number());
      REQUIRE(e["dur"].is_number());
      REQUIRE(e["dur"].get<double>() >= 0);
      const int tid = e["tid"];
      const std::string pass = e["args"]["pass"];
      if (pass == "backward") {
        REQUIRE(tid == 2);
        bw_names.push_back(e["name"]);
      }
      if (pass == "forward") {
        REQUIRE(tid == 1);
        dur_by_name[e["name"]] += e["dur"].get<double>();
      }
    } else if (ph == "s") {
      ++flow_s[e["id"]];
    } else if (ph == "f") {
      REQUIRE(e["bp"] == "e");
      ++flow_f[e["id"]];
    } else if (ph == "C") {
      ++counters;
      REQUIRE(e["args"]["live MB"].get<double>() > 0);
    }
  }
  // The backward slices are the tape's entries, last recorded first.
  std::vector<std::string> expected(tape_names.rbegin(), tape_names.rend());
  REQUIRE(bw_names == expected);
  // One flow per entry, from its forward op to its backward step.
  REQUIRE(flow_s.size() == tape_names.size());
  REQUIRE(flow_s == flow_f);
  REQUIRE(counters > 0);
  // Per-op totals in the trace agree with the table (the trace rounds to 1 ns).
  for (const auto& r : prof.key_averages()) {
    if (r.kind != Kind::Op) continue;
    INFO(r.name);
    REQUIRE(dur_by_name[r.name] == Approx(r.total_us).margin(1e-3 * r.calls));
  }
}

TEST_CASE(
    "profiler: every flow arrow starts and ends on an op slice of the same category, also "
    "with a module's full backward hook",
    "[autograd][profiler]") {
  // DevTools binds a flow event only to a slice with the same ts, tid and cat; the hook's identity
  // entries are recorded straight inside the module's slice, with no op slice of their own.
  auto model = mlp();
  int hook_calls = 0;
  HookHandle h = (*model)[0]->register_full_backward_hook(
      [&](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> {
        ++hook_calls;
        return std::nullopt;
      });
  Tensor x = uniform({4, 8}, -1, 1).requires_grad_();
  tape().clear();
  profiler::Profile prof;
  sum((*model)(x)).backward();
  prof.stop();
  REQUIRE(hook_calls == 1);
  const nlohmann::json j = nlohmann::json::parse(prof.chrome_trace_json());
  std::set<std::tuple<double, int, std::string>> slices;  // (ts, tid, cat) of every X slice
  std::map<std::uint64_t, std::string> s_cat, f_cat;
  int flows = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X") slices.emplace(e["ts"].get<double>(), e["tid"].get<int>(), e["cat"]);
  }
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e["ph"];
    if (ph != "s" && ph != "f") continue;
    ++flows;
    INFO(e.dump());
    REQUIRE(e["cat"] == "op");
    REQUIRE(slices.count({e["ts"].get<double>(), e["tid"].get<int>(), "op"}) == 1);
  }
  REQUIRE(flows > 0);
}

TEST_CASE("profiler: one profile per thread; nothing recorded after stop", "[autograd][profiler]") {
  profiler::Profile prof;
  REQUIRE_THROWS_WITH(profiler::Profile(), Contains("already running"));
  Tensor a = tgtest::leaf({3});
  Tensor b = exp(a);
  prof.stop();
  const std::size_t n = prof.events().size();
  REQUIRE(n == 1);
  Tensor c = exp(b);
  REQUIRE(prof.events().size() == n);
  REQUIRE_FALSE(autograd::observing());
  profiler::Profile again;  // a new one may start
  REQUIRE(again.running());
}

TEST_CASE("profiler: the profile holds conv2d FLOPs for the forward and both gradients",
          "[autograd][profiler]") {
  Tensor x = uniform({2, 3, 8, 8}, -1, 1).requires_grad_();
  Tensor w = uniform({4, 3, 3, 3}, -1, 1).requires_grad_();
  profiler::Profile prof;
  Tensor y = conv2d(x, w);
  sum(y).backward();
  prof.stop();
  const double direct = 2.0 * 2 * 4 * 6 * 6 * 3 * 3 * 3;
  const auto rows = prof.key_averages();
  REQUIRE(find(rows, "conv2d", Kind::Op)->flops == direct);
  // Backward: the input gradient and the weight gradient, one direct convolution's worth each.
  const auto* bw = find(rows, "conv2d", Kind::Backward);
  double bw_total = bw->flops;
  for (const auto& r : rows)
    if (r.kind == Kind::BackwardOp) bw_total += r.flops;
  REQUIRE(bw_total == 2 * direct);
}
