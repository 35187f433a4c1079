import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Exposures, KeyMismatchError, TelemetryClient, type TelemetryEvent } from '../src/index.js';

interface Call {
  url: string;
  init: RequestInit;
  events: TelemetryEvent[];
}

/** A scripted metrics-ingest: each call takes the next answer (a status, or 'down' for a network failure). */
function ingest(...script: Array<number | 'down' | { status: number; body: unknown; headers?: Record<string, string> }>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
    calls.push({ url: String(url), init: init ?? {}, events });
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
    expect(storage.length).toBe(1);
    const closing = first.close(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(await closing).toBe(false);

    const server = ingest();
    const next = new TelemetryClient({ ...base, storage, fetch: server.fetch });
    expect(next.stats().queued).toBe(2);
    await vi.advanceTimersByTimeAsync(0);

    expect(server.calls[0].events.map((e) => e.eventId)).toEqual(ids);
    expect(next.stats()).toMatchObject({ sent: 2, queued: 0 });
    expect(storage.length).toBe(0);
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
        const events = JSON.parse(String(init?.body)).events as TelemetryEvent[];
        calls.push({ url: String(url), init: init ?? {}, events });
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
      const stored = JSON.parse(storage.getItem(storage.key(0)!)!) as TelemetryEvent[];
      expect(stored.map((e) => e.durationMs)).toEqual(all);

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

/** flush() waits on timers, which the fake clock has to move. */
async function flushed(client: TelemetryClient): Promise<boolean> {
  const done = client.flush(5000);
  await vi.advanceTimersByTimeAsync(5000);
  return done;
}
