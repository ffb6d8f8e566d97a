import { InvalidArgumentError, type Command } from 'commander';
import { once } from 'node:events';
import { emulatorFixtures } from '../../emulator/emulator-fixtures.ts';
import { demoDefaults } from '../../emulator/seed/demo-seed.ts';
import { startEmulator } from '../../emulator/server.ts';
import {
  createSelfSignedCertificate,
  writeCertificatePem,
} from '../../emulator/tokens/self-signed-certificate.ts';
import { createLogger } from '../../logging/logger.ts';
import { loadCliConfig } from '../cli-config.ts';
import type { CliContext } from '../cli.ts';

const count = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return Number(value);
};

const port = (value: string): number => {
  const n = count(value);
  if (n > 65535) throw new InvalidArgumentError('must be 0–65535');
  return n;
};

/** `--token a,b`: one token per application user, none empty or repeated. */
function syncTokens(value: string): string[] {
  const tokens = value.split(',').map((token) => token.trim());
  if (tokens.some((token) => token === '')) throw new InvalidArgumentError('--token has an empty entry');
  if (new Set(tokens).size < tokens.length) throw new InvalidArgumentError('--token lists a token twice');
  return tokens;
}

/** `syncline emulator` (interfaces.md §3): the Dataverse Web API emulator alone, until SIGINT/SIGTERM. */
export function registerEmulatorCommand(program: Command, context: CliContext): void {
  program
    .command('emulator')
    .description('Run the local Dataverse Web API emulator until stopped.')
    .option('--port <port>', 'port to listen on (default: SYNCLINE_EMULATOR_PORT or 8081)', port)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--seed <seed>', 'data set: demo or empty', 'demo')
    .option('--contacts <n>', `demo contacts (default ${demoDefaults.contacts})`, count)
    .option('--leads <n>', `demo leads (default ${demoDefaults.leads})`, count)
    .option('--accounts <n>', `demo accounts (default ${demoDefaults.accounts})`, count)
    .option(
      '--token <tokens>',
      'bearer token of the sync user; a comma-separated list = several application users, each a systemuser with its own limits',
      emulatorFixtures.defaultSyncToken,
    )
    .option(
      '--admin-token <token>',
      'bearer token of the System Administrator',
      emulatorFixtures.defaultAdminToken,
    )
    .option(
      '--bulk-etags <mode>',
      'UpdateMultiple per-target @odata.etag: ignored (the worst case, default) or honoured (docs/emulator.md)',
    )
    .option(
      '--bulk-unavailable <tables>',
      'comma-separated tables on which CreateMultiple/UpdateMultiple are unavailable',
    )
    .option(
      '--record-count-refresh <seconds>',
      'how old the RetrieveTotalRecordCount snapshot may get before it is retaken (default 86400; 0 = live counts)',
      count,
    )
    .option('--tls', 'serve HTTPS with a self-signed certificate made at start (for MSAL clients)')
    .option(
      '--tls-cert <path>',
      'where --tls writes the certificate PEM for clients to trust',
      './data/emulator-cert.pem',
    )
    .action(
      async (options: {
        port?: number;
        host: string;
        seed: string;
        contacts?: number;
        leads?: number;
        accounts?: number;
        token: string;
        adminToken: string;
        tls?: boolean;
        tlsCert: string;
        bulkEtags?: string;
        bulkUnavailable?: string;
        recordCountRefresh?: number;
      }) => {
        if (
          options.bulkEtags !== undefined &&
          options.bulkEtags !== 'ignored' &&
          options.bulkEtags !== 'honoured'
        )
          throw new InvalidArgumentError(
            `--bulk-etags must be ignored or honoured, not '${options.bulkEtags}'`,
          );
        if (options.seed !== 'demo' && options.seed !== 'empty')
          throw new InvalidArgumentError(`--seed must be demo or empty, not '${options.seed}'`);
        const config = loadCliConfig(context);
        const logger = createLogger({ level: config.logLevel, format: config.logFormat });
        const started = Date.now();
        const tls = options.tls ? await createSelfSignedCertificate([options.host]) : undefined;
        if (tls) await writeCertificatePem(options.tlsCert, tls);
        const emulator = await startEmulator({
          host: options.host,
          port: options.port ?? config.emulator.port,
          syncToken: syncTokens(options.token),
          adminToken: options.adminToken,
          seed: {
            seed: options.seed,
            contacts: options.contacts,
            leads: options.leads,
            accounts: options.accounts,
          },
          logger,
          tls,
          recordCountRefreshSeconds: options.recordCountRefresh,
          bulk: {
            ...(options.bulkEtags === undefined ? {} : { etags: options.bulkEtags }),
            ...(options.bulkUnavailable === undefined
              ? {}
              : {
                  unavailableOn: options.bulkUnavailable
                    .split(',')
                    .map((table) => table.trim())
                    .filter(Boolean),
                }),
          },
        });
        const rows = Object.fromEntries(
          [...emulator.state.tables]
            .map(([name, table]) => [name, table.size])
            .filter(([, size]) => Number(size) > 0),
        );
        context.stdout.write(
          `Dataverse emulator listening on ${emulator.url}/api/data/v9.2/ (started in ${Date.now() - started} ms)\n`,
        );
        if (tls) {
          context.stdout.write(
            `TLS certificate written to ${options.tlsCert}; trust it with NODE_EXTRA_CA_CERTS=${options.tlsCert} ` +
              `(docs/emulator-tls.md)\n`,
          );
        }
        logger.info(
          { url: emulator.url, rows, rssMb: Math.round(process.memoryUsage().rss / 1048576) },
          'emulator ready',
        );
        const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
        logger.info({ signal: signal[0] }, 'emulator stopping');
        await emulator.close();
      },
    );
}
