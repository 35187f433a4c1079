import type { Exposures, FlagExposure } from './exposures.js';
import { MAX_ERROR_MESSAGE_LENGTH } from './limits.js';

export type Platform = 'WEB' | 'IOS' | 'ANDROID' | 'DESKTOP' | 'BACKEND' | 'OTHER';
export type SyncKind = 'FULL' | 'INCREMENTAL' | 'PUSH' | 'PULL' | 'OTHER';

/** The fields SyncEvent and UploadEvent share; what is left out is filled in by the client. */
export interface EventFields {
  success: boolean;
  /** Milliseconds; a fraction (a difference of `performance.now()` readings) is rounded, as the events hold whole ones. */
  durationMs: number;
  eventId?: string;
  /** Epoch milliseconds or a Date; default: now. */
  eventTime?: number | Date;
  clientId?: string;
  /** The targeting key the app evaluates flags with; default: the client's `userId` option. */
  userId?: string;
  sessionId?: string;
  platform?: Platform;
  appVersion?: string;
  /**
   * Evaluation context attributes besides the targeting key, platform and app version (e.g. `country`), as the app
   * passes them to flag evaluation; merged over the client's `context` option. metrics-ingest evaluates the flags'
   * rules on them for events without exposures.
   */
  context?: Record<string, string | number | boolean>;
  /** Default: what the exposure hook recorded for the event's user. */
  exposures?: FlagExposure[];
  table?: string;
  errorCode?: string;
  errorMessage?: string;
  storageUsedBytes?: number;
  storageQuotaBytes?: number;
  pendingMutations?: number;
  failedMutations?: number;
  syncQueueLength?: number;
}

export interface SyncFields extends EventFields {
  syncKind?: SyncKind;
  recordsSynced?: number;
}

export interface UploadFields extends EventFields {
  bytes?: number;
  quotaExceeded?: boolean;
}

/** One event as `POST /api/telemetry` takes it. */
export type TelemetryEvent =
  | (Omit<SyncFields, 'eventTime'> & { type: 'sync'; eventId: string; eventTime: number; clientId: string })
  | (Omit<UploadFields, 'eventTime'> & { type: 'upload'; eventId: string; eventTime: number; clientId: string });

/** What the client tells the app about events it could not deliver and about its retries. */
export interface TelemetryListener {
  /** metrics-ingest refused the event for good (`code` as in its answer, or `HTTP_<status>` for the whole batch). */
  onRejected?(event: TelemetryEvent, code: string, reason: string): void;
  /** The offline queue was full: the oldest event was dropped. */
  onDropped?(event: TelemetryEvent): void;
  /** A batch will be sent again after `delayMs`. */
  onRetry?(attempt: number, delayMs: number, reason: string): void;
  /** Flags were evaluated, but for other targeting keys than this event's user (see `keyMismatch`). */
  onKeyMismatch?(event: TelemetryEvent, evaluatedSubjects: number): void;
}

export interface TelemetryOptions {
  /** metrics-ingest's base URL, e.g. `https://ingest.example.com`. */
  url: string;
  /** A producer token (`ROLLGUARD_PRODUCER_TOKEN`): it may post telemetry and nothing else. */
  producerToken: string;
  /** Stable id of this installation; default: one generated once and kept in `storage`. */
  clientId?: string;
  /** The targeting key flags are evaluated with, used for events that name no user. */
  userId?: string;
  sessionId?: string;
  platform?: Platform;
  appVersion?: string;
  /** Context attributes added to every event (the event's own `context` wins), e.g. `{ country: 'FR' }`. */
  context?: Record<string, string | number | boolean>;
  /** Where the exposure hook records; their variants are attached to the events of the same user. */
  exposures?: Exposures;
  /**
   * What to do with an event whose user has no exposures while other keys have some (the app evaluates with one key
   * and reports another, so metrics-ingest would bucket the user itself and could put the event in the wrong
   * cohort): `warn` (default: sent, counted, `console.warn` once), `refuse` (`KeyMismatchError`, not sent), `ignore`.
   */
  keyMismatch?: 'warn' | 'refuse' | 'ignore';
  /** Events per request, at most 1000 (metrics-ingest's limit). Default 50. */
  batchSize?: number;
  /** How long the first event of a batch waits for others. Default 1000 ms. */
  lingerMs?: number;
  /** The offline queue's bound; when full, the oldest event is dropped. Default 1000. */
  maxQueuedEvents?: number;
  /** Backoff between retries of a batch: doubles from the first to the last, ±20 % jitter. Default 500 ms, 30 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Where the queue survives a reload (`localStorage` by default when there is one); `null` keeps it in memory. */
  storage?: Storage | null;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  listener?: TelemetryListener;
}

