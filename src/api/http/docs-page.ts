/**
 * `/docs`: the OpenAPI document rendered as one static HTML page, generated on the server with no
 * script and no external asset, because Warden often runs where there is no internet.
 */

interface OperationLike {
  summary?: string;
  description?: string;
  security?: unknown[];
  requestBody?: unknown;
  parameters?: unknown[];
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

export interface OpenApiLike {
  info: { title: string; version: string; description?: string };
  paths?: object;
  components?: { schemas?: object };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function renderDocsPage(doc: OpenApiLike): string {
  const ops: string[] = [];
  const index: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, Record<string, unknown>][]) {
    for (const method of METHODS) {
      const op = item[method] as OperationLike | undefined;
      if (!op) continue;
      const id = anchor(`${method} ${path}`);
      index.push(`<li><a href="#${id}"><code>${method.toUpperCase()} ${esc(path)}</code></a> ${esc(op.summary ?? '')}</li>`);
      ops.push(renderOperation(id, method, path, op));
    }
  }
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, unknown>).map(
    ([name, schema]) => `<section id="schema-${anchor(name)}"><h3>${esc(name)}</h3>${json(schema)}</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f5f5f5;padding:.6rem;overflow:auto;border-radius:4px}
section{border-top:1px solid #ddd;padding-top:.5rem}.m{font-weight:bold;color:#fff;background:#36c;padding:0 .4rem;border-radius:3px}
.get{background:#393}.lock{color:#a60}
</style></head><body>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${prose(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Routes marked <span class="lock">key</span> need
<code>Authorization: Bearer &lt;key&gt;</code> when the server has a preshared key.</p>
<h2>Routes</h2><ul>${index.join('\n')}</ul>
${ops.join('\n')}
<h2>Schemas</h2>
${schemas.join('\n')}
</body></html>
`;
}

function renderOperation(id: string, method: string, path: string, op: OperationLike): string {
  const parts = [
    `<section id="${id}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> ${esc(op.summary ?? '')}${
      op.security?.length ? ' <span class="lock">key</span>' : ''
    }</h3>`,
    `<p>${prose(op.description ?? '')}</p>`,
  ];
  if (op.parameters?.length) parts.push(`<h4>Parameters</h4>${json(op.parameters)}`);
  if (op.requestBody) parts.push(`<h4>Request body</h4>${json(op.requestBody)}`);
  const responses = Object.entries(op.responses ?? {});
  const ok = responses.filter(([status]) => status.startsWith('2'));
  for (const [status, res] of ok) parts.push(`<h4>${esc(status)} ${esc(res.description ?? '')}</h4>${json(res.content ?? {})}`);
  const errors = responses.filter(([status]) => !status.startsWith('2')).map(([status, res]) => `<li>${esc(status)}: ${prose(res.description ?? '')}</li>`);
  if (errors.length) parts.push(`<h4>Errors</h4><ul>${errors.join('')}</ul>`);
  parts.push('</section>');
  return parts.join('\n');
}

/** Pretty JSON with every `$ref` to a schema turned into a link to it. */
function json(value: unknown): string {
  const text = esc(JSON.stringify(value, null, 2));
  return `<pre>${text.replace(
    /&quot;#\/components\/schemas\/([^&]+)&quot;/g,
    (_m, name: string) => `<a href="#schema-${anchor(name)}">&quot;${name}&quot;</a>`,
  )}</pre>`;
}

/** Descriptions use markdown's backticks for code; that is all of markdown they use. */
function prose(s: string): string {
  return esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function anchor(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
