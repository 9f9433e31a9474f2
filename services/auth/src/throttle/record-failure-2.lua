--[[
  Records a failed login: once for the (email, client address) pair, once for the account (every address),
  and starts or lengthens each one's back-off. Callers record only attempts that were not refused by a
  running back-off, so hammering during a lock extends nothing.

  KEYS[1] pair record     auth:login-failures:{<email hmac>}:<address hmac>   fields n, until (ms)
  KEYS[2] account record  auth:login-failures:{<email hmac>}                  fields n, until (ms)
  ARGV[1] pair: the failure that starts its back-off (each further one doubles it)
  ARGV[2] pair: first back-off, ms
  ARGV[3] pair: longest back-off, ms
  ARGV[4] account: the failure that starts its back-off
  ARGV[5] account: longest back-off (the ceiling a third party can impose on every other address), ms
  ARGV[6] window, ms: a record is forgotten this long after its last failure (plus its back-off)

  Reply: {pairFailures, pairUntilMs, accountFailures, accountUntilMs}  (until = 0: no back-off)
  Both records are two-field hashes with a TTL: a record's size is fixed and its life bounded.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[6])

local function fail(key, after, base, max)
  local n = redis.call('HINCRBY', key, 'n', 1)
  local over = n - after
  local untilMs = 0
  local ttl = window
  if over >= 0 then
    -- Capping the exponent keeps 2^k finite however many failures pile up.
    local lock = math.min(base * 2 ^ math.min(over, 40), max)
    untilMs = now + lock
    redis.call('HSET', key, 'until', untilMs)
    ttl = ttl + lock
  end
  redis.call('PEXPIRE', key, ttl)
  return {n, untilMs}
end

local base = tonumber(ARGV[2])
local p = fail(KEYS[1], tonumber(ARGV[1]), base, tonumber(ARGV[3]))
local a = fail(KEYS[2], tonumber(ARGV[4]), base, tonumber(ARGV[5]))
return {p[1], p[2], a[1], a[2]}
