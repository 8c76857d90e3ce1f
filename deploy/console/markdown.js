// Card details rendered by markdown-it (CommonMark, with GFM tables and strikethrough): Debian's
// libjs-markdown-it, which the server serves as lib/markdown-it.js from where the package
// installed it. The input is untrusted: raw HTML is off (shown as text), images are off, and
// only http(s) and mailto links become <a> elements, opened in a new tab without a referrer.
// Headings start at <h3>, below the page's and the card's own. Returns an HTML string.
import './lib/markdown-it.js'; // a UMD bundle, not an ES module: it sets globalThis.markdownit

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

const md = globalThis.markdownit({ html: false }).disable('image');
md.validateLink = (url) => SAFE_URL.test(url);
md.core.ruler.push('card_headings', (state) => {
  for (const token of state.tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') {
      token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
    }
  }
});
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i].attrSet('rel', 'noopener noreferrer');
  tokens[i].attrSet('target', '_blank');
  return self.renderToken(tokens, i, options);
};

export function renderMarkdown(markdown) {
  return md.render(String(markdown ?? ''));
}
