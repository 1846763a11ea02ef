#include "tapegrad/autograd/profiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <unordered_map>

#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/core/storage.hpp"
#include "tapegrad/io/atomic_file.hpp"

namespace tg::profiler {

namespace {

double now_us() {
  using namespace std::chrono;
  return duration<double, std::micro>(steady_clock::now().time_since_epoch()).count();
}

thread_local Profile::Impl* t_current = nullptr;

// JSON string contents: quotes, backslashes and control characters escaped.
std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += c;
    }
  }
  return out;
}

// Ops and backward steps share one category so that viewers bind the flows between them.
const char* category(Kind k) {
  return k == Kind::Module ? "module" : k == Kind::Range ? "range" : "op";
}

std::string module_label(const autograd::ModuleInfo* m) { return m ? m->label() : std::string(); }

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Op:
      return "forward";
    case Kind::Backward:
      return "backward";
    case Kind::BackwardOp:
      return "backward op";
    case Kind::Module:
      return "module";
    case Kind::Range:
      return "range";
  }
  return "?";
}

struct Profile::Impl final : autograd::Observer {
  struct Frame {
    std::size_t event;  // index in events, or npos when dropped
    Kind kind;
    double t0;
    double child_us = 0;
    double flops0;
    double child_flops = 0;
    std::uint64_t bytes0;
    std::uint64_t child_bytes = 0;
    std::string_view name;
    const autograd::ModuleInfo* module;
  };
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  ProfileOptions opts;
  bool running = true;
  double t_start = 0, t_stop = 0;
  std::vector<Event> events;
  std::vector<Counter> counters;
  std::size_t dropped = 0;
  std::vector<Frame> forward, backward;                            // open slices per track
  int passes = 0;                                                  // backward passes in progress
  std::vector<std::pair<std::size_t, std::uint64_t>> flow_starts;  // (op event, entry seq)
  std::deque<std::string> names;                                   // Range names

  std::vector<Frame>& track() { return passes > 0 ? backward : forward; }

  void open(Kind kind, std::string_view name, const autograd::ModuleInfo* module) {
    std::vector<Frame>& tr = track();
    if (kind == Kind::Op && passes > 0) kind = Kind::BackwardOp;
    Frame f{npos, kind, now_us(), 0, autograd::detail::t_flops, 0, thread_allocated_bytes(),
            0,    name, module};
    if (events.size() < opts.max_events) {
      f.event = events.size();
      Event e;
      e.name = name;
      e.kind = kind;
      e.depth = static_cast<int>(tr.size());
      e.start_us = f.t0 - t_start;
      e.module = module;
      events.push_back(e);
    } else {
      ++dropped;
    }
    tr.push_back(f);
  }

  void close(std::vector<Frame>& tr) {
    if (tr.empty()) return;  // installed while a slice was open
    const Frame f = tr.back();
    tr.pop_back();
    const double t1 = now_us();
    const double dur = t1 - f.t0;
    const double flops = autograd::detail::t_flops - f.flops0;
    const std::uint64_t bytes = thread_allocated_bytes() - f.bytes0;
    if (f.event != npos) {
      Event& e = events[f.event];
      e.dur_us = dur;
      e.self_us = std::max(0.0, dur - f.child_us);
      e.flops = flops - f.child_flops;
      e.bytes = bytes - f.child_bytes;
    }
    // The parent is the enclosing slice on the same track; the outermost slices of a backward
    // pass run inside whatever forward-track slice is open (a training step, say).
    Frame* parent = !tr.empty()                            ? &tr.back()
                    : &tr == &backward && !forward.empty() ? &forward.back()
                                                           : nullptr;
    if (parent) {
      parent->child_us += dur;
      parent->child_flops += flops;
      parent->child_bytes += bytes;
    }
    if (opts.memory && counters.size() < opts.max_events)
      counters.push_back({t1 - t_start, memory_stats().in_use_bytes, tape().saved_bytes()});
  }

  // --- Observer
  void op_begin(const char* name) override {
    if (running) open(Kind::Op, name, autograd::current_module());
  }
  void op_end(const char*) override {
    if (running) close(track());
  }
  void module_begin(const autograd::ModuleInfo& m) override {
    if (running) open(Kind::Module, m.label(), &m);
  }
  void module_end(const autograd::ModuleInfo&) override {
    if (running) close(track());
  }
  void recorded(const TapeEntry& e, std::size_t, const Tensor&) override {
    if (!running) return;
    // The flow to the entry's backward starts at the innermost slice: the op that recorded it
    // (or the module, for an entry a module records itself).
    const std::vector<Frame>& tr = track();
    if (tr.empty() || tr.back().event == npos) return;
    Event& ev = events[tr.back().event];
    if (ev.seq == 0) ev.seq = e.seq;
    flow_starts.emplace_back(tr.back().event, e.seq);
  }
  void pass_begin() override { ++passes; }
  void pass_end() override {
    if (passes > 0) --passes;
    // A pass that failed may leave its slices open.
    if (passes == 0)
      while (!backward.empty()) close(backward);
  }
  void backward_begin(const TapeEntry& e, std::size_t, const Tensor&) override {
    if (!running) return;
    open(Kind::Backward, e.name, e.module);
    if (backward.back().event != npos) events[backward.back().event].seq = e.seq;
  }
  void backward_end(const TapeEntry&, std::size_t, const Tensor&,
                    const std::vector<Tensor>&) override {
    if (running) close(backward);
  }
};

