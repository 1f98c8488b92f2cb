import Handlebars from 'handlebars';

type Part = string | { path: string[] };

const OWN = Object.prototype.hasOwnProperty;

/** A path's value with the lookup Handlebars itself allows by default: own properties only. */
function lookup(vars: unknown, path: string[]): unknown {
  let value = vars;
  for (const key of path) {
    if (value == null || !OWN.call(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Most email templates are text with plain `{{field}}` or `{{a.b}}` mustaches. For those, this
 * compiles to a list of parts joined per render, giving exactly Handlebars' output without its
 * per-call runtime set-up (helper wrapping, prototype-access control), which costs more than the
 * rendering itself. Anything else (blocks, helpers, partials, `this`, `@data`, `../`) returns
 * undefined and is rendered by Handlebars. Values come from JSON, so there are no lambdas to call.
 */
export function compileSimple(source: string, escape: boolean): ((vars: Record<string, unknown>) => string) | undefined {
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch {
    return undefined;
  }
  const parts: Part[] = [];
  for (const statement of program.body) {
    if (statement.type === 'ContentStatement') {
      parts.push((statement as hbs.AST.ContentStatement).value);
    } else if (statement.type === 'CommentStatement') {
      continue;
    } else if (statement.type === 'MustacheStatement') {
      const m = statement as hbs.AST.MustacheStatement;
      const path = m.path as hbs.AST.PathExpression;
      const simple =
        m.path.type === 'PathExpression' && !m.params.length && !m.hash && !path.data && path.depth === 0 &&
        path.parts.length > 0 && !/^this\b|^\.\//.test(path.original) && path.parts.every((p) => p !== '__proto__' && p !== 'constructor');
      if (!simple) return undefined;
      // {{{x}}} and {{&x}} never escape; with escaping off nothing does.
      parts.push(escape && m.escaped ? { path: path.parts } : { path: [...path.parts, '\u0000raw'] });
    } else {
      return undefined;
    }
  }
  const compiled = parts.map((part) => {
    if (typeof part === 'string') return part;
    const raw = part.path[part.path.length - 1] === '\u0000raw';
    return { path: raw ? part.path.slice(0, -1) : part.path, escape: !raw };
  });
  return (vars) => {
    let out = '';
    for (const part of compiled) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = lookup(vars, part.path);
      if (part.escape) out += Handlebars.Utils.escapeExpression(value as string);
      else if (value != null) out += value;
    }
    return out;
  };
}
