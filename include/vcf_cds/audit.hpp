// File: audit.hpp — the audit trail: every rated consult and every feedback, durable and chained.
//
// Input: plain records built by src/app (std types only; this header includes no other stage).
// Output: rows in SQLite (<data-dir>/audit.sqlite3) or PostgreSQL, one hash chain across consults
// and feedback, queries for export and summary. CONTRACT §6: "every accepted consult is in the
// audit log before its response is sent" — `record_consults` returns only after the commit.
// This stage knows nothing of FHIR input, criteria or card rendering; JSON fields are opaque text.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vcf_cds/auth.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::audit {

// How patient_id and user_id are stored: as sent, or "hmac-sha256:<hex>" under the site secret.
inline constexpr const char* identifier_mode_plain = "plain";
inline constexpr const char* identifier_mode_hmac = "hmac-sha256";

// One per rated order, or per advanced-imaging order rated PAMA "no-criteria-apply".
struct ConsultRecord {
  std::string consult_id;  // "urn:uuid:<id>", the audit key (CONTRACT §5 consultId)
  std::string time;        // RFC 3339 UTC, e.g. "2024-05-01T10:00:00.123Z"; compared as text
  std::string service_id;
  std::string hook;  // "order-select" | "order-sign"
  std::string hook_instance;
  auth::ClientIdentity client;  // iss, sub and tenant; jti and kid stay empty
  std::string user_id;          // "Practitioner/123"; replaced by its HMAC when hashing is on
  std::string patient_id;
  std::string encounter_id;
  std::string order_ref;      // "ServiceRequest/<id>"
  std::string order_codes;    // JSON text: the order's codings
  std::string procedure_row;  // row name as in the seed; empty for no-criteria-apply
  int variant = 0;            // 1..9, 0 = none
  std::string category;       // "Usually appropriate" | ... | "" for no-criteria-apply
  int rating = 0;
  int median = 0;
  std::string pama_rating;  // "appropriate" | "not-appropriate" | "no-criteria-apply"
  std::string facts;        // JSON text: facts with their source references
  std::string candidates;   // JSON text
  std::string assumptions;  // JSON text
  std::string card_uuid;    // empty when no card was sent
  std::vector<std::string> suggestion_uuids;
  std::string card;  // JSON text of the card as sent; may be empty
  std::string knowledge_version;
  std::string service_version;
  double latency_ms = 0;  // request received → record submitted; must be finite
  // order-sign of an order that order-select already rated the same way within the repeat
  // window: the consult id of that first rating. No card was sent for a repeat (CONTRACT §7).
  std::string repeat_of;

  // Set by the store; ignored on input.
  std::int64_t seq = 0;         // position in the chain, 1-based
  std::string identifier_mode;  // identifier_mode_plain | identifier_mode_hmac
  // How the record is chained: 1 = with its texts (trails written before schema 4), 2 = with
  // the content hashes its texts are stored under (src/audit/blob.hpp). Read records always
  // carry their texts.
  int chain_format = 0;
};

// One per feedback entry (CDS Hooks 2.0 §Feedback). Unknown cards are kept and flagged.
struct FeedbackRecord {
  std::string service_id;
  std::string card_uuid;
  std::string outcome;  // "accepted" | "overridden"
  std::vector<std::string> accepted_suggestions;
  std::string override_reason_system;
  std::string override_reason_code;
  std::string override_reason_display;
  std::string user_comment;
  std::string outcome_timestamp;  // as sent by the EHR
  std::string received_time;      // RFC 3339 UTC, when the service received it
  auth::ClientIdentity client;    // iss, sub and tenant; jti and kid stay empty

  // Set by the store; ignored on input.
  bool known_card = false;  // false: no consult has this card uuid (stored anyway, CONTRACT §7)
  std::int64_t seq = 0;
};

// A consult of a retried hook call that joined the record of the first attempt instead of being
// appended (Store::record_call_async). A retry is the same call again: same service, hook,
// hookInstance, client and patient, the same order, decided and shown the same way (variant, row,
// category, rating, median, PAMA rating, repeat_of, and the card's text once its ids are read as
// the recorded ones). The answer then carries the recorded ids, so feedback on the card finds the
// one record.
struct JoinedRetry {
  std::string consult_id;           // the retry's own, as rendered; not recorded
  std::string recorded_consult_id;  // the recorded consult it joined
  // Each id the retry was rendered with and the recorded id that replaces it: consult id, card
  // uuid, then the suggestion uuids in order. Ids that are equal or empty are left out.
  std::vector<std::pair<std::string, std::string>> ids;
};

// `text` with every id of `join` replaced by the recorded one (ids are UUIDs, so a plain
// replacement cannot touch anything else).
std::string with_recorded_ids(std::string text, const JoinedRetry& join);

// Consult filter on the latest feedback for the consult's card.
enum class OutcomeFilter { any, accepted, overridden, none };

struct Query {
  // Compared as text with the records' RFC 3339 UTC times, so give them in the same form
  // ("2024-05-01T00:00:00Z"). Text order puts "…:00.5Z" before "…:00Z": bounds are exact to the
  // second, not within it.
  std::string from;        // inclusive; empty = unbounded
  std::string to;          // exclusive
  std::string patient_id;  // as the EHR sends it; hashed by the store when its records are hashed
  std::string user_id;
  std::string consult_id;      // "urn:uuid:…": one consult (indexed), e.g. from a log line
  std::optional<int> variant;  // 0 = consults without a variant (no-criteria-apply)
  OutcomeFilter outcome = OutcomeFilter::any;
};

struct FeedbackQuery {
  std::string card_uuid;  // empty = every card
  std::string from;       // on received_time, inclusive; empty = unbounded
  std::string to;         // exclusive
};

