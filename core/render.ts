import Handlebars from 'handlebars';
import { compileSimple } from './simple-template.js';
import { normaliseSource } from './template-syntax.js';

type Delegate = (vars: Record<string, unknown>) => string;

export interface TemplateSource {
  /** Identifies the compiled form in the cache: template id and version, or a digest of inline content. */
  cacheKey: string;
  subject?: string | null;
  html: string;
  text?: string | null;
}

export interface Rendered {
  subject?: string;
  html: string;
  text?: string;
}

const MAX_CACHED = 5_000;

/**
 * Renders templates with one isolated Handlebars instance per tenant (so one tenant's helpers or
 * partials never reach another's), compiling each template version once. Field values are
 * HTML-escaped in html and left as they are in subject and text.
 */
export class TemplateRenderer {
  private readonly instances = new Map<string, typeof Handlebars>();
  private readonly compiled = new Map<string, Map<string, { subject?: Delegate; html: Delegate; text?: Delegate }>>();
  private compiledCount = 0;

  private instanceFor(tenantId: string): typeof Handlebars {
    let instance = this.instances.get(tenantId);
    if (!instance) {
      instance = Handlebars.create();
      this.instances.set(tenantId, instance);
    }
    return instance;
  }

  private compile(tenantId: string, source: TemplateSource) {
    let forTenant = this.compiled.get(tenantId);
    if (!forTenant) {
      forTenant = new Map();
      this.compiled.set(tenantId, forTenant);
    }
    let entry = forTenant.get(source.cacheKey);
    if (!entry) {
      const hbs = this.instanceFor(tenantId);
      const plain = { noEscape: true, strict: false };
      // Plain-mustache templates take the fast path; anything richer is Handlebars' own.
      const compile = (text: string, escape: boolean) => {
        const normalised = normaliseSource(text);
        return compileSimple(normalised, escape) ?? hbs.compile(normalised, escape ? undefined : plain);
      };
      entry = {
        subject: source.subject ? compile(source.subject, false) : undefined,
        html: compile(source.html, true),
        text: source.text ? compile(source.text, false) : undefined,
      };
      // A crude bound: compiled templates are cheap to rebuild, unbounded growth is not.
      if (++this.compiledCount > MAX_CACHED) {
        this.compiled.clear();
        this.compiledCount = 1;
        this.compiled.set(tenantId, forTenant = new Map());
      }
      forTenant.set(source.cacheKey, entry);
    }
    return entry;
  }

  render(tenantId: string, source: TemplateSource, variables: Record<string, unknown>): Rendered {
    const compiled = this.compile(tenantId, source);
    return {
      subject: compiled.subject?.(variables),
      html: compiled.html(variables),
      text: compiled.text?.(variables),
    };
  }
}

const escapeHtml = (value: string) => Handlebars.Utils.escapeExpression(value);

const footers = new Map<string, string>();
function footerHtml(postalAddress: string): string {
  let html = footers.get(postalAddress);
  if (html === undefined) {
    html = `\n<p style="font-size:12px;color:#666">${escapeHtml(postalAddress)}</p>`;
    if (footers.size >= MAX_CACHED) footers.clear();
    footers.set(postalAddress, html);
  }
  return html;
}

/** The tenant's postal address under the message, as CAN-SPAM asks of commercial email. */
export function withFooter(rendered: Rendered, postalAddress: string | undefined): Rendered {
  if (!postalAddress) return rendered;
  return {
    subject: rendered.subject,
    html: rendered.html + footerHtml(postalAddress),
    text: rendered.text === undefined ? undefined : `${rendered.text}\n\n${postalAddress}`,
  };
}
