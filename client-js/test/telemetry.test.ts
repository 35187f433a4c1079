import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Exposures, KeyMismatchError, TelemetryClient, type TelemetryEvent } from '../src/index.js';
import { uuid } from '../src/telemetry.js';

interface Call {
  url: string;
  init: RequestInit;
  events: TelemetryEvent[];
  sentAt: unknown;
  /** The (fake) clock when the request was made. */
  at: number;
}

/** A scripted metrics-ingest: each call takes the next answer (a status, or 'down' for a network failure). */
function ingest(...script: Array<number | 'down' | { status: number; body: unknown; headers?: Record<string, string> }>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const batch = JSON.parse(String(init?.body));
    const events = batch.events as TelemetryEvent[];
    calls.push({ url: String(url), init: init ?? {}, events, sentAt: batch.sentAt, at: Date.now() });
    const next = script.length > 0 ? script.shift()! : 200;
    if (next === 'down') throw new TypeError('Failed to fetch');
    const status = typeof next === 'number' ? next : next.status;
    const body = typeof next === 'number' ? (status === 200 ? { accepted: events.length, rejected: [] } : {}) : next.body;
    const headers = { 'Content-Type': 'application/json', ...(typeof next === 'number' ? {} : next.headers) };
    return new Response(JSON.stringify(body), { status, headers });
  });
  return { calls, fetch: fetch as unknown as typeof globalThis.fetch };
}

/** Storage as the browser's localStorage behaves, in memory. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
}

const QUEUE_PREFIX = 'rollguard.telemetry.queue.';
const LEASE_PREFIX = 'rollguard.telemetry.lease.';

/** Storage whose quota is used up for queue copies while `full` (the small leases still fit). */
class FullStorage extends MemoryStorage {
  full = false;
  setItem(key: string, value: string) {
    if (this.full && key.startsWith(QUEUE_PREFIX)) {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    super.setItem(key, value);
  }
}

/** The keys in storage of the queues pages left there (one per page), beside their leases. */
function queueKeys(storage: Storage): string[] {
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i)!;
    if (key.startsWith(QUEUE_PREFIX)) keys.push(key);
  }
  return keys;
}

/**
 * What storage holds besides the marks a page that adopted a queue key leaves in its lease (`adopted`, kept 7 days for
 * the page that stored it, should that one run again).
 */
function withoutAdoptedMarks(storage: Storage): string[] {
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i)!;
    if (!(key.startsWith(LEASE_PREFIX) && JSON.parse(storage.getItem(key)!).adopted === true)) keys.push(key);
  }
  return keys;
}

/** The text stored under the one queue key there is. */
function storedText(storage: Storage): string {
  const keys = queueKeys(storage);
  expect(keys).toHaveLength(1);
  return storage.getItem(keys[0])!;
}

/** The events stored under the one queue key there is. */
function storedEvents(storage: Storage): TelemetryEvent[] {
  return JSON.parse(storedText(storage)) as TelemetryEvent[];
}

/** A page adopts a stored queue key it claimed once it read its claim back, this long after writing it. */
const CLAIM_CONFIRM_MS = 100;

/** Moves the fake clock past the confirmation of the claims pages made: the events of the keys adopted are queued. */
async function claimsConfirmed(): Promise<void> {
  await vi.advanceTimersByTimeAsync(CLAIM_CONFIRM_MS);
}

/** Then past the send an adoption schedules at once (a timer set while the fake clock moves is due 1 ms later). */
async function adoptedSent(): Promise<void> {
  await vi.advanceTimersByTimeAsync(1);
}

const base = { url: 'https://ingest.example.test/', producerToken: 'producer-1', clientId: 'tab-1', storage: null };

describe('TelemetryClient', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('posts the JSON metrics-ingest takes, with the producer token and the exposures of the event user', async () => {
    const server = ingest();
    const exposures = new Exposures();
    exposures.record('alice', 'new-sync', 'on', 7);
    const client = new TelemetryClient({ ...base, fetch: server.fetch, exposures, appVersion: '4.2.1' });

    const id = client.sync({ userId: 'alice', table: 'entries', success: false, durationMs: 5200, errorCode: 'TIMEOUT' });
    client.upload({ userId: 'alice', success: true, durationMs: 800, bytes: 40960, eventTime: new Date(1767225600000) });
    await vi.advanceTimersByTimeAsync(1000);

    expect(server.calls).toHaveLength(1);
    const { url, init, events } = server.calls[0];
    expect(url).toBe('https://ingest.example.test/api/telemetry');
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ Authorization: 'Bearer producer-1', 'Content-Type': 'application/json' });
    expect(init.credentials).toBe('omit');
    expect(events[0]).toEqual({
      type: 'sync',
      eventId: id,
      eventTime: expect.any(Number),
      clientId: 'tab-1',
      userId: 'alice',
      platform: 'WEB',
      appVersion: '4.2.1',
      table: 'entries',
      success: false,
      durationMs: 5200,
      errorCode: 'TIMEOUT',
      exposures: [{ flagKey: 'new-sync', variant: 'on', flagVersion: 7 }],
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(events[1]).toMatchObject({ type: 'upload', eventTime: 1767225600000, bytes: 40960 });
    expect(client.stats()).toMatchObject({ sent: 2, queued: 0, retries: 0 });
  });

  it('sends the context attributes of the client under those of the event', async () => {
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch, context: { country: 'FR', beta: true } });

    client.sync({ success: true, durationMs: 1 });
    client.sync({ success: true, durationMs: 2, context: { country: 'DE', seats: 12 } });
    await vi.advanceTimersByTimeAsync(1000);

    const { events } = server.calls[0];
    expect(events[0].context).toEqual({ country: 'FR', beta: true });
    expect(events[1].context).toEqual({ country: 'DE', beta: true, seats: 12 });
  });

  it('rounds a fractional duration and event time to whole milliseconds', async () => {
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch });

    client.sync({ success: true, durationMs: 12.5 });
    client.upload({ success: true, durationMs: 0.4, eventTime: 1767225600000.7 });
    await vi.advanceTimersByTimeAsync(1000);

    const { events } = server.calls[0];
    expect(events[0].durationMs).toBe(13);
    expect(events[1]).toMatchObject({ durationMs: 0, eventTime: 1767225600001 });
  });

  it('attaches the exposures of the user set last, after a login', async () => {
    const server = ingest();
    const exposures = new Exposures();
    exposures.record('guest-1', 'new-editor', 'off');
    exposures.record('alice', 'new-editor', 'on');
    const client = new TelemetryClient({ ...base, fetch: server.fetch, userId: 'guest-1', exposures, lingerMs: 0 });

    client.sync({ success: true, durationMs: 1 });
    client.setUserId('alice');
    client.sync({ success: true, durationMs: 2 });
    client.setUserId(undefined);
    client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(0);

    const events = server.calls.flatMap((c) => c.events);
    expect(events[0]).toMatchObject({ userId: 'guest-1', exposures: [{ flagKey: 'new-editor', variant: 'off' }] });
    expect(events[1]).toMatchObject({ userId: 'alice', exposures: [{ flagKey: 'new-editor', variant: 'on' }] });
    expect(events[2].userId).toBeUndefined();
  });

  it('sends no context when neither the client nor the event has one', async () => {
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(1000);

    expect(server.calls[0].events[0]).not.toHaveProperty('context');
  });

  it('batches: a full batch goes at once, the rest after the linger time', async () => {
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch, batchSize: 3, lingerMs: 500 });

    for (let i = 0; i < 4; i++) client.sync({ success: true, durationMs: i });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls.map((c) => c.events.length)).toEqual([3]);

    await vi.advanceTimersByTimeAsync(499);
    expect(server.calls).toHaveLength(2); // the fourth waited in the queue and went after the first batch
    expect(server.calls[1].events.map((e) => e.durationMs)).toEqual([3]);
  });

  it('retries a failed batch with the same event ids and a growing backoff until metrics-ingest answers', async () => {
    const server = ingest('down', 503, 'down', 200);
    const retries: number[] = [];
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter
    const client = new TelemetryClient({
      ...base,
      fetch: server.fetch,
      lingerMs: 0,
      listener: { onRetry: (_attempt, delay) => retries.push(delay) },
    });

    client.sync({ success: true, durationMs: 1 });
    client.sync({ success: false, durationMs: 2 });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(500 + 1000 + 2000);

    expect(retries).toEqual([500, 1000, 2000]);
    expect(server.calls).toHaveLength(4);
    const ids = server.calls.map((c) => c.events.map((e) => e.eventId).join());
    expect(new Set(ids).size).toBe(1);
    expect(client.stats()).toMatchObject({ sent: 2, retries: 3, queued: 0, rejected: 0 });
  });

  it('stamps every request with the time it is sent, a retry with its own later time', async () => {
    vi.setSystemTime(1767225600000);
    const server = ingest('down', 503, 200);
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter
    const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 0 });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(500 + 1000);

    expect(server.calls).toHaveLength(3);
    expect(server.calls.map((c) => c.sentAt)).toEqual(server.calls.map((c) => c.at));
    expect(server.calls.map((c) => c.sentAt)).toEqual([1767225600000, 1767225600500, 1767225601500]);
    // The events keep their own time: only sentAt tells metrics-ingest when each attempt left.
    expect(new Set(server.calls.map((c) => c.events[0].eventTime))).toEqual(new Set([1767225600000]));
  });

  it('stamps a batch sent with keepalive when the page goes away with the time it leaves', async () => {
    const page = new EventTarget();
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    try {
      const server = ingest();
      const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 60_000 });

      client.sync({ success: true, durationMs: 1 });
      await vi.advanceTimersByTimeAsync(10_000);
      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);

      expect(server.calls).toHaveLength(1);
      expect(server.calls[0].init.keepalive).toBe(true);
      expect(server.calls[0].sentAt).toBe(server.calls[0].events[0].eventTime + 10_000);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('waits at least what Retry-After says', async () => {
    const server = ingest({ status: 429, body: {}, headers: { 'Retry-After': '7' } });
    const retries: number[] = [];
    const client = new TelemetryClient({
      ...base,
      fetch: server.fetch,
      lingerMs: 0,
      listener: { onRetry: (_attempt, delay) => retries.push(delay) },
    });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(retries).toEqual([7000]);
    await vi.advanceTimersByTimeAsync(6999);
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls).toHaveLength(2);
    expect(client.stats().sent).toBe(1);
  });

  it('counts a keepalive request in UTF-8 bytes, not characters', async () => {
    const page = new EventTarget();
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    try {
      const server = ingest();
      const client = new TelemetryClient({ ...base, fetch: server.fetch, batchSize: 200, lingerMs: 5000 });
      // 3 bytes a character in UTF-8: 50 of these messages are about 50 000 characters but 150 000 bytes.
      for (let i = 0; i < 50; i++) client.sync({ success: false, durationMs: i, errorMessage: '\u20ac'.repeat(1000) });

      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);

      expect(server.calls[0].init.keepalive).toBe(true);
      expect(new TextEncoder().encode(String(server.calls[0].init.body)).length).toBeLessThanOrEqual(60_000);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('sends an error message as metrics-ingest takes it: no control characters, at most 2048 characters', async () => {
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 0 });

    client.sync({ success: false, durationMs: 1, errorMessage: 'line 1\r\nline 2\rline 3\tcol\u0000end\u001b[0m\ud800!' });
    client.sync({ success: false, durationMs: 2, errorMessage: 'x'.repeat(2047) + '\ud83d\ude00' + 'y'.repeat(10) });
    await vi.advanceTimersByTimeAsync(0);

    const [first, second] = server.calls.flatMap((c) => c.events);
    expect(first.errorMessage).toBe('line 1\nline 2\nline 3\tcol end [0m !');
    // Cut at 2048, not between the two halves of the emoji that straddles the limit.
    expect(second.errorMessage).toBe('x'.repeat(2047));
  });

  it('warns once on the console when metrics-ingest refuses whole batches', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = ingest(
      { status: 401, body: { code: 'UNAUTHENTICATED', message: 'unknown token' } },
      { status: 401, body: { code: 'UNAUTHENTICATED', message: 'unknown token' } },
    );
    const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 0 });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(0);
    client.sync({ success: true, durationMs: 2 });
    await vi.advanceTimersByTimeAsync(0);

    expect(server.calls).toHaveLength(2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('HTTP 401 UNAUTHENTICATED: unknown token');
  });

  it('schedules nothing after close, even for a batch that was in flight', async () => {
    let answer: (r: Response) => void = () => {};
    const calls: number[] = [];
    const fetch = vi.fn(
      () =>
        new Promise<Response>((resolve) => {
          calls.push(Date.now());
          answer = resolve;
        }),
    ) as unknown as typeof globalThis.fetch;
    const storage = new MemoryStorage();
    const client = new TelemetryClient({ ...base, storage, fetch, lingerMs: 0 });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(0);
    const closing = client.close(100);
    await vi.advanceTimersByTimeAsync(200);
    expect(await closing).toBe(false);
    answer(new Response('{}', { status: 503 }));
    await vi.advanceTimersByTimeAsync(600_000);

    expect(calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(storage.length).toBeGreaterThan(0);
  });

  it('takes an answer that comes after close without storage: no other page can send the batch', async () => {
    let answer: (r: Response) => void = () => {};
    const fetch = vi.fn(() => new Promise<Response>((resolve) => (answer = resolve))) as unknown as typeof globalThis.fetch;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const rejected: string[] = [];
    const listener = { onRejected: (event: TelemetryEvent) => rejected.push(event.eventId) };
    const client = new TelemetryClient({ ...base, fetch, lingerMs: 0, requestTimeoutMs: 60_000, listener });

    const ids = [client.sync({ success: true, durationMs: 1 }), client.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(1);
    const closing = client.close(10);
    await vi.advanceTimersByTimeAsync(20);
    expect(await closing).toBe(false);
    const refusal = { code: 'INVALID_TOKEN', message: 'revoked' };
    answer(new Response(JSON.stringify(refusal), { status: 401 }));
    await vi.advanceTimersByTimeAsync(100);

    expect(rejected).toEqual(ids);
    expect(client.stats()).toMatchObject({ rejected: 2, queued: 0 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('HTTP 401 INVALID_TOKEN');
  });

  it('never retries events refused for good, and counts the ones refused one by one', async () => {
    const server = ingest(
      { status: 200, body: { accepted: 1, rejected: [{ index: 1, code: 'FUTURE_TIMESTAMP', reason: 'ahead' }] } },
      { status: 401, body: { code: 'UNAUTHENTICATED', message: 'unknown token' } },
    );
    const refused: string[] = [];
    const client = new TelemetryClient({
      ...base,
      fetch: server.fetch,
      lingerMs: 0,
      batchSize: 2,
      listener: { onRejected: (e, code) => refused.push(`${e.durationMs}:${code}`) },
    });

    client.sync({ success: true, durationMs: 1 });
    client.sync({ success: true, durationMs: 2, eventTime: Date.now() + 3_600_000 });
    await vi.advanceTimersByTimeAsync(0);
    client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(60_000);

    expect(server.calls).toHaveLength(2);
    expect(refused).toEqual(['2:FUTURE_TIMESTAMP', '3:UNAUTHENTICATED']);
    expect(client.stats()).toMatchObject({ sent: 1, rejected: 2, retries: 0, queued: 0 });
  });

  it('splits a batch over the body limit into halves', async () => {
    const server = ingest(413);
    const client = new TelemetryClient({ ...base, fetch: server.fetch, batchSize: 4, lingerMs: 0 });

    for (let i = 0; i < 4; i++) client.sync({ success: true, durationMs: i });
    await vi.advanceTimersByTimeAsync(10);

    expect(server.calls.map((c) => c.events.length)).toEqual([4, 2, 2]);
    expect(client.stats()).toMatchObject({ sent: 4, rejected: 0 });
  });

  it('keeps a bounded queue while offline, dropping the oldest, and drains it when back', async () => {
    let online = false;
    const server = ingest();
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      if (!online) throw new TypeError('Failed to fetch');
      return server.fetch(url, init);
    });
    const dropped: number[] = [];
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const client = new TelemetryClient({
      ...base,
      fetch: fetch as unknown as typeof globalThis.fetch,
      batchSize: 5,
      maxQueuedEvents: 10,
      maxBackoffMs: 2000,
      listener: { onDropped: (e) => dropped.push(e.durationMs) },
    });

    for (let i = 0; i < 14; i++) client.sync({ success: true, durationMs: i });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(client.stats()).toMatchObject({ sent: 0, queued: 10, dropped: 4 });
    expect(dropped).toEqual([0, 1, 2, 3]);

    online = true;
    await vi.advanceTimersByTimeAsync(2400);
    expect(await flushed(client)).toBe(true);
    const sent = server.calls.flatMap((c) => c.events.map((e) => e.durationMs));
    expect(sent).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(client.stats()).toMatchObject({ sent: 10, queued: 0, dropped: 4 });
  });

  it('leaves unsent events in storage for the next page, which sends them with their ids', async () => {
    const storage = new MemoryStorage();
    const first = new TelemetryClient({ ...base, storage, fetch: ingest('down').fetch, lingerMs: 0 });
    const ids = [first.sync({ success: true, durationMs: 1 }), first.upload({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(0);
    expect(queueKeys(storage)).toHaveLength(1);
    const closing = first.close(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(await closing).toBe(false);

    // The next page opens an hour later: its request says when it left, not when the events were first sent.
    vi.setSystemTime(Date.now() + 3_600_000);
    const server = ingest();
    const next = new TelemetryClient({ ...base, storage, fetch: server.fetch });
    await claimsConfirmed();
    expect(next.stats().queued).toBe(2);
    await adoptedSent();

    expect(server.calls[0].events.map((e) => e.eventId)).toEqual(ids);
    expect(server.calls[0].sentAt).toBe(server.calls[0].at);
    expect(server.calls[0].sentAt).toBeGreaterThanOrEqual(server.calls[0].events[0].eventTime + 3_600_000);
    expect(next.stats()).toMatchObject({ sent: 2, queued: 0 });
    expect(withoutAdoptedMarks(storage)).toEqual([]);
  });

  it('keeps the generated client id in storage', () => {
    const storage = new MemoryStorage();
    const one = new TelemetryClient({ url: 'https://i.test', producerToken: 't', storage, fetch: ingest().fetch });
    const two = new TelemetryClient({ url: 'https://i.test', producerToken: 't', storage, fetch: ingest().fetch });
    expect(one.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(two.clientId).toBe(one.clientId);
  });

  it('sends what is queued with keepalive when the page is hidden', async () => {
    const page = new EventTarget();
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    try {
      const server = ingest();
      const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 5000 });
      client.sync({ success: true, durationMs: 1 });

      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);

      expect(server.calls).toHaveLength(1);
      expect(server.calls[0].init.keepalive).toBe(true);
      expect(client.stats().sent).toBe(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('keeps a keepalive request under the browsers 64 KiB limit', async () => {
    const page = new EventTarget();
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    try {
      const server = ingest();
      const client = new TelemetryClient({ ...base, fetch: server.fetch, batchSize: 200, lingerMs: 5000 });
      for (let i = 0; i < 199; i++) client.sync({ success: false, durationMs: i, errorMessage: 'x'.repeat(1000) });

      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);

      expect(server.calls[0].init.keepalive).toBe(true);
      expect(String(server.calls[0].init.body).length).toBeLessThanOrEqual(60_000);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  describe('a page that goes away with a request in flight', () => {
    /** A metrics-ingest whose answer to the first request waits for the test; later requests are answered 200. */
    function slowFirstAnswer() {
      const calls: Call[] = [];
      let answerFirst: (outcome: Response | Error) => void = () => {};
      const fetch = vi.fn((url: string | URL | Request, init?: RequestInit) => {
        const batch = JSON.parse(String(init?.body));
        const events = batch.events as TelemetryEvent[];
        calls.push({ url: String(url), init: init ?? {}, events, sentAt: batch.sentAt, at: Date.now() });
        if (calls.length > 1) {
          const answer = JSON.stringify({ accepted: events.length, rejected: [] });
          return Promise.resolve(new Response(answer, { status: 200 }));
        }
        return new Promise<Response>((resolve, reject) => {
          answerFirst = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
        });
      });
      return {
        calls,
        fetch: fetch as unknown as typeof globalThis.fetch,
        answerFirst: (outcome: Response | Error) => answerFirst(outcome),
      };
    }

    let page: EventTarget;
    beforeEach(() => {
      page = new EventTarget();
      vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
      vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    });
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    it('sends the batch in flight again with keepalive, counted once when the browser aborts the first', async () => {
      const server = slowFirstAnswer();
      const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 0 });
      const ids = [1, 2, 3].map((d) => client.sync({ success: true, durationMs: d }));
      await vi.advanceTimersByTimeAsync(0);
      expect(server.calls).toHaveLength(1);
      expect(server.calls[0].init.keepalive).toBe(false);

      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);

      expect(server.calls).toHaveLength(2);
      expect(server.calls[1].init.keepalive).toBe(true);
      expect(server.calls[1].events.map((e) => e.eventId)).toEqual(ids);
      expect(client.stats()).toMatchObject({ sent: 3, queued: 0, retries: 0 });

      server.answerFirst(new TypeError('Failed to fetch')); // the browser aborted it
      await vi.advanceTimersByTimeAsync(60_000);
      expect(server.calls).toHaveLength(2);
      expect(client.stats()).toMatchObject({ sent: 3, queued: 0, retries: 0 });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('ignores the first answer when it still comes, so the batch counts once', async () => {
      const server = slowFirstAnswer();
      const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 0 });
      client.sync({ success: true, durationMs: 1 });
      await vi.advanceTimersByTimeAsync(0);

      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);
      server.answerFirst(new Response(JSON.stringify({ accepted: 1, rejected: [] }), { status: 200 }));
      await vi.advanceTimersByTimeAsync(0);
      client.sync({ success: true, durationMs: 2 });
      await vi.advanceTimersByTimeAsync(0);

      expect(server.calls.map((c) => [c.init.keepalive, c.events.map((e) => e.durationMs)])).toEqual([
        [false, [1]],
        [true, [1]],
        [false, [2]],
      ]);
      expect(client.stats()).toMatchObject({ sent: 2, queued: 0 });
    });

    it('resends within the keep-alive body limit, and keeps every event in storage until it is answered', async () => {
      const storage = new MemoryStorage();
      const server = slowFirstAnswer();
      const client = new TelemetryClient({ ...base, storage, fetch: server.fetch, batchSize: 200, lingerMs: 0 });
      for (let i = 0; i < 199; i++) client.sync({ success: false, durationMs: i, errorMessage: 'x'.repeat(1000) });
      await vi.advanceTimersByTimeAsync(0);
      expect(server.calls[0].events).toHaveLength(199);
      const all = [...Array(199).keys()];

      page.dispatchEvent(new Event('pagehide')); // the request goes before the handler returns, as a page's last act

      const resent = server.calls[1];
      expect(resent.init.keepalive).toBe(true);
      expect(new TextEncoder().encode(String(resent.init.body)).length).toBeLessThanOrEqual(60_000);
      const count = resent.events.length;
      expect(count).toBeGreaterThan(0);
      expect(resent.events.map((e) => e.durationMs)).toEqual(all.slice(0, count));
      expect(storedEvents(storage).map((e) => e.durationMs)).toEqual(all);

      // The page stayed (back/forward cache): the rest goes once the keepalive request is answered.
      await vi.advanceTimersByTimeAsync(0);
      expect(server.calls.slice(1).flatMap((c) => c.events.map((e) => e.durationMs))).toEqual(all);
      expect(client.stats()).toMatchObject({ sent: 199, queued: 0 });
      expect(storage.length).toBe(0);
    });

    it('does not send again a batch that went with keepalive already', async () => {
      const server = slowFirstAnswer();
      const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 5000 });
      client.sync({ success: true, durationMs: 1 });

      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);
      page.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);

      expect(server.calls).toHaveLength(1);
      expect(server.calls[0].init.keepalive).toBe(true);
      expect(client.stats().queued).toBe(1);
    });
  });

  describe('the key mismatch guard', () => {
    it('warns once when the event user has no exposures but other keys do, and still sends', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const exposures = new Exposures();
      exposures.record('alice@example.com', 'new-sync', 'on', 2);
      const server = ingest();
      const seen: string[] = [];
      const client = new TelemetryClient({
        ...base,
        fetch: server.fetch,
        exposures,
        listener: { onKeyMismatch: (e) => seen.push(e.userId ?? '') },
      });

      client.sync({ userId: 'u-1', success: true, durationMs: 1 });
      client.sync({ userId: 'u-1', success: true, durationMs: 2 });
      await vi.advanceTimersByTimeAsync(1000);

      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain('userId');
      expect(String(warn.mock.calls[0][0])).not.toContain('alice@example.com'); // no user data in the console
      expect(seen).toEqual(['u-1', 'u-1']);
      expect(client.stats()).toMatchObject({ keyMismatches: 2, sent: 2 });
      expect(server.calls[0].events[0].exposures).toBeUndefined();
    });

    it('refuses the event under keyMismatch refuse', () => {
      const exposures = new Exposures();
      exposures.record('alice@example.com', 'new-sync', 'on');
      const client = new TelemetryClient({ ...base, fetch: ingest().fetch, exposures, keyMismatch: 'refuse' });

      expect(() => client.sync({ userId: 'u-1', success: true, durationMs: 1 })).toThrow(KeyMismatchError);
      expect(client.stats().queued).toBe(0);
      expect(client.sync({ userId: 'alice@example.com', success: true, durationMs: 1 })).toBeTypeOf('string');
    });

    it('checks the client id when the event names no user, and trusts exposures the app set itself', () => {
      const exposures = new Exposures();
      exposures.record('tab-1', 'new-sync', 'off');
      const client = new TelemetryClient({ ...base, fetch: ingest().fetch, exposures, keyMismatch: 'refuse' });

      client.sync({ success: true, durationMs: 1 });
      client.sync({ userId: 'u-9', success: true, durationMs: 1, exposures: [{ flagKey: 'f', variant: 'on' }] });

      expect(client.stats()).toMatchObject({ keyMismatches: 0, queued: 2 });
    });
  });
});

