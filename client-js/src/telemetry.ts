import type { Exposures, FlagExposure } from './exposures.js';
import {
  CONTEXT_REFUSAL_REASONS,
  MAX_CONTEXT_ATTRIBUTES,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_EXPOSURES,
  contextRefusal,
  exposureRefusal,
  type ExposureRefusal,
} from './limits.js';

export type Platform = 'WEB' | 'IOS' | 'ANDROID' | 'DESKTOP' | 'BACKEND' | 'OTHER';
export type SyncKind = 'FULL' | 'INCREMENTAL' | 'PUSH' | 'PULL' | 'OTHER';

/** The fields SyncEvent and UploadEvent share; what is left out is filled in by the client. */
export interface EventFields {
  success: boolean;
  /** Milliseconds; a fraction (a difference of `performance.now()` readings) is rounded, as the events hold whole ones. */
  durationMs: number;
  eventId?: string;
  /**
   * Epoch milliseconds or a Date; default: now. By this device's clock (`Date.now()`), the one each request's `sentAt`
   * is stamped with: metrics-ingest moves the time by that clock's offset.
   */
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
   * rules on them for events without exposures. An attribute metrics-ingest would refuse (a reserved name such as
   * `targetingKey`, a null value, a malformed or too long name or value) is left out, and the console says so once
   * per attribute name.
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
  /**
   * The offline queue was full (the oldest event was dropped), the event came after `close()`, or it was in a request
   * in flight at `close()` that failed while no copy in storage held it (over the storage budget, or storage full).
   */
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
  /**
   * Context attributes added to every event (the event's own `context` wins), e.g. `{ country: 'FR' }`. One that
   * metrics-ingest would refuse (see `EventFields.context`) is a `RangeError` here.
   */
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
  /** How long a request may wait for its answer before it is aborted and its batch retried. Default 10 000 ms. */
  requestTimeoutMs?: number;
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
  /** Queued events left out of the copy in storage at its last write, over its budget (the oldest go first). */
  unstored: number;
  /**
   * Events this page dropped from its memory because another page adopted them from storage while this one was frozen,
   * in the back/forward cache or asleep past its lease: that page sends them, and counts them in its own `sent`. An
   * event this page adopts again later (the other page gave its claim back) is taken out of the count, so each event is
   * counted once, in `handedOver` or in `sent`. Always set by {@link TelemetryClient.stats}, whose type says so (an
   * app reads it as a `number`); optional here so that stats an app builds itself (a mock) without it still fit, as
   * they did before it was added.
   */
  handedOver?: number;
}

/** Thrown by `sync`/`upload` under `keyMismatch: 'refuse'`. */
export class KeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyMismatchError';
  }
}

/** Each live client keeps its queue under a key of its own: this prefix and its tab id. */
const STORAGE_PREFIX = 'rollguard.telemetry.queue.';
/** The lease of the queue key with the same tab id: `{owner, at}`, the owner's tab id and its last heartbeat. */
const LEASE_PREFIX = 'rollguard.telemetry.lease.';
/**
 * How often a live client checks and renews the lease of its stored queue, and looks for queues whose owner is gone.
 * After a longer gap (a device asleep, a tab frozen) it checks the lease before it writes or sends.
 */
const HEARTBEAT_MS = 15_000;
/**
 * A lease not renewed for this long belongs to a page that is gone (closed, crashed): its queue is adopted. Well over
 * the heartbeat, because browsers run the timers of a tab hidden for long about once a minute.
 */
const LEASE_MS = 180_000;
/**
 * How long the page that adopted a queue key keeps a mark of it in the key's lease (`{owner, at, adopted: true}`), so
 * that the page that stored it, back from a freeze or a sleep however long, knows its events are sent by another page.
 * metrics-ingest refuses events older than 7 days by default (`validation.max-age`), so beyond that the mark tells
 * nothing; removed then, so that storage does not grow without bound.
 */
const ADOPTED_MARK_MS = 7 * 24 * 3600_000;
/**
 * The Web Lock a page holds while it claims and adopts a stored queue key: this prefix and the key's tab id. Pages in
 * other browser processes read and write `localStorage` each in a copy of their own, so two of them can both see a
 * lease expired and both write theirs: the lock lets one page at a time claim a key.
 */
const ADOPT_LOCK_PREFIX = 'rollguard.telemetry.adopt.';
/**
 * How long a page waits after writing its claim into an orphaned key's lease before it reads the lease again and adopts
 * the key only if the claim is still its own. A write to `localStorage` reaches the pages of other browser processes a
 * moment later; should two pages claim a key together, the later write is the one both read back. Where there are Web
 * Locks, the lock is held through this wait, so the next page to take it reads the claim.
 */
const CLAIM_CONFIRM_MS = 100;
/**
 * How long a page that found a queue key's Web Lock taken (another page claims the key) waits before it looks again,
 * twice as long each time it finds it taken again: the page holding it may give its claim back (it is frozen or goes
 * away). Not at once, when the lock is freed: the writes of a page in another browser process that adopted the key
 * reach this page's copy of the storage a moment later, and the lock is there for the case where that moment is longer
 * than the claim's wait. A page that looks for orphaned keys goes back to its heartbeat past {@link HEARTBEAT_MS}.
 */
const LOOK_AGAIN_MS = 2000;
const CLIENT_ID_KEY = 'rollguard.telemetry.clientId';
/**
 * Browsers allow 64 KiB of keep-alive request bodies in flight per page (the Fetch standard's fetch group, the
 * document's), whichever code sent them; the keepalive requests of every client of a page stay within this much.
 */
const KEEPALIVE_BYTES = 60_000;
/**
 * Where the clients of a page count the bytes of their keepalive requests in flight: a registry on `globalThis`, so
 * that clients made by two copies of this module (an app and a library that each bundle it) count them together too.
 */
const KEEPALIVE_REGISTRY = Symbol.for('@rollguard/client.keepaliveBytes');
/** The most characters of the queue's copy in storage (`localStorage` holds about 5 million per origin, all told). */
const STORAGE_BUDGET_CHARS = 512 * 1024;
/** The copy in storage is written at most this often, and at once when the page is hidden or goes away. */
const PERSIST_INTERVAL_MS = 2000;

/**
 * Sends sync and upload events to metrics-ingest's `POST /api/telemetry` with the exposures the app served attached:
 * in batches, again with the same event ids after a failure that may pass (metrics-ingest counts an id once), from a
 * bounded queue that survives offline periods and reloads, and with `fetch(..., {keepalive: true})` when the page is
 * hidden or unloaded. `navigator.sendBeacon` is not used: it cannot send the producer token's `Authorization` header.
 * Every request carries `sentAt`, the time it is sent by the clock the event times come from, so that metrics-ingest
 * can take out the offset of a device clock that is wrong.
 */
