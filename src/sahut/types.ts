import type { AttrValue } from '../domain/index.ts';

/** A contact as Sahut returns it (after zod parsing; unknown extra fields dropped). */
export interface SahutContact {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  company: string | null;
  tags: string[];
  custom_attributes: Record<string, AttrValue>;
  created_at: string;
}

export interface ContactInput {
  name: string;
  phone?: string | null;
  email?: string | null;
  company?: string | null;
  tags?: string[];
  custom_attributes?: Record<string, AttrValue>;
}
export type ContactPatch = Partial<ContactInput>;

export interface ListParams {
  q?: string;
  tag?: string;
  page?: number;
  perPage?: number;
}
export interface ListMeta {
  total: number;
  page: number;
  per_page: number;
  total_pages: number;
}
export interface ListPage {
  data: SahutContact[];
  meta: ListMeta;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Called as the request leaves, once it has its rate slot (each attempt): what a caller times a window by. */
  onSend?: () => void;
}

/** What the rest of the code may ask of Sahut; callers depend on `Pick<>` slices of it. */
export interface SahutApi {
  list(params: ListParams, opts?: CallOptions): Promise<ListPage>;
  /** Every contact matching `params`, page by page (perPage defaults to 100). */
  iterate(params?: Omit<ListParams, 'page'>, opts?: CallOptions): AsyncIterable<SahutContact>;
  /** `null` when Sahut answers 404. */
  get(id: string, opts?: CallOptions): Promise<SahutContact | null>;
  create(body: ContactInput, opts?: CallOptions): Promise<SahutContact>;
  update(id: string, patch: ContactPatch, opts?: CallOptions): Promise<SahutContact>;
}

/** One HTTP exchange, reported for metrics and tests. */
export interface RequestEvent {
  method: string;
  /** Route template, e.g. `GET /contacts/:id`. */
  route: string;
  status: number | null;
  durationMs: number;
  attempt: number;
  error?: string;
  /** Of the response: `date`, `retry-after` and rate-limit headers (what `doctor` reports); never others. */
  headers?: Record<string, string>;
}
