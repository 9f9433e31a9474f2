--[[
  Records a failed login for one account (or one unknown email) and starts or lengthens its back-off.

  KEYS[1] failure hash        auth:login-failures:<hmac of the normalised email>  fields n (count), until (ms)
  ARGV[1] failures that start the back-off: the n-th one locks for ARGV[2], each further one doubles it
  ARGV[2] first back-off, ms (doubles with each further failure)
  ARGV[3] longest back-off, ms
  ARGV[4] window, ms: the record is forgotten this long after the last failure (or the back-off's end)

  Reply: {failures, lockedUntilMs}  lockedUntilMs = 0 when no back-off applies
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local over = n - tonumber(ARGV[1])
local untilMs = 0
local ttl = tonumber(ARGV[4])
if over >= 0 then
  -- Capping the exponent keeps 2^k finite however many failures pile up.
  local lock = math.min(tonumber(ARGV[2]) * 2 ^ math.min(over, 40), tonumber(ARGV[3]))
  untilMs = now + lock
  redis.call('HSET', KEYS[1], 'until', untilMs)
  ttl = ttl + lock
end
redis.call('PEXPIRE', KEYS[1], ttl)
return {n, untilMs}
