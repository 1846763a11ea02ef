#include "tapegrad/autograd/inspect.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "tapegrad/autograd/tape.hpp"

namespace tg {

namespace {

// Entries are appended with increasing seq and erased without reordering, so the tape is sorted
// by seq.
const TapeEntry* find_entry(const Tape& tp, std::uint64_t seq, std::size_t& index) {
  if (seq == 0) return nullptr;
  const std::vector<TapeEntry>& es = tp.entries();
  auto it = std::lower_bound(es.begin(), es.end(), seq,
                             [](const TapeEntry& e, std::uint64_t s) { return e.seq < s; });
  if (it == es.end() || it->seq != seq) return nullptr;
  index = static_cast<std::size_t>(it - es.begin());
  return &*it;
}

SavedTensorInfo saved_info(const TapeEntry& e, std::size_t index, const TapeEntry::Saved& s) {
  SavedTensorInfo r;
  r.entry = index;
  r.seq = e.seq;
  r.op = e.name;
  r.input = s.input;
  if (s.input < 0) {
    r.tensor_id = e.output_id;
    r.shape = e.output_shape;
    r.dtype = e.output_dtype;
  } else {
    const Edge& in = e.inputs[static_cast<std::size_t>(s.input)];
    r.tensor_id = in.id();
    r.shape = in.shape();
    r.dtype = in.dtype();
  }
  r.packed = s.storage == nullptr;
  const std::shared_ptr<Storage> st = s.watch.lock();
  if (!st) return r;  // packed, and freed since
  r.bytes = s.storage ? st->nbytes : 0;
  // held_count counts one per saving, so an entry that saved a storage twice (mul(h, h)) is
  // not "shared" unless some other entry saved it too.
  std::int64_t own = 0;
  for (const auto& o : e.saved) own += o.storage && o.storage == s.storage;
  r.shared = s.storage && st->held_count > own;
  r.modified = st->version != s.version;
  return r;
}

NodeRef make_node(const TapeEntry& e, std::size_t index) {
  NodeRef n;
  n.index = index;
  n.seq = e.seq;
  n.op = e.name;
  n.inputs.resize(e.inputs.size());
  for (std::size_t j = 0; j < e.inputs.size(); ++j) {
    const Edge& in = e.inputs[j];
    if (!in.defined()) continue;
    InputRef& r = n.inputs[j];
    r.id = in.id();
    r.shape = in.shape();
    r.dtype = in.dtype();
    r.creator_seq = in.creator_seq();
    r.requires_grad = e.needs_grad[j] != 0;
    r.tensor = in.tensor();
  }
  n.needs_grad.assign(e.needs_grad.begin(), e.needs_grad.end());
  for (const auto& s : e.saved) n.saved.push_back(saved_info(e, index, s));
  n.output_id = e.output_id;
  n.output_shape = e.output_shape;
  n.output_dtype = e.output_dtype;
  if (auto out = e.output.lock()) n.output = Tensor(out->tensor.lock());
  n.fused = e.fused;
  return n;
}

// Tape indices of the entries root depends on, ascending. A work list of creator seqs, each
// looked up once by binary search: no recursion, and no walk over unrelated entries.
std::vector<std::size_t> ancestor_indices(const Tape& tp, const Tensor& root) {
  std::vector<std::size_t> found;
  if (!root.defined() || root.impl()->creator_seq == 0) return found;
  std::vector<std::uint64_t> todo{root.impl()->creator_seq};
  std::unordered_set<std::uint64_t> seen{root.impl()->creator_seq};
  while (!todo.empty()) {
    const std::uint64_t seq = todo.back();
    todo.pop_back();
    std::size_t index = 0;
    const TapeEntry* e = find_entry(tp, seq, index);
    if (!e) continue;  // consumed or cleared: the walk stops there
    found.push_back(index);
    for (const Edge& in : e->inputs) {
      if (!in.defined()) continue;
      const std::uint64_t s = in.creator_seq();
      if (s != 0 && seen.insert(s).second) todo.push_back(s);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string with_commas(std::size_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

}  // namespace

std::vector<SavedTensorInfo> saved_tensors() {
  const Tape& tp = tape();
  std::vector<SavedTensorInfo> out;
  for (std::size_t i = 0; i < tp.size(); ++i)
    for (const auto& s : tp[i].saved) out.push_back(saved_info(tp[i], i, s));
  return out;
}

std::size_t saved_bytes() {
  const Tape& tp = tape();
  std::unordered_set<const Storage*> seen;
  std::size_t total = 0;
  for (const TapeEntry& e : tp.entries())
    for (const auto& s : e.saved)
      if (s.storage && seen.insert(s.storage.get()).second) total += s.storage->nbytes;
  return total;
}

std::string saved_tensors_table() {
  const std::vector<SavedTensorInfo> rows = saved_tensors();
  std::vector<std::string> what, shapes, bytes;
  std::size_t w_op = 2, w_what = 5, w_shape = 5, w_bytes = 5;
  std::size_t sum = 0;
  std::unordered_set<std::uint64_t> entries;
  for (const auto& r : rows) {
    what.push_back(r.input < 0 ? std::string("output") : fmt::format("input {}", r.input));
    shapes.push_back(shape_str(r.shape));
    bytes.push_back(with_commas(r.bytes));
    w_op = std::max(w_op, std::string_view(r.op).size());
    w_what = std::max(w_what, what.back().size());
    w_shape = std::max(w_shape, shapes.back().size());
    w_bytes = std::max(w_bytes, bytes.back().size());
    sum += r.bytes;
    entries.insert(r.seq);
  }
  std::string s =
      fmt::format("{:<7}  {:<{}}  {:<{}}  {:<8}  {:<{}}  {:<7}  {:>{}}  {}\n", "entry", "op", w_op,
                  "saved", w_what, "tensor", "shape", w_shape, "dtype", "bytes", w_bytes, "notes");
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    std::string notes;
    if (r.packed) notes = "packed";
    if (r.shared) notes = "shared";
    if (r.modified) notes += notes.empty() ? "modified" : ", modified";
    const std::string line =
        fmt::format("[{:>5}]  {:<{}}  {:<{}}  {:<8}  {:<{}}  {:<7}  {:>{}}  {}", r.entry, r.op,
                    w_op, what[k], w_what, fmt::format("#{}", r.tensor_id), shapes[k], w_shape,
                    dtype_name(r.dtype), bytes[k], w_bytes, notes);
    s += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  }
  s += fmt::format("total: {} saved tensor{} in {} entr{}, {} bytes; distinct storages: {} bytes\n",
                   rows.size(), rows.size() == 1 ? "" : "s", entries.size(),
                   entries.size() == 1 ? "y" : "ies", with_commas(sum), with_commas(saved_bytes()));
  return s;
}

std::optional<NodeRef> creator(const Tensor& t) {
  if (!t.defined()) fail("creator: tensor is undefined");
  std::size_t index = 0;
  const TapeEntry* e = find_entry(tape(), t.impl()->creator_seq, index);
  if (!e) return std::nullopt;
  return make_node(*e, index);
}

std::vector<std::optional<NodeRef>> next(const NodeRef& n) {
  std::vector<std::optional<NodeRef>> out;
  out.reserve(n.inputs.size());
  for (const InputRef& in : n.inputs) {
    std::size_t index = 0;
    const TapeEntry* e = find_entry(tape(), in.creator_seq, index);
    out.push_back(e ? std::optional<NodeRef>(make_node(*e, index)) : std::nullopt);
  }
  return out;
}

std::vector<NodeRef> graph_of(const Tensor& root) {
  if (!root.defined()) fail("graph_of: tensor is undefined");
  const Tape& tp = tape();
  std::vector<NodeRef> out;
  for (std::size_t i : ancestor_indices(tp, root)) out.push_back(make_node(tp[i], i));
  return out;
}

void for_each_ancestor(const Tensor& root, const std::function<void(const NodeRef&)>& fn) {
  if (!root.defined()) fail("for_each_ancestor: tensor is undefined");
  if (!fn) fail("for_each_ancestor: the callback is an empty function");
  const Tape& tp = tape();
  const std::vector<std::size_t> idx = ancestor_indices(tp, root);
  // The callback may run ops that record (and grow or prune the tape): look entries up by seq.
  std::vector<std::uint64_t> seqs;
  seqs.reserve(idx.size());
  for (std::size_t i : idx) seqs.push_back(tp[i].seq);
  for (std::size_t k = seqs.size(); k-- > 0;) {
    std::size_t index = 0;
    const TapeEntry* e = find_entry(tape(), seqs[k], index);
    if (!e) continue;
    fn(make_node(*e, index));
  }
}

}  // namespace tg