export class TelemetryClient {
  readonly clientId: string;
  private readonly options: Required<
    Pick<
      TelemetryOptions,
      | 'batchSize'
      | 'lingerMs'
      | 'maxQueuedEvents'
      | 'initialBackoffMs'
      | 'maxBackoffMs'
      | 'keyMismatch'
      | 'requestTimeoutMs'
    >
  >;
  private readonly endpoint: string;
  private readonly storage: Storage | null;
  /**
   * This client's own id in storage: its queue key and its lease key end with it. A new one once another page adopted
   * the queue stored under the previous one (see {@link reclaim}).
   */
  private tabId: string;
  private storageKey: string;
  private leaseKey: string;
  /** Whether this client's queue key holds a copy, whose lease the heartbeat renews. */
  private stored = false;
  /** The ids of the events in the copy last written under this client's key: what a page that adopts it takes over. */
  private storedIds = new Set<string>();
  /** The page went away (`pagehide`) or the client is closed: its lease is given up for the next page. */
  private released = false;
  /**
   * The page is frozen or in the back/forward cache, its lease given up: its copy in storage is left as it was, for
   * another page to adopt, until the page runs again and checks what is still its own ({@link reclaim}).
   */
  private suspended = false;
  /** When this client last renewed or checked its lease; after a longer gap it checks the lease before it goes on. */
  private aliveAt = Date.now();
  /**
   * Orphaned queue keys this client claimed and adopted, but whose events its own copy does not hold whole yet (storage
   * full, or over the budget): queue key to its lease key and the ids of the events it held. They stay in storage
   * under this client's lease, renewed with its own, and are removed once a copy of the whole queue is written; given
   * up with its own lease. The key a client writes the events it records while it confirms its own ({@link writeAside})
   * is held the same way (`aside`).
   */
  private readonly held = new Map<string, { leaseKey: string; ids: Set<string>; aside?: boolean }>();
  /**
   * Queue keys this client is claiming, orphaned ones ({@link claimOrphan}) and its own ({@link confirmKey}): queue
   * key to its lease key, the claim id written into that lease, once written, and what ends the wait before the claim
   * is read back. Given back with this client's own lease, which also ends the wait, so the key's Web Lock is free for
   * the next page at once.
   */
  private readonly claiming = new Map<string, Claiming>();
  /**
   * Set while this client, back after its lease was given up or ran out (a freeze, the back/forward cache, a sleep),
   * confirms that the queue keys it stored or holds are still its own ({@link confirm}): it neither sends nor writes
   * those keys meanwhile, so that it cannot send what a page in another browser process is adopting; the events it
   * records meanwhile are written under a key of their own ({@link writeAside}).
   */
  private confirming: Confirming | null = null;
  /**
   * The ids of the events counted in `handedOver` (the most recent {@link TelemetryOptions.maxQueuedEvents}): one this
   * client adopts again is taken out of the count.
   */
  private readonly handedOverIds = new Set<string>();
  private heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly fetchFn: typeof fetch;
  private queue: TelemetryEvent[] = [];
  private inFlight: TelemetryEvent[] | null = null;
  /** Whether the request in flight was sent with keepalive, which the browser does not abort when the page goes. */
  private inFlightKeepalive = false;
  /**
   * The UTF-8 bytes of the bodies of the page's keepalive requests not settled yet, those of every client of the page
   * ({@link pageKeepalive}), a forgotten one's and the one sent as a page goes while it confirms its keys included: the
   * browser counts them all against one budget.
   */
  private readonly keepalive = pageKeepalive();
  /** Requests started; only the latest one's answer is the batch in flight's (see {@link onHidden}). */
  private requests = 0;
  /**
   * The request in flight as the client was closed (by its number) and the events of its batch in no key in storage
   * (left out of the copy over its budget, or its write failed): no other page can send or count those, so that
   * request's answer is still taken for them alone ({@link forgetOnClose}).
   */
  private stranded: { request: number; ids: Set<string> } | null = null;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private persistTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the copy in storage was last written (not merely removed). */
  private persistedAt = -Infinity;
  /** Queued events left out of that copy. */
  private unstored = 0;
  /** The length of each queued event's JSON, measured once when it was queued. */
  private readonly sizes = new WeakMap<TelemetryEvent, number>();
  /** What the console has said once already (by topic). */
  private readonly warnings = new Set<string>();
  private attempt = 0;
  private splitSize: number;
  /** The targeting key of events that name none ({@link setUserId}). */
  private userId: string | undefined;
  private warned = false;
  /** HTTP statuses of refused batches already said on the console. */
  private readonly refusals = new Set<number>();
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly counts = { sent: 0, rejected: 0, dropped: 0, retries: 0, keyMismatches: 0, handedOver: 0 };
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
      requestTimeoutMs: settings.requestTimeoutMs ?? 10_000,
    };
    if (!(this.options.batchSize >= 1 && this.options.batchSize <= 1000)) {
      throw new RangeError('batchSize must be 1..1000');
    }
    if (!(this.options.maxQueuedEvents >= this.options.batchSize)) {
      throw new RangeError('maxQueuedEvents must be at least batchSize');
    }
    if (!(this.options.requestTimeoutMs > 0)) {
      throw new RangeError('requestTimeoutMs must be above 0');
    }
    checkContext(settings.context);
    this.splitSize = this.options.batchSize;
    this.endpoint = settings.url.replace(/\/+$/, '') + '/api/telemetry';
    this.storage = settings.storage !== undefined ? settings.storage : defaultStorage();
    this.fetchFn = settings.fetch ?? globalThis.fetch.bind(globalThis);
    this.clientId = settings.clientId ?? this.storedClientId();
    this.userId = settings.userId;
    this.tabId = uuid();
    this.storageKey = STORAGE_PREFIX + this.tabId;
    this.leaseKey = LEASE_PREFIX + this.tabId;
    this.adoptOrphanedQueues();
    this.listenToThePage();
    this.heartbeat();
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

  /** What became of the events queued so far; `handedOver` always set (optional only in {@link TelemetryStats}). */
  stats(): TelemetryStats & { handedOver: number } {
    return { ...this.counts, queued: this.queue.length + (this.inFlight?.length ?? 0), unstored: this.unstored };
  }

  /**
   * Flushes, then stops listening to the page; what could not be sent stays in storage, its lease given up, for the
   * next page (or another tab, or another client of this page) to adopt.
   */
  async close(timeoutMs = 10_000): Promise<boolean> {
    // A page going into the back/forward cache (close() in the app's own pagehide handler) takes no lease again.
    if (!this.suspended) this.recheck();
    const done = await this.flush(timeoutMs);
    // The flush may have waited through a sleep, while another page adopted the key: checked before it is written.
    this.recheck();
    this.closed = true;
    this.clearTimers();
    this.detach.forEach((off) => off());
    // Still confirming its keys (the flush timed out): the events recorded meanwhile are written under a key of their
    // own, sent with keepalive, and its claims are given back. Its own key is left as it was: another page may be
    // adopting it, and would remove it with whatever it holds then. Each key is adopted whole by the next page that
    // claims it.
    const confirming = this.confirming;
    if (confirming !== null) {
      this.persist();
      this.suspended = true;
      this.giveUpLeases();
      this.sendMeanwhile(confirming);
    } else this.persist();
    // No confirmation comes after close(): the answer to a request still in flight is not this client's to take, as
    // another page may adopt and count its batch; but for the events of it no key in storage holds, which no other page
    // can send, and without storage (no other page can send any): the answer is taken for those here.
    if (this.storage) this.forgetOnClose();
    this.release();
    return done;
  }

  /**
   * Builds the event, leaves out what metrics-ingest would refuse it for, and queues it: serialized once, here, so that
   * an event JSON cannot hold (a BigInt, a cycle) is refused at once (`onRejected`, `INVALID_FIELD`) and never stops
   * the batches. Nothing but a `KeyMismatchError` (under `keyMismatch: 'refuse'`) is thrown into the app.
   */
  private enqueue(fields: (SyncFields & { type: 'sync' }) | (UploadFields & { type: 'upload' })): string {
    const eventId = typeof fields?.eventId === 'string' ? fields.eventId : uuid();
    let event: TelemetryEvent;
    try {
      const time = fields.eventTime instanceof Date ? fields.eventTime.getTime() : (fields.eventTime ?? Date.now());
      event = {
        ...fields,
        // The events hold whole milliseconds: metrics-ingest refuses a fraction (INVALID_FIELD).
        durationMs: Math.round(fields.durationMs),
        eventId,
        eventTime: Math.round(time),
        clientId: fields.clientId ?? this.clientId,
        userId: fields.userId ?? this.userId,
        sessionId: fields.sessionId ?? this.settings.sessionId,
        platform: fields.platform ?? this.settings.platform ?? 'WEB',
        appVersion: fields.appVersion ?? this.settings.appVersion,
        context: this.eventContext(fields.context),
      } as TelemetryEvent;
      if (event.context === undefined) delete event.context;
      if (event.errorMessage !== undefined) {
        event.errorMessage = cleanMessage(event.errorMessage);
      }
      if (event.exposures === undefined && this.settings.exposures) {
        this.attachExposures(event, this.settings.exposures);
      }
      if (event.exposures !== undefined) {
        event.exposures = this.acceptedExposures(event.exposures);
      }
    } catch (error) {
      if (error instanceof KeyMismatchError) throw error;
      this.warnOnce('enqueue', `Rollguard telemetry: an event could not be made (${describe(error)}); it is not sent.`);
      return eventId;
    }
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch (error) {
      this.refuse(event, 'INVALID_FIELD', `the event cannot be written as JSON: ${describe(error)}`);
      return eventId;
    }
    if (!Number.isFinite(event.durationMs) || !Number.isFinite(event.eventTime)) {
      this.refuse(event, 'INVALID_FIELD', 'durationMs and eventTime must be finite numbers');
      return eventId;
    }
    const queued = JSON.parse(json) as TelemetryEvent; // what is sent, and no longer the app's objects
    if (this.closed) {
      this.counts.dropped++;
      this.tell('onDropped', queued);
      this.warnOnce(
        'closed',
        'Rollguard telemetry: an event came after close(); it is dropped (counted in stats().dropped, onDropped). ' +
          'Further ones are not said.',
      );
      return eventId;
    }
    this.sizes.set(queued, json.length);
    this.queue.push(queued);
    this.trim();
    this.save();
    if (this.inFlight === null && this.retryTimer === null) {
      this.schedule(this.queue.length >= this.splitSize ? 0 : this.options.lingerMs);
    }
    return eventId;
  }

  /**
   * The client's context attributes under the event's own, without those metrics-ingest would refuse (each said once
   * on the console by name), and at most as many as it takes.
   */
  private eventContext(own: unknown): Record<string, string | number | boolean> | undefined {
    if (own === undefined && this.settings.context === undefined) return undefined;
    const merged: Record<string, string | number | boolean> = { ...this.settings.context };
    if (own !== undefined && own !== null && typeof own !== 'object') {
      this.warnOnce('context', 'Rollguard telemetry: an event context that is not an object is left out.');
    } else if (own) {
      for (const [name, value] of Object.entries(own)) {
        const refusal = contextRefusal(name, value);
        if (refusal !== null) {
          this.warnOnce(
            `context:${name}`,
            `Rollguard telemetry: the context attribute '${name.slice(0, 100)}' is left out of the events, as ` +
              `metrics-ingest would refuse them for it: ${CONTEXT_REFUSAL_REASONS[refusal]}.`,
          );
        } else {
          merged[name] = value as string | number | boolean;
        }
      }
    }
    const names = Object.keys(merged);
    if (names.length > MAX_CONTEXT_ATTRIBUTES) {
      this.warnOnce(
        'context:#',
        `Rollguard telemetry: an event has ${names.length} context attributes; the ones after the first ` +
          `${MAX_CONTEXT_ATTRIBUTES} are left out, as metrics-ingest takes no more.`,
      );
      names.slice(MAX_CONTEXT_ATTRIBUTES).forEach((name) => delete merged[name]);
    }
    return merged;
  }

  /** The exposures metrics-ingest accepts (one it refuses has it refuse the whole event), the most recent 64. */
  private acceptedExposures(exposures: unknown): FlagExposure[] | undefined {
    if (!Array.isArray(exposures)) {
      this.warnOnce('exposures', 'Rollguard telemetry: an event whose exposures are not an array has them left out.');
      return undefined;
    }
    const accepted = exposures.filter((exposure: FlagExposure) => {
      const refusal: ExposureRefusal | null =
        typeof exposure === 'object' && exposure !== null ? exposureRefusal(exposure) : 'FLAG_KEY';
      if (refusal !== null) {
        this.warnOnce(
          `exposure:${refusal}`,
          `Rollguard telemetry: an exposure whose ${EXPOSURE_PARTS[refusal]} metrics-ingest would refuse (and the ` +
            'event with it) is left out of the event. Further ones are not said.',
        );
      }
      return refusal === null;
    });
    if (accepted.length > MAX_EXPOSURES) {
      this.warnOnce('exposures:#', `Rollguard telemetry: an event carries the ${MAX_EXPOSURES} latest exposures only.`);
      return accepted.slice(-MAX_EXPOSURES);
    }
    return accepted;
  }

  /** An event refused before it is queued: counted, told to the listener, and said once per code on the console. */
  private refuse(event: TelemetryEvent, code: string, reason: string): void {
    this.counts.rejected++;
    this.tell('onRejected', event, code, reason);
    this.warnOnce(
      `refused:${code}`,
      `Rollguard telemetry: an event is refused with ${code}: ${reason}. It is not sent (onRejected has each); ` +
        'further refusals with this code are not said.',
    );
  }

  /** Calls the listener; one that throws is said once on the console, and never stops the client. */
  private tell<K extends keyof TelemetryListener>(
    name: K,
    ...args: Parameters<NonNullable<TelemetryListener[K]>>
  ): void {
    const listener = this.settings.listener;
    try {
      const call = listener?.[name] as ((...a: unknown[]) => void) | undefined;
      call?.apply(listener, args);
    } catch (error) {
      this.warnOnce(
        `listener:${name}`,
        `Rollguard telemetry: listener.${name} threw (${describe(error)}); the client goes on. Further errors of ` +
          'it are not said.',
      );
    }
  }

  private warnOnce(topic: string, message: string): void {
    if (this.warnings.has(topic)) return;
    this.warnings.add(topic);
    try {
      console.warn(message);
    } catch {
      // No console to tell.
    }
  }

  private attachExposures(event: TelemetryEvent, exposures: Exposures): void {
    const subject = event.userId ?? event.clientId;
    const served = exposures.of(subject);
    if (served.length === 0 && exposures.size > 0 && this.options.keyMismatch !== 'ignore') {
      this.counts.keyMismatches++;
      this.tell('onKeyMismatch', event, exposures.size);
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
      this.tell('onDropped', dropped);
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.inFlight !== null) return;
    if (this.lingerTimer !== null) {
      if (delayMs > 0) return; // already waiting for the batch to fill
      clearTimeout(this.lingerTimer);
    }
    this.lingerTimer = this.later(() => {
      this.lingerTimer = null;
      this.start(false);
    }, delayMs);
  }

  /** A timer that does not keep a Node.js process alive (`unref`). */
  private later(run: () => void, delayMs: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(run, delayMs);
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  /**
   * Sends a batch; whatever goes wrong (an error of this client's own) never reaches the app as an unhandled
   * rejection: the batch goes back to the queue and is retried.
   */
  private start(keepalive: boolean): void {
    this.send(keepalive).catch((error) => {
      this.warnOnce('send', `Rollguard telemetry: sending a batch failed (${describe(error)}); it goes again later.`);
      try {
        const batch = this.inFlight ?? [];
        this.requests++; // a late answer to that request is no longer the batch's
        this.retryLater(batch, `failed: ${describe(error)}`, 0);
      } catch {
        // Nothing more to do: the events stay queued.
      }
    });
  }

  private async send(keepalive: boolean): Promise<void> {
    // Not before the keepalive send of a page going into the back/forward cache: its lease was just given up.
    if (!keepalive) this.recheck();
    if (this.closed || this.inFlight !== null || this.queue.length === 0) {
      this.notify();
      return;
    }
    if (this.confirming !== null) return; // sent once the keys are confirmed ({@link confirmed})
    // The time of this request by the clock the event times came from, stamped anew on every attempt: metrics-ingest
    // moves the event times by its difference to its own clock, so a device clock that is off does not lose them.
    const sentAt = Date.now();
    const size = Math.min(this.splitSize, this.queue.length);
    const kept = keepalive ? this.keepaliveBody(this.queue, size, sentAt) : null;
    // No room left in the keep-alive budget: an ordinary request, which the browser aborts should the page go (the
    // batch stays in storage until answered, and goes again with keepalive on pagehide).
    if (kept === null) keepalive = false;
    const body = kept?.body ?? JSON.stringify({ sentAt, events: this.queue.slice(0, size) });
    const batch = this.queue.splice(0, kept?.size ?? size);
    this.inFlight = batch;
    this.inFlightKeepalive = keepalive;
    const request = ++this.requests;
    /** False once the batch went again in a later request, whose answer is the one that counts. */
    const current = () => request === this.requests;
    // A request with no answer in time is aborted, so that a stalled connection does not hold every later batch.
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timedOut = new Promise<never>((_, reject) => {
      timer = this.later(() => {
        controller?.abort();
        reject(new Error(`no answer in ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
    });
    timedOut.catch(() => {});
    try {
      let response: Response;
      try {
        const answer = this.fetchFn(this.endpoint, {
          method: 'POST',
          headers: { Authorization: `Bearer ${this.settings.producerToken}`, 'Content-Type': 'application/json' },
          body,
          keepalive,
          credentials: 'omit',
          signal: controller?.signal,
        });
        if (kept !== null) this.keptAlive(answer, kept.bytes);
        Promise.resolve(answer).catch(() => {}); // a failure after the timeout is nobody's business
        response = await Promise.race([answer, timedOut]);
      } catch (error) {
        // Back after a gap: a batch another page adopted meanwhile is not this page's to retry. (A suspended page
        // checks when it runs again.)
        if (!this.suspended) this.recheck();
        if (current()) this.retryLater(batch, `unreachable: ${describe(error)}`, 0);
        else if (this.strandedBy(request)) this.settleStranded(`unreachable: ${describe(error)}`);
        return;
      }
      if (!this.suspended) this.recheck();
      const stranded = this.strandedBy(request);
      if (!current() && stranded === null) return;
      const readAnswer = () => Promise.race([readJson(response), timedOut.catch(() => null)]);
      await this.answered(batch, response, request, readAnswer, stranded ?? undefined);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  }

  /**
   * The page goes while it confirms its keys: the events recorded meanwhile, in none of the keys being confirmed (no
   * other page can hold them yet, and a write of theirs may have failed or not fit in the storage budget), go out with
   * keepalive, the oldest first, as many as fit in what the keepalive requests still in flight leave of the browser's
   * budget ({@link keepaliveBody}). They stay queued and under their key of their own ({@link writeAside}): the page
   * may not live to read the answer, and the next page that adopts that key sends them again (metrics-ingest counts an
   * event id once), those that did not fit too. The answer is not read, and nothing is counted for it.
   */
  private sendMeanwhile(confirming: Confirming): void {
    const events = [...(this.inFlight ?? []), ...this.queue].filter((e) => !confirming.ids.has(e.eventId));
    if (events.length === 0) return;
    const request = this.keepaliveBody(events, Math.min(this.options.batchSize, events.length), Date.now());
    if (request === null) return;
    try {
      const answer = this.fetchFn(this.endpoint, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.settings.producerToken}`, 'Content-Type': 'application/json' },
        body: request.body,
        keepalive: true,
        credentials: 'omit',
      });
      this.keptAlive(answer, request.bytes);
      Promise.resolve(answer).catch(() => {});
    } catch {
      // Nothing more to do: the events stay in storage for the next page.
    }
  }

  /**
   * The body of a keepalive request of at most the `size` oldest of `events`, stamped `sentAt`: halved until it fits in
   * what the page's keepalive requests still in flight, this client's and other clients', leave of
   * {@link KEEPALIVE_BYTES} (the browser refuses a keepalive request that takes the bodies in flight over its budget);
   * null when not even one event fits.
   */
  private keepaliveBody(
    events: TelemetryEvent[],
    size: number,
    sentAt: number,
  ): { body: string; size: number; bytes: number } | null {
    const room = KEEPALIVE_BYTES - this.keepalive.bytes;
    for (;;) {
      const body = JSON.stringify({ sentAt, events: events.slice(0, size) });
      const bytes = utf8Length(body);
      if (bytes <= room) return { body, size, bytes };
      if (size === 1) return null;
      size = Math.ceil(size / 2);
    }
  }

  /**
   * Counts a keepalive request's body against the page's budget until the body of its answer has arrived whole, or
   * the request failed: Chromium counts it until then, not only until the headers, so a slow answer body still holds
   * the page's budget.
   */
  private keptAlive(answer: Promise<Response>, bytes: number): void {
    const budget = this.keepalive;
    budget.bytes += bytes;
    const settled = () => {
      budget.bytes -= bytes;
    };
    Promise.resolve(answer).then((response) => bodyArrived(response).then(settled), settled);
  }

  /**
   * Takes metrics-ingest's answer to `request`, the batch in flight; after `close()`, to the events of the batch then
   * in flight that are in no key in storage (`only`, {@link stranded}), for them alone: the batch is not sent again.
   */
  private async answered(
    batch: TelemetryEvent[],
    response: Response,
    request: number,
    readAnswer: () => Promise<any>,
    only?: Set<string>,
  ): Promise<void> {
    const counted = () => {
      const ids = only;
      return ids === undefined ? batch : batch.filter((e) => ids.has(e.eventId));
    };
    const done = () => (only === undefined ? this.delivered() : this.settleStranded());
    /** Whether the answer just read is still taken, and for which events ({@link takenFor}). */
    const taken = async () => {
      const events = await this.takenFor(request, only);
      if (events === null) return false;
      only = events;
      return true;
    };
    if (response.ok) {
      const answer = await readAnswer();
      if (!(await taken())) return;
      const rejected = Array.isArray(answer?.rejected) ? answer.rejected : [];
      let refused = 0;
      for (const r of rejected) {
        const event = batch[r?.index];
        if (event && (only === undefined || only.has(event.eventId))) {
          refused++;
          const code = String(r.code);
          const reason = String(r.reason ?? '');
          this.counts.rejected++;
          this.tell('onRejected', event, code, reason);
          this.warnOnce(
            `refused:${code}`,
            `Rollguard telemetry: metrics-ingest refused an event with ${code}: ${reason}. It is not sent again ` +
              '(onRejected has each); further refusals with this code are not said.',
          );
        }
      }
      this.counts.sent += counted().length - refused;
      done();
    } else if (only !== undefined && ([408, 413, 425, 429].includes(response.status) || response.status >= 500)) {
      this.settleStranded(`HTTP ${response.status}`); // not sent again after close()
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
      const answer = await readAnswer();
      if (!(await taken())) return;
      const code = typeof answer?.code === 'string' ? answer.code : `HTTP_${response.status}`;
      const reason = typeof answer?.message === 'string' ? answer.message : `HTTP ${response.status}`;
      if (!this.refusals.has(response.status)) {
        // A revoked token or a wrong URL refuses every batch: said once, not left to a listener the app may not have.
        this.refusals.add(response.status);
        console.warn(
          `Rollguard telemetry: ${this.endpoint} refused a batch of ${counted().length} event(s) with HTTP ` +
            `${response.status} ${code}: ${reason}. They are not sent again (onRejected has each).`,
        );
      }
      for (const event of counted()) {
        this.counts.rejected++;
        this.tell('onRejected', event, code, reason);
      }
      done();
    }
  }

  /**
   * For which events the answer to `request`, whose body was just read, is taken: the whole batch (undefined) while it
   * is still the batch in flight once a confirmation of the keys under way ended ({@link afterConfirming}); the events
   * in no key in storage (`only`) of the request in flight at `close()`; none (null) otherwise. `close()` may have come
   * while the body was read: the request then forgotten, the answer is taken for its events in no key all the same, as
   * no other page can send or count those, nor can this one, closed.
   */
  private async takenFor(request: number, only: Set<string> | undefined): Promise<Set<string> | undefined | null> {
    if (only !== undefined) return (await this.afterConfirming(() => this.strandedBy(request) !== null)) ? only : null;
    if (await this.afterConfirming(() => request === this.requests)) return undefined;
    return this.strandedBy(request);
  }

  /** The events in no key in storage of the request in flight as the client was closed, if `request` is that one. */
  private strandedBy(request: number): Set<string> | null {
    return this.stranded?.request === request ? this.stranded.ids : null;
  }

  /**
   * Forgets the request in flight as the client is closed ({@link forgetInFlight}): the events of its batch that are in
   * a key in storage, its own copy or an orphaned key it holds, are the next page's to send and count. Those in none
   * (left out of the copy over its budget, or its write failed) no other page can send, nor count: the request's
   * answer is still taken for them ({@link answered} with `only`), and they are counted as dropped should it fail.
   */
  private forgetOnClose(): void {
    const batch = this.inFlight;
    if (batch === null) return;
    const keys = [this.storedIds, ...[...this.held.values()].map((h) => h.ids)];
    const ids = new Set(batch.map((e) => e.eventId).filter((id) => !keys.some((key) => key.has(id))));
    const request = this.requests;
    this.forgetInFlight();
    if (ids.size > 0) this.stranded = { request, ids };
  }

  /**
   * The answer to the events in no key of the request in flight at `close()` is taken: they leave the queue (and
   * `unstored`, which counted them). Undelivered (`lost`: a network failure, no answer in time, a status that would
   * have the batch sent again), they are counted as dropped, told to `listener.onDropped` and said on the console: the
   * client sends nothing after `close()`, and no later page can find them.
   */
  private settleStranded(lost?: string): void {
    const ids = this.stranded?.ids;
    this.stranded = null;
    if (ids === undefined) return;
    const settled = this.queue.filter((e) => ids.has(e.eventId));
    this.queue = this.queue.filter((e) => !ids.has(e.eventId));
    this.unstored = Math.max(0, this.unstored - settled.length);
    if (lost !== undefined && settled.length > 0) {
      this.counts.dropped += settled.length;
      settled.forEach((event) => this.tell('onDropped', event));
      this.warnOnce(
        'stranded',
        `Rollguard telemetry: ${settled.length} event(s) of the request in flight at close() were not delivered ` +
          `(${lost}), and no copy in storage holds them (over its budget, or its write failed): they are dropped ` +
          '(counted in stats().dropped, onDropped).',
      );
    }
    this.notify();
  }

  /**
   * Whether the answer to the batch in flight is still this client's to take, once the confirmation of its keys under
   * way, if any, ended: a batch in a key another page adopted meanwhile is that page's to count ({@link dropAdopted}).
   */
  private async afterConfirming(current: () => boolean): Promise<boolean> {
    // The body may have been read across a sleep past the lease, while another page adopted the key: checked as after
    // the headers ({@link send}). A suspended page checks when it runs again.
    if (!this.suspended) this.recheck();
    // A confirmation given up forgot the request ({@link forgetInFlight}): current() is false then.
    while (current() && this.confirming !== null) await this.confirming.ended;
    return current();
  }

  /**
   * Forgets the request in flight: its batch goes back to the head of the queue (it is in storage already), and its
   * answer, should it still come, is not taken. A page going away forgets an ordinary request, which the browser aborts
   * ({@link onHidden}); a page giving up its claims with no confirmation of its keys to come before that answer (closed,
   * or giving up a confirmation) forgets any: another page may adopt the key holding the batch meanwhile and count it,
   * and the answer taken here would count it twice, or write the key again. A client without storage, which no other
   * page can take a batch from, keeps the request when closed.
   */
  private forgetInFlight(): void {
    if (this.inFlight === null) return;
    this.queue.unshift(...this.inFlight);
    this.inFlight = null;
    this.requests++;
    this.notify();
  }

  /** The batch in flight is done with (sent or refused for good). */
  private delivered(): void {
    this.inFlight = null;
    this.attempt = 0;
    this.splitSize = this.options.batchSize;
    this.save();
    if (this.queue.length > 0) {
      this.schedule(0); // these have waited already
    }
    this.notify();
  }

  private retryLater(batch: TelemetryEvent[], reason: string, atLeastMs: number): void {
    this.queue.unshift(...batch);
    this.inFlight = null;
    this.trim();
    this.save();
    // Closed while this batch was in flight: it stays in storage for the next page, and nothing is scheduled. Back
    // after a gap and confirming its keys: sent once they are confirmed, less what another page took meanwhile.
    if (this.closed || this.confirming !== null) {
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
    this.tell('onRetry', this.attempt, delay, reason);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = this.later(() => {
      this.retryTimer = null;
      this.start(false);
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
    if (this.persistTimer !== null) clearTimeout(this.persistTimer);
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.lingerTimer = null;
    this.retryTimer = null;
    this.persistTimer = null;
    this.heartbeatTimer = null;
  }

  /**
   * The page is going away (`leaving`, on `pagehide`) or hidden: what is queued goes out with keepalive, and is kept in
   * storage meanwhile. A page that goes away has its requests in flight aborted by the browser, unless they were sent
   * with keepalive: such a batch goes again with keepalive, at the head of what is sent (metrics-ingest counts an
   * event id once, so a batch that did arrive is not counted twice), and the first request's answer, should it still
   * come (the page kept in the back/forward cache), is ignored. A page only hidden (a tab switch) does not cut short
   * the backoff of a batch waiting for its retry.
   */
  private onHidden(leaving: boolean, intoCache = false): void {
    if (leaving && !this.inFlightKeepalive) this.forgetInFlight();
    // A page that goes after a sleep past its lease, before anything else ran, first starts to confirm its keys, so
    // that it goes as a page that goes while it confirms them (the events recorded since not left unwritten).
    if (leaving && !this.suspended) this.recheck();
    // A page that goes while it confirms its keys writes the events recorded meanwhile under a key of their own
    // ({@link writeAside}), gives its claims back, and leaves its own key as it was: another page may be adopting it,
    // and would remove it with whatever it holds then. Of what it holds it sends only the events recorded meanwhile
    // ({@link sendMeanwhile}): another page may have adopted its keys, or be claiming them, and sends their events;
    // each key is adopted whole by the next page that claims it.
    const confirming = leaving ? this.confirming : null;
    const unconfirmed = confirming !== null;
    if (unconfirmed) {
      this.persist();
      this.suspend();
    } else this.persist();
    // A page that is unloaded leaves its stored queue to the next page at once; so does one kept in the back/forward
    // cache, which checks on its return what is still its own.
    if (leaving) {
      if (intoCache) this.suspend();
      else this.release();
    }
    if (unconfirmed) {
      this.sendMeanwhile(confirming);
      return;
    }
    if (this.queue.length === 0 || this.inFlight !== null) return;
    if (!leaving && this.retryTimer !== null) return;
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.start(true);
  }

  private listenToThePage(): void {
    const w = globalThis as unknown as Partial<Window>;
    if (typeof w.addEventListener !== 'function') return;
    const doc = w.document;
    const hidden = (event: Event) => this.onHidden(true, (event as PageTransitionEvent).persisted === true);
    const visibility = () => {
      if (doc?.visibilityState === 'hidden') this.onHidden(false);
    };
    const online = () => {
      if (this.retryTimer !== null) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        this.start(false);
      }
    };
    // Page Lifecycle (Chromium): a page frozen in the background, and back.
    const frozen = () => this.onFrozen();
    const resumed = () => this.onResumed();
    const shown = (event: Event) => {
      if ((event as PageTransitionEvent).persisted === true) this.onResumed();
    };
    // Another tab gave up its lease (it was closed): its queue is this page's to adopt now, not at the next heartbeat.
    const storage = (event: Event) => {
      const { key, newValue, storageArea } = event as StorageEvent;
      if (storageArea === this.storage && newValue === null && key?.startsWith(LEASE_PREFIX)) {
        this.adoptOrphanedQueues();
      }
    };
    w.addEventListener('pagehide', hidden);
    w.addEventListener('pageshow', shown);
    w.addEventListener('online', online);
    w.addEventListener('storage', storage);
    doc?.addEventListener('visibilitychange', visibility);
    doc?.addEventListener('freeze', frozen);
    doc?.addEventListener('resume', resumed);
    this.detach.push(() => {
      w.removeEventListener?.('pagehide', hidden);
      w.removeEventListener?.('pageshow', shown);
      w.removeEventListener?.('online', online);
      w.removeEventListener?.('storage', storage);
      doc?.removeEventListener('visibilitychange', visibility);
      doc?.removeEventListener('freeze', frozen);
      doc?.removeEventListener('resume', resumed);
    });
  }

  /**
   * Writes the copy in storage soon: at once when it was not written for {@link PERSIST_INTERVAL_MS} (or there is
   * nothing left, or the client is closed), else once that time has passed, so that a burst of events is not
   * written whole to `localStorage` on each one.
   */
  private save(): void {
    if (!this.storage) return;
    const empty = this.queue.length === 0 && this.inFlight === null;
    const since = Date.now() - this.persistedAt;
    if (empty || this.closed || since >= PERSIST_INTERVAL_MS) {
      this.persist();
    } else if (this.persistTimer === null) {
      this.persistTimer = this.later(() => {
        this.persistTimer = null;
        this.persist();
      }, PERSIST_INTERVAL_MS - since);
    }
  }

  /**
   * Keeps the queue (and the batch in flight, which may not arrive) where the next page finds it, within
   * {@link STORAGE_BUDGET_CHARS}: the oldest events are left out of the copy (counted in `stats().unstored`), not the
   * queue. True when the copy holds the whole queue (every event, written without error): then the orphaned keys
   * still held ({@link held}) are removed, their events being in this copy. A page suspended or gone renews no lease,
   * and writes its copy only while no other page's lease is on its key: once another page adopted it, writing it
   * again would have a third page adopt those events once more.
   */
  private persist(): boolean {
    if (!this.storage) return false;
    if (this.persistTimer !== null) {
      clearTimeout(this.persistTimer);
      this.persistTimer = null;
    }
    if (this.suspended || this.released) {
      if (!this.stillOwnKey()) return false;
    } else {
      this.recheck();
      if (this.confirming !== null) {
        this.writeAside(this.confirming);
        return false; // written once the keys are confirmed
      }
    }
    const all = [...(this.inFlight ?? []), ...this.queue];
    // The events of the request in flight at close() that no key held are counted by its answer here: in a copy (a
    // second close(), once storage has room again), the next page would send and count them a second time.
    const stranded = this.stranded?.ids;
    const events = stranded === undefined ? all : all.filter((e) => !stranded.has(e.eventId));
    let kept = 0;
    let chars = 2;
    for (let i = events.length - 1; i >= 0; i--) {
      const size = this.sizeOf(events[i]) + 1;
      if (chars + size > STORAGE_BUDGET_CHARS) break;
      chars += size;
      kept++;
    }
    if (kept < events.length) this.warnOverBudget();
    this.unstored = all.length - kept;
    try {
      if (kept === 0) {
        this.storage.removeItem(this.storageKey);
        this.storage.removeItem(this.leaseKey);
        this.stored = false;
        this.storedIds = new Set();
      } else {
        this.persistedAt = Date.now();
        // The lease first: another page that sees the queue key sees its owner alive.
        if (!this.released && !this.suspended) this.renewLease();
        const copy = events.slice(events.length - kept);
        this.storage.setItem(this.storageKey, JSON.stringify(copy));
        this.stored = true;
        this.storedIds = new Set(copy.map((e) => e.eventId));
      }
    } catch {
      // Storage full or denied: the queue still lives in memory.
      return false;
    }
    if (kept < events.length) return false;
    this.removeHeld();
    return true;
  }

  /** Says once that the oldest events are left out of storage (counted in `stats().unstored`). */
  private warnOverBudget(): void {
    this.warnOnce(
      'storage',
      `Rollguard telemetry: the queue is over its storage budget (${STORAGE_BUDGET_CHARS} characters); the ` +
        'oldest events are kept in memory only (stats().unstored).',
    );
  }

  /**
   * While this client confirms its keys ({@link confirm}), the events it recorded since are in none of them: they are
   * written under a new key of its own, which no other page can be claiming, under its lease, and held as an adopted
   * key is ({@link held}): its lease renewed and given up with this client's, the key removed once a copy of the whole
   * queue is written. A page discarded before its keys are confirmed thus leaves those events to the next page, which
   * adopts that key as any other. The copy under this client's own key counts toward {@link STORAGE_BUDGET_CHARS}: the
   * oldest of these events that do not fit in what it leaves are counted in `stats().unstored`.
   */
  private writeAside(confirming: Confirming): void {
    const all = [...(this.inFlight ?? []), ...this.queue];
    const events = all.filter((e) => !confirming.ids.has(e.eventId));
    this.unstored = 0;
    if (events.length === 0) return;
    // The copy under this client's own key is still in storage: the two together stay within the budget.
    let chars = 2;
    if (this.storedIds.size > 0) {
      chars += 2;
      for (const e of all) if (this.storedIds.has(e.eventId)) chars += this.sizeOf(e) + 1;
    }
    let first = events.length;
    while (first > 0 && chars + this.sizeOf(events[first - 1]) + 1 <= STORAGE_BUDGET_CHARS) {
      first--;
      chars += this.sizeOf(events[first]) + 1;
    }
    if (first > 0) this.warnOverBudget();
    this.unstored = first;
    const copy = events.slice(first);
    if (copy.length === 0 && confirming.aside === null) return;
    const id = confirming.aside ?? uuid();
    const queueKey = STORAGE_PREFIX + id;
    const leaseKey = LEASE_PREFIX + id;
    try {
      const storage = this.storage as Storage;
      storage.setItem(leaseKey, lease(this.tabId));
      storage.setItem(queueKey, JSON.stringify(copy));
      confirming.aside = id;
      this.persistedAt = Date.now();
      this.held.set(queueKey, { leaseKey, ids: new Set(copy.map((e) => e.eventId)), aside: true });
    } catch {
      // Storage full or denied: the events still live in memory; a new key's lease is not left behind.
      try {
        if (confirming.aside === null) this.storage?.removeItem(leaseKey);
      } catch {
        // Denied: the lease expires instead.
      }
    }
  }

  /**
   * Removes the orphaned keys still held once this client's copy holds their events, and marks their leases adopted
   * (kept {@link ADOPTED_MARK_MS}): the page that stored one, should it run again (it was frozen, or asleep), finds
   * there that another page sends its events. One whose lease another page holds now (this page was frozen past the
   * lease, and another adopted it) is left to that page.
   */
  private removeHeld(): void {
    const storage = this.storage;
    if (!storage) return;
    for (const [queueKey, { leaseKey, aside }] of this.held) {
      try {
        const owner = leaseOwner(storage.getItem(leaseKey));
        if (owner === null || owner === this.tabId) {
          // A key of this client's own needs no mark: no other page stored it.
          if (aside) storage.removeItem(leaseKey);
          else storage.setItem(leaseKey, adoptedMark(this.tabId));
          storage.removeItem(queueKey);
        }
        this.held.delete(queueKey);
      } catch {
        // Storage denied: kept, and removed after a later copy.
      }
    }
  }

  /**
   * Whether no other page adopted this client's queue key since it gave up its lease: no other page's lease (nor its
   * mark of an adoption) is on it. A key gone without one (the app cleared the storage) is still this client's.
   */
  private stillOwnKey(): boolean {
    const storage = this.storage as Storage;
    try {
      const owner = leaseOwner(storage.getItem(this.leaseKey));
      return owner === null || owner === this.tabId;
    } catch {
      return false;
    }
  }

  /** Says in storage that this page is alive and owns its queue key. */
  private renewLease(): void {
    this.storage?.setItem(this.leaseKey, lease(this.tabId));
    this.aliveAt = Date.now();
  }

  /**
   * Gives up this client's lease (the page goes away or the client is closed), so the next page adopts what is left
   * in its queue key at once rather than when the lease expires. The queue key itself stays.
   */
  private release(): void {
    this.released = true;
    this.giveUpLeases();
    this.held.clear();
  }

  /**
   * The page stops running (frozen, or kept in the back/forward cache): its leases are given up as when it goes away,
   * so that another page adopts its stored queue at once rather than once the lease expired, and sends it; the page
   * may come back, and then sends none of what was adopted meanwhile ({@link reclaim}).
   */
  private suspend(): void {
    if (this.closed || this.released || this.suspended) return;
    this.suspended = true;
    this.giveUpLeases();
  }

  /**
   * Removes the lease of this client's key and those of the orphaned keys it holds, where they still name it, and
   * gives back the claims it is making (those confirming its own keys included, which ends the confirmation); stops
   * the heartbeat.
   */
  private giveUpLeases(): void {
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    // A key being confirmed may hold another page's claim: only this client's own claim is taken away from it.
    const claimed = new Set([...this.claiming.values()].map((c) => c.leaseKey));
    for (const leaseKey of [this.leaseKey, ...[...this.held.values()].map((h) => h.leaseKey)]) {
      if (claimed.has(leaseKey)) continue;
      try {
        // Only a lease of this client's own: another page may hold the key by now, or have marked it adopted (a second
        // close(), a freeze while a confirmation found the key taken), and a third page would adopt it again.
        if (leaseOwner(this.storage?.getItem(leaseKey) ?? null) === this.tabId) this.storage?.removeItem(leaseKey);
      } catch {
        // Storage denied: the lease expires instead.
      }
    }
    for (const claiming of this.claiming.values()) {
      if (claiming.claim !== null) this.giveBack(claiming.leaseKey, claiming.claim);
      claiming.wake?.();
    }
    // The answer to the request in flight is taken only by a page that confirmed its keys its own since it stopped
    // running ({@link afterConfirming}): once a confirmation is given up, another page may adopt the key holding the
    // batch, and count it. (A page frozen while it runs keeps the request: it confirms its keys when it runs again.)
    if (this.confirming !== null) this.forgetInFlight();
    this.confirming?.end();
    this.confirming = null;
  }

  /** Removes a claim this client wrote into an orphaned key's lease, unless another page's lease is there now. */
  private giveBack(leaseKey: string, claim: string): void {
    try {
      if (leaseClaim(this.storage?.getItem(leaseKey) ?? null) === claim) this.storage?.removeItem(leaseKey);
    } catch {
      // Storage denied: the claim expires instead.
    }
  }

  /** `freeze` (Page Lifecycle): the copy in storage is written, and left to another page with the lease. */
  private onFrozen(): void {
    if (this.closed || this.released) return;
    // Frozen as the first thing after a sleep past its lease: it starts to confirm its keys, and then gives its claims
    // back, as below. A page already suspended (in the back/forward cache) takes no lease again.
    if (!this.suspended) this.recheck();
    // Frozen while it confirms its keys: the events recorded meanwhile are written aside, its claims given back, and
    // its own key left as it was, as in onHidden.
    if (this.confirming !== null) {
      this.persist();
      this.suspend();
      return;
    }
    this.persist();
    this.suspend();
  }

  /** `resume`, or `pageshow` from the back/forward cache: the page runs again. */
  private onResumed(): void {
    if (this.closed || this.released) return;
    this.reclaim();
  }

  /**
   * Before this client writes its copy or sends: a suspended page, or one that has not renewed its lease for longer
   * than the heartbeat (a device asleep, a tab frozen without a `freeze` event), first checks what is still its own.
   */
  private recheck(): void {
    if (this.suspended || Date.now() - this.aliveAt > HEARTBEAT_MS) this.reclaim();
  }

  /**
   * Checks that the queue keys this client stored or holds are still its own, and renews their leases (every
   * heartbeat, when the page comes back from a freeze or the back/forward cache, and after a gap). A key another page
   * adopted meanwhile (its lease names that page: its claim, or its mark of the adoption) is that page's, which sends
   * its events: this client drops them from its memory rather than send them twice, and stores its new events under a
   * new key of its own. Only that evidence counts: a key gone without it (the app cleared the storage, before or
   * during a freeze or a sleep) keeps its events, and the copy is written again. Should it have been adopted after
   * all (its mark cleared too), the events go twice, and metrics-ingest counts each id once. Back after its lease was
   * given up or ran out, the client claims its keys as another page claims an orphaned one ({@link confirm}).
   */
  private reclaim(): void {
    // Its lease given up (frozen, in the back/forward cache) or run out (asleep): another page may claim its keys.
    const lapsed = this.suspended || Date.now() - this.aliveAt > LEASE_MS;
    this.suspended = false;
    this.aliveAt = Date.now();
    const storage = this.storage;
    if (!storage || this.closed || this.released || this.confirming !== null) return;
    if (lapsed) {
      this.confirm();
      return;
    }
    const adopted = new Set<string>();
    let vanished = false;
    try {
      for (const [queueKey, { leaseKey, ids }] of this.held) {
        if (!this.claim(queueKey, leaseKey)) {
          ids.forEach((id) => adopted.add(id));
          this.held.delete(queueKey);
        } else if (storage.getItem(queueKey) === null) {
          vanished = true;
        }
      }
      if (this.stored) {
        if (!this.claim(this.storageKey, this.leaseKey)) {
          this.storedIds.forEach((id) => adopted.add(id));
          this.rekey();
        } else if (storage.getItem(this.storageKey) === null) {
          vanished = true;
        }
      }
    } catch {
      // Storage denied: this page goes on with the queue it has.
    }
    this.heartbeat();
    if (adopted.size > 0) this.dropAdopted(adopted);
    else if (vanished) this.persist();
  }

  /**
   * Renews the lease of a queue key this client stored or holds, unless another page's lease (or its mark of an
   * adoption) is on it.
   */
  private claim(queueKey: string, leaseKey: string): boolean {
    const storage = this.storage as Storage;
    const owner = leaseOwner(storage.getItem(leaseKey));
    if (owner !== null && owner !== this.tabId) return false;
    storage.setItem(leaseKey, lease(this.tabId));
    return leaseOwner(storage.getItem(leaseKey)) === this.tabId;
  }

  /**
   * A new key for this client's queue, its previous one being another page's now; the orphaned keys it still holds
   * are held under the new id.
   */
  private rekey(): void {
    this.tabId = uuid();
    this.storageKey = STORAGE_PREFIX + this.tabId;
    this.leaseKey = LEASE_PREFIX + this.tabId;
    this.stored = false;
    this.storedIds = new Set();
    this.persistedAt = -Infinity;
    for (const { leaseKey } of this.held.values()) this.storage?.setItem(leaseKey, lease(this.tabId));
  }

  /**
   * Forgets the events another page adopted (that page sends them), the batch in flight included should it hold one:
   * the answer to that request, should it still come, is not this page's any more. The rest is stored anew.
   */
  private dropAdopted(adopted: Set<string>): void {
    const kept = (event: TelemetryEvent) => {
      if (!adopted.has(event.eventId)) return true;
      this.counts.handedOver++;
      this.handedOverIds.add(event.eventId);
      return false;
    };
    this.queue = this.queue.filter(kept);
    const inFlight = this.inFlight;
    if (inFlight?.some((e) => adopted.has(e.eventId))) {
      this.queue.unshift(...inFlight.filter(kept));
      this.inFlight = null;
      this.requests++;
      if (this.queue.length > 0 && this.retryTimer === null) this.schedule(0);
    }
    for (const id of this.handedOverIds) {
      if (this.handedOverIds.size <= this.options.maxQueuedEvents) break;
      this.handedOverIds.delete(id);
    }
    this.persist();
    this.notify();
  }

  /**
   * Claims again, as a page claims an orphaned key ({@link claimKey}: under the key's Web Lock, read back after
   * {@link CLAIM_CONFIRM_MS}), the queue keys this client stored or holds, once it runs again after its lease was
   * given up or ran out: a page in another browser process may be claiming them, and this page's writes reach it a
   * moment later. Until each is confirmed its own or another page's ({@link confirmed}), the client neither sends nor
   * writes its copy. Frozen or gone meanwhile, it gives its claims back, and confirms again when it runs again.
   */
  private confirm(): void {
    const keys = [...this.held].map(([queueKey, { leaseKey, ids }]) => ({ queueKey, leaseKey, ids, own: false }));
    if (this.stored) keys.push({ queueKey: this.storageKey, leaseKey: this.leaseKey, ids: this.storedIds, own: true });
    if (keys.length === 0) {
      this.heartbeat(); // nothing in storage that another page could take
      return;
    }
    let end: () => void = () => {};
    const ended = new Promise<void>((resolve) => (end = resolve));
    const confirming: Confirming = { ids: new Set(keys.flatMap((key) => [...key.ids])), aside: null, ended, end };
    this.confirming = confirming;
    const results = keys.map(async (key) => ({ ...key, result: await this.confirmKey(key.queueKey, key.leaseKey) }));
    void Promise.all(results)
      .then((confirmed) => {
        if (this.confirming === confirming) this.confirmed(confirmed);
      })
      .catch(() => {
        if (this.confirming === confirming) this.confirmed([]);
      });
  }

  /**
   * Claims a queue key this client stored or holds ({@link confirm}): its own unless another page's lease, claim or
   * mark is on it, before or after the wait. A page that finds the key's Web Lock taken (another page is claiming the
   * key) looks again {@link LOOK_AGAIN_MS} later, twice as long each time, at most a heartbeat apart.
   */
  private async confirmKey(queueKey: string, leaseKey: string): Promise<ClaimResult> {
    const storage = this.storage as Storage;
    const entry: Claiming = { leaseKey, claim: null, wake: null };
    this.claiming.set(queueKey, entry);
    const ours = (text: string | null) => {
      const owner = leaseOwner(text);
      return owner === null || owner === this.tabId;
    };
    try {
      for (let delay = LOOK_AGAIN_MS; ; delay = Math.min(2 * delay, HEARTBEAT_MS)) {
        const result = await this.claimKey(
          queueKey,
          entry,
          () => ours(storage.getItem(leaseKey)),
          ours,
          () => storage.setItem(leaseKey, lease(this.tabId)),
        );
        if (result !== 'busy') return result;
        await this.pause(entry, delay);
        if (!this.mayAdopt()) return 'stopped';
      }
    } finally {
      if (this.claiming.get(queueKey) === entry) this.claiming.delete(queueKey);
    }
  }

  /**
   * The keys are confirmed: those another page took are left to it (their events dropped, see {@link dropAdopted}),
   * the others kept; the copy is written and what is queued is sent.
   */
  private confirmed(results: Array<{ queueKey: string; ids: Set<string>; own: boolean; result: ClaimResult }>): void {
    this.confirming?.end(); // the answers held meanwhile are taken once what follows ran
    this.confirming = null;
    if (this.closed || this.released || this.suspended) return;
    const adopted = new Set<string>();
    let rekey = false;
    for (const { queueKey, ids, own, result } of results) {
      if (result !== 'taken') continue; // an error of storage: this page goes on with the queue it has
      ids.forEach((id) => adopted.add(id));
      if (own) rekey = true;
      else this.held.delete(queueKey);
    }
    if (rekey) this.rekey();
    this.heartbeat();
    if (adopted.size > 0) this.dropAdopted(adopted);
    else this.persist();
    if (this.queue.length > 0 && this.retryTimer === null) this.schedule(0);
    this.notify();
    this.adoptOrphanedQueues(); // those left alone while it confirmed
  }

  /**
   * Every {@link HEARTBEAT_MS}: checks and renews the leases of the stored queue and of the orphaned keys held, and
   * adopts the queues of pages that went away without giving theirs up (a crash, a killed browser) once their lease
   * expired.
   */
  private heartbeat(): void {
    if (!this.storage || this.heartbeatTimer !== null || this.closed || this.released) return;
    this.heartbeatTimer = this.later(() => {
      this.heartbeatTimer = null;
      if (this.closed || this.released) return;
      this.reclaim();
      this.adoptOrphanedQueues();
    }, HEARTBEAT_MS);
  }

  /** The length of an event's JSON, measured once. */
  private sizeOf(event: TelemetryEvent): number {
    let size = this.sizes.get(event);
    if (size === undefined) {
      size = JSON.stringify(event).length;
      this.sizes.set(event, size);
    }
    return size;
  }

  /**
   * Takes over the stored queues whose owner is gone: a queue key whose lease was given up (the page was closed) or
   * expired (not renewed for {@link LEASE_MS}: the page crashed), or that has none (left by an earlier version). The
   * queue of a page still open is left alone, however old its events. Each orphaned key is claimed and adopted on its
   * own ({@link claimOrphan}), so that of two pages that find it together, in one browser process or in two, one
   * adopts it.
   */
  private adoptOrphanedQueues(): void {
    const storage = this.storage;
    // A suspended page takes on no other page's queue: it left its own to them.
    if (!storage || this.closed || this.suspended) return;
    this.recheck();
    // A page gone for good takes none either: it would only hold the key's Web Lock from a page that stays. Nor does
    // one that confirms its own keys: the events of a key it adopted then would be in none of the keys being confirmed,
    // written aside and sent as it goes as if no other page could hold them. It looks again once they are confirmed.
    if (this.released || this.confirming !== null) return;
    try {
      const now = Date.now();
      const queueKeys: string[] = [];
      const leaseKeys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith(STORAGE_PREFIX) && key !== this.storageKey) queueKeys.push(key);
        if (key?.startsWith(LEASE_PREFIX) && key !== this.leaseKey) leaseKeys.push(key);
      }
      for (const queueKey of queueKeys) {
        if (this.held.has(queueKey) || this.claiming.has(queueKey)) continue; // adopted already, or being claimed
        const leaseKey = LEASE_PREFIX + queueKey.slice(STORAGE_PREFIX.length);
        if (!isLive(storage.getItem(leaseKey), now)) this.claimOrphan(queueKey, leaseKey);
      }
      // A lease whose queue key is gone and whose owner is gone too is only clutter; the mark of an adoption is kept
      // for the page that stored the key, should it run again, until it tells nothing.
      for (const leaseKey of leaseKeys) {
        const queueKey = STORAGE_PREFIX + leaseKey.slice(LEASE_PREFIX.length);
        const text = storage.getItem(leaseKey);
        const expired = isAdoptedMark(text) ? !isLive(text, now, ADOPTED_MARK_MS) : !isLive(text, now);
        if (storage.getItem(queueKey) === null && expired) storage.removeItem(leaseKey);
      }
    } catch {
      // Unreadable storage: this page goes on with the queue it has.
    }
  }

  /**
   * Claims and adopts an orphaned queue key ({@link claimKey}): reads the key's lease again (another page may have
   * claimed or adopted it meanwhile) and adopts the key only if it finds its own claim there after the wait. A page
   * that finds the key's Web Lock taken leaves the key to the page that holds it, and looks again
   * {@link LOOK_AGAIN_MS} later (twice as long each time it finds it taken again, then at its heartbeat), should that
   * page have given its claim back.
   */
  private claimOrphan(queueKey: string, leaseKey: string): void {
    const storage = this.storage as Storage;
    const entry: Claiming = { leaseKey, claim: null, wake: null };
    this.claiming.set(queueKey, entry);
    const orphaned = () => !isLive(storage.getItem(leaseKey), Date.now()) && storage.getItem(queueKey) !== null;
    const claimed = async () => {
      for (let delay = LOOK_AGAIN_MS; ; delay *= 2) {
        const result = await this.claimKey(
          queueKey,
          entry,
          orphaned,
          (text, claim) => leaseClaim(text) === claim,
          () => {
            // A confirmation of its own keys began during the wait (see adoptOrphanedQueues): the claim is given back,
            // and the key looked for again once they are confirmed.
            if (this.confirming === null) this.adopt(queueKey, leaseKey);
            else storage.removeItem(leaseKey);
          },
        );
        if (result !== 'busy' || delay > HEARTBEAT_MS) return;
        await this.pause(entry, delay);
        if (!this.mayAdopt() || !orphaned()) return;
      }
    };
    const done = () => {
      if (this.claiming.get(queueKey) === entry) this.claiming.delete(queueKey);
    };
    claimed().then(done, done);
  }

  /**
   * Claims a queue key for this client while holding the key's Web Lock where the browser has them
   * (`navigator.locks`, with `ifAvailable`: `busy` when another page holds it). Without Web Locks (or where they are
   * refused, as in an opaque origin), the claim is confirmed by reading it back after the wait alone
   * ({@link claimAndConfirm}).
   */
  private async claimKey(
    queueKey: string,
    entry: Claiming,
    free: () => boolean,
    held: (lease: string | null, claim: string) => boolean,
    won: () => void,
  ): Promise<ClaimResult> {
    const claimed = () => this.claimAndConfirm(entry, free, held, won);
    const locks = webLocks();
    if (locks === null) return claimed();
    let granted = false;
    const name = ADOPT_LOCK_PREFIX + queueKey.slice(STORAGE_PREFIX.length);
    try {
      // Typed as the lock API types it: a promise of the callback's promise, which `await` flattens.
      return await new Promise<Promise<ClaimResult>>((resolve) => {
        resolve(
          locks.request(name, { ifAvailable: true }, (lock): Promise<ClaimResult> => {
            granted = true;
            return lock === null ? Promise.resolve('busy') : claimed();
          }),
        );
      });
    } catch {
      return granted ? 'error' : claimed();
    }
  }

  /**
   * Claims a queue key: `free` reads its lease again (another page may have claimed or adopted it meanwhile), then
   * this client writes its claim into it (its tab id and a random claim id), waits {@link CLAIM_CONFIRM_MS} and reads
   * it back; `won` runs (under the lock, where there is one) only if `held` finds the claim still there. Of two pages
   * that claimed a key together, in two browser processes without Web Locks, the one whose write came last keeps it.
   * Should both still take it (a write slower than that to reach the other process), the events keep their ids and
   * metrics-ingest counts each once. A page that goes away, is frozen or is closed meanwhile gives its claim back.
   */
  private async claimAndConfirm(
    entry: Claiming,
    free: () => boolean,
    held: (lease: string | null, claim: string) => boolean,
    won: () => void,
  ): Promise<ClaimResult> {
    const storage = this.storage as Storage;
    try {
      if (!this.mayAdopt()) return 'stopped';
      if (!free()) return 'taken';
      const claim = uuid();
      storage.setItem(entry.leaseKey, lease(this.tabId, Date.now(), claim));
      entry.claim = claim;
      await this.pause(entry, CLAIM_CONFIRM_MS);
      if (!this.mayAdopt()) {
        this.giveBack(entry.leaseKey, claim);
        return 'stopped';
      }
      if (!held(storage.getItem(entry.leaseKey), claim)) return 'taken'; // another page's claim
      won();
      return 'won';
    } catch {
      return 'error'; // unreadable storage: this page goes on with the queue it has
    } finally {
      entry.claim = null;
    }
  }

  /** Waits `ms`, or less should this client give up its leases meanwhile (`entry.wake`). */
  private pause(entry: Claiming, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.later(() => {
        entry.wake = null;
        resolve();
      }, ms);
      entry.wake = () => {
        clearTimeout(timer);
        entry.wake = null;
        resolve();
      };
    });
  }

  /** Whether this client takes on orphaned queues: it runs, and is not closed nor gone. */
  private mayAdopt(): boolean {
    return !this.closed && !this.released && !this.suspended;
  }

  /**
   * Adopts the events of a queue key this client claimed. They are stored under this client's own key before the
   * orphaned key is removed, so a page that closes meanwhile loses nothing: while the copy does not hold the whole
   * queue (storage full, or over its budget), the orphaned key stays, held under this client's lease (see
   * {@link held}), for the next page should this one go.
   */
  private adopt(queueKey: string, leaseKey: string): void {
    const storage = this.storage as Storage;
    // Under this client's tab id, which may have changed since the claim ({@link rekey}).
    storage.setItem(leaseKey, lease(this.tabId));
    const stored = parseJson(storage.getItem(queueKey));
    const events = Array.isArray(stored) ? stored.filter(isEvent) : [];
    const known = new Set([...(this.inFlight ?? []), ...this.queue].map((e) => e.eventId));
    for (const event of events) {
      if (known.has(event.eventId)) continue;
      known.add(event.eventId);
      this.queue.push(event);
      // Counted as handed over when another page claimed them; this page sends them after all.
      if (this.handedOverIds.delete(event.eventId)) this.counts.handedOver--;
    }
    this.queue.sort((a, b) => a.eventTime - b.eventTime);
    this.trim();
    // Removed once a copy holds the whole queue: by this write, else a later one.
    this.held.set(queueKey, { leaseKey, ids: new Set(events.map((e) => e.eventId)) });
    this.persist();
    if (this.queue.length > 0 && this.retryTimer === null) this.schedule(0);
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

/** A confirmation of this client's keys ({@link TelemetryClient.confirm}). */
interface Confirming {
  /** The ids of the events in the keys being confirmed. */
  ids: Set<string>;
  /** The id of the key the events recorded meanwhile are written under, once written. */
  aside: string | null;
  /**
   * Settled once the confirmation ended, the keys confirmed or the claims given back (which forgets the request in
   * flight): the answer held for it is taken or not then.
   */
  ended: Promise<void>;
  /** Settles {@link ended}. */
  end: () => void;
}

/**
 * A queue key this client is claiming: its lease key, the claim id written into that lease (while the claim waits to
 * be read back), and what ends a wait at once should the client give up its leases.
 */
interface Claiming {
  leaseKey: string;
  claim: string | null;
  wake: (() => void) | null;
}

/**
 * How a claim ended: `won` (the claim held), `taken` (another page's lease, claim or mark is on the key), `busy`
 * (another page holds the key's Web Lock), `stopped` (this client stopped running and gave its claim back), `error`
 * (storage could not be read or written).
 */
type ClaimResult = 'won' | 'taken' | 'busy' | 'stopped' | 'error';

/**
 * The count of the keepalive bytes in flight that every client of this page shares: the page's document's, as the
 * browser counts them per document (globalThis's where there is none, in a worker or Node.js). Kept in a registry on
 * `globalThis` ({@link KEEPALIVE_REGISTRY}), shared by every copy of this module in the page; a weak one, so that a
 * document gone takes its count with it.
 */
function pageKeepalive(): { bytes: number } {
  const doc = (globalThis as { document?: unknown }).document;
  const page: object = typeof doc === 'object' && doc !== null ? doc : globalThis;
  const registry = keepaliveRegistry();
  let budget = registry.get(page);
  if (budget === undefined) {
    budget = { bytes: 0 };
    registry.set(page, budget);
  }
  return budget;
}

/** This copy of the module's registry of keepalive counts, unless another copy put its own on `globalThis` first. */
const ownKeepaliveRegistry = new WeakMap<object, { bytes: number }>();

function keepaliveRegistry(): WeakMap<object, { bytes: number }> {
  const realm = globalThis as { [KEEPALIVE_REGISTRY]?: unknown };
  const shared = realm[KEEPALIVE_REGISTRY];
  if (shared instanceof WeakMap) return shared;
  try {
    Object.defineProperty(realm, KEEPALIVE_REGISTRY, { value: ownKeepaliveRegistry });
  } catch {
    // A frozen global: the clients of this copy of the module still count their requests together.
  }
  return ownKeepaliveRegistry;
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
  const text = withoutLoneSurrogates(
    String(message)
      .replace(/\r\n?/g, '\n')
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, ' '),
  );
  if (text.length <= MAX_ERROR_MESSAGE_LENGTH) return text;
  // Not cut between the two halves of a surrogate pair.
  const max = MAX_ERROR_MESSAGE_LENGTH;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
  return text.slice(0, end);
}

/**
 * The text with each unpaired surrogate (which has no UTF-8 encoding) made a space. A loop, not a regular expression:
 * one needs a lookbehind, which Safari before 16.4 cannot even parse (the whole module would fail to load).
 */
function withoutLoneSurrogates(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a pair
        continue;
      }
    }
    out += text.slice(from, i) + ' ';
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** What an error says, even one whose `toString` throws. */
function describe(error: unknown): string {
  try {
    return String(error);
  } catch {
    return 'an error';
  }
}

