import { XMLParser } from 'fast-xml-parser';

/** An XML element with its children in document order (prefixes kept, as the documents write them). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
  if (!name) return undefined;
  const content = node[name] as OrderedNode[];
  const attributes = Object.fromEntries(Object.entries(node[':@'] ?? {}).map(([key, value]) => [key.replace(/^@_/, ''), String(value)]));
  const children = content.map(toElement).filter((child): child is XmlElement => child !== undefined);
  const text = content
    .filter((child) => '#text' in child)
    .map((child) => String(child['#text']))
    .join('');
  return { name, attributes, children, text };
}

export function parseXmlTree(xml: string): XmlElement {
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, parseTagValue: false, parseAttributeValue: false, trimValues: true });
  const nodes = parser.parse(xml) as OrderedNode[];
  const root = nodes.map(toElement).find((element) => element !== undefined && element.name !== '?xml');
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element at the end of a path of child names ('cac:Party/cbc:EndpointID'). */
export function all(element: XmlElement, path: string): XmlElement[] {
  let current = [element];
  for (const step of path.split('/')) current = current.flatMap((node) => node.children.filter((child) => child.name === step));
  return current;
}

/** The text of the one element at `path`; undefined when there is none, an error when there are several. */
export function text(element: XmlElement, path: string): string | undefined {
  const found = all(element, path);
  if (found.length > 1) throw new Error(`${path} occurs ${found.length} times`);
  return found[0]?.text;
}
