/** Builds elements from tags, attributes and children. Text always goes in as text nodes, never as HTML. */
export function h(tag: string, attributes: Record<string, string | number | null | undefined> = {}, ...children: Array<Node | string | number | null | undefined | false>): HTMLElement {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined) continue
    // Through the CSSOM: the page's Content-Security-Policy forbids style attributes.
    if (name === 'style') element.style.cssText = String(value)
    else element.setAttribute(name, String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return element
}

/** Replaces the children of the element with id `id`. */
export function fill(id: string, ...children: Array<Node | string | null | false>): HTMLElement {
  const element = document.getElementById(id)!
  element.replaceChildren(...children.filter((child): child is Node | string => child !== null && child !== false))
  return element
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}