export interface TelemetryStats {
  sent: number;
  rejected: number;
  dropped: number;
  retries: number;
  queued: number;
  keyMismatches: number;
}

/** Thrown by `sync`/`upload` under `keyMismatch: 'refuse'`. */
export class KeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyMismatchError';
  }
}

const STORAGE_PREFIX = 'rollguard.telemetry.queue.';
const CLIENT_ID_KEY = 'rollguard.telemetry.clientId';
/** Browsers allow 64 KiB of keep-alive request bodies in flight; a page being hidden sends at most this much. */
const KEEPALIVE_BYTES = 60_000;

/**
 * Sends sync and upload events to metrics-ingest's `POST /api/telemetry` with the exposures the app served attached:
 * in batches, again with the same event ids after a failure that may pass (metrics-ingest counts an id once), from a
 * bounded queue that survives offline periods and reloads, and with `fetch(..., {keepalive: true})` when the page is
 * hidden or unloaded. `navigator.sendBeacon` is not used: it cannot send the producer token's `Authorization` header.
 */
export class TelemetryClient {
  readonly clientId: string;
  private readonly options: Required<
    Pick<
      TelemetryOptions,
      'batchSize' | 'lingerMs' | 'maxQueuedEvents' | 'initialBackoffMs' | 'maxBackoffMs' | 'keyMismatch'
    >
  >;
  private readonly endpoint: string;
  private readonly storage: Storage | null;
  private readonly storageKey: string;
  private readonly fetchFn: typeof fetch;
  private queue: TelemetryEvent[] = [];
  private inFlight: TelemetryEvent[] | null = null;
  /** Whether the request in flight was sent with keepalive, which the browser does not abort when the page goes. */
  private inFlightKeepalive = false;
  /** Requests started; only the latest one's answer is the batch in flight's (see {@link onHidden}). */
  private requests = 0;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private splitSize: number;
  /** The targeting key of events that name none ({@link setUserId}). */
  private userId: string | undefined;
  private warned = false;
  /** HTTP statuses of refused batches already said on the console. */
  private readonly refusals = new Set<number>();
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly counts = { sent: 0, rejected: 0, dropped: 0, retries: 0, keyMismatches: 0 };
  private readonly detach: Array<() => void> = [];

  constructor(private readonly settings: TelemetryOptions) {
    if (!settings.url) throw new TypeError('url is required');
    if (!settings.producerToken) throw new TypeError('producerToken is required');
    this.options = {
      batchSize: settings.batchSize ?? 50,
      lingerMs: settings.lingerMs ?? 1000,
      maxQueuedEvents: settings.maxQueuedEvents ?? 1000,
      initialBackoffMs: settings.initialBackoffMs ?? 500,
      maxBackoffMs: settings.maxBackoffMs ?? 30_000,
      keyMismatch: settings.keyMismatch ?? 'warn',
    };
    if (!(this.options.batchSize >= 1 && this.options.batchSize <= 1000)) {
      throw new RangeError('batchSize must be 1..1000');
    }
    if (!(this.options.maxQueuedEvents >= this.options.batchSize)) {
      throw new RangeError('maxQueuedEvents must be at least batchSize');
    }
    this.splitSize = this.options.batchSize;
    this.endpoint = settings.url.replace(/\/+$/, '') + '/api/telemetry';
    this.storage = settings.storage !== undefined ? settings.storage : defaultStorage();
    this.fetchFn = settings.fetch ?? globalThis.fetch.bind(globalThis);
    this.clientId = settings.clientId ?? this.storedClientId();
    this.userId = settings.userId;
    this.storageKey = STORAGE_PREFIX + uuid();
    this.adoptStoredQueues();
    this.listenToThePage();
    if (this.queue.length > 0) {
      this.schedule(0);
    }
  }

  /**
   * The user of the events queued from now on that name none: call it whenever the page changes the targeting key it
   * evaluates flags with (a login, a logout: `undefined` falls back to the client id), beside
   * `OpenFeature.setContext`, so the events carry the new user's exposures, not the previous one's.
   */
  setUserId(userId: string | undefined): void {
    this.userId = userId;
  }