describe('TelemetryClient never throws into the app', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it('goes on sending when a listener throws, and says so once per listener', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = ingest(
      'down',
      { status: 200, body: { accepted: 0, rejected: [{ index: 0, code: 'FUTURE_TIMESTAMP', reason: 'ahead' }] } },
      200,
    );
    const boom = () => {
      throw new Error('listener bug');
    };
    const client = new TelemetryClient({
      ...base,
      fetch: server.fetch,
      lingerMs: 0,
      batchSize: 1,
      maxQueuedEvents: 2,
      listener: { onRetry: boom, onRejected: boom, onDropped: boom },
    });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(0); // down: onRetry throws
    client.sync({ success: true, durationMs: 2 });
    client.sync({ success: true, durationMs: 3 }); // the queue is full: 1 is dropped, onDropped throws
    await vi.advanceTimersByTimeAsync(1000); // the retry: 2 is refused, onRejected throws
    await vi.advanceTimersByTimeAsync(1000);

    expect(server.calls.map((c) => c.events.map((e) => e.durationMs))).toEqual([[1], [2], [3]]);
    expect(client.stats()).toMatchObject({ sent: 1, rejected: 1, dropped: 1, retries: 1, queued: 0 });
    const said = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('threw'));
    expect(said).toHaveLength(3);
    expect(said.join()).toContain('listener.onRetry threw');
  });

  it('refuses an event JSON cannot hold when it is queued, and sends the others', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = ingest();
    const refused: string[] = [];
    const client = new TelemetryClient({
      ...base,
      fetch: server.fetch,
      listener: { onRejected: (e, code) => refused.push(`${e.durationMs}:${code}`) },
    });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;

    client.sync({ success: true, durationMs: 1 });
    expect(() => client.sync({ success: true, durationMs: 2, recordsSynced: 10n as unknown as number })).not.toThrow();
    client.upload({ success: true, durationMs: 3, bytes: cycle as unknown as number });
    client.sync({ success: true, durationMs: 4 });
    await vi.advanceTimersByTimeAsync(1000);

    expect(refused).toEqual(['2:INVALID_FIELD', '3:INVALID_FIELD']);
    expect(server.calls.flatMap((c) => c.events.map((e) => e.durationMs))).toEqual([1, 4]);
    expect(client.stats()).toMatchObject({ sent: 2, rejected: 2, queued: 0 });
  });

  it('recovers a batch whose sending failed unexpectedly: put back, retried, no unhandled rejection', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    let calls = 0;
    const fetch = vi.fn(async () => {
      calls++;
      // An answer whose headers cannot be read: the client's own handling of it throws.
      if (calls === 1) return { ok: false, status: 503, headers: null } as unknown as Response;
      return new Response(JSON.stringify({ accepted: 1, rejected: [] }), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const client = new TelemetryClient({ ...base, fetch, lingerMs: 0 });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.stats()).toMatchObject({ queued: 1, retries: 1 });
    await vi.advanceTimersByTimeAsync(1000);

    expect(calls).toBe(2);
    expect(client.stats()).toMatchObject({ sent: 1, queued: 0 });
  });

  it('refuses a context option metrics-ingest would refuse, naming the attribute', () => {
    const make = (context: Record<string, unknown>) => () =>
      new TelemetryClient({ ...base, fetch: ingest().fetch, context: context as Record<string, string> });

    expect(make({ targetingKey: 'alice', country: 'FR' })).toThrow(RangeError);
    expect(make({ targetingKey: 'alice', country: 'FR' })).toThrow(/'targetingKey'/);
    expect(make({ country: null })).toThrow(/'country'.*no value/);
    expect(make({ 'account type': 'pro' })).toThrow(/'account type'/);
    expect(make({ note: 'x'.repeat(257) })).toThrow(/'note'/);
    expect(make(Object.fromEntries([...Array(33).keys()].map((i) => [`a${i}`, i])))).toThrow(/33 attributes/);
    expect(make({ country: 'FR', seats: 3, beta: true })).not.toThrow();
  });

  it('leaves out event context attributes metrics-ingest would refuse, warning once per attribute name', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch, context: { country: 'FR' } });
    // The OpenFeature context as it is, targeting key included, and an attribute the app has no value for.
    const context = { targetingKey: 'alice', country: 'DE', region: null } as unknown as Record<string, string>;

    client.sync({ success: true, durationMs: 1, context });
    client.sync({ success: true, durationMs: 2, context });
    client.sync({ success: true, durationMs: 3, context: { plan: 'pro', 'bad name': 'x' } });
    await vi.advanceTimersByTimeAsync(1000);

    const events = server.calls.flatMap((c) => c.events);
    expect(events.map((e) => e.context)).toEqual([
      { country: 'DE' },
      { country: 'DE' },
      { country: 'FR', plan: 'pro' },
    ]);
    const said = warn.mock.calls.map((c) => String(c[0]));
    expect(said).toHaveLength(3);
    expect(said[0]).toContain("'targetingKey'");
    expect(said[1]).toContain("'region'");
    expect(said[2]).toContain("'bad name'");
  });

  it('leaves out the context attributes beyond the 32 metrics-ingest takes', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch });

    const context = Object.fromEntries([...Array(40).keys()].map((i) => [`a${i}`, i]));
    client.sync({ success: true, durationMs: 1, context });
    await vi.advanceTimersByTimeAsync(1000);

    expect(Object.keys(server.calls[0].events[0].context ?? {})).toHaveLength(32);
  });

  it('warns once per code metrics-ingest refuses single events with', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const refusing = (code: string) => ({
      status: 200,
      body: { accepted: 0, rejected: [{ index: 0, code, reason: `${code} reason` }] },
    });
    const server = ingest(refusing('INVALID_FIELD'), refusing('INVALID_FIELD'), refusing('EXPIRED_TIMESTAMP'));
    const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 0 });

    for (let i = 0; i < 3; i++) {
      client.sync({ success: true, durationMs: i });
      await vi.advanceTimersByTimeAsync(0);
    }

    expect(client.stats().rejected).toBe(3);
    const said = warn.mock.calls.map((c) => String(c[0]));
    expect(said).toHaveLength(2);
    expect(said[0]).toContain('INVALID_FIELD: INVALID_FIELD reason');
    expect(said[1]).toContain('EXPIRED_TIMESTAMP');
  });

  it('attaches only the exposures metrics-ingest accepts, warning once per reason', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const exposures = new Exposures();
    exposures.record('alice', 'new_checkout', 'on'); // another provider's flag
    exposures.record('alice', 'new-sync', 'on', 4);
    exposures.record('alice', 'dark-mode', 'v'.repeat(129));
    exposures.record('alice', 'OtherFlag', 'on');
    const server = ingest();
    const client = new TelemetryClient({ ...base, fetch: server.fetch, exposures });

    client.sync({ userId: 'alice', success: true, durationMs: 1 });
    client.sync({
      userId: 'bob',
      success: true,
      durationMs: 2,
      exposures: [
        { flagKey: 'new-sync', variant: 'off' },
        { flagKey: 'new-sync', variant: 'off', flagVersion: -1 },
      ],
    });
    await vi.advanceTimersByTimeAsync(1000);

    const [alice, bob] = server.calls.flatMap((c) => c.events);
    expect(alice.exposures).toEqual([{ flagKey: 'new-sync', variant: 'on', flagVersion: 4 }]);
    expect(bob.exposures).toEqual([{ flagKey: 'new-sync', variant: 'off' }]);
    expect(warn).toHaveBeenCalledTimes(3); // flag key, variant, flag version
  });

  it('counts an event after close as dropped, and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dropped: number[] = [];
    const client = new TelemetryClient({
      ...base,
      fetch: ingest().fetch,
      listener: { onDropped: (e) => dropped.push(e.durationMs) },
    });
    const closing = client.close(100);
    await vi.advanceTimersByTimeAsync(0);
    await closing;

    expect(() => client.sync({ success: true, durationMs: 1 })).not.toThrow();
    expect(client.upload({ success: true, durationMs: 2 })).toBeTypeOf('string');

    expect(dropped).toEqual([1, 2]);
    expect(client.stats()).toMatchObject({ dropped: 2, queued: 0 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('after close()');
  });

  it('makes event ids without a global crypto (Node.js 18), and with getRandomValues only', () => {
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    vi.stubGlobal('crypto', undefined);
    const ids = new Set([...Array(100)].map(() => uuid()));
    expect(ids.size).toBe(100);
    ids.forEach((id) => expect(id).toMatch(v4));
    const client = new TelemetryClient({
      url: 'https://i.test',
      producerToken: 't',
      storage: null,
      fetch: ingest().fetch,
    });
    expect(client.clientId).toMatch(v4);
    expect(client.sync({ success: true, durationMs: 1 })).toMatch(v4);

    vi.stubGlobal('crypto', { getRandomValues: (bytes: Uint8Array) => bytes.fill(7) });
    expect(uuid()).toBe('07070707-0707-4707-8707-070707070707');
  });
});

