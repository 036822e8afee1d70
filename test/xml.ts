// A strict parser for the XML subset descent's SVG pictures use (elements, double-quoted
// attributes, text, the five predefined entities; no comments or CDATA), shared by the
// picture tests: it throws on mismatched or unclosed tags, a bare '<' or '&', a repeated
// attribute, a second root or text outside it, so a test that parses a picture also checks
// that it is well-formed XML.

export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

/**
 * Strict parser for the XML the pictures use (elements, double-quoted attributes, text, the
 * five predefined entities): throws on mismatched or unclosed tags, bare '<' or '&', a second
 * root or text outside it. Returns the root element.
 */
export function parseXml(xml: string): XmlElement {
  const bareAmp = /&(?!(amp|lt|gt|quot|#39);)/;
  const doc: XmlElement = { name: '#doc', attrs: {}, children: [], text: '' };
  const open: XmlElement[] = [doc];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (bareAmp.test(text)) throw new Error(`bare & near ${text.slice(0, 30)}`);
    if (open.length === 1 && text.trim()) throw new Error(`text outside the root: ${text.slice(0, 30)}`);
    open[open.length - 1].text += text;
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) throw new Error(`malformed tag at ${lt}: ${xml.slice(lt, lt + 40)}`);
    const [, close, name, attrText, self] = m;
    if (close) {
      const top = open.pop()!;
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrText.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (a[1] in attrs) throw new Error(`attribute ${a[1]} twice on <${name}>`);
        if (bareAmp.test(a[2])) throw new Error(`bare & in attribute ${a[1]}`);
        attrs[a[1]] = a[2];
      }
      const el: XmlElement = { name, attrs, children: [], text: '' };
      if (open.length === 1 && doc.children.length) throw new Error('two root elements');
      open[open.length - 1].children.push(el);
      if (!self) open.push(el);
    }
    i = tag.lastIndex;
  }
  if (open.length !== 1) throw new Error(`unclosed <${open[open.length - 1].name}>`);
  return doc.children[0];
}

export const descendants = (e: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] => {
  for (const c of e.children) {
    if (pred(c)) out.push(c);
    descendants(c, pred, out);
  }
  return out;
};
export const textOf = (e: XmlElement): string => e.text + e.children.map(textOf).join('');

