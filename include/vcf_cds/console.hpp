// The review console: static pages under /console/ and their JSON API — criteria
// explorer, "try it" through the real decision pipeline, and the audit dashboard.
//
// Every function here is pure with respect to HTTP: it takes what the router read (path, query,
// body, Authorization header) and returns a `ConsoleResponse` the router writes as is (status,
// Content-Type, body, plus the extra headers listed). Nothing throws on the request path; only
// `load_example_codes` (start-up) throws. The audit and try-it functions block (store reads, the
// pipeline), so the router should run them on its worker pool.
//
// Access policy (console_handle): the static files are public (they hold no data, like the
// repository itself); every /console/api/ call needs `Authorization: Bearer <token>`. The pages
// read the token from the URL fragment (`/console/#token=…`, never sent to the server) or a form,
// keep it in sessionStorage and send it on each API call.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/facts.hpp"

namespace vcf_cds::console {

struct ConsoleResponse {
  int status = 200;
  std::string content_type;  // empty: no body
  std::string body;
  // Extra response headers (security headers, Cache-Control, Location, WWW-Authenticate).
  std::vector<std::pair<std::string, std::string>> headers;
};

// ---- static files ---------------------------------------------------------------------------

// Where Debian installs the JavaScript libraries it packages (libjs-*).
inline constexpr const char* kDebianJavascriptDir = "/usr/share/javascript";

// GET of `path` (the request target; a query string is ignored) under `root` (deploy/console).
// "/console" → 308 to "/console/"; "/console/" → index.html; "/console/<file>" → the file when it
// is a regular file inside root (after resolving symlinks) with a known type (.html .js .css .svg
// .png .json). Traversal ("..", "%2e", backslashes, NUL, hidden names, absolute paths) → 404.
// "/console/lib/markdown-it.js" is markdown-it as the Debian package libjs-markdown-it installs
// it under `js_dir` (only the libraries listed in src/console/static.cpp; not copied into root).
ConsoleResponse console_static(const std::filesystem::path& root, std::string_view path,
                               const std::filesystem::path& js_dir = kDebianJavascriptDir);

// Start-up boundary: throws std::runtime_error "<file>: missing (Debian package <name>)" for the
// first library the pages load from `js_dir` that is not installed there.
void check_console_libraries(const std::filesystem::path& js_dir);

// ---- access ---------------------------------------------------------------------------------

// True when `authorization_header` is "Bearer <expected_token>" (scheme case-insensitive).
// Constant time in the token's content; an empty expected token never authorizes.
bool console_authorized(std::string_view authorization_header, std::string_view expected_token);

// ---- criteria explorer ----------------------------------------------------------------------

// GET /console/api/criteria: the loaded model (9 variants, every row and field, RRL meanings,
// PubMed links), the orderable codes of the ConceptMap and the knowledge/terminology versions.
ConsoleResponse console_criteria(const consult::Knowledge& knowledge);

// ---- try it ---------------------------------------------------------------------------------

// Representative codes for the "try it" facts (deploy/console/example-codes.json): each must be
// in the fhir-profiles ValueSet of its fact (check_example_codes proves it).
struct ExampleCode {
  std::string key;            // "vcf", "secondVcf", "pathological", "malignancy", ...
  std::string resource_type;  // "Condition" | "Procedure" | "Observation"
  std::string fact_kind;      // facts::to_string(FactKind) the code must feed
  facts::Coding coding;
};
struct ExampleCodes {
  std::vector<ExampleCode> codes;
  const ExampleCode* find(std::string_view key) const;
};

// Start-up boundary: throws std::runtime_error "<file>: <field>: <problem>".
std::shared_ptr<const ExampleCodes> load_example_codes(const std::filesystem::path& file);
// Each example code, alone in a request, yields evidence of its fact kind through facts::extract.
// Error{internal} naming "examples[<key>]" otherwise (call it at start-up after load_knowledge).
Status check_example_codes(const ExampleCodes& examples, const facts::Terminology& terminology);

// POST /console/api/try: body {"facts": {...}, "order": {"system", "code"}} → FHIR resources for
// those facts → an order-select HookRequest → consult::run_pipeline (nothing is written to the
// audit store). 200 {"response": <CDS Hooks response, byte for byte>, "decision": {...},
// "fhir": {...the resources sent...}}; 400/413 OperationOutcome naming the field.
ConsoleResponse console_try(const consult::Knowledge& knowledge, const ExampleCodes& examples,
                            std::string_view body, std::chrono::system_clock::time_point now,
                            const facts::Options& fact_options = {});

// ---- audit dashboard ------------------------------------------------------------------------

// GET /console/api/audit/summary?from=&to=
//     /console/api/audit/consults?from=&to=&variant=&outcome=&category=&user=&patient=
//                                 &procedure=&limit=&offset=
//     /console/api/audit/consults/{consult_id}   (percent-encoded "urn:uuid:…")
// from/to: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.f]Z"; from inclusive, to exclusive.
ConsoleResponse console_audit(audit::Store& store, std::string_view path_and_query);

// ---- one entry point for the router ---------------------------------------------------------

struct ConsoleContext {
  std::filesystem::path root;                           // deploy/console
  std::filesystem::path js_dir = kDebianJavascriptDir;  // libraries Debian packages
  std::string token;  // bearer token for /console/api/; empty: API always 401
  const consult::Knowledge* knowledge = nullptr;
  const ExampleCodes* examples = nullptr;
  audit::Store* store = nullptr;  // null: audit endpoints answer 503
  facts::Options fact_options;
};

// Any request whose target starts with "/console": method checks (405 with Allow), auth for
// /console/api/ (401, empty body, WWW-Authenticate), then the functions above.
ConsoleResponse console_handle(const ConsoleContext& context, std::string_view method,
                               std::string_view target, std::string_view authorization,
                               std::string_view body, std::chrono::system_clock::time_point now);

}  // namespace vcf_cds::console