describe('TelemetryClient storage and timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it('writes the stored queue at most every 2 seconds, not on every event', async () => {
    const storage = new MemoryStorage();
    const setItem = vi.spyOn(storage, 'setItem');
    // The queue's copy, not its small lease, which the heartbeat renews.
    const queueWrites = () => setItem.mock.calls.filter(([key]) => key.startsWith(QUEUE_PREFIX)).length;
    const client = new TelemetryClient({ ...base, storage, fetch: ingest().fetch, batchSize: 1000, lingerMs: 60_000 });

    for (let i = 0; i < 100; i++) client.sync({ success: true, durationMs: i });
    expect(queueWrites()).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(queueWrites()).toBe(2);
    expect(storedEvents(storage)).toHaveLength(100);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(queueWrites()).toBe(2); // nothing new, nothing written
  });

  it('writes the stored queue at once when the page goes away', async () => {
    const page = new EventTarget();
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    const storage = new MemoryStorage();
    const fetch = vi.fn(() => new Promise<Response>(() => {})) as unknown as typeof globalThis.fetch;
    const client = new TelemetryClient({ ...base, storage, fetch, lingerMs: 60_000 });

    client.sync({ success: true, durationMs: 1 });
    client.sync({ success: true, durationMs: 2 });
    expect(storedEvents(storage)).toHaveLength(1);
    page.dispatchEvent(new Event('pagehide'));

    expect(storedEvents(storage)).toHaveLength(2);
    expect(client.stats().queued).toBe(2);
  });

  it('keeps the stored copy within its budget: the oldest left out of it (counted), not out of the queue', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const storage = new MemoryStorage();
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof globalThis.fetch;
    const client = new TelemetryClient({ ...base, storage, fetch, maxQueuedEvents: 1000 });

    for (let i = 0; i < 1000; i++) {
      client.sync({ success: false, durationMs: i, errorMessage: 'x'.repeat(2000) });
    }
    await vi.advanceTimersByTimeAsync(2000);

    const text = storedText(storage);
    expect(text.length).toBeLessThanOrEqual(512 * 1024);
    const stored = JSON.parse(text) as TelemetryEvent[];
    expect(stored.length).toBeGreaterThan(100);
    expect(stored.at(-1)!.durationMs).toBe(999); // the newest are kept
    expect(client.stats()).toMatchObject({ queued: 1000, unstored: 1000 - stored.length });
  });

  it('lets a Node.js process end: its timers are unref-ed', async () => {
    const fake = globalThis.setTimeout;
    const handles: Array<{ unref: () => unknown; unrefed: boolean }> = [];
    vi.stubGlobal('setTimeout', (run: () => void, ms?: number) => {
      const handle = fake(run, ms) as unknown as { unref: () => unknown; unrefed: boolean };
      const unref = handle.unref.bind(handle);
      handle.unrefed = false;
      handle.unref = () => {
        handle.unrefed = true;
        return unref();
      };
      handles.push(handle);
      return handle;
    });
    const client = new TelemetryClient({ ...base, storage: new MemoryStorage(), fetch: ingest('down', 'down').fetch });

    client.sync({ success: true, durationMs: 1 }); // linger
    client.sync({ success: true, durationMs: 2 }); // a storage write later
    await vi.advanceTimersByTimeAsync(1000); // the request (its timeout) fails: a retry

    expect(client.stats().retries).toBe(1);
    expect(handles.length).toBeGreaterThanOrEqual(3);
    expect(handles.filter((h) => !h.unrefed)).toEqual([]);
  });

  it('aborts a request that gets no answer in time, and sends the batch again', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const fetch = vi.fn((_url: string, init: RequestInit) => {
      signals.push(init.signal ?? undefined);
      if (signals.length === 1) return new Promise<Response>(() => {}); // a stalled connection
      return Promise.resolve(new Response(JSON.stringify({ accepted: 1, rejected: [] }), { status: 200 }));
    }) as unknown as typeof globalThis.fetch;
    const retries: string[] = [];
    const client = new TelemetryClient({
      ...base,
      fetch,
      lingerMs: 0,
      requestTimeoutMs: 3000,
      listener: { onRetry: (_a, _d, reason) => retries.push(reason) },
    });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(2999);
    expect(signals[0]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(retries).toEqual(['unreachable: Error: no answer in 3000 ms']);
    await vi.advanceTimersByTimeAsync(1000);

    expect(signals).toHaveLength(2);
    expect(client.stats()).toMatchObject({ sent: 1, queued: 0 });
  });

  it('does not cut short the backoff of a retry each time the page is hidden', async () => {
    const page = new EventTarget();
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    vi.stubGlobal('document', document);
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const server = ingest('down', 'down');
    const client = new TelemetryClient({ ...base, fetch: server.fetch, lingerMs: 0, initialBackoffMs: 5000 });

    client.sync({ success: true, durationMs: 1 });
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 5; i++) {
      document.dispatchEvent(new Event('visibilitychange'));
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4500);
    expect(server.calls).toHaveLength(2);
    expect(client.stats().retries).toBe(2);
  });
});

