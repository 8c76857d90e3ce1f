#include "common/json_text.hpp"

namespace vcf_cds::common {
namespace {

// A std::string as room: the text is written past its size, which grows (zero-filled) as needed
// and is cut back to what was written at the end.
struct StringRoom {
  std::string& text;
  char* end;
  char* grow(char* at, std::size_t need) {
    const std::size_t used = static_cast<std::size_t>(at - text.data());
    text.resize(std::max(text.size(), used + need));
    end = text.data() + text.size();
    return text.data() + used;
  }
};

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  const std::size_t at = out.size();
  out.resize(at + text.size() + text.size() / 8 + 24);  // enough unless dense with specials
  StringRoom room{out, out.data() + out.size()};
  char* end = out.data() + at;
  *end++ = '"';
  end = write_json_escaped(text, end, room);
  if (room.end == end) end = room.grow(end, 1);
  *end++ = '"';
  out.resize(static_cast<std::size_t>(end - out.data()));
}

}  // namespace vcf_cds::common