/** The part of an exposure each refusal is about, for the console. */
const EXPOSURE_PARTS: Record<ExposureRefusal, string> = {
  FLAG_KEY: "flag key (not one a Rollguard flag can have: another provider's flag?)",
  VARIANT: 'variant (blank, longer than 128 characters or holding a control character)',
  FLAG_VERSION: 'flag version (not a whole number from 0)',
  TREATED: 'treated mark (not a boolean)',
};

/** Throws a `RangeError` naming the first attribute of the client's `context` option metrics-ingest would refuse. */
function checkContext(context: unknown): void {
  if (context === undefined) return;
  if (typeof context !== 'object' || context === null) throw new RangeError('context must be an object');
  const names = Object.keys(context);
  if (names.length > MAX_CONTEXT_ATTRIBUTES) {
    throw new RangeError(`context has ${names.length} attributes, at most ${MAX_CONTEXT_ATTRIBUTES} are taken`);
  }
  for (const name of names) {
    const refusal = contextRefusal(name, (context as Record<string, unknown>)[name]);
    if (refusal !== null) {
      throw new RangeError(
        `context attribute '${name}' would have metrics-ingest refuse every event: ${CONTEXT_REFUSAL_REASONS[refusal]}`,
      );
    }
  }
}

/**
 * A lease on a queue key: the tab id of its owner, and when it was renewed; a page claiming an orphaned key adds a
 * random claim id, which it reads back to confirm the claim.
 */
