--[[
  Validates session tokens and, at most once per touch interval, slides each one's idle expiry. The one
  round trip of the hot path: read, verify, fence and touch happen atomically per session. On a single
  node the reader coalesces the validations that arrive within one event-loop turn into one call; on a
  cluster each call holds one session (its three keys share the {tag} slot).

  ARGV[1]   R, the number of sessions in this call
  ARGV[2]   touch interval, ms (capped at half each session's idle timeout)
  Then per session r (r = 1..R), keys at k = (r - 1) * 3 and values at b = 2 + (r - 1) * 2:
    KEYS[k+1] session hash          <prefix>{tag}:s:<member>
    KEYS[k+2] account state hash    <prefix>{tag}:u
    KEYS[k+3] session index zset    <prefix>{tag}:ix
    ARGV[b+1] hex SHA-256 of the token's secret part (64 chars)
    ARGV[b+2] index member (the session's random part)

  Reply: one entry per session, in order:
    {0}                                        no such session (never created, expired or revoked)
    {1}                                        the secret does not match
    {2}                                        superseded: the account version moved on; the session is deleted
    {3, uid, role, tier, ca, la, ax, idle, touched}
                                               valid; ca/la/ax are ms since the epoch, idle is ms,
                                               touched is 1 when this call slid the expiry
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[2])

local function validate(session_key, account_key, index_key, given, member)
  local s = redis.call('HMGET', session_key, 'sh', 'uid', 'av', 'ca', 'la', 'ax', 'it')
  if not s[1] then return {0} end

  -- Fixed-work comparison so the reply time does not depend on how many leading digest bytes match.
  local stored = s[1]
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
  local a = redis.call('HMGET', account_key, 'uid', 'av', 'role', 'tier')
  if a[1] ~= s[2] or a[2] ~= s[3] then
    redis.call('DEL', session_key)
    redis.call('ZREM', index_key, member)
    return {2}
  end

  local la, ax, idle = tonumber(s[5]), tonumber(s[6]), tonumber(s[7])
  if now >= ax then
    redis.call('DEL', session_key)
    redis.call('ZREM', index_key, member)
    return {0}
  end

  local touched = 0
  if now - la >= math.min(interval, math.floor(idle / 2)) then
    la = now
    local exp = math.min(now + idle, ax)
    redis.call('HSET', session_key, 'la', now)
    redis.call('PEXPIREAT', session_key, exp)
    -- The index must never miss a live session and must outlive every member.
    redis.call('ZADD', index_key, 'NX', ax, member)
    local pttl = redis.call('PTTL', index_key)
    if pttl == -1 or now + pttl < exp then redis.call('PEXPIREAT', index_key, exp) end
    touched = 1
  end

  return {3, s[2], a[3], a[4], tonumber(s[4]), la, ax, idle, touched}
end

local out = {}
for r = 1, tonumber(ARGV[1]) do
  local k, b = (r - 1) * 3, 2 + (r - 1) * 2
  out[r] = validate(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[b + 1], ARGV[b + 2])
end
return out
