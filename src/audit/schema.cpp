#include "audit/schema.hpp"

#include <algorithm>
#include <span>

namespace vcf_cds::audit::detail {
namespace {

enum class Type { seq, text, integer, real };

// One column: its name, SQL type and how a record fills and reads it. Declaring both directions
// beside the name keeps bind order, select order and DDL in step by construction.
template <class R>
struct Column {
  std::string_view name;
  Type type;
  void (*put)(const R&, RowSink&);
  void (*get)(R&, const RowSource&, int);
  int since = 1;  // the schema version that added the column (its migration adds it)
};

// Accessor pairs for plain fields (a member pointer cannot name client.iss, hence macros).
#define VCF_TEXT(field)                                     \
  [](const auto& r, RowSink& s) { s.text_field(r.field); }, \
      [](auto& r, const RowSource& s, int i) { r.field = s.text(i); }
#define VCF_INT(field)                                                                            \
  [](const auto& r, RowSink& s) { s.integer(r.field); }, [](auto& r, const RowSource& s, int i) { \
    r.field = static_cast<decltype(r.field)>(s.integer(i));                                       \
  }

using CC = Column<ConsultRecord>;
constexpr CC consult_columns[] = {
    {"seq", Type::seq, VCF_INT(seq)},
    {"consult_id", Type::text, VCF_TEXT(consult_id)},
    {"time", Type::text, VCF_TEXT(time)},
    {"service_id", Type::text, VCF_TEXT(service_id)},
    {"hook", Type::text, VCF_TEXT(hook)},
    {"hook_instance", Type::text, VCF_TEXT(hook_instance)},
    {"client_iss", Type::text, VCF_TEXT(client.iss)},
    {"client_sub", Type::text, VCF_TEXT(client.sub)},
    {"client_tenant", Type::text, VCF_TEXT(client.tenant)},
    {"identifier_mode", Type::text, VCF_TEXT(identifier_mode)},
    {"user_id", Type::text, VCF_TEXT(user_id)},
    {"patient_id", Type::text, VCF_TEXT(patient_id)},
    {"encounter_id", Type::text, VCF_TEXT(encounter_id)},
    {"order_ref", Type::text, VCF_TEXT(order_ref)},
    {"order_codes", Type::text, VCF_TEXT(order_codes)},
    {"procedure_row", Type::text, VCF_TEXT(procedure_row)},
    {"variant", Type::integer, VCF_INT(variant)},
    {"category", Type::text, VCF_TEXT(category)},
    {"rating", Type::integer, VCF_INT(rating)},
    {"median", Type::integer, VCF_INT(median)},
    {"pama_rating", Type::text, VCF_TEXT(pama_rating)},
    {"facts", Type::text, VCF_TEXT(facts)},
    {"candidates", Type::text, VCF_TEXT(candidates)},
    {"assumptions", Type::text, VCF_TEXT(assumptions)},
    {"card_uuid", Type::text, VCF_TEXT(card_uuid)},
    {"suggestion_uuids", Type::text,
     [](const ConsultRecord& r, RowSink& s) { s.text(to_json_array(r.suggestion_uuids)); },
     [](ConsultRecord& r, const RowSource& s, int i) {
       r.suggestion_uuids = parse_json_array(s.text(i));
     }},
    {"card", Type::text, VCF_TEXT(card)},
    {"knowledge_version", Type::text, VCF_TEXT(knowledge_version)},
    {"service_version", Type::text, VCF_TEXT(service_version)},
    {"latency_ms", Type::real, [](const ConsultRecord& r, RowSink& s) { s.real(r.latency_ms); },
     [](ConsultRecord& r, const RowSource& s, int i) { r.latency_ms = s.real(i); }},
    {"repeat_of", Type::text, VCF_TEXT(repeat_of), 2},
    // Rows from before schema 4 read 0 from the column's default: chain format 1.
    {"chain_format", Type::integer,
     [](const ConsultRecord& r, RowSink& s) { s.integer(r.chain_format); },
     [](ConsultRecord& r, const RowSource& s, int i) {
       r.chain_format = std::max(chain_format_texts, static_cast<int>(s.integer(i)));
     },
     4},
};

using FC = Column<FeedbackRecord>;
constexpr FC feedback_columns[] = {
    {"seq", Type::seq, VCF_INT(seq)},
    {"service_id", Type::text, VCF_TEXT(service_id)},
    {"card_uuid", Type::text, VCF_TEXT(card_uuid)},
    {"outcome", Type::text, VCF_TEXT(outcome)},
    {"accepted_suggestions", Type::text,
     [](const FeedbackRecord& r, RowSink& s) { s.text(to_json_array(r.accepted_suggestions)); },
     [](FeedbackRecord& r, const RowSource& s, int i) {
       r.accepted_suggestions = parse_json_array(s.text(i));
     }},
    {"override_reason_system", Type::text, VCF_TEXT(override_reason_system)},
    {"override_reason_code", Type::text, VCF_TEXT(override_reason_code)},
    {"override_reason_display", Type::text, VCF_TEXT(override_reason_display)},
    {"user_comment", Type::text, VCF_TEXT(user_comment)},
    {"outcome_timestamp", Type::text, VCF_TEXT(outcome_timestamp)},
    {"received_time", Type::text, VCF_TEXT(received_time)},
    {"client_iss", Type::text, VCF_TEXT(client.iss)},
    {"client_sub", Type::text, VCF_TEXT(client.sub)},
    {"client_tenant", Type::text, VCF_TEXT(client.tenant)},
    {"known_card", Type::integer,
     [](const FeedbackRecord& r, RowSink& s) { s.integer(r.known_card); },
     [](FeedbackRecord& r, const RowSource& s, int i) { r.known_card = s.integer(i) != 0; }},
};

#undef VCF_TEXT
#undef VCF_INT

std::string placeholder(Dialect dialect, std::size_t n) {
  std::string text(1, dialect == Dialect::sqlite ? '?' : '$');
  text += std::to_string(n);
  return text;
}

std::string sql_type(Dialect dialect, Type type) {
  const bool pg = dialect == Dialect::postgresql;
  switch (type) {
    case Type::seq:
      return pg ? "BIGINT PRIMARY KEY" : "INTEGER PRIMARY KEY";
    case Type::text:
      return "TEXT NOT NULL";
    case Type::integer:
      return "INTEGER NOT NULL";
    case Type::real:
      return pg ? "DOUBLE PRECISION NOT NULL" : "REAL NOT NULL";
  }
  return "TEXT NOT NULL";
}

template <class R>
std::string select_list(std::span<const Column<R>> columns, int schema_version) {
  std::string sql;
  for (const auto& c : columns) {
    if (c.since > schema_version) sql.append(c.type == Type::text ? "'' AS " : "0 AS ");
    sql.append(c.name).append(", ");
  }
  return sql + "prev_hash, hash";
}

template <class R>
std::string insert_sql(Dialect dialect, std::string_view table,
                       std::span<const Column<R>> columns) {
  std::string sql = "INSERT INTO " + std::string(table) + " (" +
                    select_list(columns, latest_schema_version()) + ") VALUES (";
  for (std::size_t i = 1; i <= columns.size() + 2; ++i) {
    sql += (i > 1 ? ", " : "") + placeholder(dialect, i);
  }
  return sql + ")";
}

// The table as schema version 1 created it; later columns come with their own migrations, so a
// new store and an upgraded one end with the same table.
template <class R>
std::string create_table(Dialect dialect, std::string_view table,
                         std::span<const Column<R>> columns) {
  std::string sql = "CREATE TABLE " + std::string(table) + " (";
  for (const auto& c : columns) {
    if (c.since == 1) sql.append(c.name).append(" ").append(sql_type(dialect, c.type)) += ", ";
  }
  return sql + "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)";
}

// Rows written before `version` get the type's empty value.
template <class R>
std::vector<std::string> add_columns(Dialect dialect, std::string_view table,
                                     std::span<const Column<R>> columns, int version) {
  std::vector<std::string> statements;
  for (const auto& c : columns) {
    if (c.since != version) continue;
    const std::string empty = c.type == Type::text ? "''" : "0";
    statements.push_back("ALTER TABLE " + std::string(table) + " ADD COLUMN " +
                         std::string(c.name) + " " + sql_type(dialect, c.type) + " DEFAULT " +
                         empty);
  }
  return statements;
}

template <class R>
void bind(const R& record, const ChainLink& link, RowSink& sink,
          std::span<const Column<R>> columns) {
  for (const auto& c : columns) c.put(record, sink);
  sink.text_field(link.prev_hash);
  sink.text_field(link.hash);
}

template <class R>
R read(const RowSource& row, ChainLink* link, std::span<const Column<R>> columns) {
  R record;
  int i = 0;
  for (const auto& c : columns) c.get(record, row, i++);
  if (link != nullptr) {
    link->prev_hash = row.text(i);
    link->hash = row.text(i + 1);
  }
  return record;
}

// Appends "AND <column> IN (p, hmac(p))" for an identifier filter.
void identifier_filter(Dialect dialect, std::string_view column, const std::string& value,
                       const StoreConfig& config, SqlQuery& q) {
  if (value.empty()) return;
  q.params.push_back(value);
  q.sql += " AND " + std::string(column) + " IN (" + placeholder(dialect, q.params.size());
  if (!config.identifier_secret.empty()) {
    q.params.push_back(hash_identifier(config.identifier_secret, value));
    q.sql += ", " + placeholder(dialect, q.params.size());
  }
  q.sql += ")";
}

void range_filter(Dialect dialect, std::string_view column, const std::string& from,
                  const std::string& to, SqlQuery& q) {
  if (!from.empty()) {
    q.params.push_back(from);
    q.sql += " AND " + std::string(column) + " >= " + placeholder(dialect, q.params.size());
  }
  if (!to.empty()) {
    q.params.push_back(to);
    q.sql += " AND " + std::string(column) + " < " + placeholder(dialect, q.params.size());
  }
}

}  // namespace

std::vector<Migration> migrations(Dialect d) {
  const std::span<const CC> cc(consult_columns);
  const std::span<const FC> fc(feedback_columns);
  const std::string head(head_table);
  const std::string consults(consults_table);
  const std::string feedback(feedback_table);
  return {
      {1,
       "consults, feedback and the chain head",
       {
           "CREATE TABLE " + head + " (id INTEGER PRIMARY KEY CHECK (id = 1), seq " +
               (d == Dialect::postgresql ? "BIGINT" : "INTEGER") + " NOT NULL, hash TEXT NOT NULL)",
           "INSERT INTO " + head + " (id, seq, hash) VALUES (1, 0, '" + std::string(genesis_hash) +
               "')",
           create_table(d, consults, cc),
           "CREATE INDEX audit_consults_time ON " + consults + " (time)",
           "CREATE INDEX audit_consults_patient ON " + consults + " (patient_id)",
           "CREATE INDEX audit_consults_user ON " + consults + " (user_id)",
           "CREATE INDEX audit_consults_card ON " + consults + " (card_uuid)",
           "CREATE INDEX audit_consults_consult_id ON " + consults + " (consult_id)",
           create_table(d, feedback, fc),
           "CREATE INDEX audit_feedback_card ON " + feedback + " (card_uuid)",
           "CREATE INDEX audit_feedback_received ON " + feedback + " (received_time)",
       }},
      {2, "consults: repeat_of, the earlier consult an order-sign repeat joins",
       add_columns(d, consults, cc, 2)},
      // Not unique: trails written before it may hold a retry twice, and must still open. One
      // column: the key is the EHR's random id, so the index stays small enough to stay cached.
      {3,
       "consults: index on hook_instance, where a retried call finds its record",
       {"CREATE INDEX audit_consults_hook_instance ON " + consults + " (hook_instance)"}},
      {4, "blobs: texts stored once per content; consults: chain_format (2 for new records)",
       [&] {
         std::vector<std::string> statements = add_columns(d, consults, cc, 4);
         statements.push_back("CREATE TABLE " + std::string(blobs_table) +
                              " (hash TEXT PRIMARY KEY, body TEXT NOT NULL)" +
                              (d == Dialect::sqlite ? " WITHOUT ROWID" : ""));
         return statements;
       }()},
  };
}

int latest_schema_version() {
  return 4;
}

std::string version_table_ddl(Dialect) {
  return "CREATE TABLE IF NOT EXISTS " + std::string(version_table) +
         " (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)";
}

std::vector<std::string> jti_table_ddl() {
  // The id is a digest: iss and jti may each be 2 KB, more than a btree index entry may hold.
  const std::string table(jti_table);
  return {"CREATE TABLE IF NOT EXISTS " + table +
              " (id TEXT PRIMARY KEY, forget_after BIGINT NOT NULL)",
          "CREATE INDEX IF NOT EXISTS " + table + "_forget_after ON " + table + " (forget_after)"};
}

void bind_row(const ConsultRecord& r, const ChainLink& link, RowSink& sink) {
  bind(r, link, sink, std::span<const CC>(consult_columns));
}
void bind_row(const FeedbackRecord& r, const ChainLink& link, RowSink& sink) {
  bind(r, link, sink, std::span<const FC>(feedback_columns));
}
ConsultRecord read_consult(const RowSource& row, ChainLink* link) {
  return read(row, link, std::span<const CC>(consult_columns));
}
FeedbackRecord read_feedback(const RowSource& row, ChainLink* link) {
  return read(row, link, std::span<const FC>(feedback_columns));
}

std::string consult_select_list(int schema_version) {
  return select_list(std::span<const CC>(consult_columns), schema_version);
}
std::string feedback_select_list() {
  return select_list(std::span<const FC>(feedback_columns), latest_schema_version());
}
std::string consult_insert_sql(Dialect d) {
  return insert_sql(d, consults_table, std::span<const CC>(consult_columns));
}
std::string feedback_insert_sql(Dialect d) {
  return insert_sql(d, feedback_table, std::span<const FC>(feedback_columns));
}

SqlQuery consult_query(Dialect d, const Query& query, const StoreConfig& config,
                       int schema_version) {
  SqlQuery q;
  q.sql = "SELECT " + consult_select_list(schema_version) + " FROM " + std::string(consults_table) +
          " c WHERE 1 = 1";
  if (!query.consult_id.empty()) {
    q.params.push_back(query.consult_id);
    q.sql += " AND c.consult_id = " + placeholder(d, q.params.size());
  }
  range_filter(d, "c.time", query.from, query.to, q);
  identifier_filter(d, "c.patient_id", query.patient_id, config, q);
  identifier_filter(d, "c.user_id", query.user_id, config, q);
  if (query.variant) {
    q.params.push_back(std::to_string(*query.variant));
    q.sql += " AND c.variant = " + placeholder(d, q.params.size());
  }
  const std::string fb(feedback_table);
  switch (query.outcome) {
    case OutcomeFilter::any:
      break;
    case OutcomeFilter::accepted:
    case OutcomeFilter::overridden:
      // The latest feedback decides: a card overridden and later accepted counts as accepted.
      q.params.emplace_back(to_string(query.outcome));
      q.sql += " AND c.card_uuid <> '' AND (SELECT f.outcome FROM " + fb +
               " f WHERE f.card_uuid = c.card_uuid ORDER BY f.seq DESC LIMIT 1) = " +
               placeholder(d, q.params.size());
      break;
    case OutcomeFilter::none:
      q.sql += " AND (c.card_uuid = '' OR NOT EXISTS (SELECT 1 FROM " + fb +
               " f WHERE f.card_uuid = c.card_uuid))";
      break;
  }
  q.sql += " ORDER BY c.seq";
  return q;
}

SqlQuery feedback_query(Dialect d, const FeedbackQuery& query) {
  SqlQuery q;
  q.sql = "SELECT " + feedback_select_list() + " FROM " + std::string(feedback_table) +
          " f WHERE 1 = 1";
  if (!query.card_uuid.empty()) {
    q.params.push_back(query.card_uuid);
    q.sql += " AND f.card_uuid = " + placeholder(d, q.params.size());
  }
  range_filter(d, "f.received_time", query.from, query.to, q);
  q.sql += " ORDER BY f.seq";
  return q;
}

std::vector<SqlQuery> retry_candidate_queries(Dialect d, const std::vector<QueuedRecord>& batch) {
  // At most 2 x 250 parameters a query: far below SQLite's 32,766 and PostgreSQL's 65,535.
  constexpr std::size_t records_per_query = 250;
  std::vector<SqlQuery> queries;
  std::vector<std::string> instances;
  std::vector<std::string> orders;
  std::size_t taken = 0;
  auto add = [](std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  };
  auto flush = [&] {
    if (instances.empty()) return;
    SqlQuery q;
    q.sql = "SELECT " + consult_select_list(latest_schema_version()) + " FROM " +
            std::string(consults_table) + " WHERE hook_instance IN (";
    for (auto& value : instances) {
      q.params.push_back(std::move(value));
      q.sql += (q.params.size() > 1 ? ", " : "") + placeholder(d, q.params.size());
    }
    q.sql += ") AND order_ref IN (";
    for (std::size_t i = 0; i < orders.size(); ++i) {
      q.params.push_back(std::move(orders[i]));
      q.sql += (i > 0 ? ", " : "") + placeholder(d, q.params.size());
    }
    q.sql += ") ORDER BY seq";
    queries.push_back(std::move(q));
    instances.clear();
    orders.clear();
    taken = 0;
  };
  for (const auto& queued : batch) {
    const auto* consult = std::get_if<ConsultRecord>(&queued.record);
    // An order without an id never joins (detail::retry_join): nothing to look up.
    if (!queued.joins_retries || consult == nullptr || consult->hook_instance.empty() ||
        consult->order_ref.empty() || consult->order_ref.back() == '/') {
      continue;
    }
    add(instances, consult->hook_instance);
    add(orders, consult->order_ref);
    if (++taken == records_per_query) flush();
  }
  flush();
  return queries;
}

std::string blob_insert_sql(Dialect d, std::size_t count) {
  std::string sql = "INSERT INTO " + std::string(blobs_table) + " (hash, body) VALUES ";
  for (std::size_t i = 0; i < count; ++i) {
    sql +=
        (i > 0 ? ", (" : "(") + placeholder(d, 2 * i + 1) + ", " + placeholder(d, 2 * i + 2) + ")";
  }
  // Content-addressed: a blob already there is the same blob.
  return sql + " ON CONFLICT (hash) DO NOTHING";
}

std::string blob_select_sql(Dialect d) {
  return "SELECT body FROM " + std::string(blobs_table) + " WHERE hash = " + placeholder(d, 1);
}

std::string known_card_sql(Dialect d) {
  return "SELECT COUNT(*) FROM (SELECT 1 FROM " + std::string(consults_table) +
         " WHERE card_uuid = " + placeholder(d, 1) + " LIMIT 1) k";
}

}  // namespace vcf_cds::audit::detail
