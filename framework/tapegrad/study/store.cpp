#include "tapegrad/study/store.hpp"

#include <sqlite3.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <iterator>
#include <limits>

#include "tapegrad/core/error.hpp"

namespace tg::study {

// Unity builds put several sources of tg::study into one unit, where their anonymous namespaces
// are one: hence the specific names below.
namespace {

// The schema of kSchemaVersion, one statement each.
constexpr const char* kStoreSchema[] = {
    "CREATE TABLE study(key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, arm TEXT, model TEXT, "
    "optimizer TEXT, lr REAL, seed INTEGER, status TEXT NOT NULL CHECK(status IN ('pending', "
    "'running', 'done', 'failed')), reason TEXT, worker INTEGER, started REAL, finished REAL, "
    "wall_seconds REAL, parameters INTEGER, activation_parameters INTEGER, best_val_epoch INTEGER, "
    "test_at_best_val REAL, test_at_last REAL)",
    "CREATE INDEX runs_by_status ON runs(status, id)",
    "CREATE TABLE epochs(run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, "
    "train_loss REAL, train_accuracy REAL, val_loss REAL, val_accuracy REAL, test_loss REAL, "
    "test_accuracy REAL, seconds REAL, PRIMARY KEY(run_id, epoch))",
    "CREATE TABLE diagnostics(run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, "
    "layer TEXT NOT NULL, metric TEXT NOT NULL, value REAL, PRIMARY KEY(run_id, epoch, layer, "
    "metric))",
    "CREATE TABLE series(run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL, "
    "layer TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(run_id, epoch, "
    "layer, name))",
};

constexpr const char* kStoreRunColumns =
    "id, key, arm, model, optimizer, lr, seed, status, reason, worker, started, finished, "
    "wall_seconds, parameters, activation_parameters, best_val_epoch, test_at_best_val, "
    "test_at_last";

[[noreturn]] void sql_fail(sqlite3* db, const std::string& path, std::string_view op, int rc) {
  tg::fail("study store '{}': {} failed: {} (SQLite code {})", path, op,
           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
}

double store_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// A prepared statement, finalized on every path. `op` names what it does in error messages.
class SqlStmt {
 public:
  SqlStmt(sqlite3* db, const std::string& path, std::string op, const char* sql)
      : db_(db), path_(path), op_(std::move(op)) {
    const int rc = sqlite3_prepare_v2(db_, sql, -1, &s_, nullptr);
    if (rc != SQLITE_OK) sql_fail(db_, path_, op_, rc);
  }
  ~SqlStmt() { sqlite3_finalize(s_); }
  SqlStmt(const SqlStmt&) = delete;
  SqlStmt& operator=(const SqlStmt&) = delete;

  SqlStmt& bind_int(int i, std::int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
  // NaN binds as NULL (SQLite's own rule, stated here so nobody relies on anything else).
  SqlStmt& bind_real(int i, double v) {
    return check(std::isnan(v) ? sqlite3_bind_null(s_, i) : sqlite3_bind_double(s_, i, v));
  }
  SqlStmt& bind_text(int i, std::string_view v) {
    return check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  SqlStmt& bind_blob(int i, const std::vector<unsigned char>& v) {
    // A zero-length blob from a null pointer would be NULL.
    return check(v.empty() ? sqlite3_bind_zeroblob(s_, i, 0)
                           : sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT));
  }

  // True when a row is ready, false when the statement has finished.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sql_fail(db_, path_, op_, rc);
  }
  // Runs a statement that returns no rows, then makes it ready for new bindings.
  void exec() {
    while (step()) continue;
    reset();
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  std::optional<std::int64_t> opt_integer(int c) const {
    return is_null(c) ? std::nullopt : std::optional(integer(c));
  }
  double real(int c) const {
    return is_null(c) ? std::numeric_limits<double>::quiet_NaN() : sqlite3_column_double(s_, c);
  }
  std::string text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)))
             : std::string();
  }
  std::vector<unsigned char> blob(int c) const {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(s_, c));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s_, c));
    return p ? std::vector<unsigned char>(p, p + n) : std::vector<unsigned char>();
  }

 private:
  SqlStmt& check(int rc) {
    if (rc != SQLITE_OK) sql_fail(db_, path_, op_, rc);
    return *this;
  }

  sqlite3* db_;
  const std::string& path_;
  std::string op_;
  sqlite3_stmt* s_ = nullptr;
};