describe('TelemetryClient in two tabs of one origin', () => {
  /**
   * One tab's view of metrics-ingest: reachable or not (`up`), and the event ids it delivered; its answers take
   * `latencyMs` to come.
   */
  function network(latencyMs = 0) {
    const state = { up: false, delivered: [] as string[] };
    const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      if (!state.up) throw new TypeError('Failed to fetch');
      const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
      state.delivered.push(...events.map((e) => e.eventId));
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      return new Response(JSON.stringify({ accepted: events.length, rejected: [] }), { status: 200 });
    });
    return { state, fetch: fetch as unknown as typeof globalThis.fetch };
  }

  /** A page of its own (its `pagehide` and `storage` events) for the client made next. */
  function openPage(): EventTarget {
    const page = new EventTarget();
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page));
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page));
    return page;
  }

  const tab = { url: 'https://ingest.example.test/', producerToken: 'producer-1', clientId: 'browser-1', lingerMs: 0 };

  /** Closes the client; its flush waits on timers, which the fake clock has to move. */
  async function closed(client: TelemetryClient): Promise<void> {
    const closing = client.close(0);
    await vi.advanceTimersByTimeAsync(0);
    await closing;
  }

  /** A tab with two events it could not send, stored under its key (`backoff`: how long its retries wait). */
  async function offlineTab(
    storage: Storage,
    backoff: { initialBackoffMs?: number; maxBackoffMs?: number } = {},
    latencyMs = 0,
  ) {
    const net = network(latencyMs);
    const before = queueKeys(storage);
    const client = new TelemetryClient({ ...tab, ...backoff, storage, fetch: net.fetch });
    const ids = [client.sync({ success: true, durationMs: 1 }), client.upload({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(0);
    expect(client.stats()).toMatchObject({ queued: 2, retries: 1 });
    await vi.advanceTimersByTimeAsync(2000); // the copy in storage is written within 2 s
    const key = queueKeys(storage).find((k) => !before.includes(k))!;
    expect((JSON.parse(storage.getItem(key)!) as TelemetryEvent[]).map((e) => e.eventId)).toEqual(ids);
    return { client, net, ids, key };
  }

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it('keeps the queue of a tab still open to that tab: another never adopts, overwrites or sends it', async () => {
    const storage = new MemoryStorage();
    openPage();
    const a = await offlineTab(storage);

    openPage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    expect(b.stats().queued).toBe(0);
    const bId = b.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(bNet.state.delivered).toEqual([bId]);

    // Ten minutes offline in tab A, more than the lease: its heartbeat keeps it.
    await vi.advanceTimersByTimeAsync(600_000);
    expect(bNet.state.delivered).toEqual([bId]);
    expect(b.stats().queued).toBe(0);
    expect(queueKeys(storage)).toEqual([a.key]);
    expect((JSON.parse(storage.getItem(a.key)!) as TelemetryEvent[]).map((e) => e.eventId)).toEqual(a.ids);

    a.net.state.up = true;
    await vi.advanceTimersByTimeAsync(60_000); // its next retry, within the longest backoff
    expect(a.net.state.delivered).toEqual(a.ids);
    expect(bNet.state.delivered).toEqual([bId]);
    expect(queueKeys(storage)).toEqual([]);
  });

  it('keeps both stored queues of two tabs offline together, each under its own key', async () => {
    const storage = new MemoryStorage();
    openPage();
    const a = await offlineTab(storage);
    openPage();
    const b = await offlineTab(storage);

    await vi.advanceTimersByTimeAsync(600_000);
    expect(queueKeys(storage)).toEqual([a.key, b.key]);
    expect((JSON.parse(storage.getItem(a.key)!) as TelemetryEvent[]).map((e) => e.eventId)).toEqual(a.ids);
    expect((JSON.parse(storage.getItem(b.key)!) as TelemetryEvent[]).map((e) => e.eventId)).toEqual(b.ids);
    expect(a.client.stats().queued).toBe(2);
    expect(b.client.stats().queued).toBe(2);
  });

  it('leaves the queue of a tab that goes away to the next page, which adopts it once', async () => {
    const storage = new MemoryStorage();
    const pageA = openPage();
    const a = await offlineTab(storage);
    openPage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });

    pageA.dispatchEvent(new Event('pagehide')); // tab A is closed, still offline: its keepalive request fails
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client); // and its page is gone
    expect(queueKeys(storage)).toEqual([a.key]);

    openPage();
    const cNet = network();
    cNet.state.up = true;
    const c = new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    const d = new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await claimsConfirmed();
    expect(c.stats().queued).toBe(2);
    expect(d.stats().queued).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);

    expect(cNet.state.delivered).toEqual(a.ids);
    expect(bNet.state.delivered).toEqual([]);
    expect(a.net.state.delivered).toEqual([]);
    expect(withoutAdoptedMarks(storage)).toEqual([]);
  });

  /**
   * `localStorage` of one origin as pages in different browser processes see it: each page reads and writes a copy of
   * its own, and its writes reach the shared store, and from there the copies of the other pages, `lagMs` later, in
   * the order they were made (a page's copy keeps its own write of a key until that write is in the shared store).
   */
  class ProcessStorage {
    private readonly shared = new Map<string, string>();
    private readonly copies: PageCopy[] = [];
    constructor(readonly lagMs: number) {}

    /** The copy of a page in a process of its own. */
    page(): Storage {
      const copy = new PageCopy(this);
      this.shared.forEach((value, key) => copy.receive(key, value));
      this.copies.push(copy);
      return copy;
    }

    write(from: PageCopy, key: string, value: string | null): void {
      from.pending.set(key, (from.pending.get(key) ?? 0) + 1);
      setTimeout(() => {
        if (value === null) this.shared.delete(key);
        else this.shared.set(key, value);
        from.pending.set(key, from.pending.get(key)! - 1);
        for (const copy of this.copies) {
          if (!copy.pending.get(key)) copy.receive(key, this.shared.get(key) ?? null);
        }
      }, this.lagMs);
    }
  }

  class PageCopy extends MemoryStorage {
    readonly pending = new Map<string, number>();
    constructor(private readonly processes: ProcessStorage) {
      super();
    }
    setItem(key: string, value: string) {
      super.setItem(key, value);
      this.processes.write(this, key, String(value));
    }
    removeItem(key: string) {
      super.removeItem(key);
      this.processes.write(this, key, null);
    }
    receive(key: string, value: string | null) {
      if (value === null) super.removeItem(key);
      else super.setItem(key, value);
    }
  }

  /** The Web Locks of one origin, which its pages share (`navigator.locks`): exclusive, granted asynchronously. */
  function webLocks() {
    const held = new Set<string>();
    const requests: Array<{ name: string; options: LockOptions }> = [];
    const locks = {
      request(name: string, options: LockOptions, callback: (lock: Lock | null) => unknown): Promise<unknown> {
        requests.push({ name, options });
        if (held.has(name)) {
          if (!options.ifAvailable) throw new Error('a request that waits is not expected');
          return Promise.resolve().then(() => callback(null));
        }
        held.add(name);
        return Promise.resolve()
          .then(() => callback({ name, mode: 'exclusive' } as Lock))
          .finally(() => held.delete(name));
      },
    };
    return { locks, requests, held };
  }

  /**
   * Tab A leaves two events in storage and goes away; pages B and C, each in a browser process of its own, open
   * together and run ten minutes. Returns tab A, pages B and C, and the storage as a page opened then sees it.
   */
  async function twoPagesRacing(processes: ProcessStorage) {
    const lagMs = processes.lagMs;
    const pageA = openPage();
    const a = await offlineTab(processes.page());
    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);
    await vi.advanceTimersByTimeAsync(lagMs); // every page sees tab A's key without a lease

    const pages = ['b', 'c'].map(() => {
      openPage();
      const net = network();
      net.state.up = true;
      return { net, client: new TelemetryClient({ ...tab, storage: processes.page(), fetch: net.fetch }) };
    });
    await vi.advanceTimersByTimeAsync(600_000);
    const later = processes.page();
    await vi.advanceTimersByTimeAsync(lagMs);
    return { a, pages, later };
  }

  it('has one page adopt a key that pages in two browser processes find together, under the Web Lock', async () => {
    const { locks, requests, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    // Writes take longer to reach the other process than a claim waits before it is read back: only the lock helps.
    const { a, pages, later } = await twoPagesRacing(new ProcessStorage(1000));

    const delivered = pages.map((p) => p.net.state.delivered);
    expect(delivered.filter((ids) => ids.length > 0)).toEqual([a.ids]);
    expect(pages.map((p) => p.client.stats().sent).sort()).toEqual([0, 2]);
    expect(a.net.state.delivered).toEqual([]);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    expect(requests.filter((r) => r.name === lock)).toEqual([
      { name: lock, options: { ifAvailable: true } },
      { name: lock, options: { ifAvailable: true } },
    ]);
    expect(held.size).toBe(0);
    expect(withoutAdoptedMarks(later)).toEqual([]);
  });

  it('has one page adopt a key that pages in two browser processes find together, without Web Locks', async () => {
    // A claim is read back well after it reached the other process.
    const { a, pages, later } = await twoPagesRacing(new ProcessStorage(20));

    // The later claim is the one both read back: the first page backs off.
    expect(pages[0].net.state.delivered).toEqual([]);
    expect(pages[1].net.state.delivered).toEqual(a.ids);
    expect(pages.map((p) => p.client.stats())).toMatchObject([
      { sent: 0, queued: 0 },
      { sent: 2, queued: 0 },
    ]);
    expect(withoutAdoptedMarks(later)).toEqual([]);
  });

  it('claims without the lock where the browser refuses Web Locks (an opaque origin)', async () => {
    const refused = () => Promise.reject(new DOMException('Web Locks are not allowed here.', 'SecurityError'));
    vi.stubGlobal('navigator', { locks: { request: refused } });
    const { a, pages } = await twoPagesRacing(new ProcessStorage(20));

    expect(pages[0].net.state.delivered).toEqual([]);
    expect(pages[1].net.state.delivered).toEqual(a.ids);
  });

  it('gives back a claim when the page goes away before it is confirmed: the next page adopts the key', async () => {
    const storage = new MemoryStorage();
    const pageA = openPage();
    const a = await offlineTab(storage);
    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);

    const pageB = openPage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    expect(leaseOf(storage, a.key)).toMatchObject({ owner: expect.any(String), claim: expect.any(String) });
    pageB.dispatchEvent(new Event('pagehide')); // within the wait
    expect(leaseOf(storage, a.key)).toBeNull();
    await claimsConfirmed();
    await closed(b);
    expect(b.stats().queued).toBe(0);

    openPage();
    const cNet = network();
    cNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(cNet.state.delivered).toEqual(a.ids);
    expect(bNet.state.delivered).toEqual([]);
  });

  it('frees the Web Lock when a page claiming a key is frozen, so the next page adopts it at once', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openPage();
    const a = await offlineTab(storage);
    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);

    const pageB = openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await vi.advanceTimersByTimeAsync(0);
    expect(leaseOf(storage, a.key)).toMatchObject({ claim: expect.any(String) });
    expect(held.size).toBe(1);
    pageB.document.dispatchEvent(new Event('freeze')); // within the wait: a frozen page's timers do not run
    await vi.advanceTimersByTimeAsync(1); // the promises settle; the 100 ms wait is far from over
    expect(leaseOf(storage, a.key)).toBeNull();
    expect(held.size).toBe(0);

    const pageC = openPage();
    const cNet = network();
    cNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(cNet.state.delivered).toEqual(a.ids);
    expect(bNet.state.delivered).toEqual([]);
    pageC.dispatchEvent(new Event('pagehide'));
  });

  it('takes no lock for other pages\' keys once it has gone away', async () => {
    const { locks, requests } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageB = openPage();
    const b = new TelemetryClient({ ...tab, storage, fetch: network().fetch });
    pageB.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);

    const pageA = openPage();
    const a = await offlineTab(storage);
    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);
    const before = requests.length;
    pageB.dispatchEvent(
      Object.assign(new Event('storage'), {
        key: 'rollguard.telemetry.lease.' + a.key.slice(QUEUE_PREFIX.length),
        newValue: null,
        storageArea: storage,
      }),
    );
    await claimsConfirmed();
    expect(requests.length).toBe(before);
    expect(leaseOf(storage, a.key)).toBeNull();
    await closed(b);
  });

  it('adopts at once in an open tab the queue of a tab that goes away', async () => {
    const storage = new MemoryStorage();
    const pageA = openPage();
    const a = await offlineTab(storage);
    const pageB = openPage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });

    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);
    // The browser tells the other tabs of the lease given up.
    const released = Object.assign(new Event('storage'), {
      key: 'rollguard.telemetry.lease.' + a.key.slice(QUEUE_PREFIX.length),
      newValue: null,
      storageArea: storage,
    });
    pageB.dispatchEvent(released);
    await claimsConfirmed();
    expect(b.stats().queued + b.stats().sent).toBe(2);
    await adoptedSent();

    expect(bNet.state.delivered).toEqual(a.ids);
    expect(queueKeys(storage)).toEqual([]);
  });

  it('adopts the queue of a tab that crashed once its lease expired, not before', async () => {
    const storage = new MemoryStorage();
    openPage();
    const a = await offlineTab(storage);
    // The browser process ends: the tab's timers with it, its storage stays.
    const left = new MemoryStorage();
    for (const key of queueKeys(storage)) left.setItem(key, storage.getItem(key)!);
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i)!;
      if (key.startsWith(LEASE_PREFIX)) left.setItem(key, storage.getItem(key)!);
    }
    await closed(a.client);

    openPage();
    const net = network();
    net.state.up = true;
    const next = new TelemetryClient({ ...tab, storage: left, fetch: net.fetch });
    expect(next.stats().queued).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(net.state.delivered).toEqual([]);

    await vi.advanceTimersByTimeAsync(120_000); // past the lease
    expect(net.state.delivered).toEqual(a.ids);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(net.state.delivered).toEqual(a.ids);
    expect(withoutAdoptedMarks(left)).toEqual([]);
  });

  /** A page of its own whose document fires the Page Lifecycle events (`freeze`, `resume`) too. */
  function openLivePage(): { window: EventTarget; document: EventTarget } {
    const window = openPage();
    const document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    vi.stubGlobal('document', document);
    return { window, document };
  }

  /** How a page stops running and comes back: frozen (Page Lifecycle), or kept in the back/forward cache. */
  const suspensions = [
    {
      how: 'frozen',
      suspend: (page: ReturnType<typeof openLivePage>) => page.document.dispatchEvent(new Event('freeze')),
      resume: (page: ReturnType<typeof openLivePage>) => page.document.dispatchEvent(new Event('resume')),
    },
    {
      how: 'in the back/forward cache',
      suspend: (page: ReturnType<typeof openLivePage>) =>
        page.window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true })),
      resume: (page: ReturnType<typeof openLivePage>) =>
        page.window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true })),
    },
  ];

  for (const { how, suspend, resume } of suspensions) {
    it(`sends none of the events another page adopted while it was ${how} past its lease, and those recorded after`, async () => {
      const storage = new MemoryStorage();
      const pageA = openLivePage();
      const a = await offlineTab(storage);
      suspend(pageA);
      await vi.advanceTimersByTimeAsync(0);
      // Ten minutes without running: none of the page's timers, while the clock moves on.
      vi.setSystemTime(Date.now() + 600_000);

      openLivePage();
      const bNet = network();
      bNet.state.up = true;
      const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
      await claimsConfirmed();
      expect(b.stats().queued).toBe(2);
      await adoptedSent();
      expect(bNet.state.delivered).toEqual(a.ids);

      a.net.state.up = true;
      resume(pageA);
      const later = a.client.sync({ success: true, durationMs: 3 });
      await vi.advanceTimersByTimeAsync(60_000);

      expect(a.net.state.delivered).toEqual([later]);
      expect(a.client.stats()).toMatchObject({ sent: 1, queued: 0, handedOver: 2 });
      expect(bNet.state.delivered).toEqual(a.ids);
      expect(queueKeys(storage)).toEqual([]);
    });

    it(`gives up its lease while ${how}, and back within the lease takes it again and sends its events once`, async () => {
      const storage = new MemoryStorage();
      const pageA = openLivePage();
      const a = await offlineTab(storage);
      suspend(pageA);
      await vi.advanceTimersByTimeAsync(0);
      // A page opened meanwhile would adopt the stored queue at once, not once the lease expired.
      expect(queueKeys(storage)).toEqual([a.key]);
      expect(leaseOf(storage, a.key)).toBeNull();
      vi.setSystemTime(Date.now() + 60_000);

      a.net.state.up = true;
      resume(pageA);
      expect(leaseOf(storage, a.key)).toMatchObject({ at: Date.now() });
      openLivePage();
      const bNet = network();
      bNet.state.up = true;
      const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
      await claimsConfirmed();
      expect(b.stats().queued).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);

      expect(a.net.state.delivered).toEqual(a.ids);
      expect(a.client.stats()).toMatchObject({ sent: 2, queued: 0, handedOver: 0 });
      expect(bNet.state.delivered).toEqual([]);
      expect(queueKeys(storage)).toEqual([]);
    });
  }

  for (const persisted of [false, true]) {
    it(`does not store again the events of a key another page adopted after pagehide (persisted ${persisted})`, async () => {
      const storage = new MemoryStorage();
      const pageA = openLivePage();
      const fail: Array<(error: Error) => void> = [];
      const fetch = vi.fn(
        () => new Promise<Response>((_, reject) => fail.push(reject)),
      ) as unknown as typeof globalThis.fetch;
      const a = new TelemetryClient({ ...tab, storage, fetch, initialBackoffMs: 10_000 });
      const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
      await vi.advanceTimersByTimeAsync(2000);
      expect(storedEvents(storage).map((e) => e.eventId)).toEqual(ids);

      pageA.window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted }));
      expect(fail).toHaveLength(2); // the batch in flight, sent again with keepalive
      vi.setSystemTime(Date.now() + 600_000); // past the lease: adopted whether or not it was given up
      openLivePage();
      const bNet = network();
      bNet.state.up = true;
      new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
      await claimsConfirmed();
      await adoptedSent();
      expect(bNet.state.delivered).toEqual(ids);
      expect(queueKeys(storage)).toEqual([]);

      fail.forEach((reject) => reject(new TypeError('Failed to fetch'))); // page A's requests fail late
      await vi.advanceTimersByTimeAsync(2000); // a copy would be written within 2 s; the retry waits longer
      expect(fail).toHaveLength(2);
      expect(queueKeys(storage)).toEqual([]);
      openLivePage();
      const c = new TelemetryClient({ ...tab, storage, fetch: network().fetch });
      await claimsConfirmed();
      expect(c.stats().queued).toBe(0);
    });
  }

  it('drops a batch in flight when frozen that another page adopted: its late failure is not retried', async () => {
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const sent: string[][] = [];
    let failFirst: (error: Error) => void = () => {};
    const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
      const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
      sent.push(events.map((e) => e.eventId));
      if (sent.length === 1) return new Promise<Response>((_, reject) => (failFirst = reject));
      return Promise.resolve(new Response(JSON.stringify({ accepted: events.length, rejected: [] }), { status: 200 }));
    }) as unknown as typeof globalThis.fetch;
    const a = new TelemetryClient({ ...tab, storage, fetch });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000); // the copy in storage holds both within 2 s
    expect(sent).toEqual([ids]);
    expect(storedEvents(storage).map((e) => e.eventId)).toEqual(ids);

    pageA.document.dispatchEvent(new Event('freeze'));
    vi.setSystemTime(Date.now() + 600_000);
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(ids);

    pageA.document.dispatchEvent(new Event('resume'));
    failFirst(new TypeError('Failed to fetch')); // the request made before the freeze fails at last
    const later = a.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(60_000);

    expect(sent).toEqual([ids, [later]]);
    expect(a.stats()).toMatchObject({ sent: 1, queued: 0, retries: 0, handedOver: 2 });
    expect(queueKeys(storage)).toEqual([]);
  });

  it('counts in handedOver, not in sent, a batch in flight when frozen that another page adopted, should it arrive late', async () => {
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const sent: string[][] = [];
    let answerFirst: (response: Response) => void = () => {};
    const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
      const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
      sent.push(events.map((e) => e.eventId));
      if (sent.length === 1) return new Promise<Response>((resolve) => (answerFirst = resolve));
      return Promise.resolve(new Response(JSON.stringify({ accepted: events.length, rejected: [] }), { status: 200 }));
    }) as unknown as typeof globalThis.fetch;
    const a = new TelemetryClient({ ...tab, storage, fetch });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000); // the copy in storage holds both within 2 s
    expect(storedEvents(storage).map((e) => e.eventId)).toEqual(ids);

    pageA.document.dispatchEvent(new Event('freeze'));
    vi.setSystemTime(Date.now() + 600_000);
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(ids);

    pageA.document.dispatchEvent(new Event('resume'));
    answerFirst(new Response(JSON.stringify({ accepted: 2, rejected: [] }), { status: 200 })); // it arrived after all
    await vi.advanceTimersByTimeAsync(60_000);

    expect(sent).toEqual([ids]);
    expect(a.stats()).toMatchObject({ sent: 0, queued: 0, handedOver: 2 });
    expect(b.stats()).toMatchObject({ sent: 2, queued: 0 });
  });

  /** How a page stops running as the first thing it does after a sleep: frozen, kept in the cache, or unloaded. */
  const stops = [
    {
      how: 'frozen',
      stop: (page: ReturnType<typeof openLivePage>) => page.document.dispatchEvent(new Event('freeze')),
    },
    {
      how: 'kept in the back/forward cache',
      stop: (page: ReturnType<typeof openLivePage>) =>
        page.window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true })),
    },
    {
      how: 'unloaded',
      stop: (page: ReturnType<typeof openLivePage>) => page.window.dispatchEvent(new Event('pagehide')),
    },
  ];
  for (const { how, stop } of stops) {
    it(`leaves its whole queue to the next page when it is ${how} as the first thing after a sleep past its lease`, async () => {
      const storage = new MemoryStorage();
      const pageA = openLivePage();
      let calls = 0;
      // The first request fails; the keepalive one sent as the page goes gets no answer.
      const fetch = vi.fn(() => {
        calls++;
        return calls === 1 ? Promise.reject(new TypeError('Failed to fetch')) : new Promise<Response>(() => {});
      }) as unknown as typeof globalThis.fetch;
      const a = new TelemetryClient({ ...tab, ...slowRetries, storage, fetch });
      const first = a.sync({ success: true, durationMs: 1 });
      await vi.advanceTimersByTimeAsync(100);
      const second = a.sync({ success: true, durationMs: 2 }); // within 2 s of the first write: written later
      expect(storedEvents(storage).map((e) => e.eventId)).toEqual([first]);
      const own = queueKeys(storage)[0];

      vi.setSystemTime(Date.now() + 600_000); // the device sleeps ten minutes: none of the page's timers run
      stop(pageA);
      await vi.advanceTimersByTimeAsync(0);

      // Its key as it was (another page may be adopting it), the event recorded since under a key of its own: both
      // without a lease, each adopted whole by the next page.
      const keys = queueKeys(storage);
      expect(keys).toHaveLength(2);
      expect(JSON.parse(storage.getItem(own)!).map((e: TelemetryEvent) => e.eventId)).toEqual([first]);
      const aside = keys.find((k) => k !== own)!;
      expect(JSON.parse(storage.getItem(aside)!).map((e: TelemetryEvent) => e.eventId)).toEqual([second]);
      expect(keys.map((k) => leaseOf(storage, k))).toEqual([null, null]);

      openLivePage();
      const cNet = network();
      cNet.state.up = true;
      new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
      await vi.advanceTimersByTimeAsync(20_000);
      expect([...cNet.state.delivered].sort()).toEqual([first, second].sort());
    });

    it(`sends nothing another page adopted when it is ${how} as the first thing after a sleep past its lease`, async () => {
      vi.stubGlobal('navigator', {});
      const storage = new MemoryStorage();
      const pageA = openLivePage();
      const sent: string[][] = [];
      // The first request fails; those sent as the page goes get no answer.
      const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
        sent.push((JSON.parse(String(init?.body)).events as TelemetryEvent[]).map((e) => e.eventId));
        return sent.length === 1 ? Promise.reject(new TypeError('Failed to fetch')) : new Promise<Response>(() => {});
      }) as unknown as typeof globalThis.fetch;
      const a = new TelemetryClient({ ...tab, ...slowRetries, storage, fetch });
      const first = a.sync({ success: true, durationMs: 1 });
      await vi.advanceTimersByTimeAsync(100);
      const second = a.sync({ success: true, durationMs: 2 }); // within 2 s of the first write: written later
      expect(storedEvents(storage).map((e) => e.eventId)).toEqual([first]);

      vi.setSystemTime(Date.now() + 600_000); // the device sleeps ten minutes: none of the page's timers run
      openLivePage(); // page B adopts tab A's key, whose lease ran out, and sends its event
      const bNet = network();
      bNet.state.up = true;
      new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
      await claimsConfirmed();
      await adoptedSent();
      expect(bNet.state.delivered).toEqual([first]);
      stop(pageA);
      await vi.advanceTimersByTimeAsync(0);

      expect(sent.slice(1).flat()).not.toContain(first);
      expect(storedEvents(storage).map((e) => e.eventId)).toEqual([second]);
      openLivePage(); // the next page sends what tab A left
      const cNet = network();
      cNet.state.up = true;
      new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
      await claimsConfirmed();
      await adoptedSent();
      expect(cNet.state.delivered).toEqual([second]);
    });
  }

  it('keeps the events of a page that clears its storage while it runs: no other page can have adopted them', async () => {
    const storage = new MemoryStorage();
    openLivePage();
    const net = network();
    const backoff = { initialBackoffMs: 120_000, maxBackoffMs: 120_000 };
    const client = new TelemetryClient({ ...tab, ...backoff, storage, fetch: net.fetch });
    const ids = [client.sync({ success: true, durationMs: 1 }), client.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000); // the copy in storage is written within 2 s
    expect(storedEvents(storage).map((e) => e.eventId)).toEqual(ids);

    storage.clear(); // the app's logout, while the batch waits for its retry
    await vi.advanceTimersByTimeAsync(15_000); // the next heartbeat writes the copy again
    expect(storedEvents(storage).map((e) => e.eventId)).toEqual(ids);
    await vi.advanceTimersByTimeAsync(45_000);
    net.state.up = true;
    await vi.advanceTimersByTimeAsync(120_000);

    expect(net.state.delivered).toEqual(ids);
    expect(client.stats()).toMatchObject({ sent: 2, queued: 0 });
  });

  it('checks its lease after a gap: a tab asleep past its lease sends none of what another page holds', async () => {
    const storage = new FullStorage();
    openLivePage();
    const a = await offlineTab(storage);
    // The device sleeps ten minutes: no event tells the page, none of its timers runs.
    vi.setSystemTime(Date.now() + 600_000);
    storage.full = true;
    openLivePage();
    const bNet = network();
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    expect(b.stats().queued).toBe(2);
    // Page B could not store its copy: it holds tab A's key under its own lease.
    expect(queueKeys(storage)).toEqual([a.key]);
    const claim = leaseOf(storage, a.key)!;

    a.net.state.up = true;
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(a.net.state.delivered).toEqual([later]);
    expect(a.client.stats()).toMatchObject({ sent: 1, queued: 0, handedOver: 2 });
    expect(leaseOf(storage, a.key)!.owner).toBe(claim.owner);
    expect(b.stats().queued).toBe(2);

    storage.full = false;
    bNet.state.up = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(bNet.state.delivered).toEqual(a.ids);
    expect(a.net.state.delivered).toEqual([later]);
    expect(withoutAdoptedMarks(storage)).toEqual([]);
  });

  for (const { how, suspend, resume } of suspensions) {
    it(`keeps and sends its events when the storage is cleared while it is ${how}: no page marked them adopted`, async () => {
      const storage = new MemoryStorage();
      const pageA = openLivePage();
      const a = await offlineTab(storage);
      suspend(pageA);
      await vi.advanceTimersByTimeAsync(0);
      storage.clear(); // another page's logout
      vi.setSystemTime(Date.now() + 600_000);

      resume(pageA);
      // Written again once its claim on the key is confirmed, for the next page should this one go before it sends.
      await claimsConfirmed();
      expect(storedEvents(storage).map((e) => e.eventId)).toEqual(a.ids);
      a.net.state.up = true;
      await vi.advanceTimersByTimeAsync(60_000);

      expect(a.net.state.delivered).toEqual(a.ids);
      expect(a.client.stats()).toMatchObject({ sent: 2, queued: 0, dropped: 0, handedOver: 0 });
      expect(storage.length).toBe(0);
    });
  }

  it('keeps and sends its events when the storage is cleared before the device sleeps past the lease', async () => {
    const storage = new MemoryStorage();
    openLivePage();
    const a = await offlineTab(storage);
    storage.clear(); // the app's logout
    vi.setSystemTime(Date.now() + 600_000); // then the device sleeps ten minutes, before the next heartbeat
    a.net.state.up = true;
    await vi.advanceTimersByTimeAsync(60_000);

    expect(a.net.state.delivered).toEqual(a.ids);
    expect(a.client.stats()).toMatchObject({ sent: 2, queued: 0, dropped: 0, handedOver: 0 });
    expect(storage.length).toBe(0);
  });

  it('sends none of the events another page adopted while the device slept, as that page marked the key', async () => {
    const storage = new MemoryStorage();
    openLivePage();
    const a = await offlineTab(storage);
    vi.setSystemTime(Date.now() + 600_000); // the device sleeps past the lease
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(a.ids);
    expect(queueKeys(storage)).toEqual([]);
    expect(leaseOf(storage, a.key)).toMatchObject({ adopted: true });

    a.net.state.up = true;
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(a.net.state.delivered).toEqual([later]);
    expect(a.client.stats()).toMatchObject({ sent: 1, queued: 0, handedOver: 2 });
    expect(bNet.state.delivered).toEqual(a.ids);
  });

  it('keeps the mark of an adopted key for 7 days, then removes it', async () => {
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage);
    pageA.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(a.ids);
    expect(storage.length).toBe(1);
    const mark = leaseOf(storage, a.key)!;
    expect(mark).toMatchObject({ adopted: true });

    // Page B's heartbeat clears leases whose page is gone; the mark stays well past the lease.
    vi.setSystemTime(Date.now() + 6 * 24 * 3600_000);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(leaseOf(storage, a.key)).toEqual(mark);
    vi.setSystemTime(Date.now() + 24 * 3600_000);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(storage.length).toBe(0);
  });

  it('does not write on close() the key another page adopted while its flush waited through a sleep', async () => {
    const storage = new MemoryStorage();
    openLivePage();
    const aNet = network();
    const backoff = { initialBackoffMs: 120_000, maxBackoffMs: 120_000 };
    const a = new TelemetryClient({ ...tab, ...backoff, storage, fetch: aNet.fetch });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000);
    expect(storedEvents(storage).map((e) => e.eventId)).toEqual(ids);

    const closing = a.close(1000); // the batch waits for its retry
    vi.setSystemTime(Date.now() + 600_000); // the device sleeps during the flush
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(ids);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await closing).toBe(false);

    expect(queueKeys(storage)).toEqual([]);
    openLivePage();
    const c = new TelemetryClient({ ...tab, storage, fetch: network().fetch });
    await claimsConfirmed();
    expect(c.stats().queued).toBe(0);
    expect(aNet.state.delivered).toEqual([]);
  });

  it('takes no lease again when the app closes it as the page goes into the back/forward cache', async () => {
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage);
    pageA.window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
    const closing = a.client.close(); // in the app's own pagehide handler, after the client's
    expect(leaseOf(storage, a.key)).toBeNull();

    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    expect(b.stats().queued).toBe(2); // at once, not once a lease expired
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(a.ids);

    a.net.state.up = true;
    pageA.window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await closing).toBe(true);
    expect(a.net.state.delivered).toEqual([]);
    expect(withoutAdoptedMarks(storage)).toEqual([]);
  });

  for (const late of ['a network failure', 'HTTP 503']) {
    it(`does not retry after a gap a batch in flight that another page adopted meanwhile (${late})`, async () => {
      const storage = new MemoryStorage();
      openLivePage();
      const sent: string[][] = [];
      let failFirst: () => void = () => {};
      const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
        const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
        sent.push(events.map((e) => e.eventId));
        if (sent.length === 1) {
          return new Promise<Response>((resolve, reject) => {
            failFirst = () =>
              late === 'HTTP 503'
                ? resolve(new Response('{}', { status: 503 }))
                : reject(new TypeError('Failed to fetch'));
          });
        }
        const accepted = JSON.stringify({ accepted: events.length, rejected: [] });
        return Promise.resolve(new Response(accepted, { status: 200 }));
      }) as unknown as typeof globalThis.fetch;
      const onRetry = vi.fn();
      const a = new TelemetryClient({ ...tab, storage, fetch, listener: { onRetry } });
      const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
      await vi.advanceTimersByTimeAsync(2000); // in flight; the copy in storage holds both within 2 s
      expect(storedEvents(storage).map((e) => e.eventId)).toEqual(ids);

      vi.setSystemTime(Date.now() + 600_000); // the device sleeps past the lease, no event tells the page
      openLivePage();
      const bNet = network();
      bNet.state.up = true;
      new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
      await claimsConfirmed();
      await adoptedSent();
      expect(bNet.state.delivered).toEqual(ids);

      failFirst(); // the request made before the sleep fails at last
      await vi.advanceTimersByTimeAsync(0);
      expect(a.stats()).toMatchObject({ retries: 0, queued: 0, handedOver: 2 });
      expect(onRetry).not.toHaveBeenCalled();
      const later = a.sync({ success: true, durationMs: 3 });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(sent).toEqual([ids, [later]]);
      expect(withoutAdoptedMarks(storage)).toEqual([]);
    });
  }

  it('adopts a queue stored without a lease, as an earlier version of the client left it', async () => {
    const storage = new MemoryStorage();
    const event = { type: 'sync', eventId: 'e-old', eventTime: Date.now(), clientId: 'browser-1', success: true };
    storage.setItem(QUEUE_PREFIX + 'earlier', JSON.stringify([{ ...event, durationMs: 1 }]));
    openPage();
    const net = network();
    net.state.up = true;
    const client = new TelemetryClient({ ...tab, storage, fetch: net.fetch });
    await claimsConfirmed();
    expect(client.stats().queued).toBe(1);
    await adoptedSent();
    expect(net.state.delivered).toEqual(['e-old']);
    expect(withoutAdoptedMarks(storage)).toEqual([]);
  });

  /** The lease stored beside a queue key, or null. */
  function leaseOf(storage: Storage, queueKey: string): { owner: string; at: number } | null {
    const text = storage.getItem(LEASE_PREFIX + queueKey.slice(QUEUE_PREFIX.length));
    return text === null ? null : JSON.parse(text);
  }

  it('keeps an adopted queue key until its events are stored: a full storage hands them to the next page', async () => {
    const storage = new FullStorage();
    const pageA = openPage();
    const a = await offlineTab(storage);
    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);
    expect(leaseOf(storage, a.key)).toBeNull();

    storage.full = true;
    const pageB = openPage();
    const bNet = network();
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    expect(b.stats().queued).toBe(2);
    // Its copy could not be written: the orphaned key stays, claimed by page B, whose heartbeat renews the claim.
    expect(queueKeys(storage)).toEqual([a.key]);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(queueKeys(storage)).toEqual([a.key]);
    const claim = leaseOf(storage, a.key)!;
    expect(claim.at).toBeGreaterThan(Date.now() - 180_000);
    expect(b.stats().queued).toBe(2);
    openPage();
    const other = new TelemetryClient({ ...tab, storage, fetch: network().fetch });
    await claimsConfirmed();
    expect(other.stats().queued).toBe(0); // page B lives: its claim is not adopted
    await closed(other);

    pageB.dispatchEvent(new Event('pagehide')); // page B goes, still offline and with storage full
    await vi.advanceTimersByTimeAsync(0);
    await closed(b);
    expect(queueKeys(storage)).toEqual([a.key]);
    expect(leaseOf(storage, a.key)).toBeNull();

    storage.full = false;
    openPage();
    const cNet = network();
    cNet.state.up = true;
    const c = new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await claimsConfirmed();
    expect(c.stats().queued).toBe(2);
    await adoptedSent();
    expect(cNet.state.delivered).toEqual(a.ids);
    expect(withoutAdoptedMarks(storage)).toEqual([]);
  });

  it('keeps an adopted queue key while the merged queue is over the storage budget, until a whole copy is written', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const storage = new MemoryStorage();
    const big = (client: TelemetryClient, n: number) =>
      Array.from({ length: n }, (_, i) =>
        client.sync({ success: false, durationMs: i, errorMessage: 'x'.repeat(2000) }),
      );
    // Tab A stores 150 events of about 2 KB, within the budget of 512 K characters.
    const pageA = openPage();
    const aNet = network();
    const a = new TelemetryClient({ ...tab, storage, fetch: aNet.fetch });
    const aIds = big(a, 150);
    await vi.advanceTimersByTimeAsync(2000);
    const aKey = queueKeys(storage)[0];
    expect(a.stats()).toMatchObject({ queued: 150, unstored: 0 });
    // Tab B, open beside it, as many of its own.
    const pageB = openPage();
    const bNet = network();
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    vi.advanceTimersByTime(10); // B's events are the newer
    const bIds = big(b, 150);
    await vi.advanceTimersByTimeAsync(2000);
    expect(b.stats()).toMatchObject({ queued: 150, unstored: 0 });

    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a);
    const released = { key: LEASE_PREFIX + aKey.slice(QUEUE_PREFIX.length), newValue: null, storageArea: storage };
    pageB.dispatchEvent(Object.assign(new Event('storage'), released));
    await claimsConfirmed();
    // Tab A's events, the oldest, are left out of B's copy: A's key stays, claimed by B.
    expect(b.stats().queued).toBe(300);
    expect(b.stats().unstored).toBeGreaterThan(0);
    expect(queueKeys(storage)).toHaveLength(2);
    expect((JSON.parse(storage.getItem(aKey)!) as TelemetryEvent[]).map((e) => e.eventId)).toEqual(aIds);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(queueKeys(storage)).toContain(aKey);
    expect(leaseOf(storage, aKey)!.at).toBeGreaterThan(Date.now() - 180_000);

    // Back online: once B's copy holds its whole queue, A's key goes.
    bNet.state.up = true;
    let whole = -1;
    for (let s = 0; s < 120 && whole < 0; s++) {
      await vi.advanceTimersByTimeAsync(1000);
      if (b.stats().unstored === 0) whole = s;
    }
    expect(whole).toBeGreaterThanOrEqual(0);
    await vi.advanceTimersByTimeAsync(2000); // the copy is written within 2 s
    expect(queueKeys(storage)).not.toContain(aKey);
    expect(leaseOf(storage, aKey)).toMatchObject({ adopted: true });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(new Set(bNet.state.delivered)).toEqual(new Set([...aIds, ...bIds]));
    expect(storage.getItem(aKey)).toBeNull();
    expect(queueKeys(storage)).toEqual([]);
  });

  /** Retries a minute apart at least: no retry of a frozen page runs while the fake clock moves a few seconds. */
  const slowRetries = { initialBackoffMs: 60_000, maxBackoffMs: 60_000 };

  const resumeRaces = [
    { locks: true, lagMs: 1000, first: 'resumes' },
    { locks: true, lagMs: 1000, first: 'claims' },
    { locks: false, lagMs: 20, first: 'resumes' },
    { locks: false, lagMs: 20, first: 'claims' },
  ] as const;
  for (const { locks, lagMs, first } of resumeRaces) {
    const order = first === 'resumes' ? 'the frozen page resumes first' : 'the other page claims first';
    const how = `${locks ? 'under the Web Lock' : 'without Web Locks'}, ${order}`;
    it(`has a page back from a freeze and a page in another process claiming its key send its events once (${how})`, async () => {
      vi.stubGlobal('navigator', locks ? { locks: webLocks().locks } : {});
      const processes = new ProcessStorage(lagMs);
      const pageA = openLivePage();
      const a = await offlineTab(processes.page(), slowRetries, 200); // an answer takes 0.2 s
      pageA.document.dispatchEvent(new Event('freeze'));
      await vi.advanceTimersByTimeAsync(lagMs + 100); // every page sees its key without a lease
      a.net.state.up = true;

      const bNet = network();
      bNet.state.up = true;
      const openB = () => {
        openLivePage();
        return new TelemetryClient({ ...tab, storage: processes.page(), fetch: bNet.fetch });
      };
      // Back online as it resumes: its retry goes at once.
      const resumeA = () => {
        pageA.document.dispatchEvent(new Event('resume'));
        pageA.window.dispatchEvent(new Event('online'));
      };
      let b: TelemetryClient;
      if (first === 'resumes') {
        resumeA();
        await vi.advanceTimersByTimeAsync(5); // its lease has not reached page B yet
        b = openB();
      } else {
        b = openB();
        await vi.advanceTimersByTimeAsync(5); // within page B's claim, which has not reached page A yet
        resumeA();
      }
      await vi.advanceTimersByTimeAsync(600_000);

      const senders = [a.net.state.delivered, bNet.state.delivered].filter((ids) => ids.length > 0);
      expect(senders).toEqual([a.ids]);
      expect(a.client.stats().sent + b.stats().sent).toBe(2);
      expect(a.client.stats()).toMatchObject({ queued: 0, handedOver: 2 - a.client.stats().sent });
    });
  }

  it('looks again within seconds for a key whose Web Lock it found taken, once the page holding it gave it up', async () => {
    const { locks, requests } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openPage();
    const a = await offlineTab(storage);
    pageA.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(a.client);

    // Pages B and C open together: both find the key orphaned, page B takes its lock, page C finds it taken.
    const pageB = openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    openLivePage();
    const cNet = network();
    cNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await vi.advanceTimersByTimeAsync(0);
    expect(leaseOf(storage, a.key)).toMatchObject({ claim: expect.any(String) }); // page B holds the lock and waits
    pageB.document.dispatchEvent(new Event('freeze')); // page B gives its claim back and frees the lock
    expect(leaseOf(storage, a.key)).toBeNull();
    await vi.advanceTimersByTimeAsync(5000); // well before page C's next heartbeat (15 s)

    expect(cNet.state.delivered).toEqual(a.ids);
    expect(bNet.state.delivered).toEqual([]);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    expect(requests.filter((r) => r.name === lock)).toHaveLength(3); // page B's, then page C's twice
  });

  it('gives back the claim on its own key when it goes away while it confirms it, leaving the key to the next page', async () => {
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    pageA.document.dispatchEvent(new Event('freeze'));
    pageA.document.dispatchEvent(new Event('resume'));
    expect(leaseOf(storage, a.key)).toMatchObject({ claim: expect.any(String) }); // its claim, read back 0.1 s later
    pageA.window.dispatchEvent(new Event('pagehide')); // within the wait, still offline
    expect(leaseOf(storage, a.key)).toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(storedEvents(storage).map((e) => e.eventId)).toEqual(a.ids);

    openLivePage();
    const cNet = network();
    cNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(cNet.state.delivered).toEqual(a.ids);
    expect(a.net.state.delivered).toEqual([]);
  });

  it('stores the events it records while it confirms its key under a key of its own, removed once confirmed', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock); // another page holds the key's Web Lock: tab A, back, looks again 2 s, 4 s, 8 s later
    a.net.state.up = true;
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(2500);

    // Not in tab A's key, which another page may be adopting: under a new key, whose lease tab A holds.
    expect(a.net.state.delivered).toEqual([]);
    expect(JSON.parse(storage.getItem(a.key)!).map((e: TelemetryEvent) => e.eventId)).toEqual(a.ids);
    const aside = queueKeys(storage).filter((k) => k !== a.key);
    expect(aside).toHaveLength(1);
    expect(JSON.parse(storage.getItem(aside[0])!).map((e: TelemetryEvent) => e.eventId)).toEqual([later]);
    expect(leaseOf(storage, aside[0])).toMatchObject({ owner: a.key.slice(QUEUE_PREFIX.length) });

    held.delete(lock); // the other page gave the key up without adopting it
    await vi.advanceTimersByTimeAsync(120_000); // the batch waits for its retry (60 s, ± 20 %)
    expect(a.net.state.delivered).toEqual([...a.ids, later]);
    expect(a.client.stats()).toMatchObject({ sent: 3, queued: 0, handedOver: 0 });
    expect(queueKeys(storage)).toEqual([]);
    expect(storage.getItem(LEASE_PREFIX + aside[0].slice(QUEUE_PREFIX.length))).toBeNull();
  });

  it('leaves to the next page the events it recorded while it confirmed its key, when it goes meanwhile', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock);
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(2500);
    // The page holding the lock claims tab A's key, and tab A goes.
    const leaseKey = LEASE_PREFIX + a.key.slice(QUEUE_PREFIX.length);
    storage.setItem(leaseKey, JSON.stringify({ owner: 'page-b', at: Date.now(), claim: 'claim-b' }));
    a.net.state.up = true; // it sends as it goes only the event recorded since: that page may be adopting its key
    pageA.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    expect(a.net.state.delivered).toEqual([later]);
    expect(queueKeys(storage)).toHaveLength(2); // its key as it was, and the event recorded since under a key of its own
    held.delete(lock);
    storage.removeItem(leaseKey); // and gives it back

    openLivePage();
    const cNet = network();
    cNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await vi.advanceTimersByTimeAsync(20_000);
    // The event recorded since goes again (it may not have arrived): metrics-ingest counts its id once.
    expect([...cNet.state.delivered].sort()).toEqual([...a.ids, later].sort());
    expect(a.net.state.delivered).toEqual([later]);
  });

  it('sends as it goes only what it recorded while it confirms its key, which another page claims and sends', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock);
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(2500);
    // Page B, holding the lock, claims tab A's key; tab A goes, back online, its key still unconfirmed.
    const leaseKey = LEASE_PREFIX + a.key.slice(QUEUE_PREFIX.length);
    const claimB = JSON.stringify({ owner: 'page-b', at: Date.now(), claim: 'claim-b' });
    storage.setItem(leaseKey, claimB);
    a.net.state.up = true;
    pageA.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);

    // The event recorded since, which no other page can hold yet, goes with keepalive; none of the key being confirmed.
    expect(a.net.state.delivered).toEqual([later]);
    expect(vi.mocked(a.net.fetch).mock.calls.at(-1)?.[1]).toMatchObject({ keepalive: true });
    expect(storage.getItem(leaseKey)).toBe(claimB); // page B's claim stands
    expect(JSON.parse(storage.getItem(a.key)!).map((e: TelemetryEvent) => e.eventId)).toEqual(a.ids);
    const aside = queueKeys(storage).filter((k) => k !== a.key);
    expect(aside).toHaveLength(1);
    expect(JSON.parse(storage.getItem(aside[0])!).map((e: TelemetryEvent) => e.eventId)).toEqual([later]);
    expect(leaseOf(storage, aside[0])).toBeNull(); // left to the next page
  });

  it('sends as it is closed only what it recorded while it confirms its key, and keeps it for the next page', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock); // another page holds the key's Web Lock: tab A, back, looks again 2 s later
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.client.sync({ success: true, durationMs: 3 });
    a.net.state.up = true;
    const closing = a.client.close(1);
    await vi.advanceTimersByTimeAsync(2);
    await closing;

    expect(a.net.state.delivered).toEqual([later]);
    expect(vi.mocked(a.net.fetch).mock.calls.at(-1)?.[1]).toMatchObject({ keepalive: true });
    expect(a.client.stats()).toMatchObject({ sent: 0 }); // its answer is not read
    expect(JSON.parse(storage.getItem(a.key)!).map((e: TelemetryEvent) => e.eventId)).toEqual(a.ids);
    const aside = queueKeys(storage).filter((k) => k !== a.key);
    expect(aside.map((k) => JSON.parse(storage.getItem(k)!).map((e: TelemetryEvent) => e.eventId))).toEqual([[later]]);
  });

  it('leaves its key as it was and the events recorded since under a key of their own when closed while it confirms', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock);
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(2500);
    expect(queueKeys(storage)).toHaveLength(2);
    const aside = queueKeys(storage).find((k) => k !== a.key)!;

    const closing = a.client.close(100); // the flush times out: the key is not confirmed yet
    await vi.advanceTimersByTimeAsync(200);
    await closing;

    // Another page may be adopting its key: neither key is merged into the other, and each is left without a lease.
    expect(queueKeys(storage).sort()).toEqual([a.key, aside].sort());
    expect(JSON.parse(storage.getItem(a.key)!).map((e: TelemetryEvent) => e.eventId)).toEqual(a.ids);
    expect(JSON.parse(storage.getItem(aside)!).map((e: TelemetryEvent) => e.eventId)).toEqual([later]);
    expect(leaseOf(storage, aside)).toBeNull();
    expect(leaseOf(storage, a.key)).toBeNull();

    held.delete(lock);
    openLivePage();
    const cNet = network();
    cNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await vi.advanceTimersByTimeAsync(20_000);
    expect([...cNet.state.delivered].sort()).toEqual([...a.ids, later].sort());
    expect(queueKeys(storage)).toEqual([]);
  });

  it('keeps what it stores while it confirms its key within the storage budget, its own key counted', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const big = 'x'.repeat(1800);
    for (let i = 0; i < 200; i++) a.client.sync({ success: false, durationMs: 1, errorMessage: big });
    await vi.advanceTimersByTimeAsync(2500);
    const ownChars = storage.getItem(a.key)!.length;
    expect(ownChars).toBeGreaterThan(512 * 1024 * 0.7); // about three quarters of the budget
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock);
    pageA.document.dispatchEvent(new Event('resume'));
    const later: string[] = [];
    for (let i = 0; i < 400; i++) later.push(a.client.sync({ success: false, durationMs: 1, errorMessage: big }));
    await vi.advanceTimersByTimeAsync(2500);

    const keys = queueKeys(storage);
    expect(keys).toHaveLength(2);
    expect(storage.getItem(a.key)!.length).toBe(ownChars); // its own key as it was
    const total = keys.reduce((n, k) => n + storage.getItem(k)!.length, 0);
    expect(total).toBeLessThanOrEqual(512 * 1024);
    const aside = JSON.parse(storage.getItem(keys.find((k) => k !== a.key)!)!) as TelemetryEvent[];
    expect(aside.length).toBeGreaterThan(0);
    expect(aside.map((e) => e.eventId)).toEqual(later.slice(later.length - aside.length)); // the newest
    expect(a.client.stats().unstored).toBe(a.client.stats().queued - JSON.parse(storage.getItem(a.key)!).length - aside.length);
  });

  /** How a page stops running while it confirms its keys: frozen, unloaded, or closed (its flush timing out). */
  const leaves = [
    { how: 'frozen', leave: (page: ReturnType<typeof openLivePage>) => page.document.dispatchEvent(new Event('freeze')) },
    { how: 'unloaded', leave: (page: ReturnType<typeof openLivePage>) => page.window.dispatchEvent(new Event('pagehide')) },
    { how: 'closed', leave: null },
  ];
  for (const { how, leave } of leaves) {
    it(`loses no event it records while it confirms its key when it is ${how} as a page in another process adopts it`, async () => {
      const { locks } = webLocks();
      vi.stubGlobal('navigator', { locks });
      const lagMs = 1000;
      const processes = new ProcessStorage(lagMs);
      const pageA = openLivePage();
      const a = await offlineTab(processes.page(), slowRetries);
      pageA.document.dispatchEvent(new Event('freeze'));
      await vi.advanceTimersByTimeAsync(lagMs + 100); // every page sees tab A's key without a lease

      const bNet = network();
      bNet.state.up = true;
      openLivePage();
      new TelemetryClient({ ...tab, storage: processes.page(), fetch: bNet.fetch }); // page B claims it, under the lock
      await vi.advanceTimersByTimeAsync(5);
      pageA.document.dispatchEvent(new Event('resume')); // the lock is taken: tab A looks again 2 s later
      const later = a.client.sync({ success: true, durationMs: 3 });
      await vi.advanceTimersByTimeAsync(10);
      if (leave) leave(pageA);
      else {
        const closing = a.client.close(1);
        await vi.advanceTimersByTimeAsync(2);
        await closing;
      }
      await vi.advanceTimersByTimeAsync(10_000);
      const next = processes.page();
      await vi.advanceTimersByTimeAsync(lagMs);

      expect(bNet.state.delivered).toEqual(a.ids); // page B adopted tab A's key as it was
      expect(a.net.state.delivered).toEqual([]);
      // The event recorded meanwhile is under a key of its own, without a lease, for the next page to adopt.
      const stored = queueKeys(next).flatMap((k) => JSON.parse(next.getItem(k)!).map((e: TelemetryEvent) => e.eventId));
      expect(stored).toEqual([later]);
      openLivePage();
      const cNet = network();
      cNet.state.up = true;
      new TelemetryClient({ ...tab, storage: next, fetch: cNet.fetch });
      await vi.advanceTimersByTimeAsync(20_000);
      expect([...bNet.state.delivered, ...cNet.state.delivered]).toEqual([...a.ids, later]);
    });
  }

  it('sends the event it recorded while it confirmed its key once back from a freeze, the key adopted meanwhile', async () => {
    const { locks } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const lagMs = 1000;
    const processes = new ProcessStorage(lagMs);
    const pageA = openLivePage();
    const a = await offlineTab(processes.page(), slowRetries);
    pageA.document.dispatchEvent(new Event('freeze'));
    await vi.advanceTimersByTimeAsync(lagMs + 100);
    const bNet = network();
    bNet.state.up = true;
    openLivePage();
    new TelemetryClient({ ...tab, storage: processes.page(), fetch: bNet.fetch }); // page B claims it, under the lock
    await vi.advanceTimersByTimeAsync(5);
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(10);
    pageA.document.dispatchEvent(new Event('freeze'));
    await vi.advanceTimersByTimeAsync(10_000);

    pageA.document.dispatchEvent(new Event('resume'));
    a.net.state.up = true;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(bNet.state.delivered).toEqual(a.ids);
    expect(a.net.state.delivered).toEqual([later]);
    expect(a.client.stats()).toMatchObject({ sent: 1, handedOver: 2, queued: 0 });
  });

  it('counts in sent no event of an answer that arrives while it confirms its key, which another page adopts', async () => {
    const { locks } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const sent: string[][] = [];
    let answerFirst: (response: Response) => void = () => {};
    // The first request is answered only once tab A confirms its key; the others at once.
    const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
      const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
      sent.push(events.map((e) => e.eventId));
      if (sent.length === 1) return new Promise<Response>((resolve) => (answerFirst = resolve));
      return Promise.resolve(new Response(JSON.stringify({ accepted: events.length, rejected: [] }), { status: 200 }));
    }) as unknown as typeof globalThis.fetch;
    const a = new TelemetryClient({ ...tab, storage, fetch });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([ids]);
    pageA.document.dispatchEvent(new Event('freeze'));
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch }); // claims tab A's key, under the lock
    await vi.advanceTimersByTimeAsync(5);
    pageA.document.dispatchEvent(new Event('resume')); // the lock is taken: tab A confirms its key
    answerFirst(new Response(JSON.stringify({ accepted: 2, rejected: [] }), { status: 200 }));
    await vi.advanceTimersByTimeAsync(60_000);

    expect(bNet.state.delivered).toEqual(ids);
    expect(b.stats()).toMatchObject({ sent: 2 });
    expect(a.stats()).toMatchObject({ sent: 0, handedOver: 2, queued: 0 });
    expect(sent).toEqual([ids]);
  });

  it('takes an answer that arrives while it confirms its key once the key is confirmed its own', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const sent: string[][] = [];
    let answerFirst: (response: Response) => void = () => {};
    const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
      const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
      sent.push(events.map((e) => e.eventId));
      if (sent.length === 1) return new Promise<Response>((resolve) => (answerFirst = resolve));
      return Promise.resolve(new Response(JSON.stringify({ accepted: events.length, rejected: [] }), { status: 200 }));
    }) as unknown as typeof globalThis.fetch;
    const a = new TelemetryClient({ ...tab, storage, fetch });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000);
    const key = queueKeys(storage)[0];
    pageA.document.dispatchEvent(new Event('freeze'));
    const lock = 'rollguard.telemetry.adopt.' + key.slice(QUEUE_PREFIX.length);
    held.add(lock); // another page holds the key's Web Lock: tab A, back, looks again 2 s later
    pageA.document.dispatchEvent(new Event('resume'));
    answerFirst(new Response(JSON.stringify({ accepted: 2, rejected: [] }), { status: 200 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(a.stats()).toMatchObject({ sent: 0, queued: 2 }); // held until the key is confirmed
    held.delete(lock); // the other page gave the key up without adopting it
    await vi.advanceTimersByTimeAsync(5000);

    expect(a.stats()).toMatchObject({ sent: 2, handedOver: 0, queued: 0 });
    expect(sent).toEqual([ids]);
    expect(queueKeys(storage)).toEqual([]);
  });

  for (const { how, leave } of leaves.filter((l) => l.how !== 'unloaded')) {
    it(`counts once a batch answered while it confirms its key, when it is ${how} and another page adopts the key`, async () => {
      const { locks } = webLocks();
      vi.stubGlobal('navigator', { locks });
      const lagMs = 1000;
      const processes = new ProcessStorage(lagMs);
      const pageA = openLivePage();
      const sent: string[][] = [];
      let answerFirst: (response: Response) => void = () => {};
      // The first request is answered while tab A confirms its key; the others at once.
      const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
        const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
        sent.push(events.map((e) => e.eventId));
        if (sent.length === 1) return new Promise<Response>((resolve) => (answerFirst = resolve));
        return Promise.resolve(new Response(JSON.stringify({ accepted: events.length, rejected: [] }), { status: 200 }));
      }) as unknown as typeof globalThis.fetch;
      const a = new TelemetryClient({ ...tab, storage: processes.page(), fetch });
      const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
      await vi.advanceTimersByTimeAsync(2000); // the batch in flight is written to storage
      pageA.document.dispatchEvent(new Event('freeze'));
      await vi.advanceTimersByTimeAsync(lagMs + 100); // every page sees tab A's key without a lease
      const key = queueKeys(processes.page())[0];

      const bNet = network();
      bNet.state.up = true;
      openLivePage();
      const b = new TelemetryClient({ ...tab, storage: processes.page(), fetch: bNet.fetch }); // claims it, under the lock
      await vi.advanceTimersByTimeAsync(5);
      pageA.document.dispatchEvent(new Event('resume')); // the lock is taken: tab A looks again 2 s later
      const later = a.sync({ success: true, durationMs: 3 });
      answerFirst(new Response(JSON.stringify({ accepted: 2, rejected: [] }), { status: 200 }));
      await vi.advanceTimersByTimeAsync(10);
      expect(a.stats()).toMatchObject({ sent: 0, queued: 3 }); // the answer waits for the confirmation to end
      if (leave) leave(pageA);
      else {
        const closing = a.close(1);
        await vi.advanceTimersByTimeAsync(2);
        await closing;
      }
      await vi.advanceTimersByTimeAsync(10_000);
      const next = processes.page();
      await vi.advanceTimersByTimeAsync(lagMs);

      // Page B adopted tab A's key as it was and counts its batch; tab A does not count it as well.
      expect(bNet.state.delivered).toEqual(ids);
      expect(b.stats()).toMatchObject({ sent: 2 });
      expect(a.stats()).toMatchObject({ sent: 0 });
      // Tab A's key is not written again: what is left is the event recorded meanwhile, under a key of its own.
      expect(queueKeys(next)).not.toContain(key);
      const stored = queueKeys(next).flatMap((k) => JSON.parse(next.getItem(k)!).map((e: TelemetryEvent) => e.eventId));
      expect(stored).toEqual([later]);

      if (leave) {
        // Back, tab A finds its key adopted: the batch is page B's, and only the event recorded meanwhile is its own.
        pageA.document.dispatchEvent(new Event('resume'));
        await vi.advanceTimersByTimeAsync(60_000);
        expect(a.stats()).toMatchObject({ sent: 1, handedOver: 2, queued: 0 });
        expect(sent.slice(1)).toEqual([[later]]);
      }
    });
  }

  it('counts in handedOver no event it sends itself: a claim on its key given back, it adopts the key again', async () => {
    vi.stubGlobal('navigator', {});
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    pageA.document.dispatchEvent(new Event('freeze'));

    const pageB = openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    expect(leaseOf(storage, a.key)).toMatchObject({ claim: expect.any(String) }); // page B claims tab A's key
    a.net.state.up = true;
    pageA.document.dispatchEvent(new Event('resume')); // and tab A leaves the key to page B
    await vi.advanceTimersByTimeAsync(0);
    expect(a.client.stats()).toMatchObject({ queued: 0, handedOver: 2 });
    pageB.document.dispatchEvent(new Event('freeze')); // but page B gives its claim back
    expect(leaseOf(storage, a.key)).toBeNull();
    await vi.advanceTimersByTimeAsync(600_000);

    expect(a.net.state.delivered).toEqual(a.ids);
    expect(bNet.state.delivered).toEqual([]);
    expect(a.client.stats()).toMatchObject({ sent: 2, queued: 0, handedOver: 0 });
  });

  /** A fetch whose first request is answered only when the test says so (`answerFirst`), the others at once with 200. */
  function slowFirstRequest() {
    const sent: string[][] = [];
    let answer: (response: Response) => void = () => {};
    const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
      const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
      sent.push(events.map((e) => e.eventId));
      if (sent.length === 1) return new Promise<Response>((resolve) => (answer = resolve));
      return Promise.resolve(new Response(JSON.stringify({ accepted: events.length, rejected: [] }), { status: 200 }));
    }) as unknown as typeof globalThis.fetch;
    const answerFirst = (accepted: number) =>
      answer(new Response(JSON.stringify({ accepted, rejected: [] }), { status: 200 }));
    return { sent, fetch, answerFirst };
  }

  /** Each event id stored, with the number of queue keys holding it. */
  function storedCounts(storage: Storage): Map<string, number> {
    const counts = new Map<string, number>();
    for (const key of queueKeys(storage)) {
      for (const e of JSON.parse(storage.getItem(key)!) as TelemetryEvent[]) {
        counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1);
      }
    }
    return counts;
  }

  for (const { how, leave } of leaves.filter((l) => l.how !== 'unloaded')) {
    it(`counts once a batch answered only after it was ${how} while it confirmed its key, another page adopting the key`, async () => {
      const { locks } = webLocks();
      vi.stubGlobal('navigator', { locks });
      const lagMs = 1000;
      const processes = new ProcessStorage(lagMs);
      const pageA = openLivePage();
      const server = slowFirstRequest();
      const a = new TelemetryClient({ ...tab, storage: processes.page(), fetch: server.fetch, requestTimeoutMs: 60_000 });
      const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
      await vi.advanceTimersByTimeAsync(2000); // the batch in flight is written to storage
      pageA.document.dispatchEvent(new Event('freeze'));
      await vi.advanceTimersByTimeAsync(lagMs + 100); // every page sees tab A's key without a lease
      const key = queueKeys(processes.page())[0];

      const bNet = network();
      bNet.state.up = true;
      openLivePage();
      const b = new TelemetryClient({ ...tab, storage: processes.page(), fetch: bNet.fetch }); // claims it, under the lock
      await vi.advanceTimersByTimeAsync(5);
      pageA.document.dispatchEvent(new Event('resume')); // the lock is taken: tab A looks again 2 s later
      const later = a.sync({ success: true, durationMs: 3 });
      await vi.advanceTimersByTimeAsync(10);
      if (leave) leave(pageA);
      else {
        const closing = a.close(1);
        await vi.advanceTimersByTimeAsync(2);
        await closing;
      }
      await vi.advanceTimersByTimeAsync(10_000); // page B adopted the key and sent its batch
      expect(bNet.state.delivered).toEqual(ids);
      server.answerFirst(2); // the answer to tab A's request comes only now
      await vi.advanceTimersByTimeAsync(1000); // before page B's heartbeat adopts the event recorded meanwhile
      const next = processes.page();
      await vi.advanceTimersByTimeAsync(lagMs);

      expect(b.stats()).toMatchObject({ sent: 2 });
      expect(a.stats()).toMatchObject({ sent: 0 });
      // Nor is its key written again: what is left is the event recorded meanwhile, once, under a key of its own.
      expect(queueKeys(next)).not.toContain(key);
      expect([...storedCounts(next)]).toEqual([[later, 1]]);
    });
  }

  it('takes no answer that comes after close() to a request still in flight: the page that adopts the key counts it', async () => {
    vi.stubGlobal('navigator', {});
    const storage = new MemoryStorage();
    openLivePage();
    const server = slowFirstRequest();
    const a = new TelemetryClient({ ...tab, storage, fetch: server.fetch, requestTimeoutMs: 60_000 });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000);
    const closing = a.close(1); // the flush times out, the request still in flight
    await vi.advanceTimersByTimeAsync(2);
    expect(await closing).toBe(false);

    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await vi.advanceTimersByTimeAsync(5000);
    expect(bNet.state.delivered).toEqual(ids);
    server.answerFirst(2);
    await vi.advanceTimersByTimeAsync(1000);

    expect(b.stats()).toMatchObject({ sent: 2, queued: 0 });
    expect(a.stats()).toMatchObject({ sent: 0 });
    expect(withoutAdoptedMarks(storage)).toEqual([]);
  });

  /** What becomes of the events of a request in flight at close() that no copy in storage holds, by its answer. */
  const strandedOutcomes: Array<{
    answer: string;
    give: (settle: (outcome: Response | Error) => void) => void;
    counts: (n: number) => { sent: number; rejected: number; dropped: number };
    warning?: string;
  }> = [
    {
      answer: 'accepted',
      give: (settle) => settle(new Response(JSON.stringify({ accepted: 100, rejected: [] }), { status: 200 })),
      counts: (n) => ({ sent: n, rejected: 0, dropped: 0 }),
    },
    {
      answer: 'refused for good',
      give: (settle) => settle(new Response(JSON.stringify({ code: 'INVALID_TOKEN', message: 'revoked' }), { status: 401 })),
      counts: (n) => ({ sent: 0, rejected: n, dropped: 0 }),
      warning: 'HTTP 401 INVALID_TOKEN',
    },
    {
      answer: 'a network failure',
      give: (settle) => settle(new TypeError('Failed to fetch')),
      counts: (n) => ({ sent: 0, rejected: 0, dropped: n }),
      warning: 'not delivered (unreachable: TypeError: Failed to fetch)',
    },
    {
      answer: 'unavailable (503)',
      give: (settle) => settle(new Response('{}', { status: 503 })),
      counts: (n) => ({ sent: 0, rejected: 0, dropped: n }),
      warning: 'not delivered (HTTP 503)',
    },
    {
      answer: 'no answer in time',
      give: () => {},
      counts: (n) => ({ sent: 0, rejected: 0, dropped: n }),
      warning: 'not delivered (unreachable: Error: no answer in 60000 ms)',
    },
  ];
  for (const { answer, give, counts, warning } of strandedOutcomes) {
    it(`accounts for the events over the storage budget of a request in flight at close() (${answer}), the next page sending the rest`, async () => {
      vi.stubGlobal('navigator', {});
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const storage = new MemoryStorage();
      openLivePage();
      let settle: (outcome: Response | Error) => void = () => {};
      const sent: string[][] = [];
      const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
        sent.push((JSON.parse(String(init?.body)).events as TelemetryEvent[]).map((e) => e.eventId));
        return new Promise<Response>((resolve, reject) => {
          settle = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
        });
      }) as unknown as typeof globalThis.fetch;
      const dropped: string[] = [];
      const rejected: string[] = [];
      const listener = {
        onDropped: (e: TelemetryEvent) => dropped.push(e.eventId),
        onRejected: (e: TelemetryEvent) => rejected.push(e.eventId),
      };
      const a = new TelemetryClient({ ...tab, storage, fetch, batchSize: 100, requestTimeoutMs: 60_000, listener });
      const big = 'x'.repeat(1000);
      const ids: string[] = [];
      // About 600 K characters: the oldest events are left out of the copy, a part of the first batch among them.
      for (let i = 0; i < 480; i++) ids.push(a.sync({ success: false, durationMs: i, errorMessage: big }));
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toEqual([ids.slice(0, 100)]);
      const closing = a.close(1); // the flush times out, the request still in flight
      await vi.advanceTimersByTimeAsync(2);
      expect(await closing).toBe(false);
      const stored = new Set(storedEvents(storage).map((e) => e.eventId));
      const stranded = ids.slice(0, 100).filter((id) => !stored.has(id));
      expect(stranded.length).toBeGreaterThan(0);
      expect(stranded.length).toBeLessThan(100);
      expect(a.stats()).toMatchObject({ queued: 480, unstored: 480 - stored.size });

      give(settle);
      await vi.advanceTimersByTimeAsync(60_000);

      // Counted by this page alone: no later page can find them. The stored part of the batch is not counted here.
      expect(a.stats()).toMatchObject({ ...counts(stranded.length), queued: stored.size, unstored: 0 });
      expect(dropped).toEqual(counts(1).dropped > 0 ? stranded : []);
      expect(rejected).toEqual(counts(1).rejected > 0 ? stranded : []);
      if (warning === undefined) expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('dropped'));
      else expect(warn).toHaveBeenCalledWith(expect.stringContaining(warning));
      expect(sent).toHaveLength(1); // nothing is sent after close()

      openLivePage();
      const bNet = network();
      bNet.state.up = true;
      const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch, batchSize: 1000 });
      await vi.advanceTimersByTimeAsync(5000);
      expect(bNet.state.delivered).toEqual(ids.filter((id) => stored.has(id)));
      expect(b.stats()).toMatchObject({ sent: stored.size, queued: 0 });
      // Each event accounted for once, by one of the two pages.
      const { sent: aSent, rejected: aRejected, dropped: aDropped } = a.stats();
      expect(aSent + aRejected + aDropped + b.stats().sent).toBe(480);
    });
  }

  it('counts the answer after close() to a request whose batch no copy holds, storage being full', async () => {
    vi.stubGlobal('navigator', {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const storage = new FullStorage();
    storage.full = true;
    openLivePage();
    const server = slowFirstRequest();
    const a = new TelemetryClient({ ...tab, storage, fetch: server.fetch, requestTimeoutMs: 60_000 });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000);
    expect(server.sent).toEqual([ids]);
    const closing = a.close(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(await closing).toBe(false);
    expect(queueKeys(storage)).toEqual([]);

    server.answerFirst(2);
    await vi.advanceTimersByTimeAsync(1000);

    expect(a.stats()).toMatchObject({ sent: 2, dropped: 0, queued: 0 });
  });

  it('does not write its key again for an answer that comes after it was closed while it confirmed the key', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const server = slowFirstRequest();
    const a = new TelemetryClient({ ...tab, storage, fetch: server.fetch });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2000);
    const key = queueKeys(storage)[0];
    pageA.document.dispatchEvent(new Event('freeze'));
    const lock = 'rollguard.telemetry.adopt.' + key.slice(QUEUE_PREFIX.length);
    held.add(lock); // another page holds the key's Web Lock, and claims nothing yet
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(10);
    const closing = a.close(1);
    await vi.advanceTimersByTimeAsync(2);
    await closing;
    server.answerFirst(2); // before any page claimed the key
    await vi.advanceTimersByTimeAsync(1000);

    // The key as it was, and the event recorded meanwhile under a key of its own: each event under one key.
    expect(JSON.parse(storage.getItem(key)!).map((e: TelemetryEvent) => e.eventId)).toEqual(ids);
    expect(storedCounts(storage)).toEqual(new Map([...ids, later].map((id) => [id, 1])));
    expect(a.stats()).toMatchObject({ sent: 0 });
    held.delete(lock);
    openLivePage();
    const cNet = network();
    cNet.state.up = true;
    const c = new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await vi.advanceTimersByTimeAsync(20_000);
    expect([...cNet.state.delivered].sort()).toEqual([...ids, later].sort());
    expect(c.stats()).toMatchObject({ sent: 3, queued: 0 });
  });

  it('adopts no other page\'s key while it confirms its own, and sends as it goes only what it recorded meanwhile', async () => {
    const { locks, held, requests } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock); // another page holds the key's Web Lock: tab A, back, looks again 2 s later
    pageA.document.dispatchEvent(new Event('resume'));
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(10);
    // Tab D closes, leaving its events, and tells tab A so while tab A confirms its key.
    openLivePage();
    const d = await offlineTab(storage, slowRetries);
    await closed(d.client);
    const leaseKey = LEASE_PREFIX + d.key.slice(QUEUE_PREFIX.length);
    pageA.window.dispatchEvent(Object.assign(new Event('storage'), { key: leaseKey, newValue: null, storageArea: storage }));
    await vi.advanceTimersByTimeAsync(500);
    expect(a.client.stats().queued).toBe(3);
    expect(storage.getItem(leaseKey)).toBeNull();
    // Nor does it take tab D's Web Lock, which would have a page that claims tab D's key look again seconds later.
    expect(requests.filter((r) => r.name === 'rollguard.telemetry.adopt.' + d.key.slice(QUEUE_PREFIX.length))).toEqual([]);

    a.net.state.up = true;
    pageA.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    expect(a.net.state.delivered).toEqual([later]);
    expect(storedCounts(storage)).toEqual(new Map([...a.ids, ...d.ids, later].map((id) => [id, 1])));

    held.clear();
    openLivePage();
    const cNet = network();
    cNet.state.up = true;
    const c = new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await vi.advanceTimersByTimeAsync(20_000);
    expect([...cNet.state.delivered].sort()).toEqual([...a.ids, ...d.ids, later].sort());
    expect(c.stats()).toMatchObject({ sent: 5, queued: 0 });
  });

  it('gives back a claim on another page\'s key when it starts to confirm its own during the claim\'s wait', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    openLivePage();
    const d = await offlineTab(storage, slowRetries);
    await closed(d.client);
    const leaseKey = LEASE_PREFIX + d.key.slice(QUEUE_PREFIX.length);
    pageA.window.dispatchEvent(Object.assign(new Event('storage'), { key: leaseKey, newValue: null, storageArea: storage }));
    await vi.advanceTimersByTimeAsync(0); // the lock is granted
    expect(leaseOf(storage, d.key)).toMatchObject({ claim: expect.any(String) }); // tab A's claim, read back 0.1 s later
    // Meanwhile the device sleeps past tab A's lease; back, tab A records an event and so confirms its own key first.
    held.add('rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length));
    vi.setSystemTime(Date.now() + 600_000);
    const later = a.client.sync({ success: true, durationMs: 3 });
    await vi.advanceTimersByTimeAsync(500);
    expect(leaseOf(storage, d.key)).toBeNull();
    expect(a.client.stats().queued).toBe(3);

    a.net.state.up = true;
    pageA.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    expect(a.net.state.delivered).toEqual([later]);
    expect(storedCounts(storage)).toEqual(new Map([...a.ids, ...d.ids, later].map((id) => [id, 1])));
  });

  it('adopts the key it left alone while it confirmed its own as soon as its key is confirmed', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const lock = 'rollguard.telemetry.adopt.' + a.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    held.add(lock);
    pageA.document.dispatchEvent(new Event('resume'));
    await vi.advanceTimersByTimeAsync(10);
    openLivePage();
    const d = await offlineTab(storage, slowRetries);
    await closed(d.client);
    const leaseKey = LEASE_PREFIX + d.key.slice(QUEUE_PREFIX.length);
    pageA.window.dispatchEvent(Object.assign(new Event('storage'), { key: leaseKey, newValue: null, storageArea: storage }));
    await vi.advanceTimersByTimeAsync(500);
    expect(a.client.stats().queued).toBe(2);

    held.delete(lock); // the other page gave tab A's key up without adopting it: tab A's next look (4 s) confirms it
    await vi.advanceTimersByTimeAsync(4000);
    expect(a.client.stats().queued).toBe(4); // well before its next heartbeat, 15 s after it resumed
    expect(storedCounts(storage)).toEqual(new Map([...a.ids, ...d.ids].map((id) => [id, 1])));
  });

  it('sends as an ordinary request what finds no room left in the keep-alive budget as the page goes', async () => {
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    const keepalive: Array<{ ids: string[]; bytes: number }> = [];
    const ordinary: string[][] = [];
    let inFlight = 0;
    let most = 0;
    const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
      const body = String(init?.body);
      const ids = (JSON.parse(body).events as TelemetryEvent[]).map((e) => e.eventId);
      if (!init?.keepalive) {
        ordinary.push(ids);
        return new Promise<Response>(() => {});
      }
      const bytes = new TextEncoder().encode(body).length;
      keepalive.push({ ids, bytes });
      inFlight += bytes;
      most = Math.max(most, inFlight);
      return new Promise<Response>(() => {}); // still on its way as the page goes
    }) as unknown as typeof globalThis.fetch;
    const a = new TelemetryClient({ ...tab, storage, fetch, batchSize: 100, lingerMs: 60_000, requestTimeoutMs: 600_000 });
    const big = 'x'.repeat(1000);
    const first: string[] = [];
    for (let i = 0; i < 50; i++) first.push(a.sync({ success: false, durationMs: 10 + i, errorMessage: big }));
    await vi.advanceTimersByTimeAsync(2000);
    // Hidden (a tab switch): the queue goes with keepalive, less than one event short of the 60 KB.
    Object.assign(pageA.document, { visibilityState: 'hidden' });
    pageA.document.dispatchEvent(new Event('visibilitychange'));
    expect(keepalive.map((k) => k.ids)).toEqual([first]);
    const eventBytes = JSON.stringify(storedEvents(storage)[0]).length + 1;
    expect(60_000 - keepalive[0].bytes).toBeLessThan(eventBytes);

    // Frozen, the key adopted and the batch sent by another page: back, tab A forgets the request.
    pageA.document.dispatchEvent(new Event('freeze'));
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(first);
    pageA.document.dispatchEvent(new Event('resume'));
    await claimsConfirmed();
    expect(a.stats()).toMatchObject({ queued: 0, handedOver: 50 });
    const later = a.sync({ success: false, durationMs: 1, errorMessage: big });
    pageA.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);

    expect(most).toBeLessThanOrEqual(60_000);
    expect(keepalive).toHaveLength(1);
    expect(ordinary).toEqual([[later]]);
    expect(storedEvents(storage).map((e) => e.eventId)).toEqual([later]);
  });

  it('keeps the keepalive requests in flight together within the browsers budget when it goes while it confirms', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new MemoryStorage();
    const pageA = openLivePage();
    // The browser's view: the bytes of keepalive bodies it holds, at most what it ever held at once.
    let inFlight = 0;
    let most = 0;
    const sent: string[][] = [];
    const fetch = vi.fn((_url: string | URL | Request, init?: RequestInit) => {
      const body = String(init?.body);
      sent.push((JSON.parse(body).events as TelemetryEvent[]).map((e) => e.eventId));
      if (!init?.keepalive) return Promise.reject(new TypeError('Failed to fetch'));
      const bytes = new TextEncoder().encode(body).length;
      inFlight += bytes;
      most = Math.max(most, inFlight);
      return new Promise<Response>(() => {}); // the first keepalive request is still on its way as the page goes
    }) as unknown as typeof globalThis.fetch;
    const a = new TelemetryClient({ ...tab, storage, fetch, batchSize: 100, lingerMs: 60_000 });
    const big = 'x'.repeat(1000);
    const first: string[] = [];
    for (let i = 0; i < 35; i++) first.push(a.sync({ success: false, durationMs: i, errorMessage: big }));
    await vi.advanceTimersByTimeAsync(2000);
    // Kept in the back/forward cache: the queue goes with keepalive (about 40 KB).
    pageA.window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
    expect(sent).toEqual([first]);
    const key = queueKeys(storage)[0];
    held.add('rollguard.telemetry.adopt.' + key.slice(QUEUE_PREFIX.length));
    pageA.window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true })); // back: it confirms its key
    const meanwhile: string[] = [];
    for (let i = 0; i < 35; i++) meanwhile.push(a.sync({ success: false, durationMs: i, errorMessage: big }));
    await vi.advanceTimersByTimeAsync(10);
    pageA.window.dispatchEvent(new Event('pagehide')); // and goes while it confirms it
    await vi.advanceTimersByTimeAsync(0);

    expect(most).toBeLessThanOrEqual(60_000);
    expect(sent).toHaveLength(2);
    expect(sent[1].length).toBeGreaterThan(0);
    expect(sent[1]).toEqual(meanwhile.slice(0, sent[1].length));
    // What did not fit stays under the key of its own, for the next page.
    expect(storedCounts(storage)).toEqual(new Map([...first, ...meanwhile].map((id) => [id, 1])));
  });

  /**
   * The browser's fetch for one page: answers never come (the page goes first), and, as the Fetch standard has it, a
   * keepalive request that would take the bodies of the page's keepalive requests in flight over 64 KiB is refused,
   * whichever client of the page sent the others.
   */
  function onePageFetch() {
    const sent: Array<{ url: string; ids: string[]; keepalive: boolean }> = [];
    const refused: Array<{ url: string; ids: string[] }> = [];
    let inFlight = 0;
    let most = 0;
    const fetch = vi.fn((url: string | URL | Request, init?: RequestInit) => {
      const body = String(init?.body);
      const ids = (JSON.parse(body).events as TelemetryEvent[]).map((e) => e.eventId);
      if (init?.keepalive) {
        const bytes = new TextEncoder().encode(body).length;
        if (inFlight + bytes > 64 * 1024) {
          refused.push({ url: String(url), ids });
          return Promise.reject(new TypeError('Failed to fetch'));
        }
        inFlight += bytes;
        most = Math.max(most, inFlight);
      }
      sent.push({ url: String(url), ids, keepalive: init?.keepalive === true });
      return new Promise<Response>(() => {});
    }) as unknown as typeof globalThis.fetch;
    return { fetch, sent, refused, most: () => most };
  }

  const bundles = [
    { how: 'made by one copy of the module', load: async () => TelemetryClient },
    {
      how: 'made by two copies of the module (an app and a library that each bundle it)',
      load: async () => {
        vi.resetModules();
        return (await import('../src/telemetry.js')).TelemetryClient;
      },
    },
  ];
  for (const { how, load } of bundles) {
    it(`keeps the keepalive requests of two clients of one page within the browsers budget as it goes, ${how}`, async () => {
      const storage = new MemoryStorage();
      const page = openLivePage();
      const browser = onePageFetch();
      const options = { ...tab, storage, fetch: browser.fetch, batchSize: 100, lingerMs: 60_000 };
      const a = new TelemetryClient({ ...options, url: 'https://ingest-a.example.test/' });
      const Other = await load();
      expect(Other === TelemetryClient).toBe(how.includes('one copy'));
      const b = new Other({ ...options, url: 'https://ingest-b.example.test/' });
      const big = 'x'.repeat(1000);
      const aIds: string[] = [];
      const bIds: string[] = [];
      // About 42 KB each: either alone fits in the 60 KB, the two together do not.
      for (let i = 0; i < 35; i++) {
        aIds.push(a.sync({ success: false, durationMs: i, errorMessage: big }));
        bIds.push(b.sync({ success: false, durationMs: i, errorMessage: big }));
      }

      page.window.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);

      expect(browser.refused).toEqual([]);
      expect(browser.most()).toBeLessThanOrEqual(60_000);
      expect(browser.sent).toHaveLength(2);
      expect(browser.sent[0]).toEqual({ url: 'https://ingest-a.example.test/api/telemetry', ids: aIds, keepalive: true });
      // The second client sends the oldest of its events that fit in what the first one's request leaves.
      const { ids, ...request } = browser.sent[1];
      expect(request).toEqual({ url: 'https://ingest-b.example.test/api/telemetry', keepalive: true });
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(bIds.slice(0, ids.length));
      // Nothing is lost: every event stays in storage until answered, for the next page.
      expect(storedCounts(storage)).toEqual(new Map([...aIds, ...bIds].map((id) => [id, 1])));
    });
  }

  it('leaves alone, closed a second time, the lease of the page that adopted its key meanwhile', async () => {
    vi.stubGlobal('navigator', {});
    const storage = new FullStorage();
    openLivePage();
    const a = await offlineTab(storage);
    await closed(a.client);
    expect(leaseOf(storage, a.key)).toBeNull();
    // Page B cannot store what it adopts (storage full): it holds tab A's key under its own lease.
    storage.full = true;
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    const bLease = leaseOf(storage, a.key);
    expect(bLease).toMatchObject({ owner: expect.any(String) });

    await closed(a.client); // the app closes tab A's client twice

    expect(leaseOf(storage, a.key)).toEqual(bLease);
    // So a third page adopts nothing page B holds: the two events are sent and counted once.
    openLivePage();
    const cNet = network();
    cNet.state.up = true;
    const c = new TelemetryClient({ ...tab, storage, fetch: cNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    await vi.advanceTimersByTimeAsync(1000);
    expect(cNet.state.delivered).toEqual([]);
    expect(b.stats().sent + c.stats().sent).toBe(2);
  });

  it('leaves alone, closed after pagehide, the lease of the page that adopted its key meanwhile', async () => {
    vi.stubGlobal('navigator', {});
    const storage = new FullStorage();
    const pageA = openLivePage();
    const a = await offlineTab(storage);
    pageA.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    expect(leaseOf(storage, a.key)).toBeNull();
    storage.full = true;
    openLivePage();
    const b = new TelemetryClient({ ...tab, storage, fetch: network().fetch });
    await claimsConfirmed();
    expect(b.stats().queued).toBe(2);
    const bLease = leaseOf(storage, a.key);
    expect(bLease).toMatchObject({ owner: expect.any(String) });

    await closed(a.client); // in the continuation of the app's own pagehide handler

    expect(leaseOf(storage, a.key)).toEqual(bLease);
  });

  it('leaves alone, frozen while it confirms its keys, the mark of the page that adopted its key meanwhile', async () => {
    const { locks, held } = webLocks();
    vi.stubGlobal('navigator', { locks });
    const storage = new FullStorage();
    // Tab D leaves its key; tab A adopts it but cannot store its events (storage full): it holds it under its lease.
    const pageA = openLivePage();
    const a = await offlineTab(storage, slowRetries);
    const pageD = openLivePage();
    const d = await offlineTab(storage, slowRetries);
    pageD.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    await closed(d.client);
    storage.full = true;
    const released = { key: LEASE_PREFIX + d.key.slice(QUEUE_PREFIX.length), newValue: null, storageArea: storage };
    pageA.window.dispatchEvent(Object.assign(new Event('storage'), released));
    await claimsConfirmed();
    expect(a.client.stats().queued).toBe(4);
    expect(queueKeys(storage)).toContain(d.key);

    // Tab A frozen, page B adopts tab A's own key (D's key under its Web Lock meanwhile), stores it and marks it.
    const lockD = 'rollguard.telemetry.adopt.' + d.key.slice(QUEUE_PREFIX.length);
    pageA.document.dispatchEvent(new Event('freeze'));
    storage.full = false;
    held.add(lockD);
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    await vi.advanceTimersByTimeAsync(1000);
    expect(bNet.state.delivered).toEqual(a.ids);
    expect(leaseOf(storage, a.key)).toMatchObject({ adopted: true });

    // Back, tab A finds its own key taken at once and waits for D's lock; frozen again while it confirms that key.
    pageA.document.dispatchEvent(new Event('resume'));
    await vi.advanceTimersByTimeAsync(10);
    pageA.document.dispatchEvent(new Event('freeze'));
    expect(leaseOf(storage, a.key)).toMatchObject({ adopted: true });

    // Back for good and online: tab A sends none of the two events page B sent, only D's.
    held.delete(lockD);
    a.net.state.up = true;
    pageA.document.dispatchEvent(new Event('resume'));
    pageA.window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(a.net.state.delivered).toEqual(d.ids);
    expect(b.stats().sent + a.client.stats().sent).toBe(4);
  });

  it('counts no answer whose body it read across a sleep past its lease while another page adopted its key', async () => {
    vi.stubGlobal('navigator', {});
    const storage = new MemoryStorage();
    openLivePage();
    let body: (value: unknown) => void = () => {};
    const aFetch = vi.fn(async () => ({
      ok: true,
      status: 200,
      headers: new Headers(),
      json: () => new Promise((resolve) => (body = resolve)),
    })) as unknown as typeof globalThis.fetch;
    const a = new TelemetryClient({ ...tab, storage, fetch: aFetch });
    const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
    await vi.advanceTimersByTimeAsync(2100); // stored and sent: the answer's headers are in, its body on its way
    expect(aFetch).toHaveBeenCalledTimes(1);
    expect(queueKeys(storage)).toHaveLength(1);
    // The device sleeps ten minutes (no timer of tab A runs): page B adopts tab A's key and sends the batch.
    vi.setSystemTime(Date.now() + 600_000);
    openLivePage();
    const bNet = network();
    bNet.state.up = true;
    const b = new TelemetryClient({ ...tab, storage, fetch: bNet.fetch });
    await claimsConfirmed();
    await adoptedSent();
    expect(bNet.state.delivered).toEqual(ids);

    body({ accepted: 2, rejected: [] }); // tab A wakes, and the body comes
    await vi.advanceTimersByTimeAsync(1000);

    expect(b.stats().sent).toBe(2);
    expect(a.stats()).toMatchObject({ sent: 0, handedOver: 2, queued: 0 });
  });

  /** The answers whose body is still on its way as the client is closed: counted for the events in no key. */
  const lateBodies = [
    { status: 200, body: { accepted: 2, rejected: [] }, counts: { sent: 2, rejected: 0 } },
    { status: 401, body: { code: 'INVALID_TOKEN', message: 'revoked' }, counts: { sent: 0, rejected: 2 } },
  ];
  for (const { status, body, counts } of lateBodies) {
    it(`counts the events in no key of a request whose answer body (HTTP ${status}) comes after close()`, async () => {
      vi.stubGlobal('navigator', {});
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const storage = new FullStorage();
      storage.full = true;
      openLivePage();
      let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
      const fetch = vi.fn(async () => {
        const pending = new ReadableStream<Uint8Array>({ start: (controller) => void (stream = controller) });
        return new Response(pending, { status, headers: { 'Content-Type': 'application/json' } });
      }) as unknown as typeof globalThis.fetch;
      const rejected: string[] = [];
      const listener = { onRejected: (e: TelemetryEvent) => rejected.push(e.eventId) };
      const a = new TelemetryClient({ ...tab, storage, fetch, requestTimeoutMs: 60_000, listener });
      const ids = [a.sync({ success: true, durationMs: 1 }), a.sync({ success: true, durationMs: 2 })];
      await vi.advanceTimersByTimeAsync(0); // the answer's headers are in, its body on its way
      expect(fetch).toHaveBeenCalledTimes(1);
      const closing = a.close(1);
      await vi.advanceTimersByTimeAsync(2);
      expect(await closing).toBe(false);
      expect(queueKeys(storage)).toEqual([]); // no key holds them: this page alone can count them

      stream!.enqueue(new TextEncoder().encode(JSON.stringify(body)));
      stream!.close();
      await vi.advanceTimersByTimeAsync(1000);

      expect(a.stats()).toMatchObject({ ...counts, dropped: 0, queued: 0, unstored: 0 });
      expect(rejected).toEqual(counts.rejected > 0 ? ids : []);
    });
  }

  it('stores on a second close() none of the events in no key of the request in flight at the first', async () => {
    vi.stubGlobal('navigator', {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const storage = new FullStorage();
    storage.full = true;
    openLivePage();
    const server = slowFirstRequest();
    const a = new TelemetryClient({ ...tab, storage, fetch: server.fetch, requestTimeoutMs: 60_000 });
    a.sync({ success: true, durationMs: 1 });
    a.sync({ success: true, durationMs: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.sent).toHaveLength(1);
    await closed(a);
    storage.full = false; // the app freed some of the origin's quota
    await closed(a); // a framework's teardown after the app's own pagehide handler, say
    expect(queueKeys(storage)).toEqual([]);
    expect(a.stats()).toMatchObject({ queued: 2, unstored: 2 });

    server.answerFirst(2);
    await vi.advanceTimersByTimeAsync(1000);

    // Counted by this page's answer alone: in a key, the next page would send and count them again.
    expect(a.stats()).toMatchObject({ sent: 2, queued: 0, unstored: 0 });
    expect(queueKeys(storage)).toEqual([]);
  });

  /** How a keepalive request of about 42 KB ends: its bytes are then given back to the page's budget. */
  const keepaliveEnds: Array<{ how: string; end: (settle: (outcome: Response | Error) => void) => void }> = [
    { how: 'answered', end: (settle) => settle(new Response('{"accepted":35,"rejected":[]}', { status: 200 })) },
    { how: 'failed', end: (settle) => settle(new TypeError('Failed to fetch')) },
    { how: 'aborted for want of an answer in time', end: () => {} },
  ];
  for (const { how, end } of keepaliveEnds) {
    it(`gives the page's keep-alive budget back once a keepalive request is ${how}`, async () => {
      vi.stubGlobal('navigator', {});
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const page = openLivePage();
      const calls: Array<{ url: string; keepalive: boolean; n: number }> = [];
      const settles: Array<(outcome: Response | Error) => void> = [];
      const fetch = vi.fn((url: string | URL | Request, init?: RequestInit) => {
        const n = JSON.parse(String(init?.body)).events.length;
        calls.push({ url: String(url), keepalive: init?.keepalive === true, n });
        return new Promise<Response>((resolve, reject) => {
          settles.push((outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)));
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        });
      }) as unknown as typeof globalThis.fetch;
      const options = { ...tab, fetch, batchSize: 100, lingerMs: 60_000, requestTimeoutMs: 5_000 };
      const a = new TelemetryClient({ ...options, storage: new MemoryStorage() });
      const big = 'x'.repeat(1000);
      for (let i = 0; i < 35; i++) a.sync({ success: false, durationMs: i, errorMessage: big });
      Object.assign(page.document, { visibilityState: 'hidden' });
      page.document.dispatchEvent(new Event('visibilitychange'));
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toEqual([{ url: 'https://ingest.example.test/api/telemetry', keepalive: true, n: 35 }]);
      end(settles[0]);
      await vi.advanceTimersByTimeAsync(6_000);
      await closed(a); // sends nothing more with keepalive

      // A second client of the page goes with about 42 KB too: only its request is in flight, so all of it fits.
      const b = new TelemetryClient({ ...options, url: 'https://other.example.test/', storage: new MemoryStorage() });
      for (let i = 0; i < 35; i++) b.sync({ success: false, durationMs: i, errorMessage: big });
      page.window.dispatchEvent(new Event('pagehide'));
      await vi.advanceTimersByTimeAsync(0);
      expect(calls.filter((c) => c.url.startsWith('https://other.'))).toEqual([
        { url: 'https://other.example.test/api/telemetry', keepalive: true, n: 35 },
      ]);
    });
  }

  it('counts a keepalive request against the page\'s budget until the body of its answer has arrived', async () => {
    vi.stubGlobal('navigator', {});
    const page = openLivePage();
    const calls: Array<{ url: string; keepalive: boolean; n: number }> = [];
    let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
    const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      const n = JSON.parse(String(init?.body)).events.length;
      calls.push({ url: String(url), keepalive: init?.keepalive === true, n });
      const answer = JSON.stringify({ accepted: n, rejected: [] });
      if (calls.length > 1) return new Response(answer, { status: 200 });
      // The first answer's headers come at once, its body slowly (the browser still counts the request's bytes).
      const body = new ReadableStream<Uint8Array>({ start: (controller) => void (stream = controller) });
      return new Response(body, { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const options = { ...tab, fetch, batchSize: 100, lingerMs: 60_000, requestTimeoutMs: 60_000 };
    const a = new TelemetryClient({ ...options, storage: new MemoryStorage() });
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 35; i++) a.sync({ success: false, durationMs: i, errorMessage: big });
    Object.assign(page.document, { visibilityState: 'hidden' });
    page.document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([{ url: 'https://ingest.example.test/api/telemetry', keepalive: true, n: 35 }]);

    const b = new TelemetryClient({ ...options, url: 'https://b.example.test/', storage: new MemoryStorage() });
    for (let i = 0; i < 35; i++) b.sync({ success: false, durationMs: i, errorMessage: big });
    page.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    // Only what fits beside the first request, whose answer's body is still on its way.
    const bFirst = calls.find((c) => c.url.startsWith('https://b.'))!;
    expect(bFirst.keepalive).toBe(true);
    expect(bFirst.n).toBeGreaterThan(0);
    expect(bFirst.n).toBeLessThan(35);

    stream!.enqueue(new TextEncoder().encode(JSON.stringify({ accepted: 35, rejected: [] })));
    stream!.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.stats()).toMatchObject({ sent: 35, queued: 0 });
    expect(b.stats().queued).toBe(0); // b's requests all answered: none of its bytes held
    // The body in: its bytes are given back, and a third client's 42 KB fit whole.
    const c = new TelemetryClient({ ...options, url: 'https://c.example.test/', storage: new MemoryStorage() });
    for (let i = 0; i < 35; i++) c.sync({ success: false, durationMs: i, errorMessage: big });
    page.window.dispatchEvent(new Event('pagehide'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.filter((call) => call.url.startsWith('https://c.'))).toEqual([
      { url: 'https://c.example.test/api/telemetry', keepalive: true, n: 35 },
    ]);
  });
});

/** flush() waits on timers, which the fake clock has to move. */
async function flushed(client: TelemetryClient): Promise<boolean> {
  const done = client.flush(5000);
  await vi.advanceTimersByTimeAsync(5000);
  return done;
}
