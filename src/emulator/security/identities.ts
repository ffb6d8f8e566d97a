import { randomBytes } from 'node:crypto';
import { emulatorFixtures, syncUserIdAt } from '../emulator-fixtures.ts';
import type { Caller } from '../http/emulator-request.ts';

/** What the OAuth token endpoint (tokens/ module) needs from the core: client secret → access token. */
export interface TokenIssuer {
  /** A secret equal to a sync or the admin token yields a fresh access token for that identity, valid 1 h. */
  issueFor(clientSecret: string): { accessToken: string; expiresIn: number } | undefined;
}

const tokenLifetimeSeconds = 3600;

/**
 * The identities of interfaces.md §7 and the bearer tokens that authenticate as them: the configured static
 * tokens, and access tokens issued through the token endpoint. Several sync tokens (`--token a,b`) are several
 * application users, each a systemuser of its own (`syncUserIdAt`), so service protection counts them apart.
 */
export class Identities implements TokenIssuer {
  /** One per sync token, in order; the first is the sync user of interfaces.md §7. */
  readonly syncUsers: readonly Caller[];
  readonly admin: Caller = { userId: emulatorFixtures.adminUserId, isAdmin: true };
  private readonly issued = new Map<string, { caller: Caller; expiresAt: number }>();
  private readonly byToken: ReadonlyMap<string, Caller>;

  constructor(syncTokens: string | readonly string[], adminToken: string) {
    const tokens = typeof syncTokens === 'string' ? [syncTokens] : syncTokens;
    if (tokens.length === 0) throw new Error('The emulator needs at least one sync token.');
    this.syncUsers = tokens.map((_, i) => ({ userId: syncUserIdAt(i), isAdmin: false }));
    const byToken = new Map<string, Caller>(tokens.map((token, i) => [token, this.syncUsers[i]]));
    if (byToken.size < tokens.length) throw new Error('Every sync token must differ from the others.');
    if (!byToken.has(adminToken)) byToken.set(adminToken, this.admin);
    this.byToken = byToken;
  }

  get syncUser(): Caller {
    return this.syncUsers[0];
  }

  /** The caller an `Authorization` header authenticates, or undefined (→ 401). */
  authenticate(authorization: string | undefined, now = Date.now()): Caller | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (!match) return undefined;
    const token = match[1].trim();
    const caller = this.byToken.get(token);
    if (caller) return caller;
    const issued = this.issued.get(token);
    if (!issued) return undefined;
    if (issued.expiresAt <= now) {
      this.issued.delete(token);
      return undefined;
    }
    return issued.caller;
  }

  issueFor(clientSecret: string): { accessToken: string; expiresIn: number } | undefined {
    const caller = this.byToken.get(clientSecret);
    if (!caller) return undefined;
    const accessToken = randomBytes(32).toString('base64url');
    this.issued.set(accessToken, { caller, expiresAt: Date.now() + tokenLifetimeSeconds * 1000 });
    return { accessToken, expiresIn: tokenLifetimeSeconds };
  }
}