void sql_exec(sqlite3* db, const std::string& path, const std::string& op, const char* sql) {
  SqlStmt(db, path, op, sql).exec();
}

// BEGIN IMMEDIATE (the write lock is taken at once, waiting up to the busy timeout); rolled back
// unless commit() succeeded.
class SqlTransaction {
 public:
  SqlTransaction(sqlite3* db, const std::string& path, std::string op)
      : db_(db), path_(path), op_(std::move(op)) {
    sql_exec(db_, path_, op_ + ": BEGIN IMMEDIATE", "BEGIN IMMEDIATE");
  }
  ~SqlTransaction() {
    // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) have rolled back already.
    if (!committed_ && !sqlite3_get_autocommit(db_))
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  void commit() {
    sql_exec(db_, path_, op_ + ": COMMIT", "COMMIT");
    committed_ = true;
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  std::string op_;
  bool committed_ = false;
};

std::vector<unsigned char> encode_doubles(const std::vector<double>& v) {
  std::vector<unsigned char> out(v.size() * 8);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto u = std::bit_cast<std::uint64_t>(v[i]);
    for (int b = 0; b < 8; ++b) out[i * 8 + b] = static_cast<unsigned char>(u >> (8 * b));
  }
  return out;
}

std::vector<double> decode_doubles(const std::vector<unsigned char>& bytes, const std::string& path,
                                   std::int64_t run_id, const std::string& layer,
                                   const std::string& name) {
  if (bytes.size() % 8 != 0)
    tg::fail(
        "study store '{}': series '{}' of layer '{}' of run {} has {} bytes, not a whole "
        "number of doubles",
        path, name, layer, run_id, bytes.size());
  std::vector<double> out(bytes.size() / 8);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint64_t u = 0;
    for (int b = 0; b < 8; ++b) u |= std::uint64_t{bytes[i * 8 + b]} << (8 * b);
    out[i] = std::bit_cast<double>(u);
  }
  return out;
}

// Indexed by RunStatus.
constexpr std::string_view kRunStatusNames[] = {"pending", "running", "done", "failed"};

RunStatus parse_run_status(const std::string& s, const std::string& path) {
  for (std::size_t i = 0; i < std::size(kRunStatusNames); ++i)
    if (kRunStatusNames[i] == s) return static_cast<RunStatus>(i);
  tg::fail("study store '{}': unknown run status '{}'", path, s);
}

// Reads kStoreRunColumns starting at column 0.
RunRow read_run_row(const SqlStmt& s, const std::string& path) {
  return RunRow{
      s.integer(0), s.text(1),         s.text(2),         s.text(3),
      s.text(4),    s.real(5),         s.integer(6),      parse_run_status(s.text(7), path),
      s.text(8),    s.opt_integer(9),  s.real(10),        s.real(11),
      s.real(12),   s.opt_integer(13), s.opt_integer(14), s.opt_integer(15),
      s.real(16),   s.real(17)};
}

// The id and status of the run `key`; tg::Error naming `op` if there is none.
std::pair<std::int64_t, RunStatus> find_run_by_key(sqlite3* db, const std::string& path,
                                                   const std::string& op, const std::string& key) {
  SqlStmt s(db, path, op + ": looking up the run", "SELECT id, status FROM runs WHERE key = ?");
  s.bind_text(1, key);
  if (!s.step()) tg::fail("study store '{}': {}: there is no run '{}'", path, op, key);
  return {s.integer(0), parse_run_status(s.text(1), path)};
}

void delete_run_results(sqlite3* db, const std::string& path, const std::string& op,
                        std::int64_t run_id) {
  for (const char* sql :
       {"DELETE FROM epochs WHERE run_id = ?", "DELETE FROM diagnostics WHERE run_id = ?",
        "DELETE FROM series WHERE run_id = ?"}) {
    SqlStmt s(db, path, op + ": deleting earlier results", sql);
    s.bind_int(1, run_id).exec();
  }
}

int read_user_version(sqlite3* db, const std::string& path) {
  SqlStmt s(db, path, "open: reading PRAGMA user_version", "PRAGMA user_version");
  s.step();
  return static_cast<int>(s.integer(0));
}

}  // namespace

std::string_view to_string(RunStatus s) {
  const auto i = static_cast<std::size_t>(s);
  return i < std::size(kRunStatusNames) ? kRunStatusNames[i] : "unknown";
}

