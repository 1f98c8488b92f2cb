import Handlebars from 'handlebars';
import { badRequest } from './errors.js';

// Jison's default parseError drops the location; keep it so a bad template is reported by line and column.
const parser = (Handlebars as unknown as { Parser: { parseError: (message: string, hash: unknown) => never } }).Parser;
parser.parseError = (message: string, hash: unknown) => {
  const error = new Error(message) as Error & { hash?: unknown };
  error.hash = hash;
  throw error;
};

/** `<<unsubscribe>>` (the mail-merge spelling) is the same variable as `{{unsubscribe}}`. */
export const normaliseSource = (source: string) => source.replace(/<<\s*unsubscribe\s*>>/gi, '{{unsubscribe}}');

export interface SyntaxProblem {
  field: string;
  line: number;
  column: number;
  message: string;
}

function locate(error: unknown): { line: number; column: number; message: string } {
  const e = error as { message?: string; hash?: { loc?: { last_line: number; last_column: number }; expected?: string[]; token?: string }; lineNumber?: number; column?: number };
  const first = (e.message ?? 'invalid template').split('\n');
  if (e.hash?.loc) {
    const expected = e.hash.expected?.length ? `; expected ${e.hash.expected.slice(0, 4).join(', ')}` : '';
    return { line: e.hash.loc.last_line, column: e.hash.loc.last_column + 1, message: `unexpected ${e.hash.token ?? 'input'}${expected}` };
  }
  return { line: e.lineNumber ?? 1, column: (e.column ?? 0) + 1, message: first[0]!.replace(/ - \d+:\d+$/, '') };
}

/** Variables a template reads (helpers and `this` left out), in first-use order. */
function variablesOf(program: hbs.AST.Program): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; original?: string; data?: boolean; path?: unknown; params?: unknown[]; hash?: { pairs?: Array<{ value: unknown }> } };
    if (n.type === 'PathExpression') {
      if (!n.data && n.original && n.original !== 'this' && !n.original.startsWith('this.') && !n.original.startsWith('../')) found.add(n.original);
      return;
    }
    if (n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') {
      const isHelperCall = (n.params?.length ?? 0) > 0 || (n.hash?.pairs?.length ?? 0) > 0;
      if (!isHelperCall) visit(n.path);
      n.params?.forEach(visit);
      n.hash?.pairs?.forEach((pair) => visit(pair.value));
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'path' || key === 'params' || key === 'hash' || key === 'loc') continue;
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  };
  visit(program);
  return [...found];
}

/**
 * Checks the parts of a template compile, naming the part, line and column of the first problem,
 * and lists the variables they use.
 */
export function checkTemplate(parts: Record<string, string | undefined>): { variables: string[] } {
  const variables = new Set<string>();
  const problems: SyntaxProblem[] = [];
  for (const [field, source] of Object.entries(parts)) {
    if (source === undefined) continue;
    try {
      const program = Handlebars.parse(normaliseSource(source));
      // parse() accepts some templates that compile() rejects (mismatched block names).
      Handlebars.precompile(program);
      variablesOf(program).forEach((v) => variables.add(v));
    } catch (error) {
      problems.push({ field, ...locate(error) });
    }
  }
  if (problems.length) {
    const first = problems[0]!;
    throw badRequest(
      `body.${first.field}: bad Handlebars syntax at line ${first.line}, column ${first.column}: ${first.message}`,
      problems.map((p) => ({ field: `body.${p.field}`, line: p.line, column: p.column, message: p.message })),
    );
  }
  return { variables: [...variables] };
}
