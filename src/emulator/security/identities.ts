import { randomBytes } from 'node:crypto';
import { emulatorFixtures } from '../emulator-fixtures.ts';
import type { Caller } from '../http/emulator-request.ts';

/** What the OAuth token endpoint (tokens/ module) needs from the core: client secret → access token. */
export interface TokenIssuer {
  /** A secret equal to the sync or admin token yields a fresh access token for that identity, valid 1 h. */
  issueFor(clientSecret: string): { accessToken: string; expiresIn: number } | undefined;
}

const tokenLifetimeSeconds = 3600;

/**
 * The two identities of interfaces.md §7 and the bearer tokens that authenticate as them: the configured
 * static tokens, and access tokens issued through the token endpoint.
 */
export class Identities implements TokenIssuer {
  readonly syncUser: Caller = { userId: emulatorFixtures.syncUserId, isAdmin: false };
  readonly admin: Caller = { userId: emulatorFixtures.adminUserId, isAdmin: true };
  private readonly issued = new Map<string, { caller: Caller; expiresAt: number }>();
  private readonly syncToken: string;
  private readonly adminToken: string;

  constructor(syncToken: string, adminToken: string) {
    this.syncToken = syncToken;
    this.adminToken = adminToken;
  }

  /** The caller an `Authorization` header authenticates, or undefined (→ 401). */
  authenticate(authorization: string | undefined, now = Date.now()): Caller | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (!match) return undefined;
    const token = match[1].trim();
    if (token === this.syncToken) return this.syncUser;
    if (token === this.adminToken) return this.admin;
    const issued = this.issued.get(token);
    if (!issued) return undefined;
    if (issued.expiresAt <= now) {
      this.issued.delete(token);
      return undefined;
    }
    return issued.caller;
  }

  issueFor(clientSecret: string): { accessToken: string; expiresIn: number } | undefined {
    const caller =
      clientSecret === this.syncToken
        ? this.syncUser
        : clientSecret === this.adminToken
          ? this.admin
          : undefined;
    if (!caller) return undefined;
    const accessToken = randomBytes(32).toString('base64url');
    this.issued.set(accessToken, { caller, expiresAt: Date.now() + tokenLifetimeSeconds * 1000 });
    return { accessToken, expiresIn: tokenLifetimeSeconds };
  }
}