// verify_chain: the first record whose link or hash does not check out.
struct VerifyResult {
  bool ok = true;
  std::int64_t records = 0;     // records checked (all of them when ok)
  std::int64_t broken_seq = 0;  // 0 when ok
  std::string broken_kind;      // "consult" | "feedback" | "head"
  std::string broken_id;        // consult_id or feedback card uuid
  std::string reason;           // "hash mismatch", "prev_hash does not link", "sequence gap", ...
};

struct Health {
  bool writable = false;        // false: the next record_* call will (or did) fail
  std::size_t queue_depth = 0;  // records waiting for the writer
  double last_commit_ms = 0;    // duration of the last transaction (BEGIN..COMMIT)
  std::uint64_t commits = 0;    // transactions committed since open
  std::uint64_t records = 0;    // records committed since open
  std::string backend;          // "sqlite" | "postgresql"
  std::string last_error;       // empty when the last commit succeeded
  // SQLite: WAL checkpoints run by the checkpoint thread, and by the committing connection when
  // the WAL had grown past its limit (the thread fell behind); 0 for PostgreSQL.
  std::uint64_t wal_checkpoints = 0;
  std::uint64_t wal_checkpoints_in_commit = 0;
};

// Abstract store, owned through unique_ptr. record_* are thread-safe and block until the records
// are durably committed: Error{unavailable} (→ 503) when the store is broken, its queue is full
// or the commit fails or times out; Error{bad_request} when a record is unusable (a string with
// a NUL byte or invalid UTF-8, a non-finite latency) — nothing of that call is stored.
class Store {
 public:
  virtual ~Store() = default;  // drains the queue, then closes

  // Appends every record as given (imports, tools, tests).
  virtual Status record_consults(std::vector<ConsultRecord> records) = 0;
  // The consults of one CDS Hooks call, without blocking. A record that repeats a consult an
  // earlier call already recorded (a retry: see JoinedRetry) is not appended; `done` lists those
  // joins, in record order (empty when every record was appended). The check runs in the
  // appending transaction, under the chain-head lock, so two instances that both receive the
  // retry still leave one record. `done` runs once, from the caller's thread (a refused or
  // unusable record), the writer thread (after the durable commit) or a timer thread (commit
  // timeout); it must be quick and must not block: post the answer somewhere. The HTTP call path
  // uses this so no thread waits on disk.
  using CallDone = std::function<void(Result<std::vector<JoinedRetry>>)>;
  virtual void record_call_async(std::vector<ConsultRecord> records, CallDone done) = 0;
  virtual Status record_feedback(std::vector<FeedbackRecord> records) = 0;

  // Read side, on its own connection; ordered by seq. Error{unavailable} when unreadable.
  virtual Result<std::vector<ConsultRecord>> find_consults(const Query& query) = 0;
  virtual Result<std::vector<FeedbackRecord>> find_feedback(const FeedbackQuery& query) = 0;

  // Recomputes the whole chain; Error only when the store cannot be read.
  virtual Result<VerifyResult> verify_chain() = 0;

  virtual Health health() const = 0;
  // Blocks until everything queued so far is committed (or failed).
  virtual void flush() = 0;
};

struct StoreConfig {
  std::filesystem::path data_dir;  // SQLite: <data_dir>/audit.sqlite3 (created if missing)
  std::string database_url;  // PostgreSQL when set: "postgresql://…" or "host=… dbname=…"
  bool hash_identifiers = false;
  std::string identifier_secret;  // HMAC key; required (non-empty) when hash_identifiers
  // Read-only: no writer, no migrations (verify/export of a trail you must not touch).
  bool read_only = false;
  std::size_t max_queue_records = 10000;  // beyond this record_* fails fast with unavailable
  std::size_t max_batch_records = 1000;   // records per transaction
  std::chrono::milliseconds commit_timeout{5000};  // longest a caller waits for its commit
  // SQLite: new WAL pages between two checkpoints, which run on a thread of their own instead of
  // in a commit (SQLite's default interval; the WAL holds at most 16 times this).
  int wal_checkpoint_pages = 1000;
};

// Start-up boundary: opens (and migrates, unless read_only) the store the config names.
// Throws std::runtime_error with a clear message when it cannot.
std::unique_ptr<Store> open_store(const StoreConfig& config);

// True when `text` is a PostgreSQL connection string rather than a path.
bool is_postgres_url(const std::string& text);

struct PgJtiLedgerOptions {
  std::size_t connections = 4;              // most concurrent checks; more callers queue
  std::chrono::milliseconds timeout{2000};  // statement timeout, and longest wait for a connection
  std::chrono::seconds purge_interval{
      60};  // expired rows deleted at most this often (per instance)
  // off (default): no WAL flush per check (~30 µs instead of one disk flush, ~4 ms on the
  // measured VM), but a database crash may forget the ids of the last ~0.6 s (3 x
  // wal_writer_delay). on: an accepted jti is durable before its token is let in.
  bool synchronous_commit = false;
  bool connect_now = true;  // false: connect (and create the table) on first use
};

// The jti replay ledger in the PostgreSQL database at `database_url` (table auth_jti), shared by
// every instance using that database: a token id is accepted by exactly one of them, even when
// two uses race. A failed check is Error{unavailable, "replay_ledger"} (503). Start-up boundary:
// with connect_now, throws std::runtime_error when it cannot connect or create its table.
std::shared_ptr<auth::JtiLedger> open_pg_jti_ledger(const std::string& database_url,
                                                    const PgJtiLedgerOptions& options = {});

std::string_view to_string(OutcomeFilter filter);  // "any" | "accepted" | "overridden" | "none"
std::optional<OutcomeFilter> outcome_filter_from_string(std::string_view text);

}  // namespace vcf_cds::audit
