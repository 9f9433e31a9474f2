// The images' healthcheck probe (slim images have neither curl nor wget): exits 0 when the URL answers
// 2xx within 2.5 s, 1 otherwise.
//
//   node /app/healthcheck.mjs http://127.0.0.1:8081/readyz
const url = process.argv[2];
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2500) });
  await response.arrayBuffer();
  process.exitCode = response.ok ? 0 : 1;
} catch {
  process.exitCode = 1;
}
