// `vcf-cds audit`: how an auditor checks and reads the trail.
//   verify   recompute the hash chain; exit 0 "chain ok: N records", 1 naming the first break
//   export   --format csv|ndjson|fhir with filters (--from --to --patient --user --variant
//   --outcome) summary  per variant and procedure row: rated, share Usually not appropriate,
//   overrides (--json) import   append an NDJSON export to a store (e.g. move an SQLite trail into
//   PostgreSQL)
// The store is --data-dir DIR (SQLite, default ./data) or --database-url URL (PostgreSQL);
// verify, export and summary open it read-only.
#pragma once

namespace vcf_cds::app {

// argv[0] is "audit". Exit codes (app/cli.hpp): kExitFinding when the chain is broken,
// kExitFailure when the store cannot be read or written.
int run_audit_cli(int argc, char** argv);

}  // namespace vcf_cds::app
