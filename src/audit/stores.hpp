// The two Store implementations; open_store (open_store.cpp) picks one. Both throw
// std::runtime_error at start-up when the database cannot be opened or migrated.
#pragma once

#include <filesystem>
#include <memory>

#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit::detail {

// <data_dir>/audit.sqlite3
std::filesystem::path sqlite_file(const std::filesystem::path& data_dir);

std::unique_ptr<Store> open_sqlite_store(const StoreConfig& config);
std::unique_ptr<Store> open_pg_store(const StoreConfig& config);

}  // namespace vcf_cds::audit::detail