Store Store::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Store store(raw, path);  // closes the handle if anything below throws
  if (rc != SQLITE_OK) sql_fail(raw, path, "open", rc);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  {
    // The first statement that reads the file: a file that is not a database fails here.
    SqlStmt s(raw, path, "open: PRAGMA journal_mode=WAL", "PRAGMA journal_mode=WAL");
    s.step();
    const std::string mode = s.text(0);
    if (mode != "wal" && mode != "memory")
      tg::fail("study store '{}': open: journal mode is '{}', WAL could not be set", path, mode);
  }
  sql_exec(raw, path, "open: PRAGMA synchronous=NORMAL", "PRAGMA synchronous=NORMAL");
  sql_exec(raw, path, "open: PRAGMA foreign_keys=ON", "PRAGMA foreign_keys=ON");
  int version = read_user_version(raw, path);
  if (version == 0) {
    // Another process may be creating the schema too: decide under the write lock.
    SqlTransaction tx(raw, path, "open: creating the schema");
    version = read_user_version(raw, path);
    if (version == 0) {
      SqlStmt count(raw, path, "open: reading the schema", "SELECT COUNT(*) FROM sqlite_master");
      count.step();
      const std::int64_t objects = count.integer(0);
      count.reset();
      if (objects > 0)
        tg::fail(
            "study store '{}': not a study store: schema version 0 (expected {}) but it "
            "already holds {} tables or indexes",
            path, kSchemaVersion, objects);
      for (const char* sql : kStoreSchema) sql_exec(raw, path, "open: creating the tables", sql);
      // A constant of this program, not a value: PRAGMA takes no bound parameters.
      const std::string set_version = fmt::format("PRAGMA user_version = {}", kSchemaVersion);
      sql_exec(raw, path, "open: setting PRAGMA user_version", set_version.c_str());
      version = kSchemaVersion;
    }
    tx.commit();
  }
  if (version != kSchemaVersion)
    tg::fail("study store '{}': schema version {} found, but this program reads version {}", path,
             version, kSchemaVersion);
  return store;
}

