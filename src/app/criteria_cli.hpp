// `vcf-cds criteria`: how a clinician or auditor checks what the service believes.
#pragma once

namespace vcf_cds::app {

// argv[0] is "criteria". Returns the process exit code (0 ok, 1 usage, 2 bad knowledge file).
int run_criteria_cli(int argc, char** argv);

}  // namespace vcf_cds::app