  /** Queues a sync event; returns its event id. */
  sync(fields: SyncFields): string {
    return this.enqueue({ ...fields, type: 'sync' });
  }

  /** Queues an upload event; returns its event id. */
  upload(fields: UploadFields): string {
    return this.enqueue({ ...fields, type: 'upload' });
  }

  /** Sends what is queued now (unless a retry is waiting for its backoff); true once nothing is left, false on timeout. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.retryTimer === null) {
      this.schedule(0);
    }
    return this.idle(timeoutMs);
  }

  stats(): TelemetryStats {
    return { ...this.counts, queued: this.queue.length + (this.inFlight?.length ?? 0) };
  }

  /** Flushes, then stops listening to the page; what could not be sent stays in storage for the next page. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    const done = await this.flush(timeoutMs);
    this.closed = true;
    this.clearTimers();
    this.detach.forEach((off) => off());
    this.persist();
    return done;
  }

  private enqueue(fields: (SyncFields & { type: 'sync' }) | (UploadFields & { type: 'upload' })): string {
    if (this.closed) throw new Error('the telemetry client is closed');
    const time = fields.eventTime instanceof Date ? fields.eventTime.getTime() : (fields.eventTime ?? Date.now());
    const event = {
      ...fields,
      // The events hold whole milliseconds: metrics-ingest refuses a fraction (INVALID_FIELD).
      durationMs: Math.round(fields.durationMs),
      eventId: fields.eventId ?? uuid(),
      eventTime: Math.round(time),
      clientId: fields.clientId ?? this.clientId,
      userId: fields.userId ?? this.userId,
      sessionId: fields.sessionId ?? this.settings.sessionId,
      platform: fields.platform ?? this.settings.platform ?? 'WEB',
      appVersion: fields.appVersion ?? this.settings.appVersion,
      context:
        fields.context === undefined && this.settings.context === undefined
          ? undefined
          : { ...this.settings.context, ...fields.context },
    } as TelemetryEvent;
    if (event.errorMessage !== undefined) {
      event.errorMessage = cleanMessage(event.errorMessage);
    }
    if (event.exposures === undefined && this.settings.exposures) {
      this.attachExposures(event, this.settings.exposures);
    }
    this.queue.push(event);
    this.trim();
    this.persist();
    if (this.inFlight === null && this.retryTimer === null) {
      this.schedule(this.queue.length >= this.splitSize ? 0 : this.options.lingerMs);
    }
    return event.eventId;
  }

  private attachExposures(event: TelemetryEvent, exposures: Exposures): void {
    const subject = event.userId ?? event.clientId;
    const served = exposures.of(subject);
    if (served.length === 0 && exposures.size > 0 && this.options.keyMismatch !== 'ignore') {
      this.counts.keyMismatches++;
      this.settings.listener?.onKeyMismatch?.(event, exposures.size);
      const message =
        `Rollguard telemetry: flags were evaluated for ${exposures.size} targeting key(s), none of them this ` +
        `event's ${event.userId !== undefined ? 'userId' : 'clientId (no userId set)'}; metrics-ingest would ` +
        'bucket it by itself and may count it in another cohort than the app was served. Send the targeting key ' +
        'you evaluate with as userId.';
      if (this.options.keyMismatch === 'refuse') {
        throw new KeyMismatchError(message);
      }
      if (!this.warned) {
        this.warned = true;
        console.warn(message);
      }
    }
    if (served.length > 0) {
      event.exposures = served;
    }
  }

  /** Drops the oldest queued events beyond the bound (events in flight are not in the queue). */
  private trim(): void {
    const room = this.options.maxQueuedEvents - (this.inFlight?.length ?? 0);
    while (this.queue.length > Math.max(room, 0)) {
      const dropped = this.queue.shift() as TelemetryEvent;
      this.counts.dropped++;
      this.settings.listener?.onDropped?.(dropped);
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.inFlight !== null) return;
    if (this.lingerTimer !== null) {
      if (delayMs > 0) return; // already waiting for the batch to fill
      clearTimeout(this.lingerTimer);
    }
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      void this.send(false);
    }, delayMs);
  }

  private async send(keepalive: boolean): Promise<void> {
    if (this.closed || this.inFlight !== null || this.queue.length === 0) {
      this.notify();
      return;
    }
    let size = Math.min(this.splitSize, this.queue.length);
    let body = JSON.stringify({ events: this.queue.slice(0, size) });
    while (keepalive && size > 1 && utf8Length(body) > KEEPALIVE_BYTES) {
      size = Math.ceil(size / 2);
      body = JSON.stringify({ events: this.queue.slice(0, size) });
    }
    const batch = this.queue.splice(0, size);
    this.inFlight = batch;
    this.inFlightKeepalive = keepalive;
    const request = ++this.requests;
    /** False once the batch went again in a later request, whose answer is the one that counts. */
    const current = () => request === this.requests;
    let response: Response;
    try {
      response = await this.fetchFn(this.endpoint, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.settings.producerToken}`, 'Content-Type': 'application/json' },
        body,
        keepalive,
        credentials: 'omit',
      });
    } catch (error) {
      if (current()) this.retryLater(batch, `unreachable: ${String(error)}`, 0);
      return;
    }
    if (!current()) return;
    if (response.ok) {
      const answer = await readJson(response);
      if (!current()) return;
      const rejected = Array.isArray(answer?.rejected) ? answer.rejected : [];
      for (const r of rejected) {
        const event = batch[r?.index];
        if (event) {
          this.counts.rejected++;
          this.settings.listener?.onRejected?.(event, String(r.code), String(r.reason ?? ''));
        }
      }
      this.counts.sent += batch.length - rejected.filter((r: { index: number }) => batch[r?.index]).length;
      this.delivered();
    } else if (response.status === 413 && batch.length > 1) {
      // Over the body limit: send it in halves, at once.
      this.queue.unshift(...batch);
      this.inFlight = null;
      this.splitSize = Math.max(1, Math.floor(batch.length / 2));
      this.schedule(0);
    } else if ([408, 425, 429].includes(response.status) || response.status >= 500) {
      const retryAfter = Number(response.headers.get('Retry-After'));
      this.retryLater(batch, `HTTP ${response.status}`, Number.isFinite(retryAfter) ? retryAfter * 1000 : 0);
    } else {
      const answer = await readJson(response);
      if (!current()) return;
      const code = typeof answer?.code === 'string' ? answer.code : `HTTP_${response.status}`;
      const reason = typeof answer?.message === 'string' ? answer.message : `HTTP ${response.status}`;
      if (!this.refusals.has(response.status)) {
        // A revoked token or a wrong URL refuses every batch: said once, not left to a listener the app may not have.
        this.refusals.add(response.status);
        console.warn(
          `Rollguard telemetry: ${this.endpoint} refused a batch of ${batch.length} event(s) with HTTP ` +
            `${response.status} ${code}: ${reason}. They are not sent again (onRejected has each).`,
        );
      }
      for (const event of batch) {
        this.counts.rejected++;
        this.settings.listener?.onRejected?.(event, code, reason);
      }
      this.delivered();
    }
  }

  /** The batch in flight is done with (sent or refused for good). */
  private delivered(): void {
    this.inFlight = null;
    this.attempt = 0;
    this.splitSize = this.options.batchSize;
    this.persist();
    if (this.queue.length > 0) {
      this.schedule(0); // these have waited already
    }
    this.notify();
  }

  private retryLater(batch: TelemetryEvent[], reason: string, atLeastMs: number): void {
    this.queue.unshift(...batch);
    this.inFlight = null;
    this.trim();
    this.persist();
    if (this.closed) {
      // Closed while this batch was in flight: it stays in storage for the next page, and nothing is scheduled.
      this.notify();
      return;
    }
    this.attempt++;
    this.counts.retries++;
    const base = Math.min(
      this.options.maxBackoffMs,
      this.options.initialBackoffMs * 2 ** Math.min(this.attempt - 1, 30),
    );
    const delay = Math.max(atLeastMs, Math.round(base * (0.8 + 0.4 * Math.random())));
    this.settings.listener?.onRetry?.(this.attempt, delay, reason);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.send(false);
    }, delay);
    this.notify();
  }

  private idle(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.queue.length === 0 && this.inFlight === null) {
          finish(true);
        }
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (done: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(done);
      };
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    [...this.waiters].forEach((check) => check());
  }

  private clearTimers(): void {
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.lingerTimer = null;
    this.retryTimer = null;
  }

  /**
   * The page is going away (`leaving`, on `pagehide`) or hidden: what is queued goes out with keepalive, and is kept in
   * storage meanwhile. A page that goes away has its requests in flight aborted by the browser, unless they were sent
   * with keepalive: such a batch goes again with keepalive, at the head of what is sent (metrics-ingest counts an
   * event id once, so a batch that did arrive is not counted twice), and the first request's answer, should it still
   * come (the page kept in the back/forward cache), is ignored.
   */
  private onHidden(leaving: boolean): void {
    if (leaving && this.inFlight !== null && !this.inFlightKeepalive) {
      this.queue.unshift(...this.inFlight);
      this.inFlight = null;
      this.requests++;
    }
    this.persist();
    if (this.queue.length === 0 || this.inFlight !== null) return;
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    void this.send(true);
  }

  private listenToThePage(): void {
    const w = globalThis as unknown as Partial<Window>;
    if (typeof w.addEventListener !== 'function') return;
    const hidden = () => this.onHidden(true);
    const visibility = () => {
      if (w.document?.visibilityState === 'hidden') this.onHidden(false);
    };
    const online = () => {
      if (this.retryTimer !== null) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        void this.send(false);
      }
    };
    w.addEventListener('pagehide', hidden);
    w.addEventListener('online', online);
    w.document?.addEventListener('visibilitychange', visibility);
    this.detach.push(() => {
      w.removeEventListener?.('pagehide', hidden);
      w.removeEventListener?.('online', online);
      w.document?.removeEventListener('visibilitychange', visibility);
    });
  }

  /** Keeps the queue (and the batch in flight, which may not arrive) where the next page finds it. */
  private persist(): void {
    if (!this.storage) return;
    const events = [...(this.inFlight ?? []), ...this.queue];
    try {
      if (events.length === 0) {
        this.storage.removeItem(this.storageKey);
      } else {
        this.storage.setItem(this.storageKey, JSON.stringify(events));
      }
    } catch {
      // Storage full or denied: the queue still lives in memory.
    }
  }

  /**
   * Takes over the queues earlier pages left behind (this page's own key is new). Another tab that is still open may
   * send some of them too: each event keeps its id, so metrics-ingest counts it once.
   */
  private adoptStoredQueues(): void {
    if (!this.storage) return;
    try {
      const keys: string[] = [];
      for (let i = 0; i < this.storage.length; i++) {
        const key = this.storage.key(i);
        if (key?.startsWith(STORAGE_PREFIX)) keys.push(key);
      }
      for (const key of keys) {
        const stored = JSON.parse(this.storage.getItem(key) ?? '[]');
        this.storage.removeItem(key);
        if (Array.isArray(stored)) {
          this.queue.push(...stored.filter(isEvent));
        }
      }
      this.queue.sort((a, b) => a.eventTime - b.eventTime);
      this.trim();
      this.persist();
    } catch {
      // Unreadable storage: start with an empty queue.
    }
  }

  private storedClientId(): string {
    try {
      const known = this.storage?.getItem(CLIENT_ID_KEY);
      if (known) return known;
      const made = uuid();
      this.storage?.setItem(CLIENT_ID_KEY, made);
      return made;
    } catch {
      return uuid();
    }
  }
}

/** The length of a text once sent: UTF-8 bytes, which the browser's keep-alive limit counts. */
function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * An error message as metrics-ingest takes it: CR and CRLF become LF, any other control character but TAB and LF (and
 * a lone surrogate) a space, and at most 2048 characters, so a failure event is never refused for its message.
 */
function cleanMessage(message: string): string {
  const text = String(message)
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, ' ')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, ' ');
  if (text.length <= MAX_ERROR_MESSAGE_LENGTH) return text;
  // Not cut between the two halves of a surrogate pair.
  const max = MAX_ERROR_MESSAGE_LENGTH;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
  return text.slice(0, end);
}

function isEvent(value: unknown): value is TelemetryEvent {
  const e = value as TelemetryEvent;
  return (
    typeof e === 'object' &&
    e !== null &&
    (e.type === 'sync' || e.type === 'upload') &&
    typeof e.eventId === 'string' &&
    typeof e.eventTime === 'number'
  );
}

async function readJson(response: Response): Promise<any> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // a page whose storage is blocked throws on access
  }
}

/** A random UUID; `crypto.randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
export function uuid(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