function lease(owner: string, at = Date.now(), claim?: string): string {
  return JSON.stringify({ owner, at, claim });
}

/**
 * The mark the page that adopted a queue key leaves in its lease once the key is removed: its tab id, when, and that
 * the events were adopted. Not renewed: it is removed {@link ADOPTED_MARK_MS} later.
 */
function adoptedMark(owner: string, at = Date.now()): string {
  return JSON.stringify({ owner, at, adopted: true });
}

function isAdoptedMark(lease: string | null): boolean {
  return (parseJson(lease) as { adopted?: unknown } | null)?.adopted === true;
}

/** The claim id a lease holds, or null. */
function leaseClaim(lease: string | null): string | null {
  const value = parseJson(lease) as { claim?: unknown } | null;
  return typeof value?.claim === 'string' ? value.claim : null;
}

/** The tab id a lease names, or null. */
function leaseOwner(lease: string | null): string | null {
  const value = parseJson(lease) as { owner?: unknown } | null;
  return typeof value?.owner === 'string' ? value.owner : null;
}

/**
 * Whether a lease was renewed within {@link LEASE_MS} (or `within`) of `now`. One stamped further ahead than that (the
 * device clock was set back since) counts as expired too, or a page gone for good would hold its queue until the
 * clock caught up.
 */
