// The study's SQLite store: schema creation and reopening, plan/claim/finish/fail/reset, exact
// doubles (NaN reads back as NaN, -0.0 as +0.0 in REAL columns, series keep every bit), errors
// that name the file, and two processes working on one study file at the same time.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tapegrad/core/error.hpp"
#include "tapegrad/study/store.hpp"

using namespace tg::study;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<unsigned> counter{0};
    for (;;) {
      path = fs::temp_directory_path() /
             ("tg_store_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
      if (fs::create_directory(path)) return;
    }
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// A second, raw connection, to look at or tamper with the file behind the Store's back.
struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("raw open failed");
    sqlite3_busy_timeout(db, 10'000);
  }
  ~Raw() { sqlite3_close(db); }
  void exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      const std::string m = msg ? msg : "?";
      sqlite3_free(msg);
      throw std::runtime_error(std::string(sql) + ": " + m);
    }
  }
  std::int64_t integer(const char* sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    const std::int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
  }
};

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

RunSpec spec(const std::string& arm, std::int64_t seed) {
  RunSpec r;
  r.key = "lenet5/adam/lr=0.001/" + arm + "/seed=" + std::to_string(seed);
  r.arm = arm;
  r.model = "lenet5";
  r.optimizer = "adam";
  r.lr = 0.001;
  r.seed = seed;
  return r;
}

std::vector<RunSpec> grid(int seeds) {
  std::vector<RunSpec> out;
  for (int s = 0; s < seeds; ++s)
    for (const char* arm : {"relu", "prelu(init=0.1)"}) out.push_back(spec(arm, s));
  return out;
}

// A result whose numbers depend on the run only, with values that are hard to store exactly.
RunResult result_for(const RunSpec& r) {
  RunResult res;
  res.key = r.key;
  res.wall_seconds = 12.5 + r.seed / 3.0;
  res.parameters = 61706 + r.seed;
  res.activation_parameters = r.arm == "relu" ? 0 : 4;
  res.best_val_epoch = 2;
  res.test_at_best_val = 0.1 + 1.0 / (7.0 + r.seed);
  res.test_at_last = 2.0 / 3.0;
  for (std::int64_t e = 1; e <= 3; ++e) {
    const double x = static_cast<double>(e) + r.seed / 7.0;
    res.epochs.push_back({e, 1.0 / x, 0.9 - 0.1 / x, std::sqrt(x), 1.0 / 3.0, std::exp(-x),
                          std::nextafter(0.9, 1.0), x * 1e-3});
    for (const char* layer : {"act1", "act2"}) {
      res.diagnostics.push_back({e, layer, "dead_fraction", 0.1 / x});
      res.diagnostics.push_back({e, layer, "grad_norm", std::pow(x, 1.7)});
      res.series.push_back({e, layer, "shape", {-1.0 / x, 0.0, 1.0 / 3.0, x}});
    }
  }
  return res;
}

}  // namespace

