// Cards are written with common::JsonWriter (fast string writing, raw pre-rendered members);
// this adds writing rendered card text.
#pragma once

#include <string_view>

#include "cards/template.hpp"
#include "common/json_write.hpp"

namespace vcf_cds::cards {

using CardWriter = common::JsonWriter;
using common::key_str;
using common::write_string;

// `key` and the rendering of `text`, through this thread's rendered_text_buffer (used up here).
inline void key_rendered(CardWriter& w, std::string_view key, const Template& text,
                         const TemplateData& data) {
  std::string& rendered = rendered_text_buffer();
  text.render_to(data, rendered);
  key_str(w, key, rendered);
}

}  // namespace vcf_cds::cards
