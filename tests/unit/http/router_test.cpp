#include "vcf_cds/http.hpp"
#include "vcf_cds/http_client.hpp"

#include <doctest/doctest.h>

namespace {

using namespace vcf_cds;
using namespace vcf_cds::http;

TEST_SUITE("http") {
  TEST_CASE("route: CDS Hooks endpoints -> kind, service id and allowed methods") {
    struct Row {
      std::string_view method, target;
      RouteKind kind;
      std::string_view id, allow;
    };
    for (const Row& row : {
             Row{"GET", "/cds-services", RouteKind::discovery, "", "GET, OPTIONS"},
             Row{"GET", "/cds-services/", RouteKind::discovery, "", "GET, OPTIONS"},
             Row{"GET", "/cds-services?x=1", RouteKind::discovery, "", "GET, OPTIONS"},
             Row{"POST", "/cds-services", RouteKind::method_not_allowed, "", "GET, OPTIONS"},
             Row{"OPTIONS", "/cds-services", RouteKind::preflight, "", "GET, OPTIONS"},
             Row{"POST", "/cds-services/vcf-order-sign", RouteKind::call, "vcf-order-sign",
                 "POST, OPTIONS"},
             Row{"GET", "/cds-services/vcf-order-sign", RouteKind::method_not_allowed,
                 "vcf-order-sign", "POST, OPTIONS"},
             Row{"OPTIONS", "/cds-services/vcf-order-sign", RouteKind::preflight, "vcf-order-sign",
                 "POST, OPTIONS"},
             Row{"POST", "/cds-services/x/feedback", RouteKind::feedback, "x", "POST, OPTIONS"},
             Row{"OPTIONS", "/cds-services/x/feedback", RouteKind::preflight, "x", "POST, OPTIONS"},
             Row{"DELETE", "/cds-services/x/feedback", RouteKind::method_not_allowed, "x",
                 "POST, OPTIONS"},
             Row{"GET", "/healthz", RouteKind::health, "", "GET, OPTIONS"},
             Row{"GET", "/readyz", RouteKind::ready, "", "GET, OPTIONS"},
             Row{"GET", "/", RouteKind::not_found, "", ""},
             Row{"GET", "/cds-servicesX", RouteKind::not_found, "", ""},
             Row{"POST", "/cds-services/x/other", RouteKind::not_found, "", ""},
             Row{"POST", "/cds-services/x/feedback/more", RouteKind::not_found, "", ""},
             Row{"POST", "/cds-services//feedback", RouteKind::not_found, "", ""},
             Row{"POST", "/cds-services/a%20b", RouteKind::not_found, "", ""},
         }) {
      CAPTURE(row.method);
      CAPTURE(row.target);
      const Route matched = route(row.method, row.target);
      CHECK(matched.kind == row.kind);
      CHECK(matched.service_id == row.id);
      CHECK(matched.allow == row.allow);
    }
  }

  TEST_CASE("parse_url: FHIR base URLs -> scheme, host, port, target") {
    auto url = http_client::parse_url("https://ehr.example.org/fhir/r4/Patient/1?x=y#frag");
    REQUIRE(url.has_value());
    CHECK(url->tls);
    CHECK(url->host == "ehr.example.org");
    CHECK(url->port == "443");
    CHECK(url->target == "/fhir/r4/Patient/1?x=y");

    url = http_client::parse_url("http://127.0.0.1:8081");
    REQUIRE(url.has_value());
    CHECK_FALSE(url->tls);
    CHECK(url->port == "8081");
    CHECK(url->target == "/");

    url = http_client::parse_url("http://[::1]:9/fhir");
    REQUIRE(url.has_value());
    CHECK(url->host == "::1");
    CHECK(url->port == "9");

    for (const std::string bad : {"ftp://x", "http://", "http://user:pw@host/", "http://h:99999/",
                                  "http://h:8a/", "http://[::1/"}) {
      CAPTURE(bad);
      CHECK_FALSE(http_client::parse_url(bad).has_value());
    }
  }
}

}  // namespace
