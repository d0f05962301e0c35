/**
 * A real HTTP server on 127.0.0.1 standing in for a Slack incoming webhook: it records every request
 * (with its arrival time) and answers from a script, one answer per request (the last one repeats).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface WebhookAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Drop the connection instead of answering (the client sees the socket close). */
  drop?: boolean;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** `performance.now()` when the request was complete. */
  at: number;
}

export interface WebhookServer {
  /** The webhook URL, with a secret-looking path like Slack's. */
  url: string;
  origin: string;
  received: ReceivedRequest[];
  /** Replaces the script of answers and forgets the requests received so far. */
  answer(...answers: WebhookAnswer[]): void;
  close(): Promise<void>;
}

/**
 * @example
 * const slack = await startWebhookServer({ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: 'ok' });
 */
export async function startWebhookServer(...initial: WebhookAnswer[]): Promise<WebhookServer> {
  let script: WebhookAnswer[] = initial.length > 0 ? initial : [{ status: 200, body: 'ok' }];
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() });
      const answer = script[Math.min(received.length - 1, script.length - 1)] ?? { status: 200, body: 'ok' };
      if (answer.drop) {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX`,
    origin,
    received,
    answer(...answers) {
      script = answers;
      received.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