function isLive(lease: string | null, now: number, within = LEASE_MS): boolean {
  const at = (parseJson(lease) as { at?: unknown } | null)?.at;
  return typeof at === 'number' && Math.abs(now - at) <= within;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
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

/**
 * Settles once the body of `response` has arrived whole, or failed (aborted): read to its end from a copy (`clone`),
 * which the code that reads the answer, if any, does not notice. At once for a response that cannot be copied.
 */
async function bodyArrived(response: Response): Promise<void> {
  try {
    await response.clone().arrayBuffer();
  } catch {
    // Failed, aborted, or not a copyable response: the body is no longer on its way.
  }
}

async function readJson(response: Response): Promise<any> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** The browser's Web Locks (`navigator.locks`: every current browser), or null. */
function webLocks(): LockManager | null {
  try {
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
    return typeof locks?.request === 'function' ? locks : null;
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

/**
 * A random (version 4) UUID: `crypto.randomUUID` where there is one (secure contexts, Node.js 19 and later), else from
 * `getRandomValues`, else from `Math.random` (Node.js 18 has no global `crypto`): ids must be unique, not secret.
 */
export function uuid(): string {
  const crypto = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (typeof crypto?.randomUUID === 'function') {
    try {
      return crypto.randomUUID();
    } catch {
      // Not here after all: made below.
    }
  }
  const bytes = new Uint8Array(16);
  if (typeof crypto?.getRandomValues === 'function') {
    crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