Profile::Profile(ProfileOptions opts) : impl_(std::make_unique<Impl>()) {
  if (t_current)
    fail("profiler::Profile: a profile is already running on this thread; stop it first");
  impl_->opts = opts;
  impl_->t_start = now_us();
  t_current = impl_.get();
  autograd::add_observer(impl_.get());
}

Profile::~Profile() { stop(); }

void Profile::stop() {
  if (!impl_->running) return;
  while (!impl_->backward.empty()) impl_->close(impl_->backward);
  while (!impl_->forward.empty()) impl_->close(impl_->forward);
  impl_->running = false;
  impl_->t_stop = now_us();
  autograd::remove_observer(impl_.get());
  if (t_current == impl_.get()) t_current = nullptr;
}

bool Profile::running() const { return impl_->running; }
const std::vector<Event>& Profile::events() const { return impl_->events; }
const std::vector<Counter>& Profile::counters() const { return impl_->counters; }
std::size_t Profile::dropped_events() const { return impl_->dropped; }
double Profile::wall_us() const {
  return (impl_->running ? now_us() : impl_->t_stop) - impl_->t_start;
}

std::vector<OpStats> Profile::key_averages() const {
  std::map<std::pair<std::string_view, Kind>, OpStats> by;
  for (const Event& e : impl_->events) {
    if (e.kind == Kind::Module) continue;
    OpStats& s = by[{e.name, e.kind}];
    if (s.calls == 0) {
      s.name = std::string(e.name);
      s.kind = e.kind;
    }
    ++s.calls;
    s.total_us += e.dur_us;
    s.self_us += e.self_us;
    s.flops += e.flops;
    s.bytes += e.bytes;
  }
  std::vector<OpStats> out;
  for (auto& [k, s] : by) out.push_back(std::move(s));
  std::stable_sort(out.begin(), out.end(),
                   [](const OpStats& a, const OpStats& b) { return a.self_us > b.self_us; });
  return out;
}

std::string Profile::table(std::size_t row_limit) const {
  const std::vector<OpStats> rows = key_averages();
  double self_total = 0;
  for (const OpStats& r : rows) self_total += r.self_us;
  std::string s = fmt::format("{:<26} {:<11} {:>7} {:>10} {:>7} {:>10} {:>9} {:>8} {:>8} {:>9}\n",
                              "op", "pass", "calls", "self ms", "self %", "total ms", "avg us",
                              "GFLOP", "GFLOP/s", "alloc MB");
  s += std::string(s.size() - 1, '-') + "\n";
  std::size_t n = 0;
  for (const OpStats& r : rows) {
    if (n++ == row_limit) {
      s += fmt::format("... {} more rows\n", rows.size() - row_limit);
      break;
    }
    const std::string gf = r.flops > 0 ? fmt::format("{:.3f}", r.flops * 1e-9) : "";
    const std::string rate =
        r.flops > 0 && r.self_us > 0 ? fmt::format("{:.1f}", r.flops / r.self_us * 1e-3) : "";
    s += fmt::format(
        "{:<26} {:<11} {:>7} {:>10.3f} {:>6.1f}% {:>10.3f} {:>9.1f} {:>8} {:>8} {:>9.2f}\n",
        r.name.substr(0, 26), kind_name(r.kind), r.calls, r.self_us * 1e-3,
        self_total > 0 ? 100 * r.self_us / self_total : 0.0, r.total_us * 1e-3,
        r.total_us / static_cast<double>(r.calls), gf, rate,
        static_cast<double>(r.bytes) / (1 << 20));
  }
  s += fmt::format("self time in ops {:.3f} ms of {:.3f} ms profiled{}\n", self_total * 1e-3,
                   wall_us() * 1e-3,
                   impl_->dropped ? fmt::format(" ({} slices dropped: max_events)", impl_->dropped)
                                  : std::string());
  return s;
}

std::vector<ModuleStats> Profile::module_averages() const {
  std::vector<ModuleStats> out;
  std::unordered_map<const autograd::ModuleInfo*, std::size_t> index;
  auto slot = [&](const autograd::ModuleInfo* m) -> ModuleStats& {
    auto [it, fresh] = index.try_emplace(m, out.size());
    if (fresh) out.push_back({m->path, m->type});
    return out[it->second];
  };
  for (const Event& e : impl_->events) {
    if (!e.module) continue;
    if (e.kind == Kind::Module) {
      ModuleStats& s = slot(e.module);
      ++s.calls;
      s.forward_us += e.dur_us;
    } else if (e.kind == Kind::Backward && e.depth == 0) {
      // A backward step counts for its module and every module around it.
      for (const autograd::ModuleInfo* m = e.module; m; m = m->parent)
        slot(m).backward_us += e.dur_us;
    }
  }
  return out;
}

