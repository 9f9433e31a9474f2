import type { UserIdentity } from '@redwire/http-kit';

/** Who sent a request, once its token (if any) was checked. */
export type Principal =
  | { readonly kind: 'anonymous'; readonly tokenSource?: 'cookie' | 'bearer'; readonly rejected?: boolean }
  | {
      readonly kind: 'user';
      readonly identity: UserIdentity;
      readonly tokenSource: 'cookie' | 'bearer';
      /** Served from the last-known-good record because the state Redis could not be reached. */
      readonly degraded?: true;
    };

/** A principal whose session checked out (now, or within the degraded window). */
export type UserPrincipal = Extract<Principal, { kind: 'user' }>;
