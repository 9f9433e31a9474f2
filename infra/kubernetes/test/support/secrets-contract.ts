/**
 * Secrets the manifests use but do not always render. Production renders none: the operator creates
 * these once (README "Secrets"); the dev overlay generates the same names and keys with public values.
 * The operators create the rest themselves.
 */
export const OUT_OF_BAND_SECRETS: Readonly<Record<string, readonly string[]>> = {
  'redwire-identity': ['IDENTITY_SIGNING_KEY'],
  'redwire-redis-passwords': ['REDIS_GATEWAY_PASSWORD', 'REDIS_USER_PASSWORD', 'REDIS_AUTH_PASSWORD'],
  'redwire-redis-admin': ['REDIS_DEFAULT_PASSWORD'],
  'redwire-redis-state-acl': ['user.acl'],
  'redwire-redis-cache-acl': ['user.acl'],
};

/** The Ingress certificate: cert-manager or the operator provides it, in every environment. */
export const TLS_SECRETS: Readonly<Record<string, readonly string[]>> = {
  'redwire-tls': ['tls.crt', 'tls.key'],
};

/**
 * What CloudNativePG creates for the Cluster `redwire-postgres`: the application role's credentials
 * (`<cluster>-app`, basic-auth) and the CA that signs the server certificate (`<cluster>-ca`).
 */
export const OPERATOR_SECRETS: Readonly<Record<string, readonly string[]>> = {
  'redwire-postgres-app': ['username', 'password', 'host', 'port', 'dbname', 'uri', 'jdbc-uri', 'pgpass'],
  'redwire-postgres-ca': ['ca.crt', 'ca.key'],
};

/** Stand-ins for values the test cannot know (out-of-band and operator secrets): long, and not development values. */
export function placeholderSecret(name: string, key: string): string {
  return `placeholder-${name}-${key}-0123456789abcdef0123456789abcdef`.replace(/[^A-Za-z0-9-]/g, '-');
}
