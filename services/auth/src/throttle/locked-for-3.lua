--[[
  How long a login for one (email, client address) pair must still wait, on Redis time: the pair's own
  back-off, or the account-wide one (never longer than its ceiling) unless the address is a known one.

  KEYS[1] pair record     auth:login-failures:{<email hmac>}:<address hmac>   fields n, until (ms)
  KEYS[2] account record  auth:login-failures:{<email hmac>}                  fields n, until (ms)
  KEYS[3] known address   auth:login-known:{<email hmac>}:<address hmac>      exists after a successful login

  Reply: {remainingMs, scope}  scope = 'pair' | 'account' | 'none'
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pairUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if pairUntil > now then return {pairUntil - now, 'pair'} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {0, 'none'} end
local accountUntil = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
if accountUntil > now then return {accountUntil - now, 'account'} end
return {0, 'none'}
