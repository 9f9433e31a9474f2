import type { VerifiedIdentity } from './identity.types';

// Types what the kit stores in res.locals, for services reading it directly.
declare global {
  namespace Express {
    interface Locals {
      /** Set by `requestId()`; read with `getRequestId(res)`. */
      requestId?: string;
      /** Set by the identity middlewares; `null` means anonymous. Read with `getIdentity(res)`. */
      identity?: VerifiedIdentity | null;
    }
  }
}
