/**
 * The seam through which a registry's requests are paced: the transport asks before every exchange
 * with the registry's own origin (each attempt, each re-authorization), never for a redirect target
 * (a blob's storage URL) or a token server. What a request costs and how fast it may go is the
 * pacer's business (for ECR: `lib/ecr/pushRateQuotas.ts`).
 */

/** An exchange the transport is about to start. */
export interface PacedExchange {
  /** `host[:port]` the request was made to. */
  registry: string;
  method: string;
  url: URL;
  /** The request carries a body (an upload PATCH, a monolithic PUT, a manifest). */
  hasBody: boolean;
}

export interface RequestPacing {
  /** Resolves when the exchange may start; a fired signal ends the wait with `ABORTED`. */
  pace(exchange: PacedExchange, signal?: AbortSignal): Promise<void>;
}
