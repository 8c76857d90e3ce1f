// Console static files, bearer-token check and the router entry point.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"
#include "vcf_cds/console.hpp"

namespace {

using vcf_cds::console::console_authorized;
using vcf_cds::console::console_handle;
using vcf_cds::console::console_static;
using vcf_cds::console::ConsoleContext;
using vcf_cds::console::ConsoleResponse;
using vcf_cds::testing::TempDir;

std::string header(const ConsoleResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// root/ holds the console; outside/ holds a secret next to it.
struct Tree {
  TempDir dir;
  std::filesystem::path root;
  Tree() {
    root = dir.path() / "console";
    dir.write("console/index.html", "<!doctype html><title>index</title>");
    dir.write("console/app.js", "export const x = 1;");
    dir.write("console/console.css", "body{}");
    dir.write("console/icons/logo.svg", "<svg/>");
    dir.write("console/data.json", "{}");
    dir.write("console/notes.txt", "no type");
    dir.write("console/.hidden.js", "hidden");
    dir.write("secret.json", "{\"secret\":true}");
    std::filesystem::create_symlink(dir.path() / "secret.json", root / "escape.json");
    std::filesystem::create_symlink(dir.path(), root / "up");
    std::filesystem::create_symlink(root / "app.js", root / "alias.js");  // stays inside
  }
};

}  // namespace

TEST_SUITE("console") {
  TEST_CASE("console_static: index, files and content types") {
    const Tree t;
    const auto index = console_static(t.root, "/console/");
    CHECK(index.status == 200);
    CHECK(index.content_type == "text/html; charset=utf-8");
    CHECK(index.body.find("<title>index</title>") != std::string::npos);
    CHECK(header(index, "Content-Security-Policy").find("script-src 'self'") != std::string::npos);
    CHECK(header(index, "X-Content-Type-Options") == "nosniff");

    CHECK(console_static(t.root, "/console/app.js").content_type ==
          "text/javascript; charset=utf-8");
    CHECK(console_static(t.root, "/console/console.css").content_type == "text/css; charset=utf-8");
    CHECK(console_static(t.root, "/console/icons/logo.svg").content_type == "image/svg+xml");
    CHECK(console_static(t.root, "/console/data.json").content_type == "application/json");
    CHECK(console_static(t.root, "/console/app.js?v=2#x").status == 200);
    CHECK(console_static(t.root, "/console/alias.js").status == 200);  // symlink inside root
    CHECK(header(console_static(t.root, "/console/app.js"), "Content-Security-Policy").empty());
  }

  TEST_CASE("console_static: /console redirects to /console/") {
    const Tree t;
    const auto r = console_static(t.root, "/console");
    CHECK(r.status == 308);
    CHECK(header(r, "Location") == "/console/");
  }

  TEST_CASE("console_static: traversal, hidden, unknown types and escapes -> 404") {
    const Tree t;
    for (const char* path :
         {"/console/../secret.json", "/console/icons/../../secret.json",
          "/console/%2e%2e/secret.json", "/console/..%2fsecret.json", "/console/..\\secret.json",
          "/console//etc/passwd", "/console/escape.json", "/console/up/secret.json",
          "/console/.hidden.js", "/console/notes.txt", "/console/missing.js", "/console/icons/",
          "/console/icons", "/consoleapp.js", "/etc/passwd", "/console/./app.js",
          "/console/app.js/", "/console/a\0b.js"}) {
      CAPTURE(path);
      const auto r = console_static(t.root, path);
      CHECK(r.status == 404);
      CHECK(r.body.find("secret") == std::string::npos);
    }
    // A NUL inside the target (string_view with embedded NUL).
    const std::string nul("/console/app.js\0.html", 21);
    CHECK(console_static(t.root, nul).status == 404);
  }

  TEST_CASE("console_static: lib/markdown-it.js -> served from the js dir, nothing else there") {
    const Tree t;
    TempDir js;
    js.write("markdown-it/markdown-it.js", "/*! markdown-it */");
    js.write("markdown-it/other.js", "other");
    const auto r = console_static(t.root, "/console/lib/markdown-it.js", js.path());
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/javascript; charset=utf-8");
    CHECK(r.body == "/*! markdown-it */");
    CHECK(header(r, "X-Content-Type-Options") == "nosniff");
    for (const char* path : {"/console/lib/other.js", "/console/lib/markdown-it/other.js",
                             "/console/lib/../lib/markdown-it.js", "/console/markdown-it.js"}) {
      CAPTURE(path);
      CHECK(console_static(t.root, path, js.path()).status == 404);
    }
    CHECK(console_static(t.root, "/console/lib/markdown-it.js", t.root).status == 404);

    CHECK_NOTHROW(vcf_cds::console::check_console_libraries(js.path()));
    CHECK_THROWS_WITH_AS(vcf_cds::console::check_console_libraries(t.root),
                         doctest::Contains("markdown-it/markdown-it.js: missing (Debian package "
                                           "libjs-markdown-it)"),
                         std::runtime_error);
  }

  TEST_CASE("console_static: missing root -> 404, never a throw") {
    CHECK(console_static("/nonexistent/console-root", "/console/").status == 404);
  }

  TEST_CASE("console_authorized: bearer token, constant-time compare") {
    CHECK(console_authorized("Bearer s3cret-token", "s3cret-token"));
    CHECK(console_authorized("bearer s3cret-token", "s3cret-token"));
    CHECK(console_authorized("BEARER  s3cret-token ", "s3cret-token"));
    CHECK_FALSE(console_authorized("Bearer s3cret-tokeN", "s3cret-token"));
    CHECK_FALSE(console_authorized("Bearer s3cret-token-longer", "s3cret-token"));
    CHECK_FALSE(console_authorized("Bearer s3cret", "s3cret-token"));
    CHECK_FALSE(console_authorized("Basic s3cret-token", "s3cret-token"));
    CHECK_FALSE(console_authorized("Bearers3cret-token", "s3cret-token"));
    CHECK_FALSE(console_authorized("s3cret-token", "s3cret-token"));
    CHECK_FALSE(console_authorized("Bearer ", "s3cret-token"));
    CHECK_FALSE(console_authorized("", "s3cret-token"));
    CHECK_FALSE(console_authorized("Bearer ", ""));  // no token configured: nobody gets in
    CHECK_FALSE(console_authorized("Bearer x", ""));
  }

  TEST_CASE("console_handle: static is public, API needs the token, methods checked") {
    const Tree t;
    ConsoleContext context;
    context.root = t.root;
    context.token = "tok";
    const auto now = std::chrono::system_clock::now();
    CHECK(console_handle(context, "GET", "/console/", "", "", now).status == 200);
    CHECK(console_handle(context, "HEAD", "/console/app.js", "", "", now).status == 200);
    const auto post = console_handle(context, "POST", "/console/", "", "", now);
    CHECK(post.status == 405);
    CHECK(header(post, "Allow") == "GET, HEAD");

    const auto denied = console_handle(context, "GET", "/console/api/criteria", "", "", now);
    CHECK(denied.status == 401);
    CHECK(denied.body.empty());
    CHECK(header(denied, "WWW-Authenticate").starts_with("Bearer"));
    CHECK(console_handle(context, "GET", "/console/api/nope", "Bearer bad", "", now).status == 401);

    // Authorized, but nothing loaded in this context: 503, and unknown APIs 404.
    CHECK(console_handle(context, "GET", "/console/api/criteria", "Bearer tok", "", now).status ==
          503);
    CHECK(console_handle(context, "GET", "/console/api/audit/summary", "Bearer tok", "", now)
              .status == 503);
    CHECK(console_handle(context, "GET", "/console/api/nope", "Bearer tok", "", now).status == 404);
    CHECK(console_handle(context, "GET", "/console/api/try", "Bearer tok", "", now).status == 405);
    CHECK(console_handle(context, "POST", "/console/api/criteria", "Bearer tok", "", now).status ==
          405);
  }
}