Store::Store(Store&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Store::~Store() { sqlite3_close_v2(db_); }  // a no-op on nullptr

sqlite3* Store::handle(const char* op) const {
  if (!db_) tg::fail("study store: {}: this Store was moved from", op);
  return db_;
}

std::size_t Store::plan(const std::vector<RunSpec>& runs) {
  sqlite3* db = handle("plan");
  SqlTransaction tx(db, path_, "plan");
  SqlStmt ins(db, path_, "plan: inserting a run",
              "INSERT OR IGNORE INTO runs(key, arm, model, optimizer, lr, seed, status) "
              "VALUES(?, ?, ?, ?, ?, ?, 'pending')");
  SqlStmt get(db, path_, "plan: reading a planned run",
              "SELECT arm, model, optimizer, lr, seed FROM runs WHERE key = ?");
  std::size_t added = 0;
  for (const RunSpec& r : runs) {
    if (r.key.empty()) tg::fail("study store '{}': plan: a run has an empty key", path_);
    ins.bind_text(1, r.key).bind_text(2, r.arm).bind_text(3, r.model).bind_text(4, r.optimizer);
    ins.bind_real(5, r.lr).bind_int(6, r.seed).exec();
    if (sqlite3_changes(db) == 1) {
      ++added;
      continue;
    }
    get.bind_text(1, r.key).step();
    const RunSpec o{0, r.key, get.text(0), get.text(1), get.text(2), get.real(3), get.integer(4)};
    get.reset();
    const bool same_lr = o.lr == r.lr || (std::isnan(o.lr) && std::isnan(r.lr));
    if (o.arm != r.arm || o.model != r.model || o.optimizer != r.optimizer || !same_lr ||
        o.seed != r.seed)
      tg::fail(
          "study store '{}': plan: run '{}' was planned as arm '{}', model '{}', optimizer "
          "'{}', lr {}, seed {}; now as arm '{}', model '{}', optimizer '{}', lr {}, seed {}",
          path_, r.key, o.arm, o.model, o.optimizer, o.lr, o.seed, r.arm, r.model, r.optimizer,
          r.lr, r.seed);
  }
  tx.commit();
  return added;
}

std::optional<RunSpec> Store::claim(int worker) {
  sqlite3* db = handle("claim");
  SqlTransaction tx(db, path_, "claim");
  std::optional<RunSpec> spec;
  SqlStmt s(db, path_, "claim: taking a pending run",
            "UPDATE runs SET status = 'running', worker = ?, started = ?, reason = NULL WHERE id = "
            "(SELECT id FROM runs WHERE status = 'pending' ORDER BY id LIMIT 1) "
            "RETURNING id, key, arm, model, optimizer, lr, seed");
  if (s.bind_int(1, worker).bind_real(2, store_now()).step())
    spec =
        RunSpec{s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.real(5), s.integer(6)};
  s.exec();  // finishes the statement before the commit
  tx.commit();
  return spec;
}

void Store::finish(const RunResult& r) {
  sqlite3* db = handle("finish");
  const std::string op = fmt::format("finish of run '{}'", r.key);
  SqlTransaction tx(db, path_, op);
  const auto [id, status] = find_run_by_key(db, path_, op, r.key);
  if (status != RunStatus::running)
    tg::fail("study store '{}': {}: the run is {}, not running", path_, op, to_string(status));
  delete_run_results(db, path_, op, id);
  SqlStmt epoch(
      db, path_, op + ": inserting epochs",
      "INSERT INTO epochs(run_id, epoch, train_loss, train_accuracy, val_loss, "
      "val_accuracy, test_loss, test_accuracy, seconds) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const EpochRow& e : r.epochs) {
    epoch.bind_int(1, id).bind_int(2, e.epoch).bind_real(3, e.train_loss);
    epoch.bind_real(4, e.train_accuracy).bind_real(5, e.val_loss).bind_real(6, e.val_accuracy);
    epoch.bind_real(7, e.test_loss).bind_real(8, e.test_accuracy).bind_real(9, e.seconds).exec();
  }
  SqlStmt diag(
      db, path_, op + ": inserting diagnostics",
      "INSERT INTO diagnostics(run_id, epoch, layer, metric, value) VALUES(?, ?, ?, ?, ?)");
  for (const DiagnosticRow& d : r.diagnostics) {
    diag.bind_int(1, id).bind_int(2, d.epoch).bind_text(3, d.layer).bind_text(4, d.metric);
    diag.bind_real(5, d.value).exec();
  }
  SqlStmt series(db, path_, op + ": inserting series",
                 "INSERT INTO series(run_id, epoch, layer, name, data) VALUES(?, ?, ?, ?, ?)");
  for (const SeriesRow& v : r.series) {
    series.bind_int(1, id).bind_int(2, v.epoch).bind_text(3, v.layer).bind_text(4, v.name);
    series.bind_blob(5, encode_doubles(v.data)).exec();
  }
  SqlStmt done(db, path_, op + ": marking the run done",
               "UPDATE runs SET status = 'done', reason = NULL, finished = ?, wall_seconds = ?, "
               "parameters = ?, activation_parameters = ?, best_val_epoch = ?, "
               "test_at_best_val = ?, test_at_last = ? WHERE id = ?");
  done.bind_real(1, store_now()).bind_real(2, r.wall_seconds).bind_int(3, r.parameters);
  done.bind_int(4, r.activation_parameters).bind_int(5, r.best_val_epoch);
  done.bind_real(6, r.test_at_best_val).bind_real(7, r.test_at_last).bind_int(8, id).exec();
  tx.commit();
}

void Store::fail(const std::string& key, const std::string& reason) {
  sqlite3* db = handle("fail");
  const std::string op = fmt::format("failing run '{}'", key);
  SqlTransaction tx(db, path_, op);
  const auto [id, status] = find_run_by_key(db, path_, op, key);
  if (status != RunStatus::pending && status != RunStatus::running)
    tg::fail("study store '{}': {}: the run is {}, not pending or running", path_, op,
             to_string(status));
  delete_run_results(db, path_, op, id);
  SqlStmt s(db, path_, op + ": marking the run failed",
            "UPDATE runs SET status = 'failed', reason = ?, finished = ? WHERE id = ?");
  s.bind_text(1, reason).bind_real(2, store_now()).bind_int(3, id).exec();
  tx.commit();
}

int Store::reset_running() {
  sqlite3* db = handle("reset_running");
  const std::string op = "reset of running runs";
  SqlTransaction tx(db, path_, op);
  for (const char* sql :
       {"DELETE FROM epochs WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')",
        "DELETE FROM diagnostics WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')",
        "DELETE FROM series WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')"})
    sql_exec(db, path_, op + ": deleting partial results", sql);
  sql_exec(db, path_, op + ": marking them pending",
           "UPDATE runs SET status = 'pending', worker = NULL, started = NULL "
           "WHERE status = 'running'");
  const int n = sqlite3_changes(db);
  tx.commit();
  return n;
}

int Store::retry_failed() {
  sqlite3* db = handle("retry_failed");
  const std::string op = "retry of failed runs";
  SqlTransaction tx(db, path_, op);
  sql_exec(db, path_, op + ": marking them pending",
           "UPDATE runs SET status = 'pending', reason = NULL, worker = NULL, started = NULL, "
           "finished = NULL WHERE status = 'failed'");
  const int n = sqlite3_changes(db);
  tx.commit();
  return n;
}

Status Store::status() {
  SqlStmt s(handle("status"), path_, "status", "SELECT status, COUNT(*) FROM runs GROUP BY status");
  // Indexed by RunStatus.
  constexpr std::int64_t Status::*kCounts[] = {&Status::pending, &Status::running, &Status::done,
                                               &Status::failed};
  Status st;
  while (s.step()) st.*kCounts[static_cast<int>(parse_run_status(s.text(0), path_))] = s.integer(1);
  return st;
}

std::vector<RunRow> Store::runs() {
  const std::string sql = fmt::format("SELECT {} FROM runs ORDER BY id", kStoreRunColumns);
  SqlStmt s(handle("runs"), path_, "reading runs", sql.c_str());
  std::vector<RunRow> out;
  while (s.step()) out.push_back(read_run_row(s, path_));
  return out;
}

std::optional<RunRow> Store::run(const std::string& key) {
  const std::string sql = fmt::format("SELECT {} FROM runs WHERE key = ?", kStoreRunColumns);
  SqlStmt s(handle("run"), path_, fmt::format("reading run '{}'", key), sql.c_str());
  s.bind_text(1, key);
  if (!s.step()) return std::nullopt;
  return read_run_row(s, path_);
}

std::vector<EpochRow> Store::epochs(std::int64_t run_id) {
  SqlStmt s(handle("epochs"), path_, fmt::format("reading the epochs of run {}", run_id),
            "SELECT epoch, train_loss, train_accuracy, val_loss, val_accuracy, test_loss, "
            "test_accuracy, seconds FROM epochs WHERE run_id = ? ORDER BY epoch");
  s.bind_int(1, run_id);
  std::vector<EpochRow> out;
  while (s.step())
    out.push_back({s.integer(0), s.real(1), s.real(2), s.real(3), s.real(4), s.real(5), s.real(6),
                   s.real(7)});
  return out;
}

std::vector<DiagnosticRow> Store::diagnostics(std::int64_t run_id) {
  SqlStmt s(handle("diagnostics"), path_, fmt::format("reading the diagnostics of run {}", run_id),
            "SELECT epoch, layer, metric, value FROM diagnostics WHERE run_id = ? "
            "ORDER BY epoch, layer, metric");
  s.bind_int(1, run_id);
  std::vector<DiagnosticRow> out;
  while (s.step()) out.push_back({s.integer(0), s.text(1), s.text(2), s.real(3)});
  return out;
}

std::vector<SeriesRow> Store::series(std::int64_t run_id) {
  SqlStmt s(handle("series"), path_, fmt::format("reading the series of run {}", run_id),
            "SELECT epoch, layer, name, data FROM series WHERE run_id = ? "
            "ORDER BY epoch, layer, name");
  s.bind_int(1, run_id);
  std::vector<SeriesRow> out;
  while (s.step()) {
    SeriesRow v{s.integer(0), s.text(1), s.text(2), {}};
    v.data = decode_doubles(s.blob(3), path_, run_id, v.layer, v.name);
    out.push_back(std::move(v));
  }
  return out;
}

std::map<std::string, std::string> Store::study_info() {
  SqlStmt s(handle("study_info"), path_, "reading study info", "SELECT key, value FROM study");
  std::map<std::string, std::string> out;
  while (s.step()) out[s.text(0)] = s.text(1);
  return out;
}

void Store::set_study_info(const std::string& key, const std::string& value) {
  SqlStmt s(handle("set_study_info"), path_, fmt::format("setting study info '{}'", key),
            "INSERT INTO study(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  s.bind_text(1, key).bind_text(2, value).exec();
}

}  // namespace tg::study
