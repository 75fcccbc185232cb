/**
 * The topology page, inline: SVG drawn by a small script from `/snapshot.json`. Nodes sit on a
 * circle in PeerId order (stable as the overlay changes); active links are solid, passive dashed,
 * and the chosen topic's Plumtree eager tree is drawn over them; colour gives the SWIM state and a
 * ring marks nodes with coordinator roles. Side lists name the coordinators and groups. The rate is
 * deliveries per second summed over reporting nodes.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Saorsa Gossip topology</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; background: #f7f7f5; color: #222; }
  header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #ddd; display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: baseline; }
  header span { white-space: nowrap; }
  h1 { font-size: 16px; margin: 0; }
  h2 { font-size: 13px; margin: 12px 0 4px; }
  main { display: flex; flex-wrap: wrap; }
  aside { padding: 0 16px; min-width: 220px; font: 12px ui-monospace, monospace; }
  aside ul { list-style: none; padding: 0; margin: 0; }
  aside li { margin: 2px 0; }
  .alive { fill: #2e8b57; } .suspect { fill: #e69500; } .dead { fill: #c0392b; }
  line.active { stroke: #333; stroke-width: 1.6; } line.passive { stroke: #aaa; stroke-width: 1; stroke-dasharray: 4 4; }
  line.eager { stroke: #1f6feb; stroke-width: 4; stroke-opacity: 0.55; }
  circle.role { fill: none; stroke: #6a3d9a; stroke-width: 2; }
  text { font: 11px ui-monospace, monospace; fill: #333; }
  #legend span { margin-right: 14px; }
  #error { color: #c0392b; }
  #topic { max-width: 220px; }
</style>
</head>
<body>
<header>
  <h1>Saorsa Gossip</h1>
  <span id="count">0 nodes</span>
  <span id="states"></span>
  <span id="rate"></span>
  <label>topic tree <select id="topic"><option value="">(none)</option></select></label>
  <span id="legend"><span>&#9679; alive / suspect / dead</span><span>&#8212; active link</span><span>- - passive link</span><span style="color:#1f6feb">&#9473; eager tree</span><span style="color:#6a3d9a">&#9711; coordinator roles</span></span>
  <span id="error"></span>
</header>
<main>
<svg id="graph" width="900" height="640" viewBox="0 0 900 640" role="img" aria-label="overlay topology"></svg>
<aside>
  <h2>Coordinators</h2><ul id="coordinators"><li>none known</li></ul>
  <h2>Groups</h2><ul id="groups"><li>none</li></ul>
</aside>
</main>
<script>
const NS = 'http://www.w3.org/2000/svg'
let previous
let last
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  parent.appendChild(e)
  return e
}
function list(id, items, empty) {
  const ul = document.getElementById(id)
  ul.replaceChildren()
  for (const text of items.length === 0 ? [empty] : items) {
    const li = document.createElement('li')
    li.textContent = text
    ul.appendChild(li)
  }
}
function chooseTopic(trees) {
  const select = document.getElementById('topic')
  // By default the first topic with a name (topics known only by id are a layer's own, e.g. a group's).
  const named = trees.find((t) => !/^[0-9a-f]{64}$/.test(t.topic)) || trees[0]
  const wanted = select.value || (named ? named.topic : '')
  const names = trees.map((t) => t.topic)
  if ([...select.options].slice(1).map((o) => o.value).join('\\n') !== names.join('\\n')) {
    select.replaceChildren(new Option('(none)', ''), ...names.map((n) => new Option(n, n)))
  }
  select.value = names.includes(wanted) ? wanted : ''
  return trees.find((t) => t.topic === select.value)
}
function draw(s) {
  const svg = document.getElementById('graph')
  svg.replaceChildren()
  const nodes = [...s.nodes].sort((a, b) => (a.id < b.id ? -1 : 1))
  const at = new Map()
  const r = Math.min(280, 60 + nodes.length * 12)
  nodes.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2
    at.set(n.id, [450 + r * Math.cos(angle), 320 + r * Math.sin(angle)])
  })
  const tree = chooseTopic(s.trees || [])
  for (const l of s.links) {
    const a = at.get(l.from), b = at.get(l.to)
    if (a && b) el('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: l.kind }, svg)
  }
  for (const l of tree ? tree.links : []) {
    const a = at.get(l.from), b = at.get(l.to)
    if (a && b) el('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: 'eager' }, svg)
  }
  for (const n of nodes) {
    const [x, y] = at.get(n.id)
    const g = el('g', { 'data-peer': n.id, 'data-state': n.state, 'data-roles': (n.roles || []).join(',') }, svg)
    if (n.roles && n.roles.length > 0) el('circle', { cx: x, cy: y, r: 13, class: 'role' }, g)
    el('circle', { cx: x, cy: y, r: 9, class: n.state }, g)
    const roles = n.roles && n.roles.length > 0 ? ' [' + n.roles.map((role) => role[0]).join('') + ']' : ''
    el('text', { x: x + 15, y: y + 4 }, g).textContent = n.id.slice(0, 8) + roles
  }
  const by = { alive: 0, suspect: 0, dead: 0 }
  for (const n of nodes) by[n.state]++
  document.getElementById('count').textContent = by.alive + by.suspect + ' nodes'
  document.getElementById('states').textContent = by.alive + ' alive, ' + by.suspect + ' suspect, ' + by.dead + ' dead; ' +
    s.links.filter((l) => l.kind === 'active').length + ' active and ' + s.links.filter((l) => l.kind === 'passive').length + ' passive links' +
    (tree ? '; ' + tree.links.length + ' eager links in ' + tree.topic : '')
  list('coordinators', (s.coordinators || []).map((c) => c.peerId.slice(0, 8) + ' ' + c.roles.join(',') + ' (NAT ' + c.nat + ')'), 'none known')
  list('groups', (s.groups || []).map((g) => g.groupId.slice(0, 8) + ' epoch ' + g.epoch + ', ' + g.members.length + ' members'), 'none')
  const delivered = nodes.reduce((sum, n) => sum + (n.delivered || 0), 0)
  if (previous && s.takenAtMs > previous.at) {
    const rate = Math.max(0, delivered - previous.delivered) / ((s.takenAtMs - previous.at) / 1000)
    document.getElementById('rate').textContent = rate.toFixed(1) + ' deliveries/s'
  }
  previous = { at: s.takenAtMs, delivered }
}
async function poll() {
  try {
    const res = await fetch('/snapshot.json', { cache: 'no-store' })
    const body = await res.json()
    if (!res.ok) throw new Error(body.error || res.statusText)
    document.getElementById('error').textContent = ''
    last = body
    draw(body)
  } catch (err) {
    document.getElementById('error').textContent = 'no data: ' + err.message
  }
  setTimeout(poll, 1000)
}
document.getElementById('topic').addEventListener('change', () => { if (last) draw(last) })
poll()
</script>
</body>
</html>
`
