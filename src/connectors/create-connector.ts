import type { Config } from '../config/config.ts';
import type { Logger } from '../logging/logger.ts';
import type { CrmConnector } from './connector.ts';
import { DataverseConnector, type DataverseConnectorOptions } from './dataverse/dataverse-connector.ts';

/**
 * The composition root's one call: a connector for the configured CRM (or, in demo mode, for the embedded
 * emulator's URL with its static token). Tuning knobs that are not configuration (page size, retry policy)
 * keep their defaults unless a caller passes them.
 */
export function createCrmConnector(
  crm: NonNullable<Config['crm']>,
  logger: Logger,
  tuning: Omit<DataverseConnectorOptions, 'url' | 'auth' | 'logger'> = {},
): CrmConnector {
  return new DataverseConnector({ url: crm.url, auth: crm.identities, logger, ...tuning });
}
