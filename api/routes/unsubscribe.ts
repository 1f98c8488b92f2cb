import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { unsubscribe } from '../../core/unsubscribes.js';
import type { ApiDeps } from '../deps.js';

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>` +
  `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>` +
  `<body><h1>${title}</h1><p>${body}</p></body></html>`;

/**
 * `GET` and `POST /u/:token`: the link in every message and the RFC 8058 one-click target of
 * `List-Unsubscribe-Post`. Both suppress at once and answer with a plain page.
 */
export const unsubscribeRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  // Mail clients post one-click unsubscribes as a form; the body carries nothing we need.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) => done(null, {}));
  app.route({
    method: ['GET', 'POST'],
    url: '/u/:token',
    config: { access: 'public' },
    schema: { summary: 'Unsubscribe (link and RFC 8058 one-click)', tags: ['unsubscribe'], params: z.strictObject({ token: z.string().min(1).max(2000) }) },
    handler: async (request, reply) => {
      reply.type('text/html; charset=utf-8');
      try {
        const { claims, tenantName, already } = await unsubscribe(deps.db, request.params.token);
        const who = Handlebars.Utils.escapeExpression(claims.recipient);
        const from = Handlebars.Utils.escapeExpression(tenantName);
        const what = claims.channel === 'mail' ? 'mail' : 'email';
        return page('You are unsubscribed', `${who} ${already ? 'was already' : 'is now'} unsubscribed from ${from}. You will get no more ${what} from them.`);
      } catch (error) {
        reply.status(400);
        return page('This link does not work', Handlebars.Utils.escapeExpression((error as Error).message));
      }
    },
  });
};
