// Settings come from the URL's fragment, which the browser never sends to a server:
// index.html#flagService=http://127.0.0.1:8081&ingest=http://127.0.0.1:8082&clientToken=...&producerToken=...&user=alice&flag=new-sync
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { ExposureHook, Exposures, TelemetryClient } from '@rollguard/client';

const settings = new URLSearchParams(location.hash.slice(1));
const flagService = settings.get('flagService') ?? 'http://127.0.0.1:8081';
const ingest = settings.get('ingest') ?? 'http://127.0.0.1:8082';
const user = settings.get('user') ?? 'alice';
const flag = settings.get('flag') ?? 'new-sync';

// Rollguard, all of it: exposures recorded by a hook, telemetry sent with them, flags from the flag-service.
const exposures = new Exposures();
OpenFeature.addHooks(new ExposureHook(exposures));
const telemetry = new TelemetryClient({ url: ingest, producerToken: settings.get('producerToken'), userId: user, exposures });
await OpenFeature.setContext({ targetingKey: user }); // the same key as the telemetry's userId
await OpenFeature.setProviderAndWait(
  new OFREPWebProvider({
    baseUrl: flagService,
    headers: [['Authorization', `Bearer ${settings.get('clientToken')}`]],
    cacheMode: 'disabled', // the advertised change stream URL carries a token: not kept in localStorage
  }),
);

// The app itself.
const client = OpenFeature.getClient();
const state = { changes: [], reported: 0 };
window.rollguardExample = { state, telemetry };
const show = (id, text) => (document.getElementById(id).textContent = String(text));

function render() {
  const details = client.getBooleanDetails(flag, false);
  show('flag-value', details.value);
  show('flag-variant', details.variant ?? '-');
  return details;
}

client.addHandler(ProviderEvents.ConfigurationChanged, () => {
  const details = render();
  state.changes.push({ at: Date.now(), value: details.value, reason: details.reason });
});

document.getElementById('sync').addEventListener('click', () => {
  // A stand-in for the app's own sync, taking the new code path when the flag is on.
  const on = render().value;
  telemetry.sync({ table: 'notes', syncKind: 'INCREMENTAL', success: true, durationMs: on ? 180 : 120 });
  show('reported', ++state.reported);
});

setInterval(() => show('delivered', telemetry.stats().sent), 200);
show('flag-key', flag);
show('user', user);
render();
document.getElementById('sync').disabled = false;
show('status', 'ready');
