--[[
  Creates a session atomically: syncs the account state, fences on its version, prunes the index,
  evicts the oldest sessions over the cap, then writes the session and indexes it.

  KEYS[1] new session hash      <prefix>{tag}:s:<member>
  KEYS[2] account state hash    <prefix>{tag}:u
  KEYS[3] session index zset    <prefix>{tag}:ix
  ARGV[1]  index member (the session's random part)
  ARGV[2]  hex SHA-256 of the secret
  ARGV[3]  user id
  ARGV[4]  account version the caller verified credentials against
  ARGV[5]  account revision the caller read (role/tier/version change counter)
  ARGV[6]  role
  ARGV[7]  tier
  ARGV[8]  idle timeout, ms
  ARGV[9]  absolute timeout, ms
  ARGV[10] maximum live sessions per user
  ARGV[11] user agent label
  ARGV[12] client ip
  ARGV[13] session key prefix (<prefix>{tag}:s:), to reach the other members' hashes

  Sibling session keys are built from ARGV[13] rather than passed in KEYS (as bullmq builds job keys):
  the {tag} puts them in the same slot, so this is safe on Redis Cluster.

  Reply: {1, ca, ax, exp, evicted member...} created (the oldest sessions it ended over the cap)
         | {0} stale account version (nothing written)
  Errors: SID_COLLISION (session key exists), TAG_CONFLICT (the tag belongs to another user)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local cur = redis.call('HMGET', KEYS[2], 'uid', 'rev')
if cur[1] and cur[1] ~= ARGV[3] then return redis.error_reply('TAG_CONFLICT') end
if not cur[2] or tonumber(ARGV[5]) > tonumber(cur[2]) then
  redis.call('HSET', KEYS[2], 'uid', ARGV[3], 'av', ARGV[4], 'rev', ARGV[5], 'role', ARGV[6], 'tier', ARGV[7])
end
-- A login that verified the password before a password change, disable or deletion lands here as stale.
if redis.call('HGET', KEYS[2], 'av') ~= ARGV[4] then return {0} end

if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('SID_COLLISION') end

-- Prune: members whose session is gone, and sessions of an older account version (already refused by
-- validate; deleting them here keeps them from counting against the cap).
local prefix = ARGV[13]
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local av = redis.call('HGET', prefix .. m, 'av')
  if av ~= ARGV[4] then
    if av then redis.call('DEL', prefix .. m) end
    redis.call('ZREM', KEYS[3], m)
  end
end

local evicted = {}
local over = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[10]) + 1
if over > 0 then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, over - 1)) do
    if redis.call('DEL', prefix .. m) == 1 then evicted[#evicted + 1] = m end
    redis.call('ZREM', KEYS[3], m)
  end
end

local idle = tonumber(ARGV[8])
local ax = now + tonumber(ARGV[9])
local exp = math.min(now + idle, ax)
redis.call('HSET', KEYS[1], 'sh', ARGV[2], 'uid', ARGV[3], 'av', ARGV[4], 'ca', now, 'la', now, 'ax', ax,
  'it', idle, 'ua', ARGV[11], 'ip', ARGV[12])
redis.call('PEXPIREAT', KEYS[1], exp)
-- Scores rise strictly, so sessions created within one millisecond still evict in creation order.
local score = ax
local top = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if top[2] and tonumber(top[2]) >= score then score = tonumber(top[2]) + 1 end
redis.call('ZADD', KEYS[3], score, ARGV[1])

-- The index outlives every member's current expiry; the account state outlives every member's absolute one.
local pttl = redis.call('PTTL', KEYS[3])
if pttl == -1 or now + pttl < exp then redis.call('PEXPIREAT', KEYS[3], exp) end
pttl = redis.call('PTTL', KEYS[2])
if pttl == -1 or now + pttl < ax then redis.call('PEXPIREAT', KEYS[2], ax) end

local out = {1, now, ax, exp}
for _, m in ipairs(evicted) do out[#out + 1] = m end
return out
