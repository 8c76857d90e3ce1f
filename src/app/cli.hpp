// What every vcf-cds command shares: its exit codes, and the one error a bad command line throws.
#pragma once

#include <stdexcept>

namespace vcf_cds::app {

// The exit codes of every command (README "Exit codes"). As with `diff`, 1 is a finding and 2 a
// usage error, so a script tells "the trail is broken" from "it was called wrong".
enum ExitCode : int {
  kExitOk = 0,
  kExitFinding = 1,  // audit verify: the hash chain is broken
  kExitUsage = 2,    // a flag, value or configuration the command cannot use
  kExitFailure = 3,  // it could not do its work: knowledge, profiles, audit store, TLS, bind
};

// A flag, value or combination the command cannot use; main answers it with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace vcf_cds::app
