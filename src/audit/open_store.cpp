#include <stdexcept>

#include "audit/stores.hpp"
#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit {

bool is_postgres_url(const std::string& text) {
  // URI form, or libpq's key=value form (any of the keys that name a server or database).
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) return true;
  for (const char* key : {"host=", "hostaddr=", "dbname=", "service="}) {
    const auto at = text.find(key);
    if (at != std::string::npos && (at == 0 || text[at - 1] == ' ')) return true;
  }
  return false;
}

std::unique_ptr<Store> open_store(const StoreConfig& config) {
  if (!config.database_url.empty()) {
    if (!is_postgres_url(config.database_url)) {
      throw std::runtime_error(
          "audit: database URL must be postgresql://… or a libpq \"host=… dbname=…\" string");
    }
    return detail::open_pg_store(config);
  }
  if (config.data_dir.empty()) {
    throw std::runtime_error("audit: set a data directory (SQLite) or a database URL");
  }
  return detail::open_sqlite_store(config);
}

std::string_view to_string(OutcomeFilter filter) {
  switch (filter) {
    case OutcomeFilter::any:
      return "any";
    case OutcomeFilter::accepted:
      return "accepted";
    case OutcomeFilter::overridden:
      return "overridden";
    case OutcomeFilter::none:
      return "none";
  }
  return "any";
}

std::optional<OutcomeFilter> outcome_filter_from_string(std::string_view text) {
  for (auto f : {OutcomeFilter::any, OutcomeFilter::accepted, OutcomeFilter::overridden,
                 OutcomeFilter::none}) {
    if (to_string(f) == text) return f;
  }
  return std::nullopt;
}

}  // namespace vcf_cds::audit
