import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** A file of an app, compiled beside the package's sources (never written to disk). */
const APP = fileURLToPath(new URL('./app-fixture.ts', import.meta.url));

/** The compiler's errors for the app's code, type-checked with the package's compiler options. */
function errorsOf(code: string): string[] {
  const configFile = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  const config = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => {},
  });
  const options = { ...config!.options, noEmit: true, rootDir: undefined };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => name === APP || fileExists.call(host, name);
  host.readFile = (name) => (name === APP ? code : readFile.call(host, name));
  host.getSourceFile = (name, language, ...rest) =>
    name === APP ? ts.createSourceFile(name, code, language) : getSourceFile.call(host, name, language, ...rest);
  const program = ts.createProgram([APP], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe("the package's types", () => {
  it('take the stats an app built before handedOver was added (a mock), and give handedOver from stats()', () => {
    const errors = errorsOf(`
      import { TelemetryClient, type TelemetryStats } from '../src/index.js';

      const counts = { rejected: 0, dropped: 0, retries: 0, queued: 0, keyMismatches: 0, unstored: 0 };
      const mocked: TelemetryStats = { sent: 1, ...counts };
      // @ts-expect-error The counts stats() had before handedOver stay required (and the check runs).
      const incomplete: TelemetryStats = { sent: 1 };
      const client = new TelemetryClient({ url: 'https://ingest.example.test', producerToken: 'p', storage: null });
      const stats: TelemetryStats = client.stats();
      const handedOver: number = stats.handedOver ?? 0;
      const n: number = client.stats().handedOver;
      export { mocked, incomplete, handedOver, n };
    `);
    expect(errors).toEqual([]);
  }, 30_000);
});
