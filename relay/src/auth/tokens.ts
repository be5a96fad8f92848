import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type DeviceId, isDeviceId, isViewerId, type ViewerId } from '@sealcam/protocol/relay-safe';

export type SessionRole = 'device' | 'viewer';

/** A verified session: the self-certifying id (base32) proven at authentication, and its role. */
export type Session =
  | {
      readonly role: 'device';
      readonly id: DeviceId;
      readonly expiresAt: number;
      /**
       * The tag of the source address the device logged in from (fair-share.ts): what it stores
       * with this token is charged to that address too. Carried in the token, so it survives a
       * relay restart and is the same on every relay process.
       */
      readonly home?: string;
    }
  | { readonly role: 'viewer'; readonly id: ViewerId; readonly expiresAt: number };

export type DeviceSession = Extract<Session, { role: 'device' }>;
export type ViewerSession = Extract<Session, { role: 'viewer' }>;

/** Session lifetimes are spread over their last tenth (TokenIssuer's jitter). */
export const TOKEN_LIFETIME_JITTER = 0.1;

/** Decodes a configured secret (hex or base64, at least 32 bytes) or makes a random one. */
export function tokenKey(secret: string | null): { key: Buffer; generated: boolean } {
  if (!secret) return { key: randomBytes(32), generated: true };
  const key = /^[0-9a-fA-F]+$/.test(secret) ? Buffer.from(secret, 'hex') : Buffer.from(secret, 'base64');
  if (key.length < 32) throw new Error('SEALCAM_TOKEN_SECRET must be at least 32 bytes (hex or base64)');
  return { key, generated: false };
}

/**
 * Stateless session tokens "v1.<claims>.<mac>" (base64url; HMAC-SHA256), so any relay process
 * sharing the secret accepts them. They carry no secret: only id, role, expiry and, for a device,
 * the tag of the address it logged in from.
 */
export class TokenIssuer {
  constructor(
    private readonly key: Buffer,
    private readonly ttlMs: number,
    /** Each lifetime is shortened by up to this fraction of it, at random (0: every token lives ttlMs). */
    private readonly jitter = 0,
    private readonly random: () => number = Math.random,
  ) {}

  private mac(claims: string): string {
    return createHmac('sha256', this.key).update(`v1.${claims}`).digest('base64url');
  }

  issue(
    identity: Pick<DeviceSession, 'id' | 'role' | 'home'> | Pick<ViewerSession, 'id' | 'role'>,
    now: number,
    /** This lifetime instead of the configured one, shortened at random. */
    lifetime = this.ttlMs - Math.floor(this.ttlMs * this.jitter * this.random()),
  ) {
    const session: Session = { ...identity, expiresAt: now + lifetime };
    const fields: unknown[] = [session.id, session.role, session.expiresAt];
    if (session.role === 'device' && session.home !== undefined) fields.push(session.home);
    const claims = Buffer.from(JSON.stringify(fields)).toString('base64url');
    return { token: `v1.${claims}.${this.mac(claims)}`, session };
  }

  /** The session, or a reason it is refused. */
  verify(token: string, now: number): Session | 'malformed' | 'bad-signature' | 'expired' {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'v1' || token.length > 512) return 'malformed';
    const [, claims, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(claims));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    } catch {
      return 'malformed';
    }
    if (!Array.isArray(decoded) || decoded.length < 3 || decoded.length > 4) return 'malformed';
    const [id, role, expiresAt, home] = decoded as [unknown, unknown, unknown, unknown];
    if (typeof expiresAt !== 'number') return 'malformed';
    if (home !== undefined && (role !== 'device' || typeof home !== 'string' || home.length > 64))
      return 'malformed';
    let session: Session;
    if (role === 'device' && isDeviceId(id))
      session = home === undefined ? { role, id, expiresAt } : { role, id, expiresAt, home };
    else if (role === 'viewer' && isViewerId(id)) session = { role, id, expiresAt };
    else return 'malformed';
    if (expiresAt <= now) return 'expired';
    return session;
  }
}