TEST_CASE("store: creates the schema, reopens it and keeps study info") {
  TempDir dir;
  const std::string path = dir.file("results.sqlite");
  {
    Store s = Store::open(path);
    CHECK(s.path() == path);
    CHECK(s.status().total() == 0);
    CHECK(s.study_info().empty());
    s.set_study_info("recipe", "lenet5 x 2 arms");
    s.set_study_info("commit", "abc");
    s.set_study_info("commit", "def");
    Store moved = std::move(s);
    CHECK(moved.study_info().size() == 2);
    CHECK_THROWS_AS(s.status(), tg::Error);  // NOLINT(bugprone-use-after-move)
  }
  REQUIRE(fs::exists(path));
  {
    Raw raw(path);
    CHECK(raw.integer("PRAGMA user_version") == Store::kSchemaVersion);
    CHECK(raw.integer("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                      "('study', 'runs', 'epochs', 'diagnostics', 'series')") == 5);
  }
  Store s = Store::open(path);
  const auto info = s.study_info();
  CHECK(info.at("recipe") == "lenet5 x 2 arms");
  CHECK(info.at("commit") == "def");
  Raw raw(path);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(raw.db, "PRAGMA journal_mode", -1, &st, nullptr);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
}

TEST_CASE("store: planning twice adds nothing twice") {
  TempDir dir;
  Store s = Store::open(dir.file("results.sqlite"));
  CHECK(s.plan(grid(2)) == 4);
  CHECK(s.plan(grid(2)) == 0);
  CHECK(s.plan(grid(3)) == 2);
  const auto runs = s.runs();
  REQUIRE(runs.size() == 6);
  const auto planned = grid(3);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CHECK(runs[i].key == planned[i].key);
    CHECK(runs[i].arm == planned[i].arm);
    CHECK(bits(runs[i].lr) == bits(0.001));
    CHECK(runs[i].status == RunStatus::pending);
    CHECK_FALSE(runs[i].worker.has_value());
    CHECK(std::isnan(runs[i].started));
  }
  CHECK(s.status().pending == 6);

  RunSpec changed = spec("relu", 1);
  changed.lr = 0.01;
  CHECK_THROWS_WITH(s.plan({changed}), Catch::Contains(changed.key) && Catch::Contains("0.01"));
  RunSpec nameless = spec("relu", 9);
  nameless.key.clear();
  CHECK_THROWS_AS(s.plan({nameless}), tg::Error);
  CHECK(s.runs().size() == 6);
}

TEST_CASE("store: claims take pending runs in plan order, each once") {
  TempDir dir;
  Store s = Store::open(dir.file("results.sqlite"));
  const auto planned = grid(2);
  s.plan(planned);
  std::vector<std::string> claimed;
  for (int i = 0; i < 4; ++i) {
    const auto r = s.claim(i % 2);
    REQUIRE(r.has_value());
    CHECK(r->key == planned[i].key);
    CHECK(r->id > 0);
    CHECK(std::find(claimed.begin(), claimed.end(), r->key) == claimed.end());
    claimed.push_back(r->key);
  }
  CHECK_FALSE(s.claim(0).has_value());
  CHECK(s.status().running == 4);
  const auto runs = s.runs();
  CHECK(runs[1].worker == 1);
  CHECK(runs[2].worker == 0);
  CHECK(runs[0].started > 1.6e9);  // seconds since 1970
}

TEST_CASE("store: finish writes everything; doubles read back exactly") {
  TempDir dir;
  Store s = Store::open(dir.file("results.sqlite"));
  s.plan(grid(1));
  const auto r = s.claim(7);
  REQUIRE(r);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double odd_nan = std::bit_cast<double>(std::uint64_t{0xfff8'0000'0000'0123});
  RunResult res = result_for(*r);
  res.epochs[0] = {1, 0.1, 1.0 / 3.0, nan, nan, 5e-324, std::numeric_limits<double>::max(), -kInf};
  res.diagnostics.push_back({3, "act1", "saturated_fraction", -0.0});
  res.diagnostics.push_back({3, "act1", "preact_std", kInf});
  res.diagnostics.push_back({3, "act1", "zz_nan", odd_nan});
  res.series.push_back({3, "act1", "hist", {-0.0, odd_nan, kInf, 5e-324, 0.1}});
  res.series.push_back({3, "act2", "empty", {}});
  s.finish(res);

  const auto row = s.run(r->key);
  REQUIRE(row);
  CHECK(row->status == RunStatus::done);
  CHECK(row->worker == 7);
  CHECK(row->finished >= row->started);
  CHECK(bits(row->wall_seconds) == bits(res.wall_seconds));
  CHECK(row->parameters == res.parameters);
  CHECK(row->activation_parameters == 0);
  CHECK(row->best_val_epoch == 2);
  CHECK(bits(row->test_at_best_val) == bits(res.test_at_best_val));
  CHECK(bits(row->test_at_last) == bits(res.test_at_last));
  CHECK_FALSE(s.run("no such run").has_value());

  const auto epochs = s.epochs(r->id);
  REQUIRE(epochs.size() == 3);
  CHECK(bits(epochs[0].train_loss) == bits(0.1));
  CHECK(bits(epochs[0].train_accuracy) == bits(1.0 / 3.0));
  CHECK(std::isnan(epochs[0].val_loss));  // NaN is stored as NULL and read back as NaN
  CHECK(std::isnan(epochs[0].val_accuracy));
  CHECK(bits(epochs[0].test_loss) == bits(5e-324));
  CHECK(bits(epochs[0].test_accuracy) == bits(std::numeric_limits<double>::max()));
  CHECK(bits(epochs[0].seconds) == bits(-kInf));
  for (std::size_t i = 1; i < 3; ++i) {
    const EpochRow& a = epochs[i];
    const EpochRow& b = res.epochs[i];
    CHECK(a.epoch == b.epoch);
    for (auto m : {&EpochRow::train_loss, &EpochRow::train_accuracy, &EpochRow::val_loss,
                   &EpochRow::val_accuracy, &EpochRow::test_loss, &EpochRow::test_accuracy,
                   &EpochRow::seconds})
      CHECK(bits(a.*m) == bits(b.*m));
  }

  const auto diags = s.diagnostics(r->id);
  REQUIRE(diags.size() == res.diagnostics.size());
  for (const DiagnosticRow& want : res.diagnostics) {
    const auto it = std::find_if(diags.begin(), diags.end(), [&](const DiagnosticRow& d) {
      return d.epoch == want.epoch && d.layer == want.layer && d.metric == want.metric;
    });
    REQUIRE(it != diags.end());
    if (std::isnan(want.value)) {
      CHECK(std::isnan(it->value));  // the payload is lost
    } else if (want.value == 0.0) {
      CHECK(bits(it->value) == bits(0.0));  // -0.0 in a REAL column reads back as +0.0
    } else {
      CHECK(bits(it->value) == bits(want.value));
    }
  }
  const auto series = s.series(r->id);
  REQUIRE(series.size() == res.series.size());
  for (const SeriesRow& want : res.series) {
    const auto it = std::find_if(series.begin(), series.end(), [&](const SeriesRow& v) {
      return v.epoch == want.epoch && v.layer == want.layer && v.name == want.name;
    });
    REQUIRE(it != series.end());
    REQUIRE(it->data.size() == want.data.size());
    for (std::size_t i = 0; i < want.data.size(); ++i)  // every bit, NaN payload and -0.0 too
      CHECK(bits(it->data[i]) == bits(want.data[i]));
  }

  CHECK_THROWS_WITH(s.finish(res), Catch::Contains("done, not running"));
  RunResult unknown = res;
  unknown.key = "no such run";
  CHECK_THROWS_WITH(s.finish(unknown), Catch::Contains("no such run"));
  CHECK_THROWS_AS(s.fail(r->key, "too late"), tg::Error);
}

TEST_CASE("store: a failing finish leaves nothing; fail() records the reason") {
  TempDir dir;
  Store s = Store::open(dir.file("results.sqlite"));
  s.plan(grid(1));
  const auto a = s.claim(0);
  const auto b = s.claim(0);
  REQUIRE((a && b));
  RunResult bad = result_for(*a);
  bad.epochs.push_back(bad.epochs.back());  // the same epoch twice: the transaction fails late
  CHECK_THROWS_WITH(s.finish(bad), Catch::Contains(a->key) && Catch::Contains("UNIQUE"));
  CHECK(s.run(a->key)->status == RunStatus::running);
  CHECK(s.epochs(a->id).empty());
  CHECK(s.diagnostics(a->id).empty());
  CHECK(s.series(a->id).empty());
  s.finish(result_for(*a));
  CHECK(s.epochs(a->id).size() == 3);

  s.fail(b->key, "loss is NaN at epoch 2");
  const auto row = s.run(b->key);
  CHECK(row->status == RunStatus::failed);
  CHECK(row->reason == "loss is NaN at epoch 2");
  const Status st = s.status();
  CHECK((st.done == 1 && st.failed == 1 && st.pending == 0 && st.running == 0));
}

TEST_CASE("store: reset_running puts claimed runs back and removes their partial rows") {
  TempDir dir;
  const std::string path = dir.file("results.sqlite");
  std::int64_t done_id = 0, lost_id = 0;
  {
    Store s = Store::open(path);
    s.plan(grid(2));
    const auto done = s.claim(1);
    const auto lost = s.claim(2);
    REQUIRE((done && lost));
    done_id = done->id;
    lost_id = lost->id;
    s.finish(result_for(*done));
    // A worker that wrote part of a run and was killed (as an older writer might have).
    Raw raw(path);
    const std::string id = std::to_string(lost_id);
    raw.exec(("INSERT INTO epochs(run_id, epoch, train_loss) VALUES(" + id + ", 1, 0.5)").c_str());
    raw.exec(("INSERT INTO diagnostics VALUES(" + id + ", 1, 'act1', 'grad_norm', 2.0)").c_str());
    raw.exec(("INSERT INTO series VALUES(" + id + ", 1, 'act1', 'hist', x'00')").c_str());
  }
  Store s = Store::open(path);
  CHECK(s.status().running == 1);
  CHECK(s.reset_running() == 1);
  CHECK(s.reset_running() == 0);
  CHECK(s.epochs(lost_id).empty());
  CHECK(s.diagnostics(lost_id).empty());
  CHECK(s.series(lost_id).empty());
  CHECK(s.epochs(done_id).size() == 3);
  CHECK(s.diagnostics(done_id).size() == 12);
  const Status st = s.status();
  CHECK((st.pending == 3 && st.running == 0 && st.done == 1));
  const auto again = s.claim(3);
  REQUIRE(again);
  CHECK(again->id == lost_id);  // the reset run is first in line again
  CHECK(s.run(again->key)->worker == 3);
}

TEST_CASE("store: a file that is not a database is an error naming the file") {
  TempDir dir;
  const std::string path = dir.file("junk.sqlite");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 100; ++i) f.put(static_cast<char>(i * 37 + 11));
  }
  CHECK_THROWS_AS(Store::open(path), tg::Error);
  CHECK_THROWS_WITH(Store::open(path), Catch::Contains(path) && Catch::Contains("not a database"));

  // A real store cut short: only the first 100 bytes of its header remain.
  const std::string cut = dir.file("cut.sqlite");
  {
    Store s = Store::open(cut);
    s.plan(grid(2));
  }
  fs::resize_file(cut, 100);
  CHECK_THROWS_WITH(Store::open(cut), Catch::Contains(cut));
}

TEST_CASE("store: another schema version, or another program's database, is refused") {
  TempDir dir;
  const std::string path = dir.file("results.sqlite");
  { Store::open(path); }
  Raw(path).exec("PRAGMA user_version = 99");
  CHECK_THROWS_WITH(Store::open(path), Catch::Contains(path) && Catch::Contains("version 99") &&
                                           Catch::Contains("version 1"));

  const std::string other = dir.file("other.sqlite");
  Raw(other).exec("CREATE TABLE t(x)");
  CHECK_THROWS_WITH(Store::open(other), Catch::Contains(other) && Catch::Contains("not a study"));
}

TEST_CASE("store: two processes claim and finish runs of one file, none twice") {
  TempDir dir;
  const std::string path = dir.file("results.sqlite");
  const auto planned = grid(15);        // 30 runs
  { Store::open(path).plan(planned); }  // no connection is open across fork()
  int keys[2];
  REQUIRE(::pipe(keys) == 0);
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // the child: no Catch assertions, report through the pipe and the exit code
    ::close(keys[0]);
    int code = 0;
    try {
      Store s = Store::open(path);
      while (const auto r = s.claim(2)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // "training"
        s.finish(result_for(*r));
        const std::string line = r->key + "\n";
        if (::write(keys[1], line.data(), line.size()) != static_cast<ssize_t>(line.size()))
          code = 2;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      code = 1;
    }
    ::close(keys[1]);
    ::_exit(code);
  }
  ::close(keys[1]);
  std::vector<std::string> mine;
  bool overlapped = false;
  {
    Store s = Store::open(path);
    while (const auto r = s.claim(1)) {
      if (mine.empty()) {
        // Hold this run until the child holds one too, so both work at the same time.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!overlapped && std::chrono::steady_clock::now() < deadline) {
          for (const RunRow& row : s.runs()) overlapped = overlapped || row.worker == 2;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      s.finish(result_for(*r));
      mine.push_back(r->key);
    }
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(keys[0], buf, sizeof buf)) > 0;) text.append(buf, buf + n);
  ::close(keys[0]);
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  REQUIRE(WIFEXITED(wstatus));
  REQUIRE(WEXITSTATUS(wstatus) == 0);
  std::vector<std::string> theirs;
  for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    theirs.push_back(text.substr(at, nl - at));

  CHECK(overlapped);
  CHECK_FALSE(mine.empty());
  CHECK_FALSE(theirs.empty());
  std::vector<std::string> all = mine;
  all.insert(all.end(), theirs.begin(), theirs.end());
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());  // no run done twice
  std::vector<std::string> want;
  for (const RunSpec& r : planned) want.push_back(r.key);
  std::sort(want.begin(), want.end());
  CHECK(all == want);

  Store s = Store::open(path);
  CHECK(s.status().done == static_cast<std::int64_t>(planned.size()));
  for (const RunRow& row : s.runs()) {
    const bool by_parent = std::find(mine.begin(), mine.end(), row.key) != mine.end();
    CHECK(row.worker == (by_parent ? 1 : 2));
    CHECK(s.epochs(row.id).size() == 3);
    CHECK(s.series(row.id).size() == 6);
  }
}
