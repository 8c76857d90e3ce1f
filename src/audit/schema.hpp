// The audit schema, written once for both databases: table and column lists, migrations, how a
// record is bound to and read from a row, and the SQL of the queries. Every column is NOT NULL;
// absent values are empty strings or 0, so a row maps 1:1 to the canonical JSON.
//
//   audit_schema_version(version, description, applied_at)  — one row per applied migration
//   audit_chain_head(id = 1, seq, hash)                      — the last record of the chain
//   audit_consults(seq, consult_id, time, …, prev_hash, hash)
//   audit_feedback(seq, service_id, card_uuid, …, known_card, prev_hash, hash)
//   audit_blobs(hash, body)                                  — stored texts (blob.hpp)
// seq is unique across both record tables: the chain runs over their union in seq order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "audit/record.hpp"
#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit::detail {

enum class Dialect { sqlite, postgresql };

inline constexpr std::string_view consults_table = "audit_consults";
inline constexpr std::string_view feedback_table = "audit_feedback";
inline constexpr std::string_view head_table = "audit_chain_head";
inline constexpr std::string_view version_table = "audit_schema_version";
inline constexpr std::string_view blobs_table = "audit_blobs";  // schema 4: blob.hpp
// The jti replay ledger (PostgreSQL only): transient, outside the audit chain and its versions.
inline constexpr std::string_view jti_table = "auth_jti";

struct Migration {
  int version = 0;
  std::string description;
  std::vector<std::string> statements;
};

// In version order; the store applies those above the recorded version, in one transaction.
std::vector<Migration> migrations(Dialect dialect);
int latest_schema_version();
// CREATE TABLE IF NOT EXISTS audit_schema_version …
std::string version_table_ddl(Dialect dialect);
// CREATE TABLE IF NOT EXISTS auth_jti (id = SHA-256 hex of iss '\n' jti, forget_after in Unix
// seconds) and its forget_after index.
std::vector<std::string> jti_table_ddl();

// Values bound for an INSERT, in column order.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void text(std::string_view value) = 0;
  // A string held by the record or link being bound, so it outlives the statement's run (a
  // value computed on the way, e.g. a JSON array, goes through text()).
  virtual void text_field(std::string_view value) { text(value); }
  virtual void integer(std::int64_t value) = 0;
  virtual void real(double value) = 0;
};

// One row of a SELECT of the table's columns (select_list), by column index.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual std::string text(int column) const = 0;
  virtual std::int64_t integer(int column) const = 0;
  virtual double real(int column) const = 0;
};

struct ChainLink {
  std::string prev_hash;
  std::string hash;
};

void bind_row(const ConsultRecord& record, const ChainLink& link, RowSink& sink);
void bind_row(const FeedbackRecord& record, const ChainLink& link, RowSink& sink);
ConsultRecord read_consult(const RowSource& row, ChainLink* link = nullptr);
FeedbackRecord read_feedback(const RowSource& row, ChainLink* link = nullptr);

// read_consult or read_feedback, picked by the record type (the stores' generic query code).
template <class R>
R read_record(const RowSource& row, ChainLink* link = nullptr) {
  if constexpr (std::is_same_v<R, ConsultRecord>) {
    return read_consult(row, link);
  } else {
    return read_feedback(row, link);
  }
}

// "seq, consult_id, …, hash" — the column order bind_row and read_* use.
// The consult columns as a trail of `schema_version` has them: columns added later read as their
// empty value, so a read-only store (audit verify, export) reads a trail it must not migrate.
std::string consult_select_list(int schema_version);
std::string feedback_select_list();
// INSERT INTO <table> (…) VALUES (?…) or ($1…).
std::string consult_insert_sql(Dialect dialect);
std::string feedback_insert_sql(Dialect dialect);

// A parameterised SELECT; every parameter is passed as text.
struct SqlQuery {
  std::string sql;
  std::vector<std::string> params;
};

// Consults matching `query`, in seq order. A patient or user filter matches the value as given
// and, when the store has a secret, its HMAC — a trail may mix plain and hashed records.
SqlQuery consult_query(Dialect dialect, const Query& query, const StoreConfig& config,
                       int schema_version);
SqlQuery feedback_query(Dialect dialect, const FeedbackQuery& query);
// The SELECTs that read, in the appending transaction, the consults a retry in `batch` (a
// record with joins_retries) may join: those of its hook instances and orders, each query in
// seq order (detail::join_retries filters them exactly). None when nothing in `batch` may join;
// several when it is large, so no query holds more parameters than a database allows.
std::vector<SqlQuery> retry_candidate_queries(Dialect dialect,
                                              const std::vector<QueuedRecord>& batch);
// INSERT of `count` blobs (hash, body pairs of parameters); a blob already stored is skipped.
std::string blob_insert_sql(Dialect dialect, std::size_t count);
// The body of the blob whose hash is the one parameter (none when absent).
std::string blob_select_sql(Dialect dialect);
// 1 when a consult carries `card_uuid` (one parameter).
std::string known_card_sql(Dialect dialect);

}  // namespace vcf_cds::audit::detail
