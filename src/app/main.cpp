// vcf-cds: subcommand dispatch. `serve` is the default, so `vcf-cds --listen ...` works too.
#include <cstdio>
#include <exception>
#include <string_view>

#include "app/audit_cli.hpp"
#include "app/cli.hpp"
#include "app/criteria_cli.hpp"
#include "app/serve.hpp"

namespace {

void print_usage() {
  std::puts(
      "usage: vcf-cds [serve] [flags]    run the CDS Hooks service (see vcf-cds serve --help)\n"
      "       vcf-cds criteria ...       inspect the loaded ACR criteria\n"
      "       vcf-cds audit ...          verify, export or summarise the audit trail\n"
      "       vcf-cds --version");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string_view first = argc > 1 ? argv[1] : "";
    if (first == "--version" || first == "version") {
      std::puts("vcf-cds " VCF_CDS_VERSION);
      return vcf_cds::app::kExitOk;
    }
    if (first == "serve") return vcf_cds::app::run_serve(argc - 1, argv + 1);
    if (first == "criteria") return vcf_cds::app::run_criteria_cli(argc - 1, argv + 1);
    if (first == "audit") return vcf_cds::app::run_audit_cli(argc - 1, argv + 1);
    if (first.empty() || first.starts_with("--")) return vcf_cds::app::run_serve(argc, argv);
    if (first == "help" || first == "-h") {
      print_usage();
      return vcf_cds::app::kExitOk;
    }
    std::fprintf(stderr, "vcf-cds: unknown command '%s'\n", argv[1]);
    print_usage();
    return vcf_cds::app::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vcf-cds: %s\n", e.what());
    return vcf_cds::app::kExitFailure;
  }
}