std::string Profile::module_table(std::size_t row_limit) const {
  const std::vector<ModuleStats> rows = module_averages();
  std::string s = fmt::format("{:<34} {:<18} {:>7} {:>12} {:>12}\n", "module", "type", "calls",
                              "forward ms", "backward ms");
  s += std::string(s.size() - 1, '-') + "\n";
  std::size_t n = 0;
  for (const ModuleStats& r : rows) {
    if (n++ == row_limit) {
      s += fmt::format("... {} more rows\n", rows.size() - row_limit);
      break;
    }
    s += fmt::format("{:<34} {:<18} {:>7} {:>12.3f} {:>12.3f}\n",
                     r.path.empty() ? "(outermost)" : r.path.substr(0, 34), r.type.substr(0, 18),
                     r.calls, r.forward_us * 1e-3, r.backward_us * 1e-3);
  }
  return s;
}

std::string Profile::chrome_trace_json() const {
  const Impl& p = *impl_;
  // Timestamps relative to the start, shifted off zero (some viewers ignore ts 0 when sizing
  // the view).
  constexpr double kOffset = 1.0;
  std::string s = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  s += R"({"ph": "M", "pid": 1, "tid": 1, "name": "process_name", "args": {"name": "tapegrad"}},)"
       "\n";
  s += R"({"ph": "M", "pid": 1, "tid": 1, "name": "thread_name", "args": {"name": "forward"}},)"
       "\n";
  s += R"({"ph": "M", "pid": 1, "tid": 2, "name": "thread_name", "args": {"name": "backward"}})";
  std::unordered_map<std::uint64_t, std::size_t> backward_of;  // entry seq -> first backward
  for (std::size_t i = 0; i < p.events.size(); ++i) {
    const Event& e = p.events[i];
    if (e.kind == Kind::Backward) backward_of.try_emplace(e.seq, i);
    const bool bw = e.kind == Kind::Backward || e.kind == Kind::BackwardOp;
    const char* cat = category(e.kind);
    std::string args = fmt::format(R"("pass": "{}")", kind_name(e.kind));
    if (e.module) args += fmt::format(R"(, "module": "{}")", json_escape(module_label(e.module)));
    if (e.seq) args += fmt::format(R"(, "entry": {})", e.seq);
    if (e.flops > 0) args += fmt::format(R"(, "flops": {:.0f})", e.flops);
    if (e.bytes > 0) args += fmt::format(R"(, "bytes": {})", e.bytes);
    s += fmt::format(
        ",\n{{\"ph\": \"X\", \"pid\": 1, \"tid\": {}, \"name\": \"{}\", \"cat\": \"{}\", \"ts\": "
        "{:.3f}, \"dur\": {:.3f}, \"args\": {{{}}}}}",
        bw ? 2 : 1, json_escape(e.name), cat, e.start_us + kOffset, e.dur_us, args);
  }
  for (const auto& [ev, seq] : p.flow_starts) {
    auto it = backward_of.find(seq);
    if (it == backward_of.end()) continue;
    const Event& from = p.events[ev];
    const Event& to = p.events[it->second];
    // A flow event carries its slice's pid, tid, ts and category exactly, and both ends of a
    // flow one category: an entry recorded outside any op (a module's backward-hook entries,
    // straight inside the module's slice) gets no arrow rather than one DevTools cannot bind.
    if (category(from.kind) != std::string_view("op")) continue;
    const bool from_bw = from.kind == Kind::Backward || from.kind == Kind::BackwardOp;
    s += fmt::format(
        ",\n{{\"ph\": \"s\", \"pid\": 1, \"tid\": {}, \"name\": \"autograd\", \"cat\": "
        "\"{}\", \"id\": {}, \"ts\": {:.3f}}}",
        from_bw ? 2 : 1, "op", seq, from.start_us + kOffset);
    s += fmt::format(
        ",\n{{\"ph\": \"f\", \"bp\": \"e\", \"pid\": 1, \"tid\": 2, \"name\": \"autograd\", "
        "\"cat\": \"op\", \"id\": {}, \"ts\": {:.3f}}}",
        seq, to.start_us + kOffset);
  }
  for (const Counter& c : p.counters)
    s += fmt::format(
        ",\n{{\"ph\": \"C\", \"pid\": 1, \"tid\": 1, \"name\": \"memory\", \"ts\": {:.3f}, "
        "\"args\": {{\"live MB\": {:.3f}, \"saved MB\": {:.3f}}}}}",
        c.ts_us + kOffset, static_cast<double>(c.live_bytes) / (1 << 20),
        static_cast<double>(c.saved_bytes) / (1 << 20));
  s += "\n]}\n";
  return s;
}

void Profile::export_chrome_trace(const std::string& path) const {
  io::write_file_atomic(path, chrome_trace_json(), "profiler");
}

Range::Range(std::string name) {
  if (!t_current || !t_current->running) return;
  p_ = t_current;
  p_->names.push_back(std::move(name));
  p_->open(Kind::Range, p_->names.back(), autograd::current_module());
}

Range::~Range() {
  if (p_ && p_->running) p_->close(p_->track());
}

}  // namespace tg::profiler
