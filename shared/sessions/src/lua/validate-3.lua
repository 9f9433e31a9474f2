--[[
  Validates a session token and, at most once per touch interval, slides the idle expiry.
  The one round trip of the hot path: read, verify, fence and touch happen atomically.

  KEYS[1] session hash          <prefix>{tag}:s:<member>
  KEYS[2] account state hash    <prefix>{tag}:u
  KEYS[3] session index zset    <prefix>{tag}:ix
  ARGV[1] hex SHA-256 of the token's secret part (64 chars)
  ARGV[2] touch interval, ms (capped at half the session's idle timeout)
  ARGV[3] index member (the session's random part)

  Reply:
    {0}                                        no such session (never created, expired or revoked)
    {1}                                        the secret does not match
    {2}                                        superseded: the account version moved on; the session is deleted
    {3, uid, role, tier, ca, la, ax, idle, touched}
                                               valid; ca/la/ax are ms since the epoch, idle is ms,
                                               touched is 1 when this call slid the expiry
]]
local s = redis.call('HMGET', KEYS[1], 'sh', 'uid', 'av', 'ca', 'la', 'ax', 'it')
if not s[1] then return {0} end

-- Fixed-work comparison so the reply time does not depend on how many leading digest bytes match.
local given, stored = ARGV[1], s[1]
if #given ~= 64 or #stored ~= 64 then return {1} end
-- Eight bytes per string.byte call, into locals: byte-at-a-time calls or byte tables cost more than all
-- the rest of the script.
local diff = 0
for i = 1, #stored, 8 do
  local a1, a2, a3, a4, a5, a6, a7, a8 = string.byte(stored, i, i + 7)
  local b1, b2, b3, b4, b5, b6, b7, b8 = string.byte(given, i, i + 7)
  diff = bit.bor(diff, bit.bxor(a1, b1), bit.bxor(a2, b2), bit.bxor(a3, b3), bit.bxor(a4, b4),
    bit.bxor(a5, b5), bit.bxor(a6, b6), bit.bxor(a7, b7), bit.bxor(a8, b8))
end
if diff ~= 0 then return {1} end

-- A missing account state fails closed: sessions never outlive it (create extends it to their absolute expiry).
local a = redis.call('HMGET', KEYS[2], 'uid', 'av', 'role', 'tier')
if a[1] ~= s[2] or a[2] ~= s[3] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[3])
  return {2}
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local la, ax, idle = tonumber(s[5]), tonumber(s[6]), tonumber(s[7])
if now >= ax then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], ARGV[3])
  return {0}
end

local touched = 0
if now - la >= math.min(tonumber(ARGV[2]), math.floor(idle / 2)) then
  la = now
  local exp = math.min(now + idle, ax)
  redis.call('HSET', KEYS[1], 'la', now)
  redis.call('PEXPIREAT', KEYS[1], exp)
  -- The index must never miss a live session and must outlive every member.
  redis.call('ZADD', KEYS[3], 'NX', ax, ARGV[3])
  local pttl = redis.call('PTTL', KEYS[3])
  if pttl == -1 or now + pttl < exp then redis.call('PEXPIREAT', KEYS[3], exp) end
  touched = 1
end

return {3, s[2], a[3], a[4], tonumber(s[4]), la, ax, idle, touched}
