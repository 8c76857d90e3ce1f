// What the SQLite and PostgreSQL stores share: record validation and identifier hashing on the
// caller's thread, then the group committer; read-only stores refuse writes.
#pragma once

#include <ctime>
#include <memory>
#include <string>

#include "audit/group_commit.hpp"
#include "audit/schema.hpp"
#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit::detail {

class BatchedStore : public Store {
 public:
  Status record_consults(std::vector<ConsultRecord> records) final;
  void record_call_async(std::vector<ConsultRecord> records, CallDone done) final;
  Status record_feedback(std::vector<FeedbackRecord> records) final;
  Health health() const final;
  void flush() final;

 protected:
  BatchedStore(StoreConfig config, std::string backend);
  // Called once by the derived constructor with the connection-owning committer; the writer
  // thread starts here. The committer must not refer to the derived object (it outlives it).
  void start_writer(std::unique_ptr<Committer> committer);

  const StoreConfig config_;
  // The trail's schema: the latest once migrated; a read-only store reads an older one as is.
  int schema_version_ = latest_schema_version();

 private:
  std::string backend_;
  std::unique_ptr<GroupCommitter> writer_;  // null when read-only
};

// RFC 3339 UTC with seconds, e.g. "2024-05-01T10:00:00Z" (schema_version.applied_at).
std::string utc_now();

}  // namespace vcf_cds::audit::detail
