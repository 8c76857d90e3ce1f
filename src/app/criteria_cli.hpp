// `vcf-cds criteria`: how a clinician or auditor checks what the service believes.
#pragma once

namespace vcf_cds::app {

// argv[0] is "criteria". Returns the exit code (app/cli.hpp); a bad knowledge file is kExitFailure.
int run_criteria_cli(int argc, char** argv);

}  // namespace vcf_cds::app
