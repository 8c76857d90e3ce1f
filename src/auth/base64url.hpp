// Strict base64url (RFC 4648 §5) as JWS compact serialisation uses it (RFC 7515 §2): no padding,
// no whitespace, and the unused low bits of the last character must be zero, so every byte string
// has exactly one accepted encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vcf_cds::auth {

// nullopt on any character outside [A-Za-z0-9_-], on '=', or on an impossible or non-canonical
// length/tail.
std::optional<std::string> decode_base64url(std::string_view text);

}  // namespace vcf_cds::auth
