// The gateway process as the suite drives it. Everything the suite assumes about the gateway's entry
// point and configuration lives in this file.
import { type BenchStack, compiled } from '../stack/bench-stack';

/** A running gateway and the headers of a signed-in request through it. */
export interface RunningGateway {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Starts services/gateway/dist/main.js in front of `backendUrl`, or says what is missing. */
export async function startGateway(
  _stack: BenchStack,
  _backendUrl: string,
): Promise<RunningGateway | { missing: string }> {
  const main = compiled('services/gateway', 'dist/main.js');
  if (!main)
    return { missing: 'services/gateway/dist/main.js (the gateway app and entry point are not written yet)' };
  return { missing: 'the gateway entry exists but the suite does not start it yet' };
}
