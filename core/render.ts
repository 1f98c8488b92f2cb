import Handlebars from 'handlebars';
import { normaliseSource } from './template-syntax.js';

type Delegate = Handlebars.TemplateDelegate;

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
  private readonly compiled = new Map<string, { subject?: Delegate; html: Delegate; text?: Delegate }>();

  private instanceFor(tenantId: string): typeof Handlebars {
    let instance = this.instances.get(tenantId);
    if (!instance) {
      instance = Handlebars.create();
      this.instances.set(tenantId, instance);
    }
    return instance;
  }

  private compile(tenantId: string, source: TemplateSource) {
    const key = `${tenantId}\u0000${source.cacheKey}`;
    let entry = this.compiled.get(key);
    if (!entry) {
      const hbs = this.instanceFor(tenantId);
      const plain = { noEscape: true, strict: false };
      entry = {
        subject: source.subject ? hbs.compile(normaliseSource(source.subject), plain) : undefined,
        html: hbs.compile(normaliseSource(source.html)),
        text: source.text ? hbs.compile(normaliseSource(source.text), plain) : undefined,
      };
      if (this.compiled.size >= MAX_CACHED) this.compiled.delete(this.compiled.keys().next().value!);
      this.compiled.set(key, entry);
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

/** The tenant's postal address under the message, as CAN-SPAM asks of commercial email. */
export function withFooter(rendered: Rendered, postalAddress: string | undefined): Rendered {
  if (!postalAddress) return rendered;
  return {
    ...rendered,
    html: `${rendered.html}\n<p style="font-size:12px;color:#666">${escapeHtml(postalAddress)}</p>`,
    text: rendered.text === undefined ? undefined : `${rendered.text}\n\n${postalAddress}`,
  };
}
