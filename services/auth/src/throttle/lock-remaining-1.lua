--[[
  How long an account's login back-off still runs, on Redis time.

  KEYS[1] failure hash        auth:login-failures:<hmac of the normalised email>
  Reply: remaining back-off in ms (0 when none)
]]
local untilMs = redis.call('HGET', KEYS[1], 'until')
if not untilMs then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return math.max(0, tonumber(untilMs) - now)
